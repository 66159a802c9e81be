/**
 * What the versioned directory kinds (ansible, files) share: a snapshot is a manifest
 * (`backup-sla.json`) beside one content directory, and every use of it starts the same way —
 * restore it, read the manifest, check the content against the hash recorded at backup time.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DriverContext, SnapshotInfo, SnapshotReader } from '../types';
import { contentHash, treeEntries, TreeEntry, walk } from './tree';

/** The manifest a versioned snapshot carries at its root. */
export const MANIFEST = 'backup-sla.json';

export function writeManifest(dir: string, manifest: { kind: string }): void {
  writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads a versioned snapshot's manifest, checking that it was written by the `kind` driver. */
export function readManifest<M extends { kind: string }>(dir: string, kind: M['kind']): M {
  try {
    const m = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as M;
    if (m.kind !== kind) {
      throw new Error('wrong kind');
    }
    return m;
  } catch {
    throw new Error(`the snapshot is not ${kind === 'ansible' ? 'an' : 'a'} ${kind} backup (no valid ${MANIFEST})`);
  }
}

export interface RestoredVersion<M> {
  /** Where the snapshot was restored (manifest at its root). */
  dir: string;
  manifest: M;
  /** The content directory inside it (`tree`, `files`). */
  content: string;
  entries: TreeEntry[];
}

export interface VersionLayout<M> {
  kind: M extends { kind: infer K } ? K : string;
  /** The content directory's name inside the snapshot. */
  content: string;
  /** The hash the content must have: the one recorded in the catalog, else the manifest's. */
  expectedHash(m: M, recorded: SnapshotInfo['metadata']): string;
  /** How the content is named in a message ("restored files", "restored working tree"). */
  what: string;
}

/**
 * Restores a versioned snapshot into `dir` and checks its content against the recorded hash.
 * Answers the restored version, or `{ problem }` when the content differs (the snapshot failed).
 * A repository that cannot be read throws, as the reader does.
 */
export async function restoreVersion<M extends { kind: string }>(
  ctx: Pick<DriverContext<unknown>, 'progress'>,
  reader: SnapshotReader,
  snapshot: SnapshotInfo,
  dir: string,
  layout: VersionLayout<M>
): Promise<RestoredVersion<M> | { problem: string }> {
  await reader.restoreTo(dir);
  const manifest = readManifest<M>(dir, layout.kind as M['kind']);
  const content = path.join(dir, layout.content);
  // A version with no files at all is restored as an empty directory.
  mkdirSync(content, { recursive: true });
  const entries = await treeEntries(content, walk(content));
  const hash = contentHash(entries);
  const expected = layout.expectedHash(manifest, snapshot.metadata);
  if (hash !== expected) {
    return {
      problem: `${layout.what} differ from the backup (${entries.length} files, hash ${hash.slice(0, 8)}, expected ${String(expected).slice(0, 8)})`,
    };
  }
  return { dir, manifest, content, entries };
}

/** Text cut to `limit` characters, saying how much was dropped. */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) {
    return text;
  }
  return `${text.slice(0, limit)}\n… (${text.length - limit} more characters not kept)`;
}
