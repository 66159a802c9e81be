/**
 * Restore as a plan first, then apply. The plan compares every backed-up object with the live
 * Grafana and decides, per object, identified by uid only (since Grafana 11.3 dashboard and folder
 * titles need not be unique): create, update, unchanged, skipped-newer (the live object changed
 * after the backup: kept unless `force`), skipped-provisioned (Grafana refuses API changes to
 * file-provisioned objects: restore their file), or error (the apply would fail; nothing is
 * applied while the plan has errors). Verification computes the same plan without applying it.
 *
 * One small planner per kind of object (planners/<kind>.ts), all deciding through one step
 * (planners/decide.ts). The plan's order is the apply order, the dependency order: folders
 * (parents first), data sources, library panels, dashboards, then alerting: templates, contact
 * points, mute timings, alert rules (and their group intervals), and the notification policy tree
 * last, since it names contact points and mute timings. Alerting objects are written with
 * `X-Disable-Provenance: true` so that they stay editable in the UI (alerting_provisioning.md).
 */
import { isUnavailable } from '../../util/errors';
import { GrafanaClient, GrafanaError } from './client';
import type { GrafanaExport } from './export';
import { planAlertRules } from './planners/alert-rules';
import { planContactPoints } from './planners/contact-points';
import { planContext, readLive } from './planners/context';
import { planDashboards } from './planners/dashboards';
import { planDatasources } from './planners/datasources';
import type { Action, PlanItem } from './planners/decide';
import { planFolders } from './planners/folders';
import { planLibraryPanels } from './planners/library-panels';
import { planMuteTimings } from './planners/mute-timings';
import { planPolicies } from './planners/policies';
import { planTemplates } from './planners/templates';

export type { Action, ObjectKind, PlanItem } from './planners/decide';

export interface Plan {
  items: PlanItem[];
  errors: PlanItem[];
  /** Backed-up folder uid → live folder uid that its objects go to. */
  folderMap: Map<string, string>;
}

export interface PlanOptions {
  force?: boolean;
  /** Written into dashboard version history. */
  message?: string;
}

export async function planRestore(
  client: GrafanaClient,
  backup: GrafanaExport,
  options: PlanOptions = {}
): Promise<Plan> {
  const ctx = planContext(client, await readLive(client), backup, options);
  // In apply order; folders first: the others read where their folder goes.
  const items = [
    ...planFolders(ctx),
    ...(await planDatasources(ctx)),
    ...planLibraryPanels(ctx),
    ...(await planDashboards(ctx)),
    ...planTemplates(ctx),
    ...planContactPoints(ctx),
    ...planMuteTimings(ctx),
    ...(await planAlertRules(ctx)),
    ...planPolicies(ctx),
  ];
  return { items, errors: items.filter((i) => i.action === 'error'), folderMap: ctx.folders.map };
}

// --- presenting and applying ----------------------------------------------------------------------

const ORDER: Action[] = ['create', 'update', 'unchanged', 'skipped-newer', 'skipped-provisioned', 'error'];

export function summary(plan: Plan): string {
  const counts = new Map<Action, number>();
  for (const i of plan.items) {
    counts.set(i.action, (counts.get(i.action) ?? 0) + 1);
  }
  const parts = ORDER.filter((a) => a !== 'error' && counts.get(a)).map((a) => `${counts.get(a)} ${a}`);
  return `${parts.join(', ') || 'nothing to restore'}; ${plan.errors.length} error${plan.errors.length === 1 ? '' : 's'}`;
}

/** The plan as text: one line per object that needs attention, then what a person must do. */
export function renderPlan(plan: Plan, options: { all?: boolean } = {}): string {
  const lines = [`plan: ${summary(plan)}`];
  for (const i of plan.items) {
    if (!options.all && i.action === 'unchanged') {
      continue;
    }
    lines.push(
      `  ${i.action.padEnd(19)} ${i.kind} ${i.name}${i.key !== i.name ? ` (${i.key})` : ''}${i.reason ? `: ${i.reason}` : ''}`
    );
  }
  const humans = plan.items.filter((i) => i.human);
  if (humans.length) {
    lines.push('needs a human:');
    for (const i of humans) {
      lines.push(`  ${i.kind} ${i.name}: ${i.human}`);
    }
  }
  return lines.join('\n');
}

export interface ApplyResult {
  applied: PlanItem[];
  failed: Array<{ item: PlanItem; error: string }>;
}

/** Performs the plan's changes in order. A failed change is reported; the others still run. */
export async function applyPlan(plan: Plan, onStep: (item: PlanItem) => void = () => undefined): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], failed: [] };
  for (const item of plan.items) {
    if (!item.apply) {
      continue;
    }
    onStep(item);
    try {
      await item.apply();
      result.applied.push(item);
    } catch (e) {
      const msg =
        e instanceof GrafanaError && e.grafanaStatus === 'version-mismatch'
          ? `${e.message} (changed during the restore)`
          : (e as Error).message;
      result.failed.push({ item, error: msg });
      if (isUnavailable(e) || (e instanceof GrafanaError && e.status === 401)) {
        break; // Grafana went away or the token was revoked: the rest would fail the same way
      }
    }
  }
  return result;
}
