/**
 * Restoring directories without losing what was there (DESIGN §5 rule 4), for every directory
 * kind (files, ansible, prometheus):
 *
 *   1. the destination is checked: inside the target's restore roots (real paths, symlinks
 *      followed), not overlapping the live data when it is not the live data itself;
 *   2. the snapshot is put into a staging directory *beside* the destination (same filesystem,
 *      so the swap is a rename), recorded as a leftover before it exists;
 *   3. the staged copy is checked by the driver;
 *   4. the swap: what was at the destination is renamed to `<path>.before-restore-<time>` (kept,
 *      never deleted: `backup-sla aside` lists and removes it) and the staged copy takes its place.
 *
 * An empty directory at the destination holds nothing to keep: it is replaced without an aside.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  Stats,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { doc } from '../../config/schema';
import type { TargetConfig } from '../../config/types';
import type { DriverContext, MovedAside, RestoreOptions, SchemaHelpers } from '../types';
import { exists, isEmptyDir } from './tree';

// --- naming -------------------------------------------------------------------------------------

const ASIDE_MARK = '.before-restore-';
const ASIDE_SUFFIX = /\.before-restore-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z(-\d+)?$/;

/** `<p>.before-restore-<time>` (a path that does not exist yet): where a restore moves what it replaces. */
export function asideName(p: string, now = new Date()): string {
  const base = `${p}${ASIDE_MARK}${now.toISOString().replace(/[:.]/g, '-')}`;
  let name = base;
  for (let i = 1; exists(name); i++) {
    name = `${base}-${i}`;
  }
  return name;
}

/** The path an aside was moved away from, or null when `p` is not named as a restore names asides. */
export function asideOriginal(p: string): string | null {
  return ASIDE_SUFFIX.test(p) ? p.slice(0, p.lastIndexOf(ASIDE_MARK)) : null;
}

export function asideItem(aside: string, was: string): MovedAside {
  return { kind: 'directory', name: aside, was: `directory ${was}` };
}

/** What a swap moved aside (`swapInto`'s answer: the aside, or null when nothing was there), as a result lists it. */
export function movedAsideOf(aside: string | null, was: string): MovedAside[] {
  return aside ? [asideItem(aside, was)] : [];
}

// --- destinations -------------------------------------------------------------------------------

/**
 * `restoreRoots` as parsed: what the configuration names, or null for the default, and the
 * service's own restore area (`<workDir>/restores`), which the default always includes.
 */
export interface RestoreRoots {
  configured: string[] | null;
  area: string;
}

/**
 * The `restoreRoots` field of a directory kind: the directories a restore with `to` may write
 * into (below them, never the root itself). Default: the service's restore area
 * (`<workDir>/restores`) and the parent directory of each source path — where restores in place
 * write anyway (the staging directory and the aside live beside the source).
 */
export function restoreRootsField(h: SchemaHelpers) {
  return doc(
    z.array(h.path()).min(1, 'name at least one directory (or leave restoreRoots out for the default)'),
    "where a restore with `to` may write (below one of these); default: the service's restore area and the source's parent",
    ['/var/tmp/restores']
  )
    .optional()
    .transform((configured): RestoreRoots => ({ configured: configured ?? null, area: h.restoreArea() }));
}

/** The roots in force for a target whose sources are `sources`. */
export function restoreRootsOf(roots: RestoreRoots | undefined, sources: string[]): string[] {
  if (roots?.configured) {
    return roots.configured;
  }
  const out = roots ? [roots.area] : [];
  for (const s of sources) {
    const parent = path.dirname(path.resolve(s));
    if (!out.includes(parent)) {
      out.push(parent);
    }
  }
  return out;
}

/** A restore destination of a directory kind: an absolute path, not the root directory. */
export function checkDirectoryTarget(to: string): string | null {
  const abs = path.resolve(to);
  return path.isAbsolute(to) && !to.includes('\0') && abs !== path.parse(abs).root
    ? null
    : 'give an absolute directory path (not /)';
}

/**
 * What the directory kinds' drivers share, given where a target's live data lies (`sources`: what
 * a restore in place replaces; their parents are default restore roots): the roots in force, the
 * `to` they accept, the `elsewhere` they offer, and what their restores moved aside — listed, and
 * removed only beside the target's own sources or below its restore roots.
 */
export function directoryKind<S extends { restoreRoots?: RestoreRoots }>(sources: (s: S) => string[]) {
  const roots = (s: S) => restoreRootsOf(s.restoreRoots, sources(s));
  return {
    roots,
    checkRestoreTarget: checkDirectoryTarget,
    /** `destinations.elsewhere`: a new or empty directory below the restore roots (`more` adds to the hint). */
    elsewhere: (t: TargetConfig<S>, more = '') => {
      const r = roots(t.settings);
      return {
        kind: 'directory' as const,
        hint: `an absolute path to a new or empty directory below ${r.join(' or ')}${more}`,
        example: path.join(r[0], `${t.name}-restored`),
      };
    },
    /** A restore's `to`, checked (below the roots, not over the live data, vacant unless forced); null: in place. */
    to: (ctx: { target: TargetConfig<S>; options: RestoreOptions }): string | null => {
      if (ctx.options.to === undefined) {
        return null;
      }
      const s = ctx.target.settings;
      const dest = checkDestination(ctx.options.to, roots(s), sources(s));
      checkVacant(dest, ctx.options.force);
      return dest;
    },
    asideExists: (_t: TargetConfig<S>, item: MovedAside) => directoryAsideExists(item),
    removeAside: (t: TargetConfig<S>, item: MovedAside) =>
      removeDirectoryAside(item, [...sources(t.settings), ...roots(t.settings)]),
  };
}

/** The real path of `p`: symlinks of its longest existing ancestor followed, the rest appended. */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) {
        return abs;
      }
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Checks a restore destination (`to`) and answers the real path to restore to: strictly below one
 * of `roots` after following symlinks, and neither inside nor holding any of the `live` paths
 * (a restore in place replaces those, with its own checks). Every later step must use the answer,
 * not `to`, so that a symlink changed meanwhile cannot redirect the restore.
 */
export function checkDestination(to: string, roots: string[], live: string[]): string {
  if (!path.isAbsolute(to) || to.split(/[\\/]/).includes('..') || to.includes('\0')) {
    throw new Error(`restore destination ${to} refused: give an absolute directory path without '..'`);
  }
  const dest = realPathOf(to);
  const shown = dest === path.resolve(to) ? to : `${to} (really ${dest})`;
  if (!roots.some((r) => isInside(dest, realPathOf(r)) && dest !== realPathOf(r))) {
    throw new Error(
      `restore destination ${shown} is outside the target's restore roots (${roots.join(', ')}): choose a directory below one of them, or add one to the target's restoreRoots`
    );
  }
  for (const l of live) {
    const real = realPathOf(l);
    if (isInside(dest, real) || isInside(real, dest)) {
      throw new Error(
        `restore destination ${shown} is, holds or is inside the live ${l}: restore in place (without to) to replace it`
      );
    }
  }
  return dest;
}

/** "destination is not empty": a restore with `to` fills only a new or empty directory unless forced. */
export function checkVacant(dest: string, force: boolean | undefined): void {
  let st: Stats;
  try {
    st = lstatSync(dest);
  } catch {
    return;
  }
  if (!st.isDirectory()) {
    throw new Error(`${dest} exists and is not a directory`);
  }
  if (!isEmptyDir(dest) && !force) {
    throw new Error(`directory ${dest} is not empty; choose another or force (it is then moved aside, never deleted)`);
  }
}

// --- staging and the swap -----------------------------------------------------------------------

/**
 * A new staging directory beside `dest` (`.<name>.restoring-<id>`, same filesystem): recorded as
 * the run's leftover *before* it is created, so that recovery removes it after a crash.
 */
export function stageBeside(ctx: Pick<DriverContext<unknown>, 'created'>, dest: string, mode = 0o755): string {
  const parent = path.dirname(dest);
  mkdirSync(parent, { recursive: true });
  const name = path.join(
    parent,
    `.${path.basename(dest)}.restoring-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  );
  ctx.created({ kind: 'directory', name });
  mkdirSync(name, { mode });
  return name;
}

export interface Swap {
  /** A complete new tree on the same filesystem as dest. */
  staged: string;
  dest: string;
}

/**
 * Puts `staged` in place of `dest`. What was there is first renamed to `<dest>.before-restore-<ts>`
 * (kept) and renamed back if the second rename fails. With `keepMode`, the new directory gets the
 * mode and (as root) the owner of the one it replaces (Prometheus must be able to write to it).
 * Answers the aside, or null when there was nothing (or an empty directory) at dest.
 */
export function swapInto(
  staged: string,
  dest: string,
  options: { now?: Date; keepMode?: boolean } = {}
): string | null {
  let aside: string | null = null;
  let before: Stats | null = null;
  let removedEmpty = false;
  try {
    before = lstatSync(dest);
  } catch {
    // nothing there
  }
  if (before) {
    if (before.isDirectory() && isEmptyDir(dest)) {
      rmdirSync(dest);
      removedEmpty = true;
    } else {
      aside = asideName(dest, options.now);
      renameSync(dest, aside);
    }
  }
  try {
    renameSync(staged, dest);
  } catch (e) {
    if (aside) {
      renameSync(aside, dest);
    } else if (removedEmpty) {
      mkdirSync(dest, { mode: before!.mode & 0o7777 });
    }
    throw e;
  }
  if (options.keepMode && before?.isDirectory()) {
    chmodSync(dest, before.mode & 0o7777);
    if (process.getuid?.() === 0) {
      chownSync(dest, before.uid, before.gid);
    }
  }
  return aside;
}

/**
 * Several swaps as one: if one fails, those already done are undone (the restored tree goes back
 * to its staging place, the aside back to the live place), so the live paths are all old or all new.
 */
export function swapAll(swaps: Swap[], now = new Date()): Array<string | null> {
  const done: Array<{ swap: Swap; aside: string | null }> = [];
  try {
    for (const s of swaps) {
      done.push({ swap: s, aside: swapInto(s.staged, s.dest, { now }) });
    }
  } catch (e) {
    for (const d of done.reverse()) {
      try {
        renameSync(d.swap.dest, d.swap.staged);
        if (d.aside) {
          renameSync(d.aside, d.swap.dest);
        }
      } catch {
        // keep undoing the others; the error below names the path that failed
      }
    }
    throw e;
  }
  return done.map((d) => d.aside);
}

/** Removes a staging directory (its content was moved into place, or the restore failed before). */
export function removeStaging(staging: string): void {
  rmSync(staging, { recursive: true, force: true });
}

// --- what was moved aside -----------------------------------------------------------------------

/** `asideExists` for directory kinds. */
export async function directoryAsideExists(item: MovedAside): Promise<boolean> {
  return item.kind === 'directory' && exists(item.name);
}

/**
 * `removeAside` for directory kinds: deletes a directory a restore moved aside, for good. Only a
 * path named as a restore names asides, whose original is one of `places` (the target's sources)
 * or below one of them (its restore roots), is removed: a catalog entry can never make it delete
 * anything else.
 */
export async function removeDirectoryAside(item: MovedAside, places: string[]): Promise<void> {
  const original = item.kind === 'directory' && path.isAbsolute(item.name) ? asideOriginal(item.name) : null;
  const known =
    original !== null && places.some((p) => path.resolve(p) === original || isInside(original, path.resolve(p)));
  if (!known) {
    throw new Error(`${item.name} is not a directory a restore of this target moved aside: not removed`);
  }
  if (!exists(item.name)) {
    return;
  }
  rmSync(item.name, { recursive: true, force: true });
}

/** Whether `p` is an existing directory (stat follows a symlink: a data directory may be one). */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
