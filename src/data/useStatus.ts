import { backupSla } from '../api/client';
import type { GetStatus } from '../api/types';
import { useResource } from './useResource';

/** SLA state of every target and the services covered by another target; refreshed every 30 s. */
export function useStatus(refreshMs = 30_000) {
  return useResource<GetStatus>('status', () => backupSla.getStatus(), refreshMs);
}
