import { backupSla, type RunsQuery } from '../api/client';
import type { GetRuns } from '../api/types';
import { useResource } from './useResource';

/** Run history, newest first, filtered by the service. */
export function useRuns(query: RunsQuery = {}) {
  const key = `runs:${query.target ?? ''}:${query.operation ?? ''}:${query.status?.join(',') ?? ''}:${query.since ?? ''}:${query.limit ?? ''}`;
  return useResource<GetRuns>(key, () => backupSla.getRuns(query));
}
