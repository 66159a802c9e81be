/**
 * What a files backup records about its snapshot (kit/metadata.ts): the paths saved, how many files
 * and bytes, the content hash the next backup and verification compare with, and the version label
 * read from the application's own files. Fields other than `paths` and `files` came later: older
 * records lack them, and the code falls back to the snapshot's manifest or version name.
 */
import { z } from 'zod';
import type { Metadata } from '../types';
import { parseMetadata, recordMetadata } from '../kit/metadata';

export const filesMetadata = z.looseObject({
  paths: z.array(z.string()),
  files: z.number(),
  pythonFiles: z.number().optional(),
  bytes: z.number().optional(),
  contentHash: z.string().optional(),
  label: z.string().nullable().optional(),
  labelWarning: z.string().nullable().optional(),
  /** Configured paths that did not exist (a safety backup saves what is left). */
  missingPaths: z.array(z.string()).optional(),
});
export type FilesMetadata = z.output<typeof filesMetadata>;

/** A files snapshot's metadata; null when none was recorded; throws a MetadataError when malformed. */
export function readFilesMetadata(meta: Metadata | null): FilesMetadata | null {
  return parseMetadata('files', filesMetadata, meta);
}

export function filesRecord(value: z.input<typeof filesMetadata>): Metadata {
  return recordMetadata(filesMetadata, value);
}
