import { backupSla } from '../api/client';
import type { GetTarget } from '../api/types';
import { useResource } from './useResource';

export function useTarget(address: string, refreshMs = 30_000) {
  return useResource<GetTarget>(`target:${address}`, () => backupSla.getTarget(address), refreshMs);
}
