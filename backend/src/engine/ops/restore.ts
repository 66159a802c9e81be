/**
 * A restore (docs/design.md §5 rule 4): in place, a safety backup of what is there first (unless
 * declined; "nothing there" is recorded and the restore goes on); the driver loads and checks the
 * new data in a fresh place before it takes the live place, and moves the old data aside (kept,
 * listed by `backup-sla aside`). Audited with who, what, when and the result.
 *
 * To a point in time (`at`, targets that archive their log): the newest dump before `at` is the
 * snapshot, and the archived log from its position through `at` is fetched and handed to the
 * driver, which replays it in the staging database before anything live is touched. A time the
 * archive cannot reach (a gap, before the oldest usable dump, after what is archived) is refused
 * before anything runs, with the nearest recoverable times.
 */
import type { Actor } from '../../config/types';
import type { RestoreOutcomeDetail, SafetyBackup } from '../../catalog/run-detail';
import { redact } from '../../util/redact';
import { InvalidRequestError } from '../errors';
import type { Core, RunOutcome } from '../core';
import { oneLine } from '../core';
import { fetchArchived, pointInTimePlan } from '../pitr/log';
import { lastPassed } from './verify';
import type { ArchivedLog } from '../../targets/types';

export interface RestoreRequest {
  /** A snapshot id or "latest"; omitted with `at` (the service picks the dump). */
  snapshot?: string;
  /** Restore the state of this second (targets that archive their log). */
  at?: Date;
  /** Elsewhere (the kind's destinations.elsewhere); absent: in place. */
  to?: string;
  safetyBackup: boolean;
  /** Replace what is at `to` (moved aside, never deleted). */
  force?: boolean;
}

export async function restore(
  engine: Core,
  target: string,
  req: RestoreRequest,
  who: Actor,
  onStarted?: (runId: number) => void
): Promise<RunOutcome> {
  const t = engine.target(target);
  const driver = engine.driver(t);
  const destinations = driver.destinations(t);
  if (req.to === undefined && !destinations.inPlace) {
    throw new InvalidRequestError(`${t.kind} targets cannot be restored in place: give a destination (to)`);
  }
  if (req.to === undefined && destinations.inPlace?.unavailable) {
    throw new InvalidRequestError(`restore in place is not possible now: ${destinations.inPlace.unavailable}`);
  }
  if (req.to !== undefined) {
    if (!destinations.elsewhere) {
      throw new InvalidRequestError(`${t.kind} targets are restored in place only (no destination)`);
    }
    const problem = driver.checkRestoreTarget?.(req.to) ?? null;
    if (problem) {
      throw new InvalidRequestError(`restore destination '${req.to}' refused: ${problem}`);
    }
  }
  if ((req.snapshot === undefined) === (req.at === undefined)) {
    throw new InvalidRequestError('give either a snapshot or a point in time (at), not both or neither');
  }
  const planAt = (at: Date) => {
    const plan = pointInTimePlan(t, engine.catalog, at, engine.now());
    if ('refused' in plan) {
      throw new InvalidRequestError(plan.refused);
    }
    return plan;
  };
  // Refused before anything runs; planned again under the target's lock below.
  const snap = req.at
    ? engine.resolveSnapshot(target, planAt(req.at).dump.id)
    : engine.resolveSnapshot(target, req.snapshot!);
  const where = req.to ?? 'the same place';
  const point = req.at ? ` as of ${req.at.toISOString()}` : '';
  const what = `snapshot ${snap.id.slice(0, 8)}${point} to ${where}${req.to === undefined && !req.safetyBackup ? ' (no safety backup)' : ''}`;
  // One entry per restore: recorded when it starts, then updated with its result (by run id).
  const audit = (runId: number, detail: string, result: 'ok' | 'failed' | 'started') =>
    engine.catalog.audit(
      { actor: who.name, role: who.role, action: 'restore', target: t.name, detail, result, runId },
      engine.now()
    );
  return engine.operate(
    t,
    'restore',
    who,
    { snapshot: snap.id, to: req.to ?? null, ...(req.at ? { at: req.at.toISOString() } : {}) },
    async (run, ctx) => {
      audit(run.id, what, 'started');
      const started = Date.now();
      let safetySnapshotId: string | null = null;
      // The safety backup protects what the restore replaces: in place only.
      let safetyBackup: SafetyBackup = req.to !== undefined ? 'not-needed' : req.safetyBackup ? 'saved' : 'declined';
      try {
        if (safetyBackup === 'saved') {
          ctx.progress('safety backup');
          const safety = await engine.takeSnapshot(t, run, ctx, true).catch((e) => {
            throw new Error(
              `safety backup failed, nothing was restored: ${oneLine(e)} (restore without a safety backup to go on)`
            );
          });
          if (safety.kind === 'saved') {
            safetySnapshotId = safety.snapshot.id;
          } else if (safety.kind === 'nothing') {
            safetyBackup = 'nothing';
            ctx.log.info({ reason: safety.reason }, 'safety backup: nothing there to save');
          }
        }
        let pointInTime: { at: Date; log: Promise<ArchivedLog> } | undefined;
        // Stops a fetch the driver did not wait for (it failed before its replay).
        const fetchStop = new AbortController();
        const stopFetch = () => fetchStop.abort();
        ctx.signal.addEventListener('abort', stopFetch, { once: true });
        if (req.at) {
          // Under the lock the archive's housekeeping leaves the planned snapshots alone.
          const plan = planAt(req.at);
          if (plan.dump.id !== snap.id) {
            throw new Error(
              `the archive changed while the restore started (now from snapshot ${plan.dump.id.slice(0, 8)}): run it again`
            );
          }
          // Fetched while the driver loads the dump (bench/mysql-pitr-restore.ts: the fetch, restic
          // restores of the log's files, added half the plain restore's time when it came first);
          // the driver awaits it before its replay.
          const log = fetchArchived(engine, t, plan.files, plan.dump.position, ctx.tmpDir, fetchStop.signal);
          log.catch(() => undefined); // awaited by the driver, or below
          pointInTime = { at: req.at, log };
        }
        ctx.progress(req.at ? 'restoring (fetching the archived binary log meanwhile)' : 'restoring');
        const passed = lastPassed(engine, t);
        let r: Awaited<ReturnType<typeof driver.restore>>;
        try {
          r = await driver.restore({
            ...ctx,
            snapshot: engine.info(snap),
            reader: engine.reader(t, snap.id, ctx.signal),
            options: { to: req.to, force: req.force },
            safety: safetyBackup,
            pointInTime,
            lastPassed: passed && { snapshot: engine.info(passed) },
          });
        } finally {
          // The fetch writes into the run's temp dir: it ends before the run cleans that up.
          fetchStop.abort();
          ctx.signal.removeEventListener('abort', stopFetch);
          await pointInTime?.log.catch(() => undefined);
        }
        const durationSeconds = (Date.now() - started) / 1000;
        for (const m of r.movedAside ?? []) {
          engine.catalog.addAside(
            { target: t.name, kind: m.kind, name: m.name, was: m.was, runId: run.id },
            engine.now()
          );
        }
        const outcome: RestoreOutcomeDetail = {
          location: r.location,
          counts: r.counts ?? {},
          movedAside: (r.movedAside ?? []).map((m) => (m.kind === 'database' ? `database ${m.name}` : m.name)),
          next: r.next ?? [],
          detail: redact(r.detail),
        };
        audit(
          run.id,
          `${what}: restored to ${r.location}${safetySnapshotId ? `, safety snapshot ${safetySnapshotId.slice(0, 8)}` : ''}${outcome.movedAside.length ? `, moved aside: ${outcome.movedAside.join(', ')}` : ''}`,
          'ok'
        );
        return {
          status: 'success',
          snapshotId: snap.id,
          detail: {
            durationSeconds,
            safetySnapshotId,
            safetyBackup,
            ...(req.at ? { at: req.at.toISOString() } : {}),
            location: r.location,
            result: outcome.detail,
            restore: outcome,
          },
        };
      } catch (e) {
        audit(run.id, `${what}: ${oneLine(e)}`, 'failed');
        engine.catalog.finishRun(run.id, engine.now(), {
          status: 'failed',
          detail: { safetySnapshotId, safetyBackup },
        });
        throw e;
      }
    },
    onStarted
  );
}
