/**
 * Retention: decided from the catalog (../retention.ts), applied by restic only when something
 * goes (`forget --prune <ids>`), on the primary repository and on every copy.
 */
import type { Logger } from 'pino';
import type { TargetConfig, Actor } from '../../config/types';
import type { DriverContext } from '../../targets/types';
import type { Core, RunOutcome } from '../core';
import { oneLine } from '../core';
import { planLogRetention, planRetention } from '../retention';
import { forgetArchiveOnCopies, forgetOnCopies } from '../replication';
import { RepositoryLockedError } from '../../repository/restic';
import { pitrOf } from '../pitr/log';

/**
 * Forgets what failed runs had to leave in the repository because it could not be reached then
 * (their partial snapshots), before the policy looks at what is held.
 */
async function cleanupPending(engine: Core, t: TargetConfig, log: Logger): Promise<void> {
  for (const p of engine.catalog.pendingCleanups(t.name)) {
    const removed = await engine
      .repository(t.repository)
      .forgetRun(t.name, p.runUid, engine.catalog.knownSnapshotIds(t.name));
    engine.catalog.clearPendingCleanup(p.runId);
    if (removed.length) {
      log.warn({ run: p.runId, removed }, 'forgot the snapshots a failed run had left behind');
    }
  }
}

export async function applyRetention(
  engine: Core,
  t: TargetConfig,
  ctx: DriverContext<any>,
  justTaken: string | null = null
): Promise<{ forgotten: string[]; held: string | null; deferred?: string }> {
  ctx.progress('applying retention');
  await cleanupPending(engine, t, ctx.log);
  const held = engine.catalog.snapshots(t.name, t.repository);
  const plan = planRetention(held, {
    policy: t.retention,
    safetyRetentionSeconds: t.safetyRetentionSeconds,
    now: engine.now(),
    justTaken,
  });
  if (plan.held) {
    ctx.log.warn({ reason: plan.held }, 'retention removed nothing');
  }
  // The log archive: its files go with the oldest dump that needed them.
  const pitr = pitrOf(t);
  const logFiles = pitr
    ? planLogRetention(
        engine.catalog.archive.files(t.name),
        held
          .filter((s) => !s.safety && !plan.remove.includes(s.id))
          .map((s) => pitr.snapshotPosition(s.metadata))
          .filter((p): p is NonNullable<typeof p> => p !== null)
      )
    : [];
  if (!plan.remove.length && !logFiles.length) {
    return { forgotten: [], held: plan.held };
  }
  const logSnapshots = logFiles.length ? engine.catalog.archive.snapshotsOfFiles(logFiles) : [];
  try {
    await engine.repository(t.repository).forget([...plan.remove, ...logSnapshots]);
  } catch (e) {
    if (!(e instanceof RepositoryLockedError)) {
      throw e;
    }
    // A repository shared with other instances is locked while one of them prunes or checks (or
    // its backup outlasts the wait): the versions stay one backup longer, nothing is lost.
    const deferred = `retention deferred to the next backup: ${oneLine(e)}`;
    ctx.log.warn({ reason: deferred }, 'retention deferred');
    return { forgotten: [], held: null, deferred };
  }
  await forgetOnCopies(
    engine,
    t,
    held.filter((s) => plan.remove.includes(s.id)),
    ctx.log
  );
  if (logFiles.length) {
    await forgetArchiveOnCopies(engine, t, logSnapshots, ctx.log);
    engine.catalog.archive.forgetFiles(logFiles, engine.now());
    engine.catalog.archive.dropSnapshots(logSnapshots);
    ctx.log.info(
      { files: logFiles.length, snapshots: logSnapshots.length },
      'forgot archived log files no kept dump needs'
    );
  }
  engine.catalog.markForgotten(plan.remove, engine.now());
  return { forgotten: plan.remove, held: plan.held };
}

/** Applies retention now (CLI `forget`), under the target's lock. */
export async function forget(engine: Core, target: string, who: Actor): Promise<RunOutcome> {
  const t = engine.target(target);
  return engine.operate(t, 'forget', who, {}, async (_run, ctx) => {
    const r = await applyRetention(engine, t, ctx).catch((e) => {
      throw new Error(`retention failed: ${oneLine(e)}`);
    });
    if (r.deferred) {
      throw new Error(r.deferred);
    }
    return { status: 'success', snapshotId: null, detail: { forgotten: r.forgotten, retentionHeld: r.held } };
  });
}
