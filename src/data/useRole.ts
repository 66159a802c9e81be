import { config } from '@grafana/runtime';

export type GrafanaRole = 'Admin' | 'Editor' | 'Viewer' | 'None';

/**
 * The signed-in user's role in this organisation. Only the org role counts: Grafana's plugin proxy
 * decides route access by it, so a Grafana server admin who is an org Viewer is a Viewer here
 * (offering them Back up or Restore would only end in a 403 from the proxy).
 */
export function getGrafanaRole(): GrafanaRole {
  const user = config.bootData?.user;
  switch (user?.orgRole) {
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
  /** Restores and removing what restores moved aside: Admins only (routes `api/restores*`, POST, reqRole Admin). */
  canRestore: boolean;
}

/** Why an action is not offered, in the words the disabled control shows. */
export const NEEDS = {
  operate: 'Backups and verifications need the Editor role',
  restore: 'Restores need the Admin role',
  removeAside: 'Removing what a restore moved aside needs the Admin role',
} as const;

export function permissionsOf(role: GrafanaRole): Permissions {
  return { role, canOperate: role === 'Admin' || role === 'Editor', canRestore: role === 'Admin' };
}

export function useRole(): Permissions {
  return permissionsOf(getGrafanaRole());
}
