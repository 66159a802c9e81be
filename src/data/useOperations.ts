import { createContext, useCallback, useContext, useState } from 'react';
import { backupSla } from '../api/client';
import { ServiceError, toServiceError } from '../api/errors';
import { addressOf, RunRef, refKey, TargetRef } from '../utils/lab';
import { useLab } from './useLab';

export type StartableOperation = 'backup' | 'verify';

/** What the page knows about an operation started from it on one target. */
export interface OperationState {
  operation: StartableOperation;
  /** Set once the service has accepted it (202): the run, on the instance running it. */
  run: RunRef | null;
  starting: boolean;
  /** The run has ended (the page follows it and says so). */
  finished?: boolean;
  error?: ServiceError;
}

export interface Operations {
  /** By target of the lab (refKey: `<instance>/<name>`). */
  state: Record<string, OperationState | undefined>;
  /** Starts a backup or a verification (of `snapshot`, else the latest) of a target (a peer's: on the peer). */
  start: (target: TargetRef, operation: StartableOperation, snapshot?: string) => Promise<void>;
  dismissError: (key: string) => void;
  markFinished: (target: TargetRef, run: RunRef) => void;
}

/** Back up now / Verify for a page: one operation per target at a time, as the service allows. */
export function useOperations(): Operations {
  const { self } = useLab();
  const [state, setState] = useState<Record<string, OperationState | undefined>>({});

  const start = useCallback(
    async (target: TargetRef, operation: StartableOperation, snapshot?: string) => {
      const key = refKey(target);
      const address = addressOf(target, self);
      setState((s) => ({ ...s, [key]: { operation, run: null, starting: true } }));
      try {
        const accepted =
          operation === 'backup'
            ? await backupSla.startBackup(address)
            : await backupSla.startVerify(address, snapshot);
        // The run is numbered by the instance running it (a peer's, for a peer's target).
        const run = { instance: accepted.instance ?? target.instance, id: accepted.runId };
        setState((s) => ({ ...s, [key]: { operation, run, starting: false } }));
      } catch (err) {
        setState((s) => ({ ...s, [key]: { operation, run: null, starting: false, error: toServiceError(err) } }));
      }
    },
    [self]
  );

  const dismissError = useCallback((key: string) => {
    setState((s) => {
      const current = s[key];
      return current?.error ? { ...s, [key]: undefined } : s;
    });
  }, []);

  const markFinished = useCallback((target: TargetRef, run: RunRef) => {
    const key = refKey(target);
    setState((s) => {
      const current = s[key];
      return current?.run && current.run.id === run.id && current.run.instance === run.instance && !current.finished
        ? { ...s, [key]: { ...current, finished: true } }
        : s;
    });
  }, []);

  return { state, start, dismissError, markFinished };
}

/** True while an operation on the target is being started or runs (here or elsewhere). */
export function isBusy(state: OperationState | undefined, running: unknown): boolean {
  return Boolean(state?.starting || (state?.run && !state.finished) || running);
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
