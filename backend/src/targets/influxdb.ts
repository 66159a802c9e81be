/**
 * kind: influxdb — the monitoring databases (InfluxDB 1.x). Backup runs `influxd backup -portable`
 * per database into the private temp dir and saves that tree; it records, per database, retention
 * policy and measurement, how many values each field holds up to a cut-off time. Verification
 * restores into scratch databases and compares.
 *
 * A restore never drops live data before it has the new data: InfluxDB 1.x cannot rename a
 * database, so the snapshot is first restored into scratch databases and checked against what was
 * recorded; only then, and only when the engine's safety backup saved the live databases (or
 * nothing was there), is each live database replaced from the same local backup files and checked
 * again. The checked scratch copy is kept until the live one checks out. `to` restores beside the
 * live data, never over an existing database (it cannot be moved aside).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { serviceUrlField } from '../config/schema';
import { readSecret } from '../config/secret';
import { UnavailableError } from '../util/errors';
import { run } from '../util/subprocess';
import { isScratchName, scratchName } from './kit/scratch';
import { findProgram, describeFetchError } from './tools';
import { DoctorCheck, DriverContext, Json, Metadata, TargetDriver } from './types';

export interface InfluxSettings {
  connection: {
    /** HTTP API, e.g. http://127.0.0.1:8086 */
    url: string;
    /** RPC (backup/restore) address, host:port, e.g. 127.0.0.1:8088 */
    rpcAddress: string;
    /** Default: every database but _internal. */
    databases?: string[];
    username?: string;
    passwordFile?: string;
    passwordEnv?: string;
  };
  verify: Record<string, never>;
}

/**
 * What "the same data" means: per retention policy and measurement, the number of values of each
 * field up to the cut-off. A measurement's `points` is the largest of its field counts (count(*)
 * counts per field; a point has at least one field, and usually all of them).
 */
export interface MeasurementState {
  points: number;
  fields: Record<string, number>;
}
export type DatabaseState = Record<string, Record<string, MeasurementState>>;
export type InfluxState = Record<string, DatabaseState>;

/** InfluxDB's own database: never backed up, never a restore destination. */
const INTERNAL = '_internal';
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const HTTP_TIMEOUT_MS = 10 * 60 * 1000;
/** How long restored shards may take to become visible to queries (they load asynchronously). */
const SETTLE_MS = 20_000;
const STABLE_MS = 2_000;

// --- the HTTP API ------------------------------------------------------------------------------

interface InfluxSeries {
  name: string;
  columns: string[];
  values?: Json[][];
}
interface InfluxStatement {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** InfluxDB ran the statement and refused it (vs. not reachable at all). */
export class InfluxStatementError extends Error {}

export class InfluxHttp {
  private readonly auth: string | undefined;

  constructor(
    private readonly s: InfluxSettings,
    private readonly signal?: AbortSignal
  ) {
    const c = s.connection;
    if (c.username) {
      const pw =
        c.passwordFile || c.passwordEnv
          ? readSecret({ file: c.passwordFile, env: c.passwordEnv }, 'influxdb connection')
          : '';
      this.auth = `Basic ${Buffer.from(`${c.username}:${pw}`).toString('base64')}`;
    }
  }

  get url(): string {
    return this.s.connection.url.replace(/\/+$/, '');
  }

  /** Runs one InfluxQL statement (POST: also right for CREATE/DROP) and returns its result. */
  async query(q: string, db?: string): Promise<InfluxStatement> {
    const body = new URLSearchParams({ q, epoch: 'ns' });
    if (db !== undefined) {
      body.set('db', db);
    }
    const signals = [AbortSignal.timeout(HTTP_TIMEOUT_MS), ...(this.signal ? [this.signal] : [])];
    let res: Response;
    try {
      res = await fetch(`${this.url}/query`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(this.auth ? { authorization: this.auth } : {}),
        },
        body,
        signal: AbortSignal.any(signals),
      });
    } catch (e) {
      throw new UnavailableError(`cannot reach InfluxDB at ${this.url}: ${describeFetchError(e)}`);
    }
    const text = await res.text();
    let parsed: { results?: InfluxStatement[]; error?: string } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: reported below with the status
    }
    if (res.status === 401 || res.status === 403) {
      // A wrong or missing password: nothing can be learned until it is fixed.
      throw new UnavailableError(
        `InfluxDB at ${this.url} refused the credentials (${res.status}): ${parsed.error ?? 'check connection.username and the password'}`
      );
    }
    if (!res.ok || parsed.error) {
      throw new Error(`InfluxDB at ${this.url} answered ${res.status}: ${parsed.error ?? text.slice(0, 200).trim()}`);
    }
    const first = parsed.results?.[0] ?? {};
    if (first.error) {
      throw new InfluxStatementError(`InfluxDB: ${first.error} (in: ${q.slice(0, 120)})`);
    }
    return first;
  }

  /** The first column of a SHOW statement's answer. */
  async names(q: string, db?: string): Promise<string[]> {
    const r = await this.query(q, db);
    return (r.series ?? []).flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
  }

  databases(): Promise<string[]> {
    return this.names('SHOW DATABASES');
  }

  async dropDatabase(db: string): Promise<void> {
    await this.query(`DROP DATABASE ${quoteIdent(db)}`);
  }

  /** Field counts per retention policy and measurement, for points at or before `cutoff`. */
  async state(db: string, cutoff: string): Promise<DatabaseState> {
    const rps = await this.names(`SHOW RETENTION POLICIES ON ${quoteIdent(db)}`);
    const state: DatabaseState = {};
    for (const rp of rps) {
      const r = await this.query(
        `SELECT count(*) FROM ${quoteIdent(db)}.${quoteIdent(rp)}./.*/ WHERE time <= '${cutoff}'`,
        db
      );
      const measurements: Record<string, MeasurementState> = {};
      for (const series of r.series ?? []) {
        const row = series.values?.[0] ?? [];
        const fields: Record<string, number> = {};
        series.columns.forEach((col, i) => {
          const v = row[i];
          if (col !== 'time' && typeof v === 'number' && v > 0) {
            fields[col.replace(/^count_/, '')] = v;
          }
        });
        const counts = Object.values(fields);
        if (counts.length) {
          measurements[series.name] = { points: Math.max(...counts), fields };
        }
      }
      if (Object.keys(measurements).length) {
        state[rp] = measurements;
      }
    }
    return state;
  }
}

/** influxd backup/restore retry an unreachable RPC port for minutes: find out in seconds first. */
export function checkRpc(address: string, timeoutMs = 5000): Promise<void> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const fail = (why: string) => {
      sock.destroy();
      reject(
        new UnavailableError(
          `cannot reach InfluxDB's backup (RPC) port at ${address}: ${why} (is bind-address set in influxdb.conf?)`
        )
      );
    };
    sock.setTimeout(timeoutMs, () => fail('timed out'));
    sock.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    sock.once('connect', () => {
      sock.end();
      resolve();
    });
  });
}

// --- comparing states --------------------------------------------------------------------------

function totals(state: InfluxState): { databases: number; measurements: number; points: number } {
  let measurements = 0;
  let points = 0;
  for (const db of Object.values(state)) {
    for (const rp of Object.values(db)) {
      for (const m of Object.values(rp)) {
        measurements += 1;
        points += m.points;
      }
    }
  }
  return { databases: Object.keys(state).length, measurements, points };
}

/**
 * Problems found comparing a restored database with the recorded one. With writes during the
 * backup the source was seen twice (before/after); a restored count anywhere between is right.
 */
export function compareDatabase(
  db: string,
  actual: DatabaseState,
  before: DatabaseState,
  after?: DatabaseState
): string[] {
  const problems: string[] = [];
  const hi = after ?? before;
  const keys = (s: DatabaseState) =>
    Object.entries(s).flatMap(([rp, ms]) => Object.keys(ms).map((m) => `${rp}\u0000${m}`));
  const expectedKeys = new Set([...keys(before), ...keys(hi)]);
  const label = (k: string) => {
    const [rp, m] = k.split('\u0000');
    return `${db}.${rp}.${m}`;
  };
  for (const k of expectedKeys) {
    const [rp, m] = k.split('\u0000');
    const got = actual[rp]?.[m];
    const lo = before[rp]?.[m];
    const up = hi[rp]?.[m];
    if (!got) {
      // Missing on one side only: created or dropped while the backup ran.
      if (lo && up) {
        problems.push(`measurement ${label(k)} missing`);
      }
      continue;
    }
    const fields = new Set([
      ...Object.keys(lo?.fields ?? {}),
      ...Object.keys(up?.fields ?? {}),
      ...Object.keys(got.fields),
    ]);
    for (const f of fields) {
      const n = got.fields[f] ?? 0;
      const a = lo?.fields[f] ?? 0;
      const b = up?.fields[f] ?? 0;
      if (n < Math.min(a, b) || n > Math.max(a, b)) {
        problems.push(
          `measurement ${label(k)} field ${f}: ${n} values, expected ${a === b ? a : `${Math.min(a, b)}..${Math.max(a, b)}`}`
        );
      }
    }
  }
  for (const k of keys(actual)) {
    if (!expectedKeys.has(k)) {
      problems.push(`unexpected measurement ${label(k)}`);
    }
  }
  return problems;
}

/**
 * Restored shards load asynchronously (a query right after `influxd restore` may see nothing yet):
 * reads the state until it matches what is expected, or has stayed the same for STABLE_MS (then a
 * difference is real), for at most SETTLE_MS.
 */
async function settledState(
  http: InfluxHttp,
  db: string,
  cutoff: string,
  matches: ((s: DatabaseState) => boolean) | null
): Promise<DatabaseState> {
  const deadline = Date.now() + SETTLE_MS;
  let last = '';
  let since = Date.now();
  for (;;) {
    let state: DatabaseState;
    try {
      state = await http.state(db, cutoff);
    } catch (e) {
      // e.g. "engine is closed" while the restored shard is being opened
      if (!(e instanceof InfluxStatementError) || Date.now() > deadline) {
        throw e;
      }
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (matches?.(state)) {
      return state;
    }
    const text = JSON.stringify(state);
    if (text !== last) {
      last = text;
      since = Date.now();
    } else if (Date.now() - since >= STABLE_MS || Date.now() > deadline) {
      return state;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// --- the backup tree ---------------------------------------------------------------------------

/** One folder per database; the folder name is the database name, encoded for the file system. */
function folderOf(db: string): string {
  return encodeURIComponent(db).replace(/\./g, '%2E');
}

function databasesIn(dir: string): Array<{ db: string; dir: string }> {
  return readdirSync(dir)
    .filter((f) => statSync(path.join(dir, f)).isDirectory())
    .sort()
    .map((f) => ({ db: decodeURIComponent(f), dir: path.join(dir, f) }));
}

/**
 * influxd names every shard archive after the time the backup started, and gzip keeps that name in
 * its header: an unchanged shard would be a different file every day and defeat restic's dedup
 * (a shard archive under 512 KiB is one chunk). The name in the header is only informative; it is
 * overwritten in place with a fixed one of the same length (the file names stay as they are).
 */
export function stableGzipHeader(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    const head = Buffer.alloc(1024);
    const n = readSync(fd, head, 0, head.length, 0);
    const flags = head[3];
    // magic, deflate, FNAME set, no header CRC (which would cover the name)
    if (n < 11 || head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8 || !(flags & 0x08) || flags & 0x02) {
      return;
    }
    const start = flags & 0x04 ? 12 + head.readUInt16LE(10) : 10;
    const end = head.indexOf(0, start);
    if (start >= n || end < 0 || end >= n) {
      return;
    }
    const name = head.toString('latin1', start, end);
    const fixed = name.replace(/^\d{8}T\d{6}Z/, '00000000T000000Z');
    if (fixed !== name) {
      writeSync(fd, Buffer.from(fixed, 'latin1'), 0, fixed.length, start);
    }
  } finally {
    closeSync(fd);
  }
}

function influxd(ctx: DriverContext<InfluxSettings>, args: string[]): Promise<string> {
  return run(
    { command: findProgram(['influxd']), args, timeoutMs: ctx.target.timeoutSeconds * 1000 },
    { signal: ctx.signal }
  );
}

/** Restores one database of the local backup files into `dest`, which must not exist. */
async function restoreDatabase(
  ctx: DriverContext<InfluxSettings>,
  source: { db: string; dir: string },
  dest: string
): Promise<void> {
  const args = ['restore', '-portable', '-host', ctx.target.settings.connection.rpcAddress, '-db', source.db];
  if (dest !== source.db) {
    args.push('-newdb', dest);
  }
  await influxd(ctx, [...args, source.dir]);
}

/** InfluxDB's own database and the scratch databases of backup-sla: never backed up, never a destination. */
function reserved(name: string): boolean {
  return name === INTERNAL || isScratchName(name);
}
const RESERVED = `reserved (${INTERNAL} is InfluxDB's own; bsla_ names are the scratch databases of backup-sla)`;

async function restoreFromSnapshot(
  ctx: DriverContext<InfluxSettings> & { reader: { restoreTo(dir: string): Promise<void> } }
): Promise<Array<{ db: string; dir: string }>> {
  const dir = path.join(ctx.tmpDir, 'restore');
  mkdirSync(dir, { recursive: true });
  ctx.progress('reading the snapshot');
  await ctx.reader.restoreTo(dir);
  const dbs = databasesIn(dir);
  if (!dbs.length) {
    throw new Error('the snapshot holds no InfluxDB backup (no database folder in it)');
  }
  return dbs;
}

function recorded(meta: Metadata | null): { cutoff: string; before: InfluxState; after?: InfluxState } | null {
  if (!meta || typeof meta.cutoff !== 'string' || !meta.state) {
    return null;
  }
  return {
    cutoff: meta.cutoff,
    before: meta.state as unknown as InfluxState,
    after: meta.stateAfter ? (meta.stateAfter as unknown as InfluxState) : undefined,
  };
}

function summary(state: InfluxState): string {
  const t = totals(state);
  return `${t.databases} database${t.databases === 1 ? '' : 's'}, ${t.measurements} measurements, ${t.points} points`;
}

/** `to` is NEW (the snapshot holds one database) or SOURCE:NEW. */
function parseTo(to: string): { source?: string; dest: string } {
  const i = to.indexOf(':');
  return i < 0 ? { dest: to } : { source: to.slice(0, i), dest: to.slice(i + 1) };
}

type Recorded = NonNullable<ReturnType<typeof recorded>>;

/**
 * Reads a restored database (waiting for its shards to load) and compares it with what the backup
 * recorded for database `source`; no recorded state: nothing to compare.
 */
async function checkRestored(
  http: InfluxHttp,
  rec: Recorded | null,
  source: string,
  dest: string,
  cutoff: string
): Promise<{ state: DatabaseState; problems: string[] }> {
  const before = rec?.before[source];
  const after = rec?.after?.[source];
  const state = await settledState(
    http,
    dest,
    cutoff,
    before ? (st) => compareDatabase(source, st, before, after).length === 0 : null
  );
  return { state, problems: before ? compareDatabase(source, state, before, after) : [] };
}

function owner(ctx: DriverContext<InfluxSettings>): string {
  return ctx.target.name;
}

async function influxDoctor(s: InfluxSettings): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    const out = await run({ command: findProgram(['influxd']), args: ['version'], timeoutMs: 10_000 });
    checks.push({ name: 'influxd', level: 'ok', detail: out.trim().split('\n')[0] });
  } catch (e) {
    checks.push({
      name: 'influxd',
      level: 'failed',
      detail: `${(e as Error).message}: install influxdb (influxd backs up and restores)`,
    });
  }
  const http = new InfluxHttp(s);
  let all: string[] | null = null;
  try {
    all = await http.databases();
    checks.push({ name: 'HTTP API', level: 'ok', detail: `InfluxDB at ${http.url} answers` });
  } catch (e) {
    checks.push({ name: 'HTTP API', level: 'failed', detail: (e as Error).message });
  }
  try {
    await checkRpc(s.connection.rpcAddress);
    checks.push({ name: 'backup (RPC) port', level: 'ok', detail: `${s.connection.rpcAddress} accepts connections` });
  } catch (e) {
    checks.push({ name: 'backup (RPC) port', level: 'failed', detail: (e as Error).message });
  }
  if (all === null) {
    checks.push({
      name: 'databases',
      level: 'failed',
      detail: 'cannot list the databases: the HTTP API does not answer',
    });
  } else {
    const wanted = s.connection.databases ?? all.filter((d) => !reserved(d));
    const missing = wanted.filter((d) => !all!.includes(d));
    checks.push(
      missing.length
        ? {
            name: 'databases',
            level: 'failed',
            detail: `no database ${missing.join(', ')} (it has: ${all.join(', ') || 'none'})`,
          }
        : { name: 'databases', level: 'ok', detail: `backs up ${wanted.join(', ') || 'nothing yet'}` }
    );
  }
  return checks;
}

export const influxdbDriver: TargetDriver<InfluxSettings> = {
  kind: 'influxdb',
  settingsShape: (h) => ({
    connection: z
      .strictObject({
        url: serviceUrlField('http://127.0.0.1:8086', 'put them in username and passwordFile').default(
          'http://127.0.0.1:8086'
        ),
        rpcAddress: z
          .string()
          .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port of the RPC (backup) service, e.g. 127.0.0.1:8088')
          .default('127.0.0.1:8088'),
        databases: z
          .array(
            z
              .string()
              .regex(NAME, 'database names: letters, digits, _ and - only')
              .refine((d) => !reserved(d), { message: RESERVED })
          )
          .min(1, 'list at least one database, or leave it out to back up all but _internal')
          .optional(),
        username: z.string().min(1).optional(),
        ...h.passwordFields(),
      })
      .refine((c) => !(c.passwordFile || c.passwordEnv) || c.username, { message: 'a password needs a username' }),
  }),
  defaults: {
    schedule: '15 2 * * *',
    rpo: '1d',
    rto: '20m',
    retention: { keepDaily: 30 },
    verifySchedule: '45 4 * * 0',
    coverage:
      'all InfluxDB databases used for monitoring (rsyslog, latency and other data about the machines), as portable backups',
    usability: 'restore into scratch databases; same measurements and point counts as at backup time',
  },

  checkRestoreTarget: (to) => {
    const { source, dest } = parseTo(to);
    if (!NAME.test(dest) || (source !== undefined && !NAME.test(source))) {
      return 'give a database name (letters, digits, _ and -, at most 64), or SOURCE:NEW to pick one database of the snapshot';
    }
    if (reserved(dest)) {
      return `${dest} is ${RESERVED}`;
    }
    return null;
  },

  destinations: (t) => ({
    inPlace: {
      replaces: t.settings.connection.databases
        ? `database${t.settings.connection.databases.length > 1 ? 's' : ''} ${t.settings.connection.databases.join(', ')}`
        : 'every database the snapshot holds',
      movedAsideAs:
        'InfluxDB 1.x cannot rename a database: the current data is kept in the safety snapshot (required) and stays untouched until the restored copy is complete and checked',
      note: 'the snapshot is restored into scratch databases and checked first',
      unavailable: null,
    },
    elsewhere: {
      kind: 'database',
      hint: 'a database name that does not exist yet (letters, digits, _ and -); SOURCE:NEW to pick one database of the snapshot',
      example: `${t.settings.connection.databases?.[0] ?? 'telegraf'}_restored`,
    },
  }),

  contents: (meta) => {
    const state = (meta.state ?? null) as unknown as InfluxState | null;
    if (!state) {
      return null;
    }
    const items = Object.entries(state)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([db, rps]) => ({
        name: db,
        count: Object.values(rps).reduce((n, ms) => n + Object.values(ms).reduce((m, x) => m + x.points, 0), 0),
        unit: 'points',
      }));
    return { summary: summary(state), items };
  },

  async backup(ctx) {
    const s = ctx.target.settings;
    const http = new InfluxHttp(s, ctx.signal);
    const all = await http.databases();
    let databases: string[];
    let missing: string[] = [];
    if (s.connection.databases) {
      missing = s.connection.databases.filter((d) => !all.includes(d));
      // Before a restore, what is gone is why one restores: save what is left.
      if (missing.length && !ctx.safety) {
        throw new Error(
          `InfluxDB at ${http.url} has no database ${missing.join(', ')} (it has: ${all.join(', ') || 'none'})`
        );
      }
      databases = s.connection.databases.filter((d) => all.includes(d));
    } else {
      databases = all.filter((d) => !reserved(d)).sort();
    }
    if (!databases.length) {
      const reason = `InfluxDB at ${http.url} has no database ${missing.length ? missing.join(', ') : 'to back up (only _internal)'}`;
      if (ctx.safety) {
        return { kind: 'nothing', reason };
      }
      throw new Error(reason);
    }
    await checkRpc(s.connection.rpcAddress);
    // Points written after the cut-off are not counted: they may or may not be in the backup.
    const cutoff = new Date().toISOString();
    ctx.progress('counting points');
    const before: InfluxState = {};
    for (const db of databases) {
      before[db] = await http.state(db, cutoff);
    }
    const dir = path.join(ctx.tmpDir, 'influxdb');
    mkdirSync(dir, { recursive: true });
    try {
      for (const db of databases) {
        ctx.progress(`backing up database ${db}`);
        const out = path.join(dir, folderOf(db));
        mkdirSync(out, { recursive: true });
        await influxd(ctx, ['backup', '-portable', '-host', s.connection.rpcAddress, '-database', db, out]);
        for (const f of readdirSync(out)) {
          if (f.endsWith('.tar.gz')) {
            stableGzipHeader(path.join(out, f));
          }
        }
      }
      ctx.progress('counting points');
      const after: InfluxState = {};
      for (const db of databases) {
        after[db] = await http.state(db, cutoff);
      }
      ctx.progress('uploading');
      const snapshot = await ctx.store.saveDirectory(dir);
      // Late writes (timestamps before the cut-off) during the backup make the count a range.
      const changed = JSON.stringify(before) !== JSON.stringify(after);
      const t = totals(before);
      const metadata: Metadata = {
        databases,
        cutoff,
        state: before as unknown as Json,
        measurements: t.measurements,
        points: t.points,
        changedDuringBackup: changed,
      };
      if (missing.length) {
        metadata.missing = missing;
      }
      if (changed) {
        metadata.stateAfter = after as unknown as Json;
      }
      return { kind: 'saved', snapshot, version: null, metadata };
    } finally {
      // The engine removes tmpDir too; a portable backup can be large, so free it now.
      rmSync(dir, { recursive: true, force: true });
    }
  },

  async verify(ctx) {
    const s = ctx.target.settings;
    const http = new InfluxHttp(s, ctx.signal);
    await checkRpc(s.connection.rpcAddress);
    await http.databases(); // reachable, credentials accepted: before anything is read
    const dbs = await restoreFromSnapshot(ctx);
    const rec = recorded(ctx.snapshot.metadata);
    const cutoff = rec?.cutoff ?? new Date().toISOString();
    const scratch = dbs.map((d) => ({ ...d, scratch: scratchName('verify', owner(ctx)) }));
    const actual: InfluxState = {};
    const problems: string[] = [];
    const made: string[] = [];
    try {
      for (const d of scratch) {
        ctx.progress(`restoring ${d.db} into a scratch database`);
        ctx.created({ kind: 'database', name: d.scratch });
        made.push(d.scratch);
        await restoreDatabase(ctx, d, d.scratch);
      }
      ctx.progress('comparing');
      for (const d of scratch) {
        const r = await checkRestored(http, rec, d.db, d.scratch, cutoff);
        actual[d.db] = r.state;
        problems.push(...r.problems);
      }
      if (rec) {
        for (const db of Object.keys(rec.before)) {
          if (!dbs.some((d) => d.db === db)) {
            problems.push(`database ${db} missing from the snapshot`);
          }
        }
      }
    } finally {
      for (const name of made) {
        await http
          .dropDatabase(name)
          .catch((e) => ctx.log.error({ err: String(e), database: name }, 'could not drop a scratch database'));
      }
    }
    if (problems.length) {
      return { ok: false, detail: problems.join('; ') };
    }
    return rec
      ? { ok: true, detail: `${summary(actual)} restored into scratch databases; measurements and point counts match` }
      : {
          ok: true,
          detail: `${summary(actual)} restored into scratch databases (no recorded counts to compare: catalog was rebuilt)`,
        };
  },

  async restore(ctx) {
    const s = ctx.target.settings;
    const http = new InfluxHttp(s, ctx.signal);
    await checkRpc(s.connection.rpcAddress);
    const existing = await http.databases();
    const inPlace = ctx.options.to === undefined;
    /** What may not be replaced: InfluxDB cannot move a database aside. */
    const guard = (dests: string[]) => {
      const there = dests.filter((d) => existing.includes(d));
      if (!there.length) {
        return;
      }
      const names = there.join(', ');
      if (!inPlace) {
        throw new Error(
          ctx.options.force
            ? `database ${names} already exists and InfluxDB 1.x cannot move it aside: force does not replace it; choose another name, or back it up and drop it yourself`
            : `database ${names} already exists; choose another name (InfluxDB 1.x cannot move it aside, so force does not replace it)`
        );
      }
      if (ctx.safety !== 'saved' && ctx.safety !== 'nothing') {
        throw new Error(
          `InfluxDB 1.x cannot move database ${names} aside: replacing it needs the safety backup first (restore with the safety backup, or to another name)`
        );
      }
    };
    const recordedDbs = ctx.snapshot.metadata?.databases;
    if (inPlace && Array.isArray(recordedDbs)) {
      guard(recordedDbs.map(String)); // at once, before the snapshot is read
    }
    const dbs = await restoreFromSnapshot(ctx);
    const held = dbs.map((d) => d.db).join(', ');
    let plan: Array<{ db: string; dir: string; dest: string }>;
    if (inPlace) {
      plan = dbs.map((d) => ({ ...d, dest: d.db }));
    } else {
      const { source, dest } = parseTo(ctx.options.to!);
      const pick = source === undefined ? (dbs.length === 1 ? dbs[0] : undefined) : dbs.find((d) => d.db === source);
      if (!pick) {
        throw new Error(
          source === undefined
            ? `the snapshot holds ${dbs.length} databases (${held}): say which one with to=SOURCE:${dest}`
            : `the snapshot holds no database ${source} (it holds: ${held})`
        );
      }
      if (dest === pick.db) {
        // Over the database itself: that is a restore without `to`, which the engine protects with a safety backup.
        throw new Error(`to names the database ${dest} itself: restore without to (a safety backup is taken first)`);
      }
      plan = [{ ...pick, dest }];
    }
    guard(plan.map((p) => p.dest));
    const rec = recorded(ctx.snapshot.metadata);
    const cutoff = rec?.cutoff ?? new Date().toISOString();
    const restored: InfluxState = {};
    const names = plan.map((p) => (p.dest === p.db ? p.dest : `${p.dest} (from ${p.db})`)).join(', ');
    const location = `database${plan.length > 1 ? 's' : ''} ${names}`;
    const result = (detail: string) => {
      const t = totals(restored);
      return {
        location,
        detail,
        counts: { databases: t.databases, measurements: t.measurements, points: t.points },
        movedAside: [],
        next: [],
      };
    };

    if (!inPlace) {
      // Beside the live data, under a name nobody uses: restored there and checked; a copy that
      // does not check out is dropped (it was never anyone's data). It is not recorded as a
      // leftover: recovery removes only scratch databases (bsla_…), never a name an operator chose.
      const p = plan[0];
      ctx.progress(`restoring database ${p.dest}`);
      await restoreDatabase(ctx, p, p.dest);
      const r = await checkRestored(http, rec, p.db, p.dest, cutoff);
      if (r.problems.length) {
        await http.dropDatabase(p.dest).catch(() => undefined);
        throw new Error(
          `the snapshot restored into database ${p.dest} does not match what was recorded at backup (dropped): ${r.problems.slice(0, 3).join('; ')}`
        );
      }
      restored[p.dest] = r.state;
      return result(summary(restored));
    }

    // In place: every database restored into a scratch database and checked, before anything live is touched.
    const steps = plan.map((p) => ({ ...p, scratch: scratchName('restore', owner(ctx)) }));
    const made: string[] = [];
    const keep = new Set<string>();
    try {
      for (const p of steps) {
        ctx.progress(`restoring ${p.db} into a scratch database`);
        ctx.created({ kind: 'database', name: p.scratch });
        made.push(p.scratch);
        await restoreDatabase(ctx, p, p.scratch);
      }
      ctx.progress('checking the scratch databases');
      const problems: string[] = [];
      for (const p of steps) {
        problems.push(...(await checkRestored(http, rec, p.db, p.scratch, cutoff)).problems);
      }
      if (problems.length) {
        throw new Error(
          `the snapshot restored into a scratch database does not match what was recorded at backup; ${location} ${plan.length > 1 ? 'are' : 'is'} untouched: ${problems.slice(0, 3).join('; ')}`
        );
      }
      // The safety snapshot holds what is replaced now (guard); the checked copy stays until the live one checks out.
      for (const p of steps) {
        if (existing.includes(p.dest)) {
          ctx.progress(`replacing database ${p.dest}`);
          await http.dropDatabase(p.dest);
        } else {
          ctx.progress(`restoring database ${p.dest}`);
        }
        try {
          await restoreDatabase(ctx, p, p.dest);
          const r = await checkRestored(http, rec, p.db, p.dest, cutoff);
          if (r.problems.length) {
            throw new Error(r.problems.slice(0, 3).join('; '));
          }
          restored[p.dest] = r.state;
        } catch (e) {
          keep.add(p.scratch);
          throw new Error(
            `database ${p.dest} was replaced but does not check out (${(e as Error).message}); the checked copy of the snapshot is kept as database ${p.scratch}`
          );
        }
      }
    } finally {
      for (const name of made.filter((m) => !keep.has(m))) {
        await http
          .dropDatabase(name)
          .catch((e) => ctx.log.error({ err: String(e), database: name }, 'could not drop a scratch database'));
      }
    }
    return result(
      `${summary(restored)}; restored into ${plan.length > 1 ? 'scratch databases' : 'a scratch database'} and checked first`
    );
  },

  async removeLeftover(target, item) {
    if (item.kind !== 'database' || !isScratchName(item.name)) {
      return; // only ever our own scratch databases
    }
    const http = new InfluxHttp(target.settings);
    if ((await http.databases()).includes(item.name)) {
      await http.dropDatabase(item.name);
    }
  },

  doctor: (target) => influxDoctor(target.settings),
};
