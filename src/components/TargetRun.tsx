import React, { useCallback } from 'react';
import type { Run, TargetStatus } from '../api/types';
import { useOperationsContext } from '../data/useOperations';
import { useRun } from '../data/useRun';
import { refKey } from '../utils/lab';
import { RunProgress } from './RunProgress';
import { ServiceErrorAlert } from './ServiceErrorAlert';

interface Props {
  target: Pick<TargetStatus, 'instance' | 'name' | 'running'>;
  /** Called when a run followed here has finished, so the page can load the new state. */
  onFinished?: (run: Run) => void;
}

/**
 * The live progress of the run on a target: one started from this page (Back up now, Verify), or
 * one the scheduler or someone else started (`running`). Viewers see it too.
 */
export function TargetRun({ target, onFinished }: Props) {
  const { state, markFinished } = useOperationsContext();
  const mine = state[refKey(target)];
  const ref = mine?.run ?? (target.running ? { instance: target.running.instance, id: target.running.id } : null);
  const { instance, name } = target;
  const finished = useCallback(
    (run: Run) => {
      markFinished({ instance, name }, { instance: run.instance, id: run.id });
      onFinished?.(run);
    },
    [markFinished, onFinished, instance, name]
  );
  const { run, error } = useRun(ref, finished);
  return (
    <>
      {run && <RunProgress run={run} />}
      {error && !run && <ServiceErrorAlert error={error} action="Following the run" severity="warning" />}
    </>
  );
}
