/**
 * What "the same data" means for InfluxDB: per database, retention policy and measurement, the
 * number of values of each field up to a cut-off time, recorded at backup and compared after
 * every test restore and before a restore takes the live place.
 */
import type { Metadata } from '../types';
import { InfluxHttp, InfluxStatement, quoteIdent } from './http';
import { InfluxMetadata, influxRecord } from './metadata';
import type { ShardRecord } from './shards';

/**
 * A measurement's `points` is the largest of its field counts (count(*) counts per field; a point
 * has at least one field, and usually all of them).
 */
export interface MeasurementState {
  points: number;
  fields: Record<string, number>;
}
export type DatabaseState = Record<string, Record<string, MeasurementState>>;
export type InfluxState = Record<string, DatabaseState>;

/** Values per field of each measurement in the answer of a count(*) over measurements (none: not listed). */
export function measurementsOf(r: InfluxStatement): Record<string, MeasurementState> {
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
  return measurements;
}

/** Field counts per retention policy and measurement of database `db`, for points at or before `cutoff`. */
export async function readState(http: InfluxHttp, db: string, cutoff: string): Promise<DatabaseState> {
  const rps = await http.names(`SHOW RETENTION POLICIES ON ${quoteIdent(db)}`);
  const state: DatabaseState = {};
  for (const rp of rps) {
    const r = await http.query(
      `SELECT count(*) FROM ${quoteIdent(db)}.${quoteIdent(rp)}./.*/ WHERE time <= '${cutoff}'`,
      db
    );
    const measurements = measurementsOf(r);
    if (Object.keys(measurements).length) {
      state[rp] = measurements;
    }
  }
  return state;
}

export function totals(state: InfluxState): { databases: number; measurements: number; points: number } {
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

export function summary(state: InfluxState): string {
  const t = totals(state);
  return `${t.databases} database${t.databases === 1 ? '' : 's'}, ${t.measurements} measurements, ${t.points} points`;
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

/** What a backup recorded: the cut-off and the state before (and, with writes meanwhile, after) the dump. */
export interface Recorded {
  cutoff: string;
  before: InfluxState;
  after?: InfluxState;
  /** The same shard by shard (backups since issue 12): restored copies are checked shard by shard. */
  shards?: ShardRecord[];
}

/** The recorded state in a snapshot's metadata (readInfluxMetadata), or null (a catalog rebuilt from restic lost it). */
export function recorded(meta: InfluxMetadata | null): Recorded | null {
  return meta && { cutoff: meta.cutoff, before: meta.state, after: meta.stateAfter, shards: meta.shards };
}

function add(into: Record<string, MeasurementState>, from: Record<string, MeasurementState>): void {
  for (const [m, st] of Object.entries(from)) {
    const fields = { ...(into[m]?.fields ?? {}) };
    for (const [f, n] of Object.entries(st.fields)) {
      fields[f] = (fields[f] ?? 0) + n;
    }
    into[m] = { points: Math.max(...Object.values(fields)), fields };
  }
}

/** The whole databases' state (per database, retention policy and measurement) from the shards' records. */
export function databaseStates(databases: string[], records: ShardRecord[], which: 'before' | 'after'): InfluxState {
  const state: InfluxState = Object.fromEntries(databases.map((db) => [db, {}]));
  for (const r of records) {
    const counts = which === 'after' ? (r.stateAfter ?? r.state) : r.state;
    if (!Object.keys(counts).length) {
      continue;
    }
    const rps = (state[r.database] ??= {});
    add((rps[r.rp] ??= {}), counts);
  }
  return state;
}

/** The metadata a backup records: databases, cut-off, states and totals, and the shards' records. */
export function stateMetadata(databases: string[], cutoff: string, shards: ShardRecord[], missing: string[]): Metadata {
  const before = databaseStates(databases, shards, 'before');
  const after = databaseStates(databases, shards, 'after');
  // Late writes (timestamps before the cut-off) during the backup make the count a range.
  const changed = JSON.stringify(before) !== JSON.stringify(after);
  const t = totals(before);
  return influxRecord({
    databases,
    cutoff,
    state: before,
    measurements: t.measurements,
    points: t.points,
    changedDuringBackup: changed,
    ...(missing.length ? { missing } : {}),
    ...(changed ? { stateAfter: after } : {}),
    shards,
  });
}
