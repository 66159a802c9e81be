import { PLUGIN_BASE_URL, ROUTES } from '../constants';

/** Prefixes an app route with the app's base URL. */
export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}

export function targetUrl(target: string): string {
  return prefixRoute(`${ROUTES.Target}/${encodeURIComponent(target)}`);
}

/** The target page with the restore dialog open on the newest verified snapshot. */
export function restoreUrl(target: string, snapshot = 'latest'): string {
  return `${targetUrl(target)}?restore=${encodeURIComponent(snapshot)}`;
}

/** The provisioned Backup SLA dashboard (uid backup-sla), optionally on one target. */
export function dashboardUrl(target?: string): string {
  return target ? `/d/backup-sla?var-target=${encodeURIComponent(target)}` : '/d/backup-sla';
}

/** Grafana's alert rule list, on the provisioned rule group (provisioning/alerting: group backup-sla). */
export function alertRulesUrl(target?: string): string {
  const search = target ? `group:backup-sla label:target=${target}` : 'group:backup-sla';
  return `/alerting/list?search=${encodeURIComponent(search)}`;
}
