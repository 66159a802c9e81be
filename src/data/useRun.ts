import { useEffect, useRef, useState } from 'react';
import { backupSla } from '../api/client';
import { ServiceError, toServiceError } from '../api/errors';
import type { Run } from '../api/types';
import { RUN_POLL_INTERVAL_MS } from '../constants';

export interface RunState {
  run: Run | undefined;
  error: ServiceError | undefined;
}

/**
 * Follows one run: polls GET api/runs/:id every second while it is running, stops when it has
 * finished and then calls `onFinished` once. While the service is unreachable it keeps trying, more
 * slowly; any other error stops the polling.
 */
export function useRun(runId: number | null | undefined, onFinished?: (run: Run) => void): RunState {
  const [state, setState] = useState<RunState & { id?: number | null }>({ run: undefined, error: undefined });
  const onFinishedRef = useRef(onFinished);
  useEffect(() => {
    onFinishedRef.current = onFinished;
  });

  useEffect(() => {
    if (runId === null || runId === undefined) {
      return;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const run = await backupSla.getRun(runId);
        if (cancelled) {
          return;
        }
        setState({ id: runId, run, error: undefined });
        if (run.status === 'running') {
          timer = setTimeout(poll, RUN_POLL_INTERVAL_MS);
        } else {
          onFinishedRef.current?.(run);
        }
      } catch (err) {
        if (cancelled) {
          return;
        }
        const error = toServiceError(err);
        setState((s) => ({ id: runId, run: s.id === runId ? s.run : undefined, error }));
        if (error.kind === 'unreachable') {
          timer = setTimeout(poll, RUN_POLL_INTERVAL_MS * 5);
        }
      }
    };
    poll();
    return () => {
      cancelled = true;
      if (timer) {
        clearTimeout(timer);
      }
    };
  }, [runId]);

  if (runId === null || runId === undefined || state.id !== runId) {
    return { run: undefined, error: undefined };
  }
  return { run: state.run, error: state.error };
}
