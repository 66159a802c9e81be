import { backupSla } from '../api/client';
import type { GetSnapshots } from '../api/types';
import { useResource } from './useResource';

export function useSnapshots(address: string) {
  return useResource<GetSnapshots>(`snapshots:${address}`, () => backupSla.getSnapshots(address));
}
