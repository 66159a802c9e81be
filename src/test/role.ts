import { OrgRole } from '@grafana/data';
import { config } from '@grafana/runtime';

/** Signs the test user in with this org role (Grafana server admin when 'GrafanaAdmin'). */
export function setRole(role: 'Admin' | 'Editor' | 'Viewer' | 'GrafanaAdmin') {
  const user = config.bootData.user;
  user.isGrafanaAdmin = role === 'GrafanaAdmin';
  user.orgRole = role === 'GrafanaAdmin' ? OrgRole.Viewer : OrgRole[role];
}
