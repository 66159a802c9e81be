/** Test helpers for the Grafana driver: the fake Grafana, and reading what it holds through its HTTP API. */
import { GrafanaFake } from './grafana-fake/server';

export const GRAFANA_TOKEN = 'glsa_backupSlaTest_5c81e0f2a9d4b7361e0c';

export async function grafanaApi(
  fake: GrafanaFake,
  method: string,
  p: string,
  body?: unknown
): Promise<{ status: number; body: any }> {
  const res = await fetch(fake.url + p, {
    method,
    headers: { authorization: `Bearer ${fake.state.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * What Grafana holds, as a person would compare it: folders, dashboards (title, folder, panels),
 * data sources, alert rules. Versions and ids are left out: a restore writes new versions.
 */
export async function readGrafana(fake: GrafanaFake): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const f of (await grafanaApi(fake, 'GET', '/api/folders?limit=1000')).body) {
    const full = (await grafanaApi(fake, 'GET', `/api/folders/${f.uid}`)).body;
    out[`folder ${f.uid}`] = [full.title, full.parentUid ?? null];
  }
  for (const hit of (await grafanaApi(fake, 'GET', '/api/search?type=dash-db&limit=1000')).body) {
    const d = (await grafanaApi(fake, 'GET', `/api/dashboards/uid/${hit.uid}`)).body;
    out[`dashboard ${hit.uid}`] = [d.dashboard.title, d.meta.folderUid ?? '', d.dashboard.panels ?? []];
  }
  for (const ds of (await grafanaApi(fake, 'GET', '/api/datasources')).body) {
    out[`datasource ${ds.uid}`] = [ds.name, ds.type, ds.url ?? ''];
  }
  for (const r of (await grafanaApi(fake, 'GET', '/api/v1/provisioning/alert-rules')).body) {
    out[`alert rule ${r.uid}`] = [r.title, r.folderUID, r.ruleGroup];
  }
  return out;
}
