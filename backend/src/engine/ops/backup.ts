/** A backup of one target: a new snapshot (or "unchanged" for versioned targets), copies, retention. */
import type { Actor } from '../../config/types';
import type { RunDetail } from '../../catalog/run-detail';
import type { Core, RunOutcome } from '../core';
import { copyToCopies } from '../replication';
import { applyRetention } from './forget';

export async function backup(
  engine: Core,
  target: string,
  who: Actor,
  onStarted?: (runId: number) => void
): Promise<RunOutcome> {
  const t = engine.target(target);
  return engine.operate(
    t,
    'backup',
    who,
    {},
    async (run, ctx) => {
      const result = await engine.takeSnapshot(t, run, ctx, false);
      if (result.kind === 'nothing') {
        // Only a safety backup may find nothing to save; a scheduled backup of nothing has failed.
        throw new Error(`nothing to back up: ${result.reason}`);
      }
      const detail: RunDetail = { version: result.version };
      if (result.kind === 'saved') {
        detail.bytes = result.snapshot.bytes;
      }
      const copyErrors = await copyToCopies(engine, t, ctx);
      if (copyErrors.length) {
        detail.copyErrors = copyErrors;
      }
      if (result.kind === 'unchanged') {
        return { status: 'unchanged', snapshotId: null, detail };
      }
      // Rule 2: retention runs only after a successful backup.
      const retention = await applyRetention(engine, t, ctx, result.snapshot.id);
      detail.forgotten = retention.forgotten;
      detail.retentionHeld = retention.held;
      if (retention.deferred) {
        detail.retentionDeferred = retention.deferred;
      }
      engine.catalog.audit(
        {
          actor: who.name,
          role: who.role,
          action: 'backup',
          target: t.name,
          detail: `snapshot ${result.snapshot.id.slice(0, 8)}`,
          result: 'ok',
          runId: run.id,
        },
        engine.now()
      );
      return { status: 'success', snapshotId: result.snapshot.id, detail };
    },
    onStarted
  );
}
