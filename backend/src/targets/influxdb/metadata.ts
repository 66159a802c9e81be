/**
 * What an InfluxDB backup records about its snapshot (kit/metadata.ts): the databases saved, the
 * cut-off time, and per database, retention policy and measurement the values of each field up to
 * the cut-off, before (and, with late writes during the backup, after) it. Verification and
 * restore compare the restored databases with it.
 */
import { z } from 'zod';
import type { Metadata } from '../types';
import { parseMetadata, recordMetadata } from '../kit/metadata';
import type { InfluxState, MeasurementState } from './state';
import type { ShardRecord } from './shards';

const measurementState: z.ZodType<MeasurementState> = z.object({
  points: z.number(),
  fields: z.record(z.string(), z.number()),
});
/** database → retention policy → measurement */
const influxState: z.ZodType<InfluxState> = z.record(
  z.string(),
  z.record(z.string(), z.record(z.string(), measurementState))
);

const measurements = z.record(z.string(), measurementState);
const shardRecord: z.ZodType<ShardRecord> = z.object({
  database: z.string(),
  rp: z.string(),
  id: z.number(),
  start: z.string(),
  end: z.string(),
  sha256: z.string().nullable(),
  countedAt: z.string(),
  state: measurements,
  stateAfter: measurements.optional(),
});

export const influxMetadata = z.looseObject({
  databases: z.array(z.string()),
  /** Points after it are not counted: they may or may not be in the backup. */
  cutoff: z.string(),
  state: influxState,
  measurements: z.number(),
  points: z.number(),
  changedDuringBackup: z.boolean(),
  /** Late writes during the backup: the state when it ended. */
  stateAfter: influxState.optional(),
  /** Safety backups: configured databases that were gone (nothing to save of them). */
  missing: z.array(z.string()).optional(),
  /** The same counts shard by shard (shards.ts): the next backup takes over those of unchanged shards. Since issue 12. */
  shards: z.array(shardRecord).optional(),
});
export type InfluxMetadata = z.output<typeof influxMetadata>;

/** An InfluxDB snapshot's metadata; null when none was recorded; throws a MetadataError when malformed. */
export function readInfluxMetadata(meta: Metadata | null): InfluxMetadata | null {
  return parseMetadata('influxdb', influxMetadata, meta);
}

export function influxRecord(value: z.input<typeof influxMetadata>): Metadata {
  return recordMetadata(influxMetadata, value);
}
