/**
 * The Grafana export: one JSON file per object (dashboards/<uid>.json, folders/<uid>.json, …) plus
 * manifest.json, written with sorted keys so that versions diff line by line and restic
 * deduplicates the unchanged objects. The content hash covers every object file (not the
 * manifest), so a Grafana upgrade alone or a re-run without changes gives the same version.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Json } from '../types';
import { GrafanaClient, JsonObject } from './client';

export const FORMAT = 'backup-sla-grafana';
export const FORMAT_VERSION = 1;
/** What Grafana's contact point API shows instead of a secure setting. */
export const REDACTED = '[REDACTED]';

export interface FolderObject {
  uid: string;
  title: string;
  parentUid: string | null;
  version: number;
}

export interface DashboardObject {
  dashboard: JsonObject;
  meta: {
    folderUid: string;
    folderTitle: string;
    version: number;
    provisioned: boolean;
    provisionedExternalId: string;
    updated: string;
  };
}

export interface LibraryPanelObject {
  uid: string;
  name: string;
  kind: number;
  type: string;
  description: string;
  folderUid: string;
  model: Json;
  version: number;
}

export interface RuleGroupObject {
  folderUid: string;
  title: string;
  interval: number;
}

export interface GrafanaExport {
  folders: FolderObject[];
  dashboards: DashboardObject[];
  datasources: JsonObject[];
  libraryPanels: LibraryPanelObject[];
  alertRules: JsonObject[];
  alertRuleGroups: RuleGroupObject[];
  contactPoints: JsonObject[];
  muteTimings: JsonObject[];
  templates: JsonObject[];
  /** The notification policy tree (one object), null if Grafana has none. */
  policies: JsonObject | null;
}

export type Counts = Record<keyof GrafanaExport, number>;

export interface Manifest {
  format: string;
  formatVersion: number;
  grafanaVersion: string;
  contentHash: string;
  counts: Counts;
  /** Dashboards provisioned from files: Grafana refuses API saves of them; restore their files. */
  provisionedDashboards: string[];
  /** Secure fields that Grafana never returns, per object: a restore needs a human to re-enter them. */
  secureFields: { datasources: Record<string, string[]>; contactPoints: Record<string, string[]> };
}

/** Directory per kind and how an object's file is named. */
export const KINDS: Array<{ key: Exclude<keyof GrafanaExport, 'policies'>; dir: string; id: (o: any) => string }> = [
  { key: 'folders', dir: 'folders', id: (o: FolderObject) => o.uid },
  { key: 'dashboards', dir: 'dashboards', id: (o: DashboardObject) => String(o.dashboard.uid) },
  { key: 'datasources', dir: 'datasources', id: (o: JsonObject) => String(o.uid) },
  { key: 'libraryPanels', dir: 'library-panels', id: (o: LibraryPanelObject) => o.uid },
  { key: 'alertRules', dir: 'alert-rules', id: (o: JsonObject) => String(o.uid) },
  { key: 'alertRuleGroups', dir: 'alert-rule-groups', id: (o: RuleGroupObject) => `${o.folderUid}--${o.title}` },
  { key: 'contactPoints', dir: 'contact-points', id: (o: JsonObject) => String(o.uid || o.name) },
  { key: 'muteTimings', dir: 'mute-timings', id: (o: JsonObject) => String(o.name) },
  { key: 'templates', dir: 'templates', id: (o: JsonObject) => String(o.name) },
];
const POLICIES_FILE = 'policies.json';
export const MANIFEST_FILE = 'manifest.json';

// --- canonical JSON ----------------------------------------------------------------------------

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map(sortKeys);
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) {
        out[k] = sortKeys(x);
      }
    }
    return out;
  }
  return v;
}

/** JSON with sorted keys, 2-space indent, trailing newline: stable across runs. */
export function canonicalJson(v: unknown): string {
  return `${JSON.stringify(sortKeys(v), null, 2)}\n`;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

/** A file name for any uid or name: kept when harmless, else made safe and disambiguated. */
export function fileNameFor(id: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/.test(id)) {
    return `${id}.json`;
  }
  const safe = id
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  const h = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return `${safe}-${h}.json`;
}

// --- export from Grafana ------------------------------------------------------------------------

/** The secure fields a data source holds (`secureJsonFields`: their values Grafana never returns). */
export function secureKeys(fields: Json | undefined): string[] {
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) {
    return [];
  }
  return Object.entries(fields)
    .filter(([, v]) => v === true)
    .map(([k]) => k)
    .sort();
}

/** Settings of a contact point that Grafana showed as redacted (secrets it does not export). */
export function redactedKeys(settings: Json | undefined, prefix = ''): string[] {
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) {
    return [];
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(settings)) {
    if (v === REDACTED) {
      out.push(prefix + k);
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      out.push(...redactedKeys(v, `${prefix}${k}.`));
    }
  }
  return out.sort();
}

function str(v: Json | undefined, fallback = ''): string {
  return v === undefined || v === null ? fallback : String(v);
}

/** Reads everything the SLA covers from Grafana. `progress` names the current step. */
export async function exportGrafana(
  client: GrafanaClient,
  progress: (phase: string) => void = () => undefined
): Promise<GrafanaExport> {
  progress('exporting folders');
  const folders: FolderObject[] = (await client.allFolders()).map((f) => ({
    uid: String(f.uid),
    title: str(f.title),
    parentUid: f.parentUid ? String(f.parentUid) : null,
    version: Number(f.version ?? 0),
  }));

  progress('exporting dashboards');
  const dashboards: DashboardObject[] = [];
  for (const hit of await client.searchDashboards()) {
    const uid = String(hit.uid);
    const d = await client.getOptional<{ dashboard: JsonObject; meta: JsonObject }>(
      `/api/dashboards/uid/${encodeURIComponent(uid)}`
    );
    if (!d) {
      continue; // deleted between search and read
    }
    const m = d.meta ?? {};
    dashboards.push({
      dashboard: d.dashboard,
      meta: {
        folderUid: str(m.folderUid),
        folderTitle: str(m.folderTitle),
        version: Number(m.version ?? d.dashboard.version ?? 0),
        provisioned: m.provisioned === true,
        provisionedExternalId: str(m.provisionedExternalId),
        updated: str(m.updated),
      },
    });
  }

  progress('exporting data sources');
  const datasources: JsonObject[] = [];
  for (const item of await client.get<JsonObject[]>('/api/datasources')) {
    // The list omits secureJsonFields and version: read each one (data_source.md).
    const full = await client.getOptional<JsonObject>(`/api/datasources/uid/${encodeURIComponent(String(item.uid))}`);
    if (full) {
      datasources.push(full);
    }
  }

  progress('exporting library panels');
  const libraryPanels: LibraryPanelObject[] = (await client.libraryPanels()).map((e) => {
    const meta = (e.meta ?? {}) as JsonObject;
    return {
      uid: String(e.uid),
      name: str(e.name),
      kind: Number(e.kind ?? 1),
      type: str(e.type),
      description: str(e.description),
      folderUid: str(e.folderUid ?? meta.folderUid),
      model: e.model ?? {},
      version: Number(e.version ?? 0),
    };
  });

  progress('exporting alerting');
  const alertRules = await client.get<JsonObject[]>('/api/v1/provisioning/alert-rules');
  const groupKeys = new Map<string, { folderUid: string; title: string }>();
  for (const r of alertRules) {
    const g = { folderUid: String(r.folderUID), title: String(r.ruleGroup) };
    groupKeys.set(`${g.folderUid}\u0000${g.title}`, g);
  }
  const alertRuleGroups: RuleGroupObject[] = [];
  for (const g of groupKeys.values()) {
    const live = await client.getOptional<JsonObject>(
      `/api/v1/provisioning/folder/${encodeURIComponent(g.folderUid)}/rule-groups/${encodeURIComponent(g.title)}`
    );
    alertRuleGroups.push({ ...g, interval: Number(live?.interval ?? 60) });
  }
  const contactPoints = await client.get<JsonObject[]>('/api/v1/provisioning/contact-points');
  const muteTimings = (await client.getOptional<JsonObject[]>('/api/v1/provisioning/mute-timings')) ?? [];
  const templates = await client.templates();
  const policies = await client.getOptional<JsonObject>('/api/v1/provisioning/policies');

  return {
    folders,
    dashboards,
    datasources,
    libraryPanels,
    alertRules,
    alertRuleGroups,
    contactPoints,
    muteTimings,
    templates,
    policies,
  };
}

export function countsOf(e: GrafanaExport): Counts {
  const c = {} as Counts;
  for (const k of KINDS) {
    c[k.key] = e[k.key].length;
  }
  c.policies = e.policies ? 1 : 0;
  return c;
}

export function countsText(c: Partial<Counts>): string {
  const names: Array<[keyof Counts, string]> = [
    ['folders', 'folder'],
    ['dashboards', 'dashboard'],
    ['datasources', 'data source'],
    ['libraryPanels', 'library panel'],
    ['alertRules', 'alert rule'],
    ['alertRuleGroups', 'rule group'],
    ['contactPoints', 'contact point'],
    ['muteTimings', 'mute timing'],
    ['templates', 'template'],
    ['policies', 'policy tree'],
  ];
  return names.map(([k, n]) => `${c[k] ?? 0} ${n}${c[k] === 1 ? '' : 's'}`).join(', ');
}

function secureFieldsOf(e: GrafanaExport): Manifest['secureFields'] {
  const datasources: Record<string, string[]> = {};
  for (const d of e.datasources) {
    const keys = secureKeys(d.secureJsonFields);
    if (keys.length) {
      datasources[String(d.uid)] = keys;
    }
  }
  const contactPoints: Record<string, string[]> = {};
  for (const cp of e.contactPoints) {
    const keys = redactedKeys(cp.settings);
    if (keys.length) {
      contactPoints[String(cp.uid || cp.name)] = keys;
    }
  }
  return { datasources, contactPoints };
}

/** The object files of an export: relative path → content. */
function files(e: GrafanaExport): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of KINDS) {
    for (const o of e[k.key] as unknown[]) {
      const rel = `${k.dir}/${fileNameFor(k.id(o))}`;
      if (out.has(rel)) {
        throw new Error(`two ${k.dir} objects share the identifier '${k.id(o)}'`);
      }
      out.set(rel, canonicalJson(o));
    }
  }
  if (e.policies) {
    out.set(POLICIES_FILE, canonicalJson(e.policies));
  }
  return out;
}

/** sha256 over every object file (sorted by path), shortened: the export's content version. */
export function hashFiles(fileMap: Map<string, string>): string {
  const h = createHash('sha256');
  for (const rel of [...fileMap.keys()].sort()) {
    h.update(rel).update('\0').update(fileMap.get(rel)!).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Writes the export into `dir` (created); answers its manifest. */
export function writeExport(dir: string, e: GrafanaExport, grafanaVersion: string): Manifest {
  const fileMap = files(e);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const k of KINDS) {
    mkdirSync(path.join(dir, k.dir), { recursive: true });
  }
  for (const [rel, content] of fileMap) {
    writeFileSync(path.join(dir, rel), content, { mode: 0o600 });
  }
  const manifest: Manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    grafanaVersion,
    contentHash: hashFiles(fileMap),
    counts: countsOf(e),
    provisionedDashboards: e.dashboards
      .filter((d) => d.meta.provisioned)
      .map((d) => String(d.dashboard.uid))
      .sort(),
    secureFields: secureFieldsOf(e),
  };
  writeFileSync(path.join(dir, MANIFEST_FILE), canonicalJson(manifest), { mode: 0o600 });
  return manifest;
}

export interface ReadResult {
  export: GrafanaExport;
  manifest: Manifest | null;
  /** Files that do not parse or do not have the shape of their kind. */
  problems: string[];
  /** How many object files were read. */
  files: number;
  /** The hash recomputed from the files as they are on disk. */
  contentHash: string;
}

function listJson(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && statSync(path.join(dir, f)).isFile())
      .sort();
  } catch {
    return [];
  }
}

const REQUIRED: Partial<Record<keyof GrafanaExport, (o: any) => boolean>> = {
  folders: (o) => typeof o.uid === 'string' && typeof o.title === 'string',
  dashboards: (o) =>
    o.dashboard &&
    typeof o.dashboard === 'object' &&
    typeof o.dashboard.uid === 'string' &&
    o.meta &&
    typeof o.meta === 'object',
  datasources: (o) => typeof o.uid === 'string' && typeof o.name === 'string' && typeof o.type === 'string',
  libraryPanels: (o) => typeof o.uid === 'string' && typeof o.name === 'string',
  alertRules: (o) => typeof o.uid === 'string' && typeof o.folderUID === 'string' && typeof o.ruleGroup === 'string',
  alertRuleGroups: (o) => typeof o.folderUid === 'string' && typeof o.title === 'string',
  contactPoints: (o) => typeof o.name === 'string' && typeof o.type === 'string',
  muteTimings: (o) => typeof o.name === 'string',
  templates: (o) => typeof o.name === 'string',
};

/** Reads an export back from a directory (a restored snapshot), checking that every file parses. */
export function readExport(dir: string): ReadResult {
  const problems: string[] = [];
  const fileMap = new Map<string, string>();
  const parse = (rel: string): unknown => {
    const text = readFileSync(path.join(dir, rel), 'utf8');
    fileMap.set(rel, text);
    try {
      return JSON.parse(text);
    } catch (e) {
      problems.push(`${rel}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
      return undefined;
    }
  };
  const e = { policies: null } as unknown as GrafanaExport;
  for (const k of KINDS) {
    const list: unknown[] = [];
    for (const f of listJson(path.join(dir, k.dir))) {
      const rel = `${k.dir}/${f}`;
      const o = parse(rel);
      if (o === undefined) {
        continue;
      }
      if (!o || typeof o !== 'object' || !REQUIRED[k.key]!(o)) {
        problems.push(`${rel}: not a ${k.dir.replace(/s$/, '').replace(/-/g, ' ')} object`);
        continue;
      }
      list.push(o);
    }
    (e as unknown as Record<string, unknown[]>)[k.key] = list;
  }
  let policies: unknown;
  try {
    statSync(path.join(dir, POLICIES_FILE));
    policies = parse(POLICIES_FILE);
  } catch {
    policies = undefined;
  }
  if (policies !== undefined) {
    if (policies && typeof policies === 'object' && !Array.isArray(policies)) {
      e.policies = policies as JsonObject;
    } else {
      problems.push(`${POLICIES_FILE}: not a notification policy tree`);
    }
  }
  let manifest: Manifest | null = null;
  try {
    const m = JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    if (m.format !== FORMAT || typeof m.counts !== 'object') {
      problems.push(`${MANIFEST_FILE}: not a ${FORMAT} manifest`);
    } else {
      manifest = m;
    }
  } catch (err) {
    problems.push(
      `${MANIFEST_FILE}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not valid JSON'}`
    );
  }
  return { export: e, manifest, problems, files: fileMap.size, contentHash: hashFiles(fileMap) };
}
