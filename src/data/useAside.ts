import { backupSla } from '../api/client';
import type { GetAside } from '../api/types';
import { useResource } from './useResource';

/** What restores moved aside (kept, never deleted by the restore) and is still there. */
export function useAside() {
  return useResource<GetAside>('aside', () => backupSla.getAside());
}
