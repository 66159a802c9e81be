import { OrgRole } from '@grafana/data';
import { config } from '@grafana/runtime';

/**
 * Signs the test user in with this org role. 'GrafanaAdmin' is a Grafana server admin whose role in
 * the org is Viewer: the proxy (and so the app) treats them as a Viewer.
 */
export function setRole(role: 'Admin' | 'Editor' | 'Viewer' | 'GrafanaAdmin') {
  const user = config.bootData.user;
  user.isGrafanaAdmin = role === 'GrafanaAdmin';
  user.orgRole = role === 'GrafanaAdmin' ? OrgRole.Viewer : OrgRole[role];
}
