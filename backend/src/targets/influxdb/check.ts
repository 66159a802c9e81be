/**
 * Checking a restored database against what the backup recorded (verification, and every restore
 * before and after anything live is touched).
 *
 * A backup with shard records (shards.ts) is checked shard by shard: the restored database must
 * have exactly the recorded shards, and each shard's span must hold the recorded values per field.
 * A shard whose archive is the same bytes, with the same recorded counts, as in the snapshot last
 * verified clean (for a verification: another snapshot; verifying one again counts it again) is
 * restored but not counted again: those bytes restored to those counts then, restic's restore
 * checked them against their hashes now, and the same bytes restore to the same points. So a
 * verification counts what changed since the last one, not the whole database. The database's
 * totals are compared with the record's as well.
 * An older backup (no shard records) is checked by counting the whole database.
 */
import { InfluxHttp, InfluxStatementError } from './http';
import { countShard, listShards, ShardRecord } from './shards';
import { compareDatabase, DatabaseState, databaseStates, MeasurementState, readState, Recorded } from './state';

/** How long restored shards may take to become visible to queries (they load asynchronously). */
const SETTLE_MS = 20_000;
const STABLE_MS = 2_000;

/**
 * Restored shards load asynchronously (a query right after `influxd restore` may see nothing yet):
 * reads until what is read matches, or has stayed the same for STABLE_MS (then a difference is
 * real), for at most SETTLE_MS.
 */
async function settled<T>(read: () => Promise<T>, matches: (t: T) => boolean): Promise<T> {
  const deadline = Date.now() + SETTLE_MS;
  let last = '';
  let since = Date.now();
  for (;;) {
    let got: T;
    try {
      got = await read();
    } catch (e) {
      // e.g. "engine is closed" while the restored shard is being opened
      if (!(e instanceof InfluxStatementError) || Date.now() > deadline) {
        throw e;
      }
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (matches(got)) {
      return got;
    }
    const text = JSON.stringify(got);
    if (text !== last) {
      last = text;
      since = Date.now();
    } else if (Date.now() - since >= STABLE_MS || Date.now() > deadline) {
      return got;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const span = (r: { rp: string; start: string; end: string }) => `${r.rp} ${r.start}/${r.end}`;
const day = (iso: string) => iso.slice(0, 10);

function sameBytesAndCounts(a: ShardRecord, b: ShardRecord): boolean {
  return (
    a.sha256 !== null &&
    a.sha256 === b.sha256 &&
    a.database === b.database &&
    span(a) === span(b) &&
    JSON.stringify([a.state, a.stateAfter ?? null]) === JSON.stringify([b.state, b.stateAfter ?? null])
  );
}

export interface Checked {
  /** What the restored database holds (recorded counts for shards not counted again). */
  state: DatabaseState;
  problems: string[];
  /** Shards not counted again (same bytes and counts as in the snapshot last verified clean). */
  takenOver: number;
  shards: number;
}

async function checkShards(
  http: InfluxHttp,
  rec: Recorded,
  records: ShardRecord[],
  source: string,
  dest: string,
  verified: ShardRecord[]
): Promise<Checked> {
  const takenOver = records.filter((r) => verified.some((v) => sameBytesAndCounts(r, v)));
  const toCount = records.filter((r) => !takenOver.includes(r));
  type Read = { spans: string[]; counts: Array<Record<string, MeasurementState>> };
  // What the restored database holds: the counted shards as read, the others as recorded.
  const stateOf = (got: Read) =>
    databaseStates(
      [source],
      [...takenOver, ...toCount.map((r, i) => ({ ...r, state: got.counts[i], stateAfter: undefined }))],
      'before'
    )[source];
  const problemsOf = (got: Read) => {
    const problems: string[] = [];
    const expected = new Set(records.filter((r) => r.sha256 !== null).map(span));
    for (const r of records.filter((x) => x.sha256 !== null && !got.spans.includes(span(x)))) {
      problems.push(`the shard of ${source}.${r.rp} ${day(r.start)}..${day(r.end)} was not restored`);
    }
    for (const s of got.spans.filter((x) => !expected.has(x))) {
      problems.push(`unexpected shard ${s} in the restored ${source}`);
    }
    const inShards: string[] = [];
    toCount.forEach((r, i) => {
      const st = (x: Record<string, MeasurementState> | undefined) => (x ? { [r.rp]: x } : undefined);
      for (const p of compareDatabase(source, st(got.counts[i])!, st(r.state)!, st(r.stateAfter))) {
        inShards.push(`${p} (shard ${day(r.start)}..${day(r.end)})`);
      }
    });
    // The database as a whole, against the record's totals too (a record whose totals and shards
    // disagree is not trusted either way).
    const whole = rec.before[source]
      ? compareDatabase(source, stateOf(got), rec.before[source], rec.after?.[source])
      : [];
    return [...problems, ...(inShards.length ? inShards : whole)];
  };
  const got = await settled<Read>(
    async () => ({
      spans: (await listShards(http, [dest])).map(span),
      counts: await Promise.all(toCount.map((r) => countShard(http, { ...r, database: dest }, r.countedAt))),
    }),
    (g) => problemsOf(g).length === 0
  );
  return { state: stateOf(got), problems: problemsOf(got), takenOver: takenOver.length, shards: records.length };
}

/**
 * Reads a restored database (waiting for its shards to load) and compares it with what the backup
 * recorded for database `source`; no recorded state: nothing to compare. `verified`: the shard
 * records of the snapshot last verified clean.
 */
export async function checkRestored(
  http: InfluxHttp,
  rec: Recorded | null,
  source: string,
  dest: string,
  verified: ShardRecord[] = []
): Promise<Checked> {
  const records = rec?.shards?.filter((r) => r.database === source);
  if (rec && records?.length) {
    return checkShards(http, rec, records, source, dest, verified);
  }
  const before = rec?.before[source];
  const after = rec?.after?.[source];
  const cutoff = rec?.cutoff ?? new Date().toISOString();
  const state = await settled(
    () => readState(http, dest, cutoff),
    // Nothing recorded: read until the loaded data stops changing.
    (st) => !!before && compareDatabase(source, st, before, after).length === 0
  );
  return { state, problems: before ? compareDatabase(source, state, before, after) : [], takenOver: 0, shards: 0 };
}
