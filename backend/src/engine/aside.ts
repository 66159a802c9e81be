/**
 * What restores moved aside (the live data a restore replaced: `<db>_before_restore_<time>`,
 * `<dir>.before-restore-<time>`): kept, never deleted by a restore, listed here and removed only
 * on an explicit request (`backup-sla aside remove`, or an Admin in the app), which is audited.
 * Only what the catalog recorded can be removed: never an arbitrary name or path.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import type { AsideRecord } from '../catalog/catalog';
import type { Actor } from '../config/types';
import type { Engine } from './engine';
import { oneLine } from './engine';
import { NotFoundError } from './errors';

export interface AsideView extends AsideRecord {
  /** Size in bytes where cheaply known (a directory's top level is not walked: null). */
  bytes: number | null;
}

async function exists(engine: Engine, a: AsideRecord): Promise<boolean | null> {
  if (a.kind === 'directory') {
    return existsSync(a.name);
  }
  const t = Object.hasOwn(engine.config.targets, a.target) ? engine.config.targets[a.target] : undefined;
  const check = t && engine.driver(t).asideExists;
  if (!t || !check) {
    return null; // cannot tell: listed
  }
  try {
    return await check(t, { kind: a.kind, name: a.name, was: a.was });
  } catch (e) {
    engine.log.warn({ aside: a.name, err: oneLine(e) }, 'could not check what a restore moved aside');
    return null;
  }
}

/** What restores moved aside and is still there (gone by hand: marked removed), newest first. */
export async function asideItems(engine: Engine, target?: string): Promise<AsideView[]> {
  const out: AsideView[] = [];
  for (const a of engine.catalog.asideItems(target)) {
    const there = await exists(engine, a);
    if (there === false) {
      engine.catalog.markAsideRemoved(a.id, engine.now());
      continue;
    }
    out.push({ ...a, bytes: null });
  }
  return out;
}

export async function removeAside(engine: Engine, target: string, name: string, who: Actor): Promise<AsideView> {
  const t = engine.target(target);
  const item = engine.catalog.asideItems(t.name).find((a) => a.name === name);
  if (!item) {
    throw new NotFoundError(`target ${t.name} has nothing moved aside named '${name}' (see: backup-sla aside list)`);
  }
  // Not while a restore (or anything else) works on the target.
  const release = engine.locks.acquire(t.name, 'remove aside', engine.now());
  try {
    if (item.kind === 'directory') {
      if (existsSync(item.name) && !statSync(item.name).isDirectory() && !statSync(item.name).isFile()) {
        throw new Error(`${item.name} is neither a directory nor a file: left alone`);
      }
      rmSync(item.name, { recursive: true, force: true });
    } else {
      const remove = engine.driver(t).removeAside;
      if (!remove) {
        throw new Error(`${t.kind} targets cannot remove a ${item.kind} moved aside: remove it by hand`);
      }
      await remove(t, { kind: item.kind, name: item.name, was: item.was });
    }
    engine.catalog.markAsideRemoved(item.id, engine.now());
    engine.catalog.audit(
      {
        actor: who.name,
        role: who.role,
        action: 'remove aside',
        target: t.name,
        detail: `${item.kind} ${item.name} (was ${item.was})`,
        result: 'ok',
      },
      engine.now()
    );
    return { ...item, bytes: null };
  } catch (e) {
    engine.catalog.audit(
      {
        actor: who.name,
        role: who.role,
        action: 'remove aside',
        target: t.name,
        detail: `${item.kind} ${item.name}: ${oneLine(e)}`,
        result: 'failed',
      },
      engine.now()
    );
    throw e;
  } finally {
    release();
  }
}
