/**
 * The configuration documents itself: every field of the schema (core and every driver) has its
 * description and an example; the shipped example is the generator's output, loads, and holds the
 * kinds' SLA defaults except where it says why not; every kind's documented target loads; the
 * JSON Schema describes what the example writes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { drivers } from '../targets/registry';
import { configJsonSchema, documentedFields, documentSchema, renderExample, renderKind } from './document';
import { LAB_EXAMPLE } from './example';
import { parseConfig } from './load';
import { helpers, POLICY_FIELDS, targetSchema } from './schema';
import type { TargetConfig } from './types';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SHIPPED = path.join(ROOT, 'backup-sla.example.yaml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-document-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every `./secrets/…` file a document names, created (private) beside it, so that it loads. */
function withSecrets(doc: unknown): string {
  const file = path.join(dir, 'backup-sla.yaml');
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.startsWith('./secrets/')) {
      names.add(v);
    } else if (v && typeof v === 'object') {
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  mkdirSync(path.join(dir, 'secrets'), { recursive: true, mode: 0o700 });
  let i = 0;
  for (const n of names) {
    // Strong and all different: tokens are checked.
    writeFileSync(path.join(dir, n), `${'x'.repeat(8)}-0123456789abcdef-${i++}-${n}\n`, { mode: 0o600 });
  }
  return file;
}

/** What a target's SLA is in force: the fields the example must hold at their defaults. */
function policy(t: TargetConfig) {
  return {
    schedule: t.schedule,
    rpo: t.rpoSeconds,
    rto: t.rtoSeconds,
    retention: t.retention,
    'verify.schedule': t.verifySchedule,
    copies: t.copies,
    repository: t.repository,
    safetyRetention: t.safetyRetentionSeconds,
    timeout: t.timeoutSeconds,
    coverage: t.coverage,
    usability: t.usability,
  };
}

/** The same document with every SLA field of every target left out: what the kinds' defaults give. */
function withoutPolicy(doc: any): any {
  const out = structuredClone(doc);
  for (const t of Object.values(out.targets) as any[]) {
    for (const f of POLICY_FIELDS) {
      const [a, b] = f.split('.');
      if (b) {
        delete t[a]?.[b];
      } else {
        delete t[a];
      }
    }
    for (const f of ['copies', 'repository', 'safetyRetention', 'timeout', 'coverage', 'usability']) {
      delete t[f];
    }
  }
  return out;
}

describe('the configuration documents itself', () => {
  test('every field of the schema, core and every driver, has a description and an example', () => {
    const h = helpers('/');
    const parts: Array<[string, z.core.$ZodType]> = [
      ['', documentSchema()],
      ...Object.values(drivers).map((d): [string, z.core.$ZodType] => [`targets.<${d.kind}>.`, targetSchema(d, h)]),
    ];
    const undocumented: string[] = [];
    for (const [prefix, schema] of parts) {
      for (const f of documentedFields(schema, prefix)) {
        if (!f.description || f.example === undefined) {
          undocumented.push(
            `${f.path}:${f.description ? '' : ' no description'}${f.example === undefined ? ' no example' : ''}`
          );
        }
      }
    }
    // The maps' entries (repositories, targets, peers) are walked through their own schemas above.
    const shape = documentSchema().shape as Record<string, unknown>;
    for (const record of ['repositories', 'peers']) {
      const entry =
        (shape[record] as any)._zod.def.innerType?._zod.def.valueType ?? (shape[record] as any)._zod.def.valueType;
      for (const f of documentedFields(entry, `${record}.<name>.`)) {
        if (!f.description || f.example === undefined) {
          undocumented.push(`${f.path}: no description or example`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });

  test('the shipped backup-sla.example.yaml is what `backup-sla config example` prints (npm run config:example)', () => {
    expect(readFileSync(SHIPPED, 'utf8')).toBe(renderExample(LAB_EXAMPLE));
  });

  test("the example loads, and each target's SLA is its kind's default except the choices it explains", () => {
    const raw = YAML.parse(readFileSync(SHIPPED, 'utf8'));
    const file = withSecrets(raw);
    const config = parseConfig(raw, file);
    const defaults = parseConfig(withoutPolicy(raw), file);
    expect(Object.keys(config.targets)).toEqual(LAB_EXAMPLE.targets.map((t) => t.name));
    for (const t of LAB_EXAMPLE.targets) {
      const got = policy(config.targets[t.name]);
      const dflt = policy(defaults.targets[t.name]);
      const chosen = Object.keys(t.choices ?? {});
      for (const [field, value] of Object.entries(got)) {
        const where = `${t.name}.${field}`;
        if (chosen.includes(field)) {
          expect({
            where,
            differs: JSON.stringify(value) !== JSON.stringify(dflt[field as keyof typeof dflt]),
          }).toEqual({
            where,
            differs: true,
          });
        } else {
          expect({ where, value }).toEqual({ where, value: dflt[field as keyof typeof dflt] });
        }
      }
    }
    // What the old example claimed and the issue found false: the kinds' SLA as docs/sla.md has it.
    expect(policy(config.targets.grafana)).toMatchObject({ retention: { keepLast: 3, keepWithin: '30d' } });
    expect(policy(config.targets.ansible).copies).toEqual(['flash', 'admin']);
  });

  test.each(Object.keys(drivers))('`config example %s`: every field of the kind, and it loads as a target', (kind) => {
    const text = renderKind(kind);
    expect(text).toMatch(new RegExp(`^targets:\\n  # ${kind} \\(${kind}\\): `));
    const doc = {
      repositories: { main: { url: './repo', passwordFile: './secrets/repo.pass' } },
      targets: YAML.parse(text).targets,
    };
    const config = parseConfig(doc, withSecrets(doc));
    expect(config.targets[kind].kind).toBe(kind);
    // Every field of the kind is there, set or commented.
    for (const f of Object.keys(drivers[kind].settingsShape(helpers('/')))) {
      expect(text).toMatch(new RegExp(`^    (# )?${f}:`, 'm'));
    }
  });

  test('the JSON Schema describes every field the example writes (what an editor checks and completes)', () => {
    const schema = configJsonSchema() as any;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const problems: string[] = [];
    const check = (v: any, s: any, at: string): void => {
      if (s.oneOf) {
        const branch = s.oneOf.find((b: any) => b.properties?.kind?.const === v?.kind);
        if (!branch) {
          problems.push(`${at}: no schema for kind ${v?.kind}`);
          return;
        }
        return check(v, branch, at);
      }
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const k of s.required ?? []) {
          if (!(k in v)) {
            problems.push(`${at}.${k}: required by the schema, not in the example`);
          }
        }
        for (const [k, x] of Object.entries(v)) {
          const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : null);
          if (!sub) {
            problems.push(`${at}.${k}: not in the schema`);
          } else {
            if (s.properties?.[k] && !sub.description) {
              problems.push(`${at}.${k}: no description`);
            }
            check(x, sub.anyOf?.find((a: any) => a.type === 'object') ?? sub, `${at}.${k}`);
          }
        }
      }
    };
    check(YAML.parse(readFileSync(SHIPPED, 'utf8')), schema, '');
    expect(problems).toEqual([]);
  });
});
