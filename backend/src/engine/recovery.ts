/**
 * Crash recovery (after kill -9, a power cut, an OOM kill): runs still marked running by a dead
 * process are closed as failed, and everything such a run left is removed — a partial snapshot
 * (rule 1: selected by target and run identity, rule 7), restic processes still about to commit
 * one, what it created outside the repository (TSDB snapshot directories, scratch databases) and
 * its temp dir. What the run recorded as complete (a restore's safety snapshot) stays.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../catalog/catalog';
import type { TargetConfig } from '../config/types';
import type { Leftover } from '../targets/types';
import { tags } from '../repository/tags';
import { killMatching } from '../util/processes';
import type { Core } from './core';
import { oneLine, tmpPrefix } from './core';

async function forgetPartial(engine: Core, t: TargetConfig, r: RunRecord): Promise<void> {
  const repo = engine.repository(t.repository);
  try {
    // A restic of the dead process may still be about to commit: stop it before looking.
    const killed = await repo.killOrphans([tags.target(t.name), tags.run(r.uid)]);
    if (killed > 0) {
      engine.log.warn({ run: r.id, killed }, 'stopped the restic processes the interrupted run left running');
      await repo.unlockStale();
    }
    const removed = await repo.forgetRun(t.name, r.uid, engine.catalog.knownSnapshotIds(t.name));
    if (removed.length) {
      engine.log.warn({ run: r.id, removed }, 'forgot the partial snapshot of an interrupted run');
    }
  } catch (e) {
    engine.catalog.addPendingCleanup(r.id, t.name, r.uid);
    engine.log.error({ run: r.id, err: oneLine(e) }, 'could not clean up after an interrupted run: retried later');
  }
}

/** Removes one thing a dead run created outside the repository; directories need no driver. */
async function removeLeftover(engine: Core, t: TargetConfig | undefined, r: RunRecord, item: Leftover) {
  try {
    if (item.kind === 'directory') {
      // Only absolute paths below the root: a leftover is something the run created, never '/'.
      if (path.isAbsolute(item.name) && path.resolve(item.name) !== path.parse(item.name).root) {
        if (existsSync(item.name)) {
          rmSync(item.name, { recursive: true, force: true });
          engine.log.warn({ run: r.id, directory: item.name }, 'removed what an interrupted run left');
        }
      }
    } else if (t) {
      await engine.driver(t).removeLeftover?.(t, item, engine.log);
      engine.log.warn({ run: r.id, database: item.name }, 'removed what an interrupted run left');
    }
  } catch (e) {
    engine.log.error(
      { run: r.id, leftover: item.name, err: oneLine(e) },
      'could not remove what an interrupted run left'
    );
  }
}

export async function recoverInterrupted(engine: Core): Promise<RunRecord[]> {
  const recovered: RunRecord[] = [];
  for (const r of engine.catalog.runningRuns()) {
    const pid = Number(r.detail.pid);
    if (pid === process.pid || (pid && engine.locks.holder(r.target)?.pid === pid)) {
      continue; // ours, or a live process (the CLI beside the daemon) still at it
    }
    const t = Object.hasOwn(engine.config.targets, r.target) ? engine.config.targets[r.target] : undefined;
    // Its children outlive it (a client still loading into a scratch database holds a lock a DROP
    // would wait on forever): every one works with files of the run's temp dir, which names it.
    const tmp = path.join(engine.config.workDir, tmpPrefix(r.target, r.operation, r.id));
    const children = await killMatching((p) => p.args.some((a) => a.includes(tmp)));
    if (children) {
      engine.log.warn({ run: r.id, killed: children }, 'stopped the processes the interrupted run left running');
    }
    if (t && (r.operation === 'backup' || r.operation === 'restore')) {
      await forgetPartial(engine, t, r);
    }
    for (const item of r.detail.leftovers ?? []) {
      await removeLeftover(engine, t, r, item);
    }
    const error = 'interrupted: the process running it stopped';
    engine.catalog.finishRun(r.id, engine.now(), {
      status: 'failed',
      error,
      // An interrupted verification learned nothing about its snapshot: "could not verify".
      detail: r.operation === 'verify' ? { verification: { outcome: 'unknown', detail: error } } : {},
    });
    // Its audit entry, if it was recorded when it started (a restore), says how it ended.
    engine.catalog.failRunAudit(r.id, r.target, error, engine.now());
    // Its temp dir (dumps, client option files with a password) would otherwise stay forever.
    const prefix = tmpPrefix(r.target, r.operation, r.id);
    for (const entry of readdirSync(engine.config.workDir).filter((e) => e.startsWith(prefix))) {
      rmSync(path.join(engine.config.workDir, entry), { recursive: true, force: true });
    }
    recovered.push(r);
  }
  // Lock files of dead processes (rule 5): taken over anyway at the next run, but not left lying.
  for (const name of Object.keys(engine.config.targets)) {
    engine.locks.clearStale(name);
  }
  engine.changed();
  return recovered;
}
