import { backupSla } from '../api/client';
import type { GetSnapshots } from '../api/types';
import { useResource } from './useResource';

export function useSnapshots(target: string) {
  return useResource<GetSnapshots>(`snapshots:${target}`, () => backupSla.getSnapshots(target));
}
