import { backupSla } from '../api/client';
import type { GetAudit } from '../api/types';
import { useResource } from './useResource';

export function useAudit(limit = 200) {
  return useResource<GetAudit>(`audit:${limit}`, () => backupSla.getAudit(limit));
}
