import { backupSla, type RunsQuery } from '../api/client';
import type { GetRuns } from '../api/types';
import { useResource } from './useResource';

/** Run history, newest first. */
export function useRuns(query: RunsQuery = {}) {
  const key = `runs:${query.target ?? ''}:${query.operation ?? ''}:${query.limit ?? ''}`;
  return useResource<GetRuns>(key, () => backupSla.getRuns(query));
}
