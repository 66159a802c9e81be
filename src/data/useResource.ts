import { useCallback, useEffect, useRef, useState } from 'react';
import { toServiceError, ServiceError } from '../api/errors';

export interface Resource<T> {
  data: T | undefined;
  error: ServiceError | undefined;
  /** True until the first answer (or error) arrives; reloads keep the previous data on screen. */
  loading: boolean;
  reload: () => void;
}

/**
 * Loads one thing from the service. `key` says what is loaded: when it changes, the thing is loaded
 * again. With `refreshMs` it is reloaded in the background, keeping what is shown until the answer comes.
 */
export function useResource<T>(key: string | null, load: () => Promise<T>, refreshMs?: number): Resource<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: ServiceError; done: boolean }>({
    key,
    done: false,
  });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  // Always load with the latest `load`, without making it a reason to load again (that is `key`).
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    if (key === null) {
      return;
    }
    let cancelled = false;
    loadRef.current().then(
      (data) => !cancelled && setState({ key, data, done: true }),
      (err) =>
        !cancelled &&
        setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: toServiceError(err), done: true }))
    );
    return () => {
      cancelled = true;
    };
  }, [key, generation]);

  useEffect(() => {
    if (!refreshMs || key === null) {
      return;
    }
    const timer = setInterval(() => setGeneration((g) => g + 1), refreshMs);
    return () => clearInterval(timer);
  }, [key, refreshMs]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: key !== null && (!current || !state.done),
    reload,
  };
}
