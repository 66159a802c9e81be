import { createContext, useCallback, useContext, useState } from 'react';
import { backupSla } from '../api/client';
import { ServiceError, toServiceError } from '../api/errors';

export type StartableOperation = 'backup' | 'verify';

/** What the page knows about an operation started from it on one target. */
export interface OperationState {
  operation: StartableOperation;
  /** Set once the service has accepted it (202). */
  runId: number | null;
  starting: boolean;
  /** The run has ended (the page follows it and says so). */
  finished?: boolean;
  error?: ServiceError;
}

export interface Operations {
  state: Record<string, OperationState | undefined>;
  /** Starts a backup or a verification (of `snapshot`, else the latest) on `target`. */
  start: (target: string, operation: StartableOperation, snapshot?: string) => Promise<void>;
  dismissError: (target: string) => void;
  markFinished: (target: string, runId: number) => void;
}

/** Back up now / Verify for a page: one operation per target at a time, as the service allows. */
export function useOperations(): Operations {
  const [state, setState] = useState<Record<string, OperationState | undefined>>({});

  const start = useCallback(async (target: string, operation: StartableOperation, snapshot?: string) => {
    setState((s) => ({ ...s, [target]: { operation, runId: null, starting: true } }));
    try {
      const accepted =
        operation === 'backup' ? await backupSla.startBackup(target) : await backupSla.startVerify(target, snapshot);
      setState((s) => ({ ...s, [target]: { operation, runId: accepted.runId, starting: false } }));
    } catch (err) {
      setState((s) => ({ ...s, [target]: { operation, runId: null, starting: false, error: toServiceError(err) } }));
    }
  }, []);

  const dismissError = useCallback((target: string) => {
    setState((s) => {
      const current = s[target];
      return current?.error ? { ...s, [target]: undefined } : s;
    });
  }, []);

  const markFinished = useCallback((target: string, runId: number) => {
    setState((s) => {
      const current = s[target];
      return current && current.runId === runId && !current.finished
        ? { ...s, [target]: { ...current, finished: true } }
        : s;
    });
  }, []);

  return { state, start, dismissError, markFinished };
}

/** True while an operation on the target is being started or runs (here or elsewhere). */
export function isBusy(state: OperationState | undefined, running: unknown): boolean {
  return Boolean(state?.starting || (state?.runId && !state.finished) || running);
}

const noOperations: Operations = {
  state: {},
  start: async () => undefined,
  dismissError: () => undefined,
  markFinished: () => undefined,
};

export const OperationsContext = createContext<Operations>(noOperations);

export function useOperationsContext(): Operations {
  return useContext(OperationsContext);
}
