/**
 * The driver conformance suite for kind grafana, against the fake Grafana HTTP API (Grafana itself
 * cannot be installed here). Grafana objects cannot be moved aside: what a restore replaces is
 * kept in the safety snapshot; objects changed after the backup are replaced only with force.
 */
import { conformance } from './testing/conformance';
import { GrafanaFake, startGrafanaFake } from '../test/grafana-fake/server';
import { seededState } from '../test/grafana-fake/seed';
import { GRAFANA_TOKEN, grafanaApi, readGrafana } from '../test/grafana';
import { freePort } from './tools';

let fake: GrafanaFake;
let closed = 0;
let changes = 0;

conformance<Record<string, unknown>>({
  kind: 'grafana',
  create: async () => {
    fake = await startGrafanaFake({ state: seededState(GRAFANA_TOKEN, 'demo') });
    closed = await freePort();
  },
  destroy: async () => {
    await fake?.close();
  },
  target: () => ({ kind: 'grafana', connection: { url: fake.url, tokenFile: './grafana.token' } }),
  files: { 'grafana.token': GRAFANA_TOKEN },
  unreachable: (t) => ({ ...t, connection: { ...(t.connection as object), url: `http://127.0.0.1:${closed}` } }),
  secrets: [GRAFANA_TOKEN],
  read: () => readGrafana(fake),
  change: async () => {
    changes += 1;
    const { body: cur } = await grafanaApi(fake, 'GET', '/api/dashboards/uid/lab-home');
    const saved = await grafanaApi(fake, 'POST', '/api/dashboards/db', {
      dashboard: { ...cur.dashboard, title: `Home (changed ${changes})` },
      folderUid: cur.meta.folderUid,
      overwrite: true,
    });
    expect(saved.status).toBe(200);
  },
  tamper: (m) => ({ ...m, counts: { ...(m.counts as object), dashboards: 6 } }),
  aside: { kind: 'safety-snapshot', force: true },
});
