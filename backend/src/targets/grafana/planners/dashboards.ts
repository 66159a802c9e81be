/**
 * Dashboards, by uid only: a dashboard of the same title in the folder is another dashboard
 * (Grafana 11.3+). Grafana refuses API saves of a dashboard provisioned from a file: its file is
 * what a person restores. An update sends the live version, so that Grafana refuses (412) a save
 * made in between; force overwrites.
 */
import type { JsonObject } from '../client';
import { DashboardObject, sameJson } from '../export';
import type { PlanContext } from './context';
import { decide, enc, errorItem, newerVersion, PlanItem, Provisioned, without } from './decide';

/** A dashboard as Grafana answers `GET /api/dashboards/uid/<uid>`. */
export interface LiveDashboard {
  dashboard: JsonObject;
  meta: JsonObject;
}

const model = (d: JsonObject) => without(d, ['id', 'version']);

function provisioned(b: DashboardObject, current: LiveDashboard | null): Provisioned | null {
  if (!b.meta.provisioned && current?.meta.provisioned !== true) {
    return null;
  }
  const file = b.meta.provisionedExternalId || String(current?.meta.provisionedExternalId ?? '');
  return {
    reason: current
      ? 'provisioned from a file: Grafana refuses to save it through the API'
      : 'was provisioned from a file and is gone from Grafana',
    human: `restore its provisioning file${file ? ` ${file}` : ''} (Ansible)`,
  };
}

export function planDashboard(ctx: PlanContext, b: DashboardObject, current: LiveDashboard | null): PlanItem {
  const uid = String(b.dashboard.uid);
  const title = String(b.dashboard.title ?? uid);
  const folder = ctx.folders.target(b.meta.folderUid);
  const where = folder !== undefined ? ctx.folders.name(folder) : b.meta.folderTitle || b.meta.folderUid;
  const base = { kind: 'dashboard' as const, key: uid, name: `${where}/${title}` };
  if (folder === undefined) {
    return errorItem(base, ctx.folders.missing(b.meta.folderUid));
  }
  const client = ctx.client;
  const liveVersion = current ? Number(current.meta.version ?? current.dashboard.version ?? 0) : 0;
  return decide(
    base,
    {
      exists: current !== null,
      same:
        current !== null &&
        String(current.meta.folderUid ?? '') === folder &&
        sameJson(model(current.dashboard), model(b.dashboard)),
      provisioned: provisioned(b, current),
      newer: newerVersion(liveVersion, b.meta.version),
      force: ctx.force,
    },
    {
      apply: async () => {
        await client.request('POST', '/api/dashboards/db', {
          // The live version makes Grafana refuse (412) if someone saved in between; force overwrites.
          dashboard: current
            ? { ...model(b.dashboard), id: current.dashboard.id ?? null, version: liveVersion }
            : { ...model(b.dashboard), id: null },
          folderUid: folder,
          overwrite: current ? ctx.force : false,
          message: ctx.message,
        });
      },
    }
  );
}

export async function planDashboards(ctx: PlanContext): Promise<PlanItem[]> {
  const items: PlanItem[] = [];
  for (const b of ctx.backup.dashboards) {
    const uid = String(b.dashboard.uid);
    const current = ctx.live.dashboardHits.has(uid)
      ? await ctx.client.getOptional<LiveDashboard>(`/api/dashboards/uid/${enc(uid)}`)
      : null;
    items.push(planDashboard(ctx, b, current));
  }
  return items;
}
