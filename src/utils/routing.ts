import { PLUGIN_BASE_URL, ROUTES } from '../constants';
import type { TargetRef } from './lab';

/** Prefixes an app route with the app's base URL. */
export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}

/** A target's page by its address: `target/mysql`, or `target/mon1/prometheus` for a peer's. */
export function targetUrl(address: string): string {
  return prefixRoute(`${ROUTES.Target}/${address.split('/').map(encodeURIComponent).join('/')}`);
}

/** The target page with the restore dialog open on the newest verified snapshot. */
export function restoreUrl(address: string, snapshot = 'latest'): string {
  return `${targetUrl(address)}?restore=${encodeURIComponent(snapshot)}`;
}

/**
 * The provisioned Backup SLA dashboard (uid backup-sla), optionally on one target; in a lab of
 * several instances also on its instance (the dashboard's Instance variable).
 */
export function dashboardUrl(target?: TargetRef, multi = false): string {
  if (!target) {
    return '/d/backup-sla';
  }
  const instance = multi ? `&var-instance=${encodeURIComponent(target.instance)}` : '';
  return `/d/backup-sla?var-target=${encodeURIComponent(target.name)}${instance}`;
}

/** Grafana's alert rule list, on the provisioned rule group (provisioning/alerting: group backup-sla). */
export function alertRulesUrl(target?: TargetRef, multi = false): string {
  const labels = target ? ` label:target=${target.name}${multi ? ` label:instance=${target.instance}` : ''}` : '';
  return `/alerting/list?search=${encodeURIComponent(`group:backup-sla${labels}`)}`;
}
