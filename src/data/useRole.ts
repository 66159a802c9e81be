import { config } from '@grafana/runtime';

export type GrafanaRole = 'Admin' | 'Editor' | 'Viewer' | 'None';

/** The signed-in user's role in this org; Grafana server admins count as Admin. */
export function getGrafanaRole(): GrafanaRole {
  const user = config.bootData?.user;
  if (!user) {
    return 'None';
  }
  if (user.isGrafanaAdmin) {
    return 'Admin';
  }
  switch (user.orgRole) {
    case 'Admin':
    case 'Editor':
    case 'Viewer':
      return user.orgRole;
    default:
      return 'None';
  }
}

export interface Permissions {
  role: GrafanaRole;
  /** Back up now / Verify: Editors and Admins (route `api/*`, POST, reqRole Editor). */
  canOperate: boolean;
  /** Restores: Admins only (route `api/restores`, POST, reqRole Admin). */
  canRestore: boolean;
}

export function useRole(): Permissions {
  const role = getGrafanaRole();
  return { role, canOperate: role === 'Admin' || role === 'Editor', canRestore: role === 'Admin' };
}
