/**
 * What a Prometheus backup records about its snapshot (kit/metadata.ts): every block's own
 * statistics (ULID, time range, series, samples, chunks) and their totals, and where the data came
 * from (the admin API's TSDB snapshot, or the data directory from disk for a safety backup of a
 * stopped server). Verification and restore compare the restored blocks with it.
 */
import { z } from 'zod';
import type { Metadata } from '../types';
import { parseMetadata, recordMetadata } from '../kit/metadata';
import type { BlockInfo } from './tsdb';

const blockInfo: z.ZodType<BlockInfo> = z.object({
  ulid: z.string(),
  minTime: z.number(),
  maxTime: z.number(),
  series: z.number(),
  samples: z.number(),
  chunks: z.number(),
});

export const prometheusMetadata = z.looseObject({
  /** Oldest first. */
  blocks: z.array(blockInfo),
  /** Series in the newest block. */
  series: z.number(),
  samples: z.number(),
  /** null: no blocks. */
  minTime: z.number().nullable(),
  maxTime: z.number().nullable(),
  /** The admin API's snapshot the backup saved (below <dataDir>/snapshots, deleted afterwards). */
  snapshot: z.string().optional(),
  /** Safety backups of a stopped server: the data directory saved from disk. */
  source: z.literal('data directory').optional(),
  dataDir: z.string().optional(),
});
export type PrometheusMetadata = z.output<typeof prometheusMetadata>;

/** A Prometheus snapshot's metadata; null when none was recorded; throws a MetadataError when malformed. */
export function readPrometheusMetadata(meta: Metadata | null): PrometheusMetadata | null {
  return parseMetadata('prometheus', prometheusMetadata, meta);
}

/** The record of a backup of `blocks`, from the admin API's snapshot or the data directory. */
export function blockRecord(
  blocks: BlockInfo[],
  from: { snapshot: string } | { source: 'data directory'; dataDir: string }
): Metadata {
  const newest = blocks[blocks.length - 1];
  return recordMetadata(prometheusMetadata, {
    ...from,
    blocks,
    series: newest?.series ?? 0,
    samples: blocks.reduce((n, b) => n + b.samples, 0),
    minTime: blocks.length ? blocks[0].minTime : null,
    maxTime: blocks.length ? Math.max(...blocks.map((b) => b.maxTime)) : null,
  });
}
