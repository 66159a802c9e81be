import { useEffect, useRef, useState } from 'react';
import { backupSla } from '../api/client';
import { ServiceError, toServiceError } from '../api/errors';
import type { Run } from '../api/types';
import { RUN_POLL_INTERVAL_MS } from '../constants';
import { RunRef, runKey } from '../utils/lab';

export interface RunState {
  run: Run | undefined;
  error: ServiceError | undefined;
}

/**
 * Follows one run of the lab (run ids are numbered per instance): polls GET api/runs/:instance/:id
 * every second while it is running, stops when it has finished and then calls `onFinished` once.
 * While the service is unreachable it keeps trying, more slowly; any other error stops the polling.
 */
export function useRun(ref: RunRef | null | undefined, onFinished?: (run: Run) => void): RunState {
  const [state, setState] = useState<RunState & { id?: string | null }>({ run: undefined, error: undefined });
  const key = ref ? runKey(ref) : null;
  const instance = ref?.instance;
  const runId = ref?.id;
  const onFinishedRef = useRef(onFinished);
  useEffect(() => {
    onFinishedRef.current = onFinished;
  });

  useEffect(() => {
    if (key === null || instance === undefined || runId === undefined) {
      return;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const run = await backupSla.getRun({ instance, id: runId });
        if (cancelled) {
          return;
        }
        setState({ id: key, run, error: undefined });
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
        setState((s) => ({ id: key, run: s.id === key ? s.run : undefined, error }));
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
  }, [key, instance, runId]);

  if (key === null || state.id !== key) {
    return { run: undefined, error: undefined };
  }
  return { run: state.run, error: state.error };
}
