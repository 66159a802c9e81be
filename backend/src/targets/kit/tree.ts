/**
 * Trees of files as the directory kinds see them: their identity (a content hash), their entries,
 * and copying them with modes and owners kept.
 *
 * A tree's identity is the sorted list of (relative path, kind, permission bits, content hash):
 * the same files with the same modes give the same hash whatever their mtimes or the order in
 * which the filesystem lists them. Versioned targets (ansible, files) save a new snapshot only when
 * that identity changes, so that "keep the last N versions" means N *distinct* versions.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  Stats,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../util/subprocess';

/** Files up to this size are hashed from one read; larger ones are streamed. */
const READ_WHOLE = 1024 * 1024;
/** Files hashed at once by treeEntries (at most this many × READ_WHOLE bytes held). */
const HASH_PARALLEL = 8;

export interface TreeEntry {
  /** Relative path, '/'-separated. */
  path: string;
  kind: 'file' | 'symlink';
  /** Permission bits (e.g. 0o644); 0 for symlinks. */
  mode: number;
  size: number;
  /** sha256 of the content (files) or of the link text (symlinks). */
  sha256: string;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 of a file, streamed (application trees may hold large files). */
export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** The entry for one path under `root`, or null for what a tree does not hold (dirs, sockets, gone). */
export async function entryFor(root: string, rel: string, st?: Stats): Promise<TreeEntry | null> {
  const abs = path.join(root, rel);
  let s: Stats;
  try {
    s = st ?? lstatSync(abs);
  } catch {
    return null;
  }
  const p = rel.split(path.sep).join('/');
  if (s.isSymbolicLink()) {
    const target = readlinkSync(abs);
    return { path: p, kind: 'symlink', mode: 0, size: target.length, sha256: sha256Hex(target) };
  }
  if (s.isFile()) {
    // A small file in one read; a large one streamed (application trees may hold large files).
    const sha256 = s.size <= READ_WHOLE ? sha256Hex(await readFile(abs)) : await hashFile(abs);
    return { path: p, kind: 'file', mode: s.mode & 0o777, size: s.size, sha256 };
  }
  return null;
}

/** Every file and symlink under `root` (relative paths, sorted), skipping names `exclude` matches. */
export function walk(root: string, exclude: (name: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const d of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (exclude(d.name)) {
        continue;
      }
      const r = rel ? path.join(rel, d.name) : d.name;
      if (d.isDirectory()) {
        visit(r);
      } else if (d.isFile() || d.isSymbolicLink()) {
        out.push(r);
      }
    }
  };
  visit('');
  return out.sort();
}

export function byPath(a: TreeEntry, b: TreeEntry): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Entries of the given relative paths under `root`, sorted by path; vanished paths are skipped.
 * A few files are read at once: a tree of many small files waits on the disk and on the event
 * loop's turns, not on the CPU, so one file after the other leaves both idle most of the time.
 */
export async function treeEntries(root: string, rels: string[]): Promise<TreeEntry[]> {
  const found: Array<TreeEntry | null> = new Array(rels.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < rels.length) {
      const i = next++;
      found[i] = await entryFor(root, rels[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_PARALLEL, rels.length) }, worker));
  return found.filter((e): e is TreeEntry => e !== null).sort(byPath);
}

/** The hash of a tree (and of any extra lines that belong to the version, e.g. git refs). */
export function contentHash(entries: TreeEntry[], extra: string[] = []): string {
  const h = createHash('sha256');
  for (const e of entries) {
    h.update(`${e.kind} ${e.mode.toString(8)} ${e.sha256} ${e.path}\0`);
  }
  for (const line of extra) {
    h.update(`extra ${line}\0`);
  }
  return h.digest('hex');
}

/** Bytes of the files of a tree (symlinks count their link text). */
export function treeBytes(entries: TreeEntry[]): number {
  return entries.reduce((n, e) => n + e.size, 0);
}

/**
 * Copies one file or symlink from `srcRoot/rel` to `dstRoot/rel`, creating parent directories and
 * keeping the permission bits. Returns false if the source vanished meanwhile.
 */
export function copyEntry(srcRoot: string, dstRoot: string, rel: string): boolean {
  const src = path.join(srcRoot, rel);
  const dst = path.join(dstRoot, rel);
  let s: Stats;
  try {
    s = lstatSync(src);
  } catch {
    return false;
  }
  mkdirSync(path.dirname(dst), { recursive: true });
  if (s.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dst);
  } else if (s.isFile()) {
    copyFileSync(src, dst);
    chmodSync(dst, s.mode & 0o7777);
  } else {
    return false;
  }
  keepOwner(dst, s);
  return true;
}

/** As root, the copy keeps the owner (an app served by www-data must come back readable by it). */
function keepOwner(dst: string, s: Stats): void {
  if (process.getuid?.() === 0) {
    lchownSync(dst, s.uid, s.gid);
  }
}

/**
 * After copying files with copyEntry: gives every directory of the copy `dst` the mode (and, as
 * root, the owner) of its counterpart under `src`. Done last, so a read-only directory is filled first.
 */
export function copyDirectoryModes(src: string, dst: string): void {
  let s: Stats;
  try {
    s = lstatSync(src);
  } catch {
    return;
  }
  if (!s.isDirectory()) {
    return;
  }
  for (const d of readdirSync(dst, { withFileTypes: true })) {
    if (d.isDirectory()) {
      copyDirectoryModes(path.join(src, d.name), path.join(dst, d.name));
    }
  }
  chmodSync(dst, s.mode & 0o7777);
  keepOwner(dst, s);
}

/**
 * The copy loop of the versioned kinds: copies `entries` (relative to `srcRoot`) into `dstRoot`
 * and answers the entries of what was copied, hashed again from the copy: a file edited while it
 * was read counts as it was copied, a file that vanished is not part of the version.
 */
export async function copyTree(srcRoot: string, dstRoot: string, entries: TreeEntry[]): Promise<TreeEntry[]> {
  mkdirSync(dstRoot, { recursive: true });
  const copied = entries.filter((e) => copyEntry(srcRoot, dstRoot, e.path)).map((e) => e.path);
  return treeEntries(dstRoot, copied);
}

export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

export function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves a file or directory tree, keeping owners and modes: a rename on the same filesystem, else
 * `cp -a` (restic restores into the work dir, which may live on another filesystem).
 */
export async function moveTree(src: string, dst: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  try {
    renameSync(src, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') {
      throw e;
    }
    await run({ command: 'cp', args: ['-a', '--', src, dst], timeoutMs }, { signal });
    rmSync(src, { recursive: true, force: true });
  }
}
