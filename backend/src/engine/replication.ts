/**
 * Copies: every repository a target names in `copies` holds every snapshot of the primary
 * (restic copy, which marks each copy with its `original`). Copy failures are reported with the
 * backup, never fatal to it: the primary snapshot is good whatever a copy does.
 */
import type { Logger } from 'pino';
import type { SnapshotRecord } from '../catalog/catalog';
import type { TargetConfig } from '../config/types';
import type { DriverContext } from '../targets/types';
import { tags } from '../repository/tags';
import type { Core } from './core';
import { oneLine } from './core';

/** Brings every copy repository up to date with the target's snapshots; answers the errors. */
export async function copyToCopies(engine: Core, t: TargetConfig, ctx: DriverContext<any>): Promise<string[]> {
  const errors: string[] = [];
  const primary = engine.repository(t.repository);
  for (const name of t.copies) {
    ctx.progress(`copying to ${name}`);
    try {
      // The catalog's own snapshots of the target, by id: another instance's snapshots of a
      // target of the same name in a shared repository are not this instance's to copy.
      const ids = engine.catalog.snapshots(t.name, t.repository).map((s) => s.id);
      await engine.repository(name).copyFrom(primary, ids, ctx.signal);
      await refreshCopies(engine, t, name);
    } catch (e) {
      errors.push(`${name}: ${oneLine(e)}`);
      ctx.log.error({ copy: name, err: oneLine(e) }, 'copy failed');
    }
  }
  return errors;
}

/** Records which snapshots a copy repository holds (restic marks copies with `original`). */
async function refreshCopies(engine: Core, t: TargetConfig, repoName: string): Promise<Map<string, string>> {
  const held = await engine.repository(repoName).snapshots([tags.target(t.name)]);
  const byOriginal = new Map(held.map((s) => [s.original ?? s.id, s.id]));
  for (const s of engine.catalog.snapshots(t.name, t.repository)) {
    const copyId = byOriginal.get(s.id);
    if (copyId) {
      engine.catalog.markHeld(s.id, repoName, copyId);
    } else {
      engine.catalog.unmarkHeld(s.id, repoName);
    }
  }
  return byOriginal;
}

/** Removes from every copy the snapshots retention removed from the primary. */
export async function forgetOnCopies(
  engine: Core,
  t: TargetConfig,
  removed: SnapshotRecord[],
  log: Logger
): Promise<void> {
  for (const name of t.copies) {
    const there = removed.filter((s) => s.heldBy.includes(name));
    if (!there.length) {
      continue;
    }
    try {
      const byOriginal = await refreshCopies(engine, t, name);
      const ids = there.map((s) => byOriginal.get(s.id)).filter((id): id is string => !!id);
      await engine.repository(name).forget(ids);
    } catch (e) {
      log.error({ copy: name, err: oneLine(e) }, 'retention on copy failed');
    }
  }
}

/** Removes from every copy what the primary's archive no longer holds (archive snapshots retention forgot). */
export async function forgetArchiveOnCopies(engine: Core, t: TargetConfig, ids: string[], log: Logger): Promise<void> {
  const gone = new Set(ids);
  for (const name of t.copies) {
    try {
      const there = await engine.repository(name).snapshots([tags.target(t.name), tags.archive]);
      const stale = there.filter((s) => s.original && gone.has(s.original)).map((s) => s.id);
      if (stale.length) {
        await engine.repository(name).forget(stale);
      }
    } catch (e) {
      log.error({ copy: name, err: oneLine(e) }, 'retention of the log archive on a copy failed');
    }
  }
}
