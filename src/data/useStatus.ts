import { backupSla } from '../api/client';
import type { GetStatus } from '../api/types';
import { useResource } from './useResource';

/**
 * SLA state of every target of the lab and the services covered by another target; refreshed every
 * 30 s (0: never). `enabled` false loads nothing.
 */
export function useStatus(refreshMs = 30_000, enabled = true) {
  return useResource<GetStatus>(enabled ? 'status' : null, () => backupSla.getStatus(), refreshMs);
}
