/**
 * The configuration as a document, made from the schema itself (config/schema.ts, config/lab.ts and
 * every driver's settingsShape/verifyShape, each field with its doc()): a JSON Schema for editors
 * (`backup-sla config schema`, yaml-language-server) and the commented example configuration
 * (`backup-sla config example`): every field written is described, every field left out is shown
 * commented with its example, and every SLA number is the kind's default unless the example says
 * why it is not.
 */
import YAML from 'yaml';
import { z } from 'zod';
import { drivers } from '../targets/registry';
import type { TargetDriver } from '../targets/types';
import { instanceField, peerSchema, sharedRepositoryShape } from './lab';
import { apiSchema, doc, helpers, names, repositorySchema, targetSchema, TOP_DESCRIPTIONS, topSchema } from './schema';

// --- the whole schema ---------------------------------------------------------------------------

/**
 * The whole configuration as one schema: what load.ts validates part by part (repositories,
 * targets by kind, api, peers), put together. For documents only: paths are not resolved here.
 */
export function documentSchema() {
  const h = helpers('/');
  const kinds = Object.values(drivers).map((d) => targetSchema(d, h));
  const top = topSchema(h);
  return z.strictObject({
    ...top.shape,
    repositories: doc(
      z.record(names.repository(), repositorySchema(h, sharedRepositoryShape(h))),
      TOP_DESCRIPTIONS.repositories,
      { main: { url: '/var/backups/backup-sla', passwordFile: './secrets/repo.pass' } }
    ),
    targets: doc(
      z.record(
        names.target(),
        kinds.length > 1
          ? z.discriminatedUnion('kind', kinds as unknown as [(typeof kinds)[0], ...typeof kinds])
          : kinds[0]
      ),
      TOP_DESCRIPTIONS.targets,
      { mysql: { kind: 'mysql' } }
    ),
    api: doc(apiSchema(h, '/'), TOP_DESCRIPTIONS.api, { listen: '127.0.0.1:8470' }).optional(),
    instance: instanceField().optional(),
    peers: doc(z.record(z.string(), peerSchema(h)), TOP_DESCRIPTIONS.peers, {
      mon1: {
        url: 'http://10.0.0.12:8470',
        tokens: {
          viewer: './secrets/mon1-viewer.token',
          operator: './secrets/mon1-operator.token',
          admin: './secrets/mon1-admin.token',
        },
      },
    }).optional(),
  });
}

/** The JSON Schema of the configuration (draft 2020-12), with every field's description and example. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(documentSchema(), {
    io: 'input',
    unrepresentable: 'any',
    // zod drops the examples of fields that transform (paths resolved against the file): they are
    // what a person writes, so they stay.
    override: (ctx) => {
      const meta = z.globalRegistry.get(ctx.zodSchema as unknown as z.ZodType);
      if (meta?.examples && ctx.jsonSchema.examples === undefined) {
        ctx.jsonSchema.examples = meta.examples as never;
      }
    },
  });
  return {
    ...schema,
    $id: 'https://labops.invalid/backup-sla/config.schema.json',
    title: 'backup-sla configuration',
    description:
      'The configuration of the backup-sla service (backup-sla.yaml): `backup-sla config example` explains every field.',
  };
}

// --- reading the schema -------------------------------------------------------------------------

type Schema = z.core.$ZodType;
interface FieldDoc {
  description?: string;
  example?: unknown;
}

function def(s: Schema): any {
  return (s as any)._zod.def;
}

/** The schemas a field wraps (optional, default, nullable, a transform's input), outermost first. */
function layers(s: Schema): Schema[] {
  const out: Schema[] = [s];
  for (;;) {
    const d = def(out[out.length - 1]);
    const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!inner) {
      return out;
    }
    out.push(inner);
  }
}

/** A field's description and example, from the first of its layers that has them. */
export function fieldDoc(s: Schema): FieldDoc {
  const out: FieldDoc = {};
  for (const l of layers(s)) {
    const meta = z.globalRegistry.get(l as z.ZodType);
    out.description ??= meta?.description;
    if (out.example === undefined && Array.isArray(meta?.examples)) {
      out.example = meta.examples[0];
    }
  }
  return out;
}

/** The object schema a field is (through its wrappers), or null. */
function objectOf(s: Schema): Record<string, Schema> | null {
  const o = layers(s).find((l) => def(l).type === 'object');
  return o ? (def(o).shape as Record<string, Schema>) : null;
}

function isOptional(s: Schema): boolean {
  return (s as any)._zod.optin === 'optional';
}

/**
 * Every field of an object schema with its documentation, nested objects walked, as dotted paths
 * (for the test that every field documents itself).
 */
export function documentedFields(s: Schema, prefix = ''): Array<{ path: string } & FieldDoc> {
  const shape = objectOf(s);
  if (!shape) {
    return [];
  }
  return Object.entries(shape).flatMap(([k, f]) => [
    { path: `${prefix}${k}`, ...fieldDoc(f) },
    ...documentedFields(f, `${prefix}${k}.`),
  ]);
}

// --- writing YAML with comments ------------------------------------------------------------------

const WIDTH = 100;

/** A scalar or a small collection on one line, in flow style. */
export function inline(v: unknown): string {
  if (Array.isArray(v)) {
    return `[${v.map(inline).join(', ')}]`;
  }
  if (v && typeof v === 'object') {
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${scalarKey(k)}: ${inline(x)}`)
      .join(', ')} }`;
  }
  if (typeof v === 'string') {
    // Plain where YAML reads it back as the same string; double-quoted (JSON) otherwise.
    const plain = /^[A-Za-z0-9_./][A-Za-z0-9_./:@+-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|~)$/i.test(v);
    return plain && YAML.parse(v) === v ? v : JSON.stringify(v);
  }
  return JSON.stringify(v);
}

function scalarKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : JSON.stringify(k);
}

/** `text` as comment lines at `indent`, wrapped at WIDTH. */
function comment(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) {
    lines.push(`${indent}# ${line}`);
  }
  return lines;
}

/** `key: value` lines of a value in block style (objects nested, arrays of objects as lists). */
function block(key: string, v: unknown, indent: string, trailer = ''): string[] {
  const oneLine = `${indent}${scalarKey(key)}: ${inline(v)}${trailer}`;
  if (oneLine.length <= WIDTH || v === null || typeof v !== 'object') {
    return [oneLine];
  }
  if (Array.isArray(v)) {
    return [`${indent}${scalarKey(key)}:${trailer}`, ...v.map((x) => `${indent}  - ${inline(x)}`)];
  }
  return [
    `${indent}${scalarKey(key)}:${trailer}`,
    ...Object.entries(v).flatMap(([k, x]) => block(k, x, `${indent}  `)),
  ];
}

interface RenderOptions {
  /** Descriptions already written (by scope): a field is described at its first occurrence only. */
  described: Set<string>;
  /** The scope of a field's description ("target", "repository"…): described once per scope. */
  scope: string | ((key: string) => string);
  /** Trailing comments per key (e.g. "the default"); a field with one is written on one line. */
  trailers?: Record<string, string>;
  /** Comments above a field, besides its description (e.g. why it is set). */
  notes?: Record<string, string>;
  /** Keys not to show commented when left out (written elsewhere, or said once already). */
  quiet?: Set<string>;
  /** Field order: these first, the rest in the schema's order. */
  order?: string[];
}

/**
 * The fields of object schema `shape` with the values of `value`: each written field with its
 * description above it (the first time in its scope), each optional field left out shown commented
 * with its example; nested objects that are documented field by field are written field by field.
 */
function renderObject(
  shape: Record<string, Schema>,
  value: Record<string, unknown>,
  indent: string,
  o: RenderOptions
): string[] {
  const lines: string[] = [];
  const keys = [
    ...(o.order ?? []).filter((k) => k in shape),
    ...Object.keys(shape).filter((k) => !o.order?.includes(k)),
  ];
  for (const key of keys) {
    const field = shape[key];
    const d = fieldDoc(field);
    const scoped = `${typeof o.scope === 'string' ? o.scope : o.scope(key)}.${key}`;
    const describe = () => {
      if (d.description && !o.described.has(scoped)) {
        o.described.add(scoped);
        lines.push(...comment(d.description, indent));
      }
      if (o.notes?.[key]) {
        lines.push(...comment(o.notes[key], indent));
      }
    };
    const trailer = o.trailers?.[key] ? `  # ${o.trailers[key]}` : '';
    if (key in value && value[key] !== undefined) {
      describe();
      const inner = objectOf(field);
      const v = value[key];
      const byField = inner && v && typeof v === 'object' && !Array.isArray(v) && Object.keys(inner).length > 1;
      if (byField && !trailer) {
        lines.push(`${indent}${key}:${trailer}`);
        lines.push(
          ...renderObject(inner, v as Record<string, unknown>, `${indent}  `, { described: o.described, scope: scoped })
        );
      } else {
        lines.push(...block(key, v, indent, trailer));
      }
    } else if (isOptional(field) && !o.quiet?.has(key) && d.example !== undefined) {
      describe();
      lines.push(...block(key, d.example, indent).map((l) => `${indent}# ${l.slice(indent.length)}`));
    } else if (!isOptional(field) && !o.quiet?.has(key)) {
      throw new Error(`the example sets no ${scoped}, which is required`);
    }
  }
  return lines;
}

// --- the example configuration -------------------------------------------------------------------

/** A target of the example: its kind's own fields, and where it departs from the kind's SLA, why. */
export interface ExampleTarget {
  name: string;
  kind: string;
  /** Said above the target. */
  note?: string;
  /** The kind's own fields (connection, source, hooks…) in the YAML shape. */
  settings: Record<string, unknown>;
  /** The kind's own verification fields. */
  verify?: Record<string, unknown>;
  /** Fields set where the kind has no default or another value: each with why (the example's own choices). */
  choices?: Record<string, { value: unknown; why: string }>;
}

export interface ExampleConfig {
  /** Comment lines at the top. */
  header: string[];
  top: Record<string, unknown>;
  repositories: Record<string, { note?: string; value: Record<string, unknown> }>;
  targets: ExampleTarget[];
  covered?: Array<Record<string, unknown>>;
  api?: Record<string, unknown>;
}

/** The SLA fields of a target, in the order they are written, as the kind's defaults give them. */
function policyOf(d: TargetDriver): Record<string, unknown> {
  return {
    schedule: d.defaults.schedule,
    rpo: d.defaults.rpo,
    rto: d.defaults.rto,
    retention: d.defaults.retention,
  };
}

/** Fields every target has: described once, at the first target (the others are the kind's own). */
const COMMON = new Set([
  'kind',
  'schedule',
  'rpo',
  'rto',
  'retention',
  'safetyRetention',
  'repository',
  'copies',
  'coverage',
  'usability',
  'timeout',
  'verify',
]);

function renderTarget(t: ExampleTarget, described: Set<string>): string[] {
  const driver = drivers[t.kind];
  if (!driver) {
    throw new Error(`the example names kind '${t.kind}', which no driver has`);
  }
  const shape = targetSchema(driver, helpers('/')).shape as Record<string, Schema>;
  const choices = t.choices ?? {};
  const trailers: Record<string, string> = {};
  const notes: Record<string, string> = {};
  const value: Record<string, unknown> = { kind: t.kind, ...t.settings };
  const chosen = (k: string, dflt: unknown) => {
    const c = choices[k];
    if (c) {
      notes[k.replace(/^verify\./, '')] =
        dflt === undefined ? `set here: ${c.why}` : `not the default (${inline(dflt)}): ${c.why}`;
      return c.value;
    }
    trailers[k.replace(/^verify\./, '')] = 'the default';
    return dflt;
  };
  for (const [k, v] of Object.entries(policyOf(driver))) {
    value[k] = chosen(k, v);
  }
  for (const k of Object.keys(choices).filter((c) => !(c in value) && !c.startsWith('verify.'))) {
    value[k] = chosen(k, undefined);
  }
  const verifyTrailers = { ...trailers };
  const verify = { schedule: chosen('verify.schedule', driver.defaults.verifySchedule), ...t.verify };
  const first = !described.has('target.kind');
  const scope = (k: string) => (COMMON.has(k) ? 'target' : `kind.${t.kind}`);
  const lines = [
    ...comment(`${t.name} (${t.kind}): ${driver.defaults.coverage}.${t.note ? ` ${t.note}` : ''}`, '  '),
    `  ${t.name}:`,
    ...renderObject(shape, value, '    ', {
      described,
      scope,
      trailers,
      notes,
      // Said once, at the first target; the kind's defaults stand for them.
      quiet: new Set([
        'verify',
        ...(first ? [] : ['safetyRetention', 'repository', 'copies', 'coverage', 'usability', 'timeout']),
      ]),
      order: [
        'kind',
        ...Object.keys(driver.settingsShape(helpers('/'))),
        ...Object.keys(policyOf(driver)),
        'copies',
        'repository',
      ],
    }),
  ];
  const d = fieldDoc(shape.verify);
  if (d.description && !described.has('target.verify')) {
    described.add('target.verify');
    lines.push(...comment(d.description, '    '));
  }
  lines.push('    verify:');
  lines.push(
    ...renderObject(objectOf(shape.verify)!, verify, '      ', {
      described,
      scope: (k) => (k === 'schedule' ? 'verify' : `verify.${t.kind}`),
      trailers: { schedule: verifyTrailers.schedule ?? '' },
      notes: { schedule: notes.schedule ?? '' },
    })
  );
  return lines;
}

/** The commented example configuration (YAML). */
export function renderExample(ex: ExampleConfig): string {
  const described = new Set<string>();
  const doc = documentSchema();
  const shape = doc.shape as Record<string, Schema>;
  const lines: string[] = [...ex.header.map((l) => (l ? `# ${l}` : '#')), ''];
  const top = renderObject(shape, ex.top, '', {
    described,
    scope: 'top',
    quiet: new Set(['repositories', 'targets', 'covered', 'api', 'instance', 'peers']),
  });
  lines.push(...top, '');

  lines.push(...comment(TOP_DESCRIPTIONS.repositories, ''), 'repositories:');
  const repoShape = objectOf(def(shape.repositories).valueType)!;
  let first = true;
  for (const [name, r] of Object.entries(ex.repositories)) {
    lines.push(...(r.note ? comment(r.note, '  ') : []), `  ${name}:`);
    lines.push(
      ...renderObject(repoShape, r.value, '    ', {
        described,
        scope: 'repository',
        quiet: first ? undefined : new Set(Object.keys(repoShape)),
      })
    );
    first = false;
  }
  lines.push('');

  lines.push(...comment(TOP_DESCRIPTIONS.targets, ''), 'targets:');
  ex.targets.forEach((t, i) => {
    if (i > 0) {
      lines.push('');
    }
    lines.push(...renderTarget(t, described));
  });
  lines.push('');

  if (ex.covered) {
    lines.push(
      ...block('covered', ex.covered, '').flatMap((l, i) =>
        i === 0 ? [...comment(TOP_DESCRIPTIONS.covered, ''), l] : [l]
      ),
      ''
    );
  }
  if (ex.api) {
    lines.push(...comment(TOP_DESCRIPTIONS.api, ''), 'api:');
    lines.push(...renderObject(objectOf(shape.api)!, ex.api, '  ', { described, scope: 'api' }), '');
  }
  // The lab of several machines: shown, not set (docs/lab.md).
  for (const key of ['instance', 'peers']) {
    const d = fieldDoc(shape[key]);
    lines.push(...comment(d.description ?? key, ''), ...block(key, d.example, '').map((l) => `# ${l}`));
  }
  const sharedExample = {
    shared: {
      url: 's3:https://s3.lab:9000/backups/lab',
      passwordFile: './secrets/repo.pass',
      ...Object.fromEntries(
        Object.entries(sharedRepositoryShape(helpers('/'))).map(([k, f]) => [k, fieldDoc(f).example])
      ),
    },
  };
  lines.push(
    '# A repository shared by the machines (the same under repositories: on each), pruned by one of them:',
    ...block('repositories', sharedExample, '').map((l) => `# ${l}`)
  );
  return `${lines.join('\n')}\n`;
}

/**
 * One target of `kind` with every field: the required ones set from their examples, the others
 * shown commented with theirs (`backup-sla config example <kind>`).
 */
export function renderKind(kind: string): string {
  const driver = drivers[kind];
  if (!driver) {
    throw new Error(`unknown kind '${kind}' (one of: ${Object.keys(drivers).join(', ')})`);
  }
  const settings: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(driver.settingsShape(helpers('/')))) {
    if (!isOptional(f)) {
      settings[k] = fieldDoc(f).example;
    }
  }
  const lines = renderTarget({ name: kind, kind, settings }, new Set());
  return `targets:\n${lines.join('\n')}\n`;
}
