import React, { createContext, ReactNode, useCallback, useContext, useMemo } from 'react';
import type { GetStatus } from '../api/types';
import { addressOf, Lab, labOf, TargetRef, UNKNOWN_LAB } from '../utils/lab';
import type { Resource } from './useResource';
import { useStatus } from './useStatus';

interface LabContextValue {
  lab: Lab;
  /** The whole lab's state (GET api/status), loaded once for every page and refreshed every 30 s. */
  status: Resource<GetStatus> | null;
}

const LabContext = createContext<LabContextValue>({ lab: UNKNOWN_LAB, status: null });

/**
 * The lab the app's pages show: which instance Grafana talks to (its own targets are addressed by
 * name, its peers' as `<instance>/<name>`), every instance with its state, and the status itself,
 * so that the pages share one load instead of asking each on their own.
 */
export function LabProvider({ children }: { children: ReactNode }) {
  const status = useStatus();
  const data = status.data;
  const lab = useMemo(() => labOf(data), [data]);
  const value = useMemo(() => ({ lab, status }), [lab, status]);
  return <LabContext.Provider value={value}>{children}</LabContext.Provider>;
}

export function useLab(): Lab {
  return useContext(LabContext).lab;
}

/** The lab's status as loaded by the LabProvider; outside one (the panel), loaded here. */
export function useLabStatus(): Resource<GetStatus> {
  const shared = useContext(LabContext).status;
  const own = useStatus(0, shared === null);
  return shared ?? own;
}

/** `(target) => its address` for calls and URLs: the name on the instance asked, `<instance>/<name>` on a peer. */
export function useAddress(): (ref: TargetRef) => string {
  const { self } = useLab();
  return useCallback((ref: TargetRef) => addressOf(ref, self), [self]);
}
