/**
 * What a MySQL backup records about its snapshot (kit/metadata.ts): the database, every table's
 * rows and checksum before (and, with writes during the dump, after) it, the definitions of its
 * objects with its character set, and where the dump is in the binary log. Verification and
 * restore compare against it; a point-in-time restore starts at its position.
 */
import { z } from 'zod';
import type { Metadata, SnapshotLogPosition } from '../types';
import { parseMetadata, recordMetadata } from '../kit/metadata';
import type { DatabaseState, SchemaRecord, TableState } from './state';

const tableState: z.ZodType<TableState> = z.object({ rows: z.number(), checksum: z.number().nullable() });
const databaseState: z.ZodType<DatabaseState> = z.record(z.string(), tableState);

const schemaRecord: z.ZodType<SchemaRecord> = z.object({
  charset: z.string(),
  collation: z.string(),
  objects: z.record(z.string(), z.string()),
  events: z.record(z.string(), z.string()),
});

/** Where the dump is in the binary log (servers that write one). */
export const binlogPosition = z.object({
  file: z.string(),
  position: z.number(),
  gtid: z.string().nullable().default(null),
  /** Server time (unix ms) when the dump's snapshot was taken. */
  at: z.number(),
}) satisfies z.ZodType<SnapshotLogPosition, unknown>;

export const mysqlMetadata = z.looseObject({
  database: z.string(),
  /** The rows and checksums of every table when the dump started. */
  tables: databaseState,
  changedDuringBackup: z.boolean(),
  /** Written during the dump: the state when it ended (a restored count anywhere between is right). */
  tablesAfter: databaseState.optional(),
  // Snapshots from before definitions were recorded have neither of these.
  charset: z.string().optional(),
  collation: z.string().optional(),
  schema: schemaRecord.optional(),
  /** Absent when the server writes no binary log (and in snapshots from before pitr). */
  binlog: binlogPosition.optional(),
});
export type MysqlMetadata = z.output<typeof mysqlMetadata>;

/** A MySQL snapshot's metadata; null when none was recorded; throws a MetadataError when malformed. */
export function readMysqlMetadata(meta: Metadata | null): MysqlMetadata | null {
  return parseMetadata('mysql', mysqlMetadata, meta);
}

export function mysqlRecord(value: z.input<typeof mysqlMetadata>): Metadata {
  return recordMetadata(mysqlMetadata, value);
}
