import { backupSla } from '../api/client';
import type { GetRestores } from '../api/types';
import { useResource } from './useResource';

export function useRestores() {
  return useResource<GetRestores>('restores', () => backupSla.getRestores());
}
