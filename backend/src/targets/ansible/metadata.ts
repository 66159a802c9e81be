/**
 * What an Ansible backup records about its snapshot (kit/metadata.ts): the repository's path, its
 * commit and branch, how many files and bytes, whether it had uncommitted changes, and the hashes
 * the next backup and verification compare with. Fields other than `path` and `files` came later:
 * older records lack them, and the code falls back to the snapshot's manifest.
 */
import { z } from 'zod';
import type { Metadata } from '../types';
import { parseMetadata, recordMetadata } from '../kit/metadata';

export const ansibleMetadata = z.looseObject({
  path: z.string(),
  /** null: a repository without commits */
  commit: z.string().nullable().optional(),
  branch: z.string().nullable().optional(),
  files: z.number(),
  bytes: z.number().optional(),
  dirty: z.boolean().optional(),
  refs: z.number().optional(),
  contentHash: z.string().optional(),
  treeHash: z.string().optional(),
});
export type AnsibleMetadata = z.output<typeof ansibleMetadata>;

/** An Ansible snapshot's metadata; null when none was recorded; throws a MetadataError when malformed. */
export function readAnsibleMetadata(meta: Metadata | null): AnsibleMetadata | null {
  return parseMetadata('ansible', ansibleMetadata, meta);
}

export function ansibleRecord(value: z.input<typeof ansibleMetadata>): Metadata {
  return recordMetadata(ansibleMetadata, value);
}
