/**
 * Content versions for versioned targets (ansible, files): a target saves a new snapshot only
 * when its content changed, so "keep the last N versions" means N *distinct* versions.
 *
 * A tree's identity is the sorted list of (relative path, kind, permission bits, content hash):
 * the same files with the same modes give the same hash whatever their mtimes or the order in
 * which the filesystem lists them.
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
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  Stats,
} from 'node:fs';
import path from 'node:path';
import { run } from '../util/subprocess';

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
    return { path: p, kind: 'file', mode: s.mode & 0o777, size: s.size, sha256: await hashFile(abs) };
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

/** Entries of the given relative paths under `root`, sorted by path; vanished paths are skipped. */
export async function treeEntries(root: string, rels: string[]): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  for (const rel of rels) {
    const e = await entryFor(root, rel);
    if (e) {
      entries.push(e);
    }
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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

/** `<path>.before-restore-<timestamp>`: where a restore moves what it replaces (never deleted). */
export function asideName(p: string, now = new Date()): string {
  return `${p}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
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
 * Moves a directory tree, keeping owners and modes: a rename on the same filesystem, else
 * `cp -a` (restic restores into the work dir, which may live on another filesystem).
 */
export async function moveTree(src: string, dst: string, timeoutMs: number): Promise<void> {
  try {
    renameSync(src, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') {
      throw e;
    }
    await run({ command: 'cp', args: ['-a', '--', src, dst], timeoutMs });
    rmSync(src, { recursive: true, force: true });
  }
}

/**
 * Puts `staged` (a complete new tree, on the same filesystem) in place of `dest`: what was at
 * `dest` is first moved aside as `<dest>.before-restore-<ts>` (never deleted) and moved back if
 * the swap fails. Returns the aside path, or null when there was nothing (or an empty dir) at dest.
 */
export function swapInto(staged: string, dest: string, now = new Date()): string | null {
  let aside: string | null = null;
  if (exists(dest)) {
    if (isEmptyDir(dest)) {
      rmSync(dest, { recursive: true });
    } else {
      aside = asideName(dest, now);
      renameSync(dest, aside);
    }
  }
  try {
    renameSync(staged, dest);
  } catch (e) {
    if (aside) {
      renameSync(aside, dest);
    }
    throw e;
  }
  return aside;
}

/** Text cut to `limit` characters, saying how much was dropped. */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) {
    return text;
  }
  return `${text.slice(0, limit)}\n… (${text.length - limit} more characters not kept)`;
}

/** The manifest a versioned snapshot carries at its root (ansible, files). */
export const MANIFEST = 'backup-sla.json';

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
