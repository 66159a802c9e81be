/**
 * Alert rules, by uid, in their folder (rules need one: never General), and then the evaluation
 * interval of each rule group: a group comes into being with its first rule (at Grafana's default
 * interval), so its interval is set after its rules. A rule that queries a data source neither in
 * the backup nor in Grafana would not save: an error.
 */
import type { Json } from '../../types';
import type { JsonObject } from '../client';
import { RuleGroupObject, sameJson } from '../export';
import type { PlanContext } from './context';
import { knownDatasources } from './datasources';
import { byProvenance, decide, enc, errorItem, newerUpdate, NO_PROVENANCE, PlanItem, without } from './decide';

/** What Grafana sets itself (never compared, never sent). */
const VOLATILE = ['id', 'updated', 'provenance', 'orgID'];
/** Query data source uids that are expressions, not data sources. */
const EXPRESSIONS = ['__expr__', '-100'];

export function planAlertRule(
  ctx: PlanContext,
  r: JsonObject,
  current: JsonObject | null,
  datasources: Set<string>
): PlanItem {
  const uid = String(r.uid);
  const base = { kind: 'alert rule' as const, key: uid, name: String(r.title ?? uid) };
  const folder = ctx.folders.target(String(r.folderUID));
  if (!folder) {
    return errorItem(base, folder === '' ? 'alert rules need a folder' : ctx.folders.missing(String(r.folderUID)));
  }
  const unknown = (Array.isArray(r.data) ? (r.data as JsonObject[]) : [])
    .map((q) => String(q.datasourceUid ?? ''))
    .filter((ds) => ds && !EXPRESSIONS.includes(ds) && !datasources.has(ds));
  if (unknown.length) {
    return errorItem(
      base,
      `queries data source ${[...new Set(unknown)].join(', ')}, which is neither in the backup nor in Grafana`
    );
  }
  const body: JsonObject = { ...without(r, VOLATILE), folderUID: folder };
  const client = ctx.client;
  return decide(
    base,
    {
      exists: current !== null,
      same: current !== null && sameJson(without(current, VOLATILE), body),
      provisioned: byProvenance(current),
      newer: current ? newerUpdate(String(current.updated ?? ''), String(r.updated ?? '')) : null,
      force: ctx.force,
    },
    {
      apply: async () =>
        void (await (current
          ? client.request('PUT', `/api/v1/provisioning/alert-rules/${enc(uid)}`, body, NO_PROVENANCE)
          : client.request('POST', '/api/v1/provisioning/alert-rules', body, NO_PROVENANCE))),
    }
  );
}

/** A rule group's evaluation interval, against the live group (null: it comes with its first rule). */
export function planRuleGroup(
  ctx: PlanContext,
  g: RuleGroupObject,
  folder: string,
  current: JsonObject | null
): PlanItem {
  const path = `/api/v1/provisioning/folder/${enc(folder)}/rule-groups/${enc(g.title)}`;
  const liveInterval = current ? Number(current.interval ?? 0) : null;
  const client = ctx.client;
  return decide(
    { kind: 'rule group', key: `${folder}/${g.title}`, name: `${ctx.folders.name(folder)}/${g.title}` },
    // Its rules decide whether it is newer; the interval alone is restored as it was.
    { exists: current !== null, same: liveInterval === g.interval, force: ctx.force },
    {
      reason: current
        ? `evaluation interval ${liveInterval} s → ${g.interval} s`
        : `evaluation interval ${g.interval} s`,
      apply: async () => {
        // Send the group's rules as they are now, so that only the interval changes.
        const now = await client.get<JsonObject>(path);
        await client.request('PUT', path, { ...now, interval: g.interval } as Json, NO_PROVENANCE);
      },
    }
  );
}

export async function planAlertRules(ctx: PlanContext): Promise<PlanItem[]> {
  const datasources = knownDatasources(ctx);
  const items: PlanItem[] = [];
  const groupsWithRules = new Set<string>();
  for (const r of ctx.backup.alertRules) {
    const item = planAlertRule(ctx, r, ctx.live.alertRules.get(String(r.uid)) ?? null, datasources);
    if (item.action !== 'error') {
      groupsWithRules.add(`${ctx.folders.target(String(r.folderUID))}\u0000${r.ruleGroup}`);
    }
    items.push(item);
  }
  for (const g of ctx.backup.alertRuleGroups) {
    const folder = ctx.folders.target(g.folderUid);
    if (!folder || !groupsWithRules.has(`${folder}\u0000${g.title}`)) {
      continue; // its rules are in error, reported there
    }
    const current = await ctx.client.getOptional<JsonObject>(
      `/api/v1/provisioning/folder/${enc(folder)}/rule-groups/${enc(g.title)}`
    );
    items.push(planRuleGroup(ctx, g, folder, current));
  }
  return items;
}
