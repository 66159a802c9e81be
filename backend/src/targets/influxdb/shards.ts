/**
 * The recorded state shard by shard, so that a backup counts what changed, not the whole database.
 *
 * InfluxDB 1.x keeps a retention policy's points in shards, one per span of time (a shard group:
 * 7 days by default). `influxd backup -portable` writes one archive per shard, and an unchanged
 * shard's archive is the same bytes from one backup to the next (portable.ts). So a shard whose
 * span had ended when it was counted, and whose archive now is byte for byte the archive it was
 * counted with, holds the same points: its counts are taken over from the previous backup's record.
 * Every other shard is counted over its own span only, before and after the portable backup (late
 * writes make its count a range, as the whole database's was): the newest shard, one written into
 * late, one compacted since (TSM compaction rewrites a shard once, hours after its span ended).
 *
 * A shard that was there before the backup and is still there after it, but has no archive, keeps
 * its counts in the record: verification then says its points are missing (influxd left it out).
 * A shard made during the backup, or expired by its retention policy meanwhile, is recorded when
 * its archive is in the backup.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Metadata } from '../types';
import { InfluxHttp, quoteIdent } from './http';
import { readInfluxMetadata } from './metadata';
import { MeasurementState, measurementsOf } from './state';

export interface Shard {
  database: string;
  rp: string;
  id: number;
  /** Its span, ISO times: points at or after start and before end. */
  start: string;
  end: string;
}

/** What a backup records about one shard (metadata `shards`). */
export interface ShardRecord extends Shard {
  /** sha256 of its archive in this snapshot; null when the backup has none (see the header) */
  sha256: string | null;
  /** The cut-off its counts were taken at (an earlier backup's, when taken over from it). */
  countedAt: string;
  /** measurement → values per field, up to countedAt (before the portable backup) */
  state: Record<string, MeasurementState>;
  /** The same after the portable backup, where late writes changed it. */
  stateAfter?: Record<string, MeasurementState>;
}

const key = (s: { database: string; id: number }) => `${s.database}\u0000${s.id}`;

/** The shards of these databases (SHOW SHARDS). */
export async function listShards(http: InfluxHttp, databases: string[]): Promise<Shard[]> {
  const r = await http.query('SHOW SHARDS');
  const out: Shard[] = [];
  for (const series of r.series ?? []) {
    if (!databases.includes(series.name)) {
      continue;
    }
    const col = (name: string) => series.columns.indexOf(name);
    for (const row of series.values ?? []) {
      out.push({
        database: series.name,
        rp: String(row[col('retention_policy')]),
        id: Number(row[col('id')]),
        start: new Date(String(row[col('start_time')])).toISOString(),
        end: new Date(String(row[col('end_time')])).toISOString(),
      });
    }
  }
  return out;
}

/** Values per field of every measurement in one shard's span, up to `cutoff`. */
export async function countShard(
  http: InfluxHttp,
  shard: Shard,
  cutoff: string
): Promise<Record<string, MeasurementState>> {
  const from = `${quoteIdent(shard.database)}.${quoteIdent(shard.rp)}./.*/`;
  const r = await http.query(
    `SELECT count(*) FROM ${from} WHERE time >= '${shard.start}' AND time < '${shard.end}' AND time <= '${cutoff}'`,
    shard.database
  );
  return measurementsOf(r);
}

/** sha256 of every shard archive of a portable backup tree, by database and shard id. */
export async function archiveHashes(folders: Array<{ db: string; dir: string }>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of folders) {
    for (const name of readdirSync(f.dir)) {
      const id = /\.s(\d+)\.tar\.gz$/.exec(name)?.[1];
      if (id) {
        out.set(key({ database: f.db, id: Number(id) }), await sha256File(path.join(f.dir, name)));
      }
    }
  }
  return out;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** A previous record whose counts cover its whole shard (its span had ended when counted). */
function takeOver(previous: ShardRecord[]): Map<string, ShardRecord> {
  return new Map(previous.filter((r) => r.sha256 && r.end <= r.countedAt).map((r) => [key(r), r]));
}

/**
 * Counting before the portable backup: every shard but those whose counts the previous backup's
 * record may give (decided after the backup, by the archive's hash).
 */
export async function countBefore(
  http: InfluxHttp,
  shards: Shard[],
  previous: ShardRecord[],
  cutoff: string
): Promise<Map<string, Record<string, MeasurementState>>> {
  const old = takeOver(previous);
  const counted = new Map<string, Record<string, MeasurementState>>();
  for (const s of shards) {
    if (!old.has(key(s))) {
      counted.set(key(s), await countShard(http, s, cutoff));
    }
  }
  return counted;
}

/**
 * The record of every shard of the backup: taken over, or counted (before, and again now).
 * `before` is the shard list and counts from before the backup, `now` the shard list after it.
 */
export async function shardRecords(
  http: InfluxHttp,
  o: {
    before: Shard[];
    counted: Map<string, Record<string, MeasurementState>>;
    now: Shard[];
    hashes: Map<string, string>;
    previous: ShardRecord[];
    cutoff: string;
  }
): Promise<ShardRecord[]> {
  const old = takeOver(o.previous);
  const existedBefore = new Set(o.before.map(key));
  const existsNow = new Set(o.now.map(key));
  const records: ShardRecord[] = [];
  for (const s of new Map([...o.before, ...o.now].map((x) => [key(x), x])).values()) {
    const k = key(s);
    const sha256 = o.hashes.get(k) ?? null;
    if (!sha256 && !(existedBefore.has(k) && existsNow.has(k))) {
      continue; // made during the backup, or expired by its retention policy, and not in it
    }
    const prev = old.get(k);
    if (prev && sha256 === prev.sha256) {
      records.push({ ...prev, ...s, sha256 });
      continue;
    }
    // Archived, then expired by its retention policy: as counted before the backup.
    const after = existsNow.has(k) ? await countShard(http, s, o.cutoff) : (o.counted.get(k) ?? {});
    // Not counted before: a shard made during the backup (nothing was there), or one the
    // previous record would have given but whose archive changed (compacted, written into late).
    const before = o.counted.get(k) ?? (prev ? after : {});
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    records.push({ ...s, sha256, countedAt: o.cutoff, state: before, ...(changed ? { stateAfter: after } : {}) });
  }
  return records.sort((a, b) => a.database.localeCompare(b.database) || a.start.localeCompare(b.start) || a.id - b.id);
}

/**
 * The shard records of another snapshot (the previous backup's, the one last verified clean). An
 * older record (no shards) or one that does not parse gives none: every shard is then counted.
 */
export function shardsOf(meta: Metadata | null, log: Logger): ShardRecord[] {
  try {
    return readInfluxMetadata(meta)?.shards ?? [];
  } catch (e) {
    log.warn({ err: String(e) }, "another snapshot's record is unreadable: every shard is counted");
    return [];
  }
}
