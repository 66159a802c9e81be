/**
 * A snapshot's metadata: what a kind's backup records about it (row counts, checksums, states,
 * blocks, definitions), kept as JSON in the catalog and read back by verification, restore and the
 * snapshot's contents. Each kind declares one zod schema of exactly what its backup writes; the
 * backup builds its record as that schema's type (recordMetadata) and every read parses it
 * (parseMetadata), so the two cannot drift apart. A record that is not what the kind writes
 * (damaged, edited by hand) is one clear error naming the kind and the field: never a TypeError
 * deep inside a comparison, never a verification that passes on garbage.
 */
import type { z } from 'zod';
import type { Metadata } from '../types';

/** Metadata present but not what the kind records. Verification fails with it; restore refuses. */
export class MetadataError extends Error {}

/** The first problem of a failed parse, in words: `tables.item.rows: expected number, received string`. */
function describe(issues: z.core.$ZodIssue[]): string {
  const issue = issues[0];
  const field = issue.path.length ? issue.path.map(String).join('.') : 'the record';
  const what = issue.message.replace(/^Invalid input: /, '');
  const text = /received undefined$/.test(what) ? `${field} is missing` : `${field}: ${what}`;
  const more = issues.length - 1;
  return more ? `${text} (and ${more} more problem${more === 1 ? '' : 's'})` : text;
}

/**
 * The metadata of a snapshot of kind `kind`, parsed: null when none was recorded (a catalog
 * rebuilt from the repository); throws a MetadataError when it does not parse.
 */
export function parseMetadata<S extends z.ZodType>(kind: string, schema: S, meta: Metadata | null): z.output<S> | null {
  if (meta === null) {
    return null;
  }
  const r = schema.safeParse(meta);
  if (!r.success) {
    throw new MetadataError(
      `the metadata recorded for this ${kind} snapshot is malformed (${describe(r.error.issues)}): it cannot be compared with the snapshot`
    );
  }
  return r.data;
}

/**
 * The record a backup returns, built as the kind's metadata type. Its values are JSON (the schema
 * says so); the catalog stores it as JSON, fields left undefined are not stored.
 */
export function recordMetadata<S extends z.ZodType>(_schema: S, value: z.input<S>): Metadata {
  return value as unknown as Metadata;
}

/**
 * A restore reads the metadata before anything is touched: malformed, it refuses with the
 * problem and what is untouched (`database agama is untouched`).
 */
export function metadataForRestore<T>(read: () => T, untouched: string): T {
  try {
    return read();
  } catch (e) {
    throw e instanceof MetadataError ? new MetadataError(`${e.message}; ${untouched}`) : e;
  }
}
