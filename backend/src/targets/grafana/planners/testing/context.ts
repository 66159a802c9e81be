/**
 * A plan context for the planners' own tests: the live Grafana and the backup as plain objects.
 * Planners are pure over them; the client is only used by `apply`, which these tests never run
 * (the restore tests in targets/grafana.test.ts apply plans against the Grafana fake).
 */
import { GrafanaClient } from '../../client';
import type { GrafanaExport } from '../../export';
import { Live, PlanContext, planContext } from '../context';

export function liveOf(partial: Partial<Live> = {}): Live {
  return {
    folders: new Map(),
    dashboardHits: new Map(),
    datasources: [],
    libraryPanels: [],
    alertRules: new Map(),
    contactPoints: [],
    muteTimings: new Map(),
    templates: new Map(),
    policies: null,
    ...partial,
  };
}

export function backupOf(partial: Partial<GrafanaExport> = {}): GrafanaExport {
  return {
    folders: [],
    dashboards: [],
    datasources: [],
    libraryPanels: [],
    alertRules: [],
    alertRuleGroups: [],
    contactPoints: [],
    muteTimings: [],
    templates: [],
    policies: null,
    ...partial,
  };
}

export function contextOf(
  options: { live?: Partial<Live>; backup?: Partial<GrafanaExport>; force?: boolean } = {}
): PlanContext {
  // Port 9 (discard): nothing answers there; a test that applied would fail loudly.
  const client = new GrafanaClient('http://127.0.0.1:9', 'unused-token', { timeoutMs: 1000 });
  return planContext(client, liveOf(options.live), backupOf(options.backup), { force: options.force });
}

/** An item as the tests compare it: what a person reads, without the apply function. */
export function shown(item: { action: string; reason?: string; human?: string; apply?: unknown }) {
  return {
    action: item.action,
    ...(item.reason !== undefined ? { reason: item.reason } : {}),
    ...(item.human !== undefined ? { human: item.human } : {}),
    applies: typeof item.apply === 'function',
  };
}
