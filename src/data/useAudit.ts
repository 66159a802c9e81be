import { backupSla, type AuditQuery } from '../api/client';
import type { GetAudit } from '../api/types';
import { useResource } from './useResource';

/** The audit log, newest first, filtered by the service. */
export function useAudit(query: AuditQuery = {}) {
  const key = `audit:${query.status?.join(',') ?? ''}:${query.since ?? ''}:${query.limit ?? ''}`;
  return useResource<GetAudit>(key, () => backupSla.getAudit(query));
}
