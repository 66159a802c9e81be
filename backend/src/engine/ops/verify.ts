/**
 * Verification: the driver's test restore proves a snapshot usable. Three outcomes: passed,
 * failed (the snapshot itself is not usable), unknown (the verification could not run: source or
 * repository unreachable, wrong password). Unknown says nothing about the snapshot: its verdict
 * stays as it was, and it raises no "verification failed".
 */
import type { Actor, TargetConfig } from '../../config/types';
import type { SnapshotRecord } from '../../catalog/catalog';
import type { VerificationOutcomeDetail } from '../../catalog/run-detail';
import { isUnavailable } from '../../util/errors';
import { redact } from '../../util/redact';
import type { Core, RunOutcome } from '../core';
import { oneLine } from '../core';
import { archivedBetween, pitrOf } from '../pitr/log';

/** How long a verification waits for the archive to reach its mark (the archiver saves every few seconds). */
function markWaitMs(saveEverySeconds: number): number {
  return Math.max(60, 3 * saveEverySeconds) * 1000;
}

/**
 * What was last verified clean: the snapshot of the last verification that passed (a later failed
 * one may have marked it since), else the newest version whose verdict is passed; never a safety
 * snapshot.
 */
export function lastPassed(engine: Core, t: TargetConfig): SnapshotRecord | null {
  const lastOk = engine.catalog.lastRun(t.name, 'verify', ['success']);
  const held = engine.catalog.snapshots(t.name, t.repository).filter((s) => !s.safety);
  return held.find((s) => s.id === lastOk?.snapshotId) ?? held.find((s) => s.verification === 'passed') ?? null;
}

export async function verify(
  engine: Core,
  target: string,
  snapshotRef: string,
  who: Actor,
  onStarted?: (runId: number) => void
): Promise<RunOutcome> {
  const t = engine.target(target);
  const snap = engine.resolveSnapshot(target, snapshotRef);
  return engine.operate(
    t,
    'verify',
    who,
    { snapshot: snap.id },
    async (run, ctx) => {
      const started = Date.now();
      ctx.progress('test restore');
      let verification: VerificationOutcomeDetail;
      try {
        const passed = lastPassed(engine, t);
        const pitr = pitrOf(t);
        const r = await engine.driver(t).verify({
          ...ctx,
          snapshot: engine.info(snap),
          reader: engine.reader(t, snap.id, ctx.signal),
          archivedLog: pitr
            ? (from, to) =>
                archivedBetween(
                  engine,
                  t,
                  from,
                  to,
                  ctx.tmpDir,
                  ctx.signal,
                  markWaitMs(pitr.settings(t)!.saveEverySeconds)
                )
            : undefined,
          lastPassed: passed
            ? { snapshot: engine.info(passed), reader: engine.reader(t, passed.id, ctx.signal) }
            : null,
        });
        verification = {
          outcome: r.ok ? 'passed' : 'failed',
          detail: redact(r.detail),
          ...(r.changes ? { changes: r.changes } : {}),
          ...(r.changeKind !== undefined ? { changeKind: r.changeKind } : {}),
        };
      } catch (e) {
        verification = { outcome: isUnavailable(e) ? 'unknown' : 'failed', detail: oneLine(e) };
      }
      const durationSeconds = (Date.now() - started) / 1000;
      if (verification.outcome !== 'unknown') {
        engine.catalog.recordVerification(
          snap.id,
          verification.outcome === 'passed',
          engine.now(),
          verification.detail
        );
      }
      const words =
        verification.outcome === 'unknown' ? `could not verify: ${verification.detail}` : verification.detail;
      engine.catalog.audit(
        {
          actor: who.name,
          role: who.role,
          action: 'verify',
          target: t.name,
          detail: `snapshot ${snap.id.slice(0, 8)}: ${words}`,
          result: verification.outcome === 'passed' ? 'ok' : 'failed',
          runId: run.id,
        },
        engine.now()
      );
      if (verification.outcome !== 'passed') {
        engine.catalog.finishRun(run.id, engine.now(), { status: 'failed', detail: { durationSeconds, verification } });
        throw new Error(verification.outcome === 'unknown' ? words : `verification failed: ${verification.detail}`);
      }
      return {
        status: 'success',
        snapshotId: snap.id,
        detail: { durationSeconds, result: verification.detail, verification },
      };
    },
    onStarted
  );
}
