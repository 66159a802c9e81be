/**
 * The harness itself plays Grafana faithfully where the browser tests depend on it: the plugin
 * proxy's route matching (Grafana's router tree), what it forwards, how it fails, and the plugin
 * settings API (secrets write-only, Admin-only writes). The upstream here is a recorder, not the
 * service: it only shows what the proxy sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness } from './harness/server.mjs';
import {
  cleanProxyPath,
  joinUrlFragments,
  matchRoutePattern,
  parseProxyUrl,
  selectRoute,
  interpolate,
} from './harness/proxy.mjs';
import { legendName, matrixToFrames, parseDurationMs, rangeQuery } from './harness/server/dataSources.mjs';
import { PROMETHEUS_UID, realGrafana } from './support/grafana';
import type { Lab } from './support/lab';
import { freePort } from './support/lab';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("Grafana's route matching (pkg/web/tree.go, one pattern)", () => {
  it.each([
    ['api/*', '/api/status', { '*': 'status' }],
    ['api/*', '/api/targets/mysql/backup', { '*': 'targets/mysql/backup' }],
    ['api/*', '/api', null],
    ['api/*', '/apis/x', null],
    ['api/restores', '/api/restores', {}],
    ['api/restores', '/api/restores/', {}],
    ['api/restores', '/api/restores/whoami', null],
    ['api/restores', '/api/restoresx', null],
    ['api/restores/*', '/api/restores/whoami', { '*': 'whoami' }],
    ['api/restores/*', '/api/restores/a/b', { '*': 'a/b' }],
    ['api/restores/*', '/api/restores', null],
    ['api/:thing/x', '/api/targets/x', { ':thing': 'targets' }],
    ['', '/', {}],
  ])('%s against %s', (pattern, proxyPath, expected) => {
    expect(matchRoutePattern(pattern, proxyPath)).toEqual(expected);
  });

  it('cleans the proxy path as Go path.Join("/", p) does, and joins url fragments as util.JoinURLFragments', () => {
    expect(cleanProxyPath('api//status/')).toBe('/api/status');
    expect(cleanProxyPath('api/restores/../targets')).toBe('/api/targets');
    expect(cleanProxyPath('')).toBe('/');
    expect(parseProxyUrl('/api/plugin-proxy/my-app/api/status')).toEqual({
      pluginId: 'my-app',
      proxyPath: '/api/status',
    });
    expect(joinUrlFragments('/api', 'status')).toBe('/api/status');
    expect(joinUrlFragments('/api/', '/status')).toBe('/api/status');
    expect(joinUrlFragments('/api', '')).toBe('/api');
  });

  it('stops at the first route that matches method and path, even when the role does not fit', () => {
    const routes = [
      { path: 'api/x', method: 'POST', reqRole: 'Admin', url: 'http://a' },
      { path: 'api/*', method: 'POST', reqRole: 'Editor', url: 'http://b' },
      { path: 'api/*', reqRole: 'Viewer', url: 'http://c' },
    ];
    expect(selectRoute(routes, 'POST', '/api/x', 'Editor')).toMatchObject({ kind: 'forbidden', index: 0 });
    expect(selectRoute(routes, 'POST', '/api/y', 'Editor')).toMatchObject({ kind: 'route', index: 1, rest: 'y' });
    // No method fits everything.
    expect(selectRoute(routes, 'DELETE', '/api/y', 'Viewer')).toMatchObject({ kind: 'route', index: 2 });
    expect(selectRoute(routes, 'GET', '/other', 'Admin')).toEqual({ kind: 'notFound' });
  });

  it('renders templates like text/template: a missing key is "<no value>"', () => {
    const data = { JsonData: { serviceUrl: 'http://s' }, SecureJsonData: { viewerToken: 't' } };
    expect(interpolate('{{ .JsonData.serviceUrl }}/api', data)).toBe('http://s/api');
    expect(interpolate('Bearer {{ .SecureJsonData.adminToken }}', data)).toBe('Bearer <no value>');
    expect(interpolate('{{ .SecureJsonData.adminToken | orEmpty }}', data)).toBe('');
  });
});

describe('the harness server', () => {
  let upstream: http.Server;
  let upstreamUrl: string;
  const seen: Seen[] = [];
  let harness: Awaited<ReturnType<typeof startHarness>>;

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.writeHead(req.url === '/api/teapot' ? 418 : 200, {
          'content-type': 'application/json',
          'set-cookie': 'leak=1',
        });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    harness = await startHarness({
      port: 0,
      serviceUrl: upstreamUrl,
      tokens: { viewer: 'VT', operator: 'OT', admin: 'AT' },
    });
  });

  afterAll(async () => {
    await harness.close();
    await new Promise((r) => upstream.close(r));
  });

  const call = (method: string, path: string, role: string, body?: string) =>
    fetch(`${harness.url}${path}`, {
      method,
      headers: {
        cookie: `grafana_harness_role=${role}; grafana_session=secret-session`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body,
    });

  it('forwards method, path, query and body with the route token and the Grafana user, and no cookies', async () => {
    // A user header from the browser is dropped: only Grafana sets it.
    await fetch(`${harness.url}/api/plugin-proxy/${harness.pluginId}/api/status`, {
      headers: { cookie: 'grafana_harness_role=Viewer', 'x-grafana-user': 'mallory' },
    });
    expect(seen[seen.length - 1].headers['x-grafana-user']).toBe('viewer');
    const res = await call(
      'POST',
      `/api/plugin-proxy/${harness.pluginId}/api/targets/mysql/backup?x=1`,
      'Editor',
      '{"a":1}'
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ method: 'POST', url: '/api/targets/mysql/backup?x=1', body: '{"a":1}' });
    expect(last.headers.authorization).toBe('Bearer OT');
    expect(last.headers['x-grafana-user']).toBe('editor');
    expect(last.headers.cookie).toBeUndefined();
    expect(last.headers['content-type']).toBe('application/json');
  });

  it('passes the service status through, answers 403/404 itself, and 502 when the service is down', async () => {
    expect((await call('GET', `/api/plugin-proxy/${harness.pluginId}/api/teapot`, 'Viewer')).status).toBe(418);
    const forbidden = await call('POST', `/api/plugin-proxy/${harness.pluginId}/api/restores`, 'Editor', '{}');
    expect(forbidden.status).toBe(403);
    await expect(forbidden.json()).resolves.toEqual({ message: 'plugin proxy route access denied' });
    const missing = await call('PUT', `/api/plugin-proxy/${harness.pluginId}/api/status`, 'Admin', '{}');
    expect(missing.status).toBe(404);
    await expect(missing.json()).resolves.toEqual({ message: 'plugin route match not found' });
    expect((await call('GET', '/api/plugin-proxy/other-app/api/status', 'Admin')).status).toBe(404);

    const down = await startHarness({ port: 0, serviceUrl: `http://127.0.0.1:${await freePort()}`, tokens: {} });
    try {
      const res = await fetch(`${down.url}/api/plugin-proxy/${down.pluginId}/api/status`);
      expect(res.status).toBe(502);
    } finally {
      await down.close();
    }
  });

  it("returns plugin settings in Grafana's shape, with secureJsonFields and never the secrets", async () => {
    const res = await call('GET', `/api/plugins/${harness.pluginId}/settings`, 'Viewer');
    const text = await res.text();
    const settings = JSON.parse(text);
    expect(settings).toMatchObject({
      id: harness.pluginId,
      type: 'app',
      enabled: true,
      jsonData: { serviceUrl: upstreamUrl },
      secureJsonFields: { viewerToken: true, operatorToken: true, adminToken: true },
      module: `public/plugins/${harness.pluginId}/module.js`,
    });
    expect(text).not.toMatch(/"VT"|"OT"|"AT"/);
    expect(settings.secureJsonData).toBeUndefined();
  });

  it('lets only an Admin change settings; secrets are merged key by key', async () => {
    const path = `/api/plugins/${harness.pluginId}/settings`;
    const viewer = await call('POST', path, 'Viewer', JSON.stringify({ jsonData: { serviceUrl: 'http://evil' } }));
    expect(viewer.status).toBe(403);
    const admin = await call(
      'POST',
      path,
      'Admin',
      JSON.stringify({ enabled: true, jsonData: { serviceUrl: upstreamUrl }, secureJsonData: { viewerToken: 'VT2' } })
    );
    expect(admin.status).toBe(200);
    await call('GET', `/api/plugin-proxy/${harness.pluginId}/api/status`, 'Viewer');
    expect(seen[seen.length - 1].headers.authorization).toBe('Bearer VT2');
    await call('POST', `/api/plugin-proxy/${harness.pluginId}/api/restores`, 'Admin', '{}');
    expect(seen[seen.length - 1].headers.authorization).toBe('Bearer AT');
  });

  it("serves the pages at Grafana's paths with boot data for the chosen role", async () => {
    const res = await fetch(`${harness.url}/a/${harness.pluginId}/target/mysql?role=Viewer`);
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toContain('grafana_harness_role=Viewer');
    const html = await res.text();
    expect(html).toContain('"orgRole":"Viewer"');
    expect(html).toContain('/public/harness/vendor.js');
    expect(html.indexOf('window.grafanaBootData')).toBeLessThan(html.indexOf('/public/harness/vendor.js'));
    expect((await fetch(`${harness.url}/public/plugins/${harness.pluginId}/module.js`)).status).toBe(200);
    expect((await fetch(`${harness.url}/public/plugins/${harness.panelId}/module.js`)).status).toBe(200);
    // A raw path that climbs out of dist/ (fetch would normalise it away).
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${harness.url}/public/plugins/${harness.pluginId}/..%2f..%2fpackage.json`, (r) => {
          r.resume();
          resolve(r.statusCode!);
        })
        .on('error', reject);
    });
    expect(status).toBe(404);
  });
});

describe("Grafana's Prometheus query path (/api/ds/query, as pkg/promlib)", () => {
  it('steps by the larger of the query interval, the scrape interval and range/11000, aligned', () => {
    const from = Date.parse('2026-11-30T00:00:07Z');
    const to = from + 15 * 60_000;
    const q = rangeQuery(
      { refId: 'A', expr: 'rate(x[$__rate_interval]) + y[$__interval] + z[${__range}]', intervalMs: 2000 },
      from,
      to,
      1000
    );
    expect(q.step).toBe(2);
    expect(q.start).toBe(Date.parse('2026-11-30T00:00:06Z') / 1000);
    // $__rate_interval = max(interval + scrape, 4 × scrape)
    expect(q.expr).toBe('rate(x[4s]) + y[2s] + z[900s]');
    // A week in 11 000 points at most.
    expect(rangeQuery({ refId: 'A', expr: 'x', intervalMs: 1 }, 0, 7 * 86400_000, 15_000).step).toBe(55);
    expect(parseDurationMs('15s')).toBe(15_000);
    expect(parseDurationMs('1m')).toBe(60_000);
    expect(parseDurationMs('nonsense')).toBeNull();
  });

  it("answers one data frame per series, named by the legend format, with the series' labels", () => {
    const frames = matrixToFrames(
      { refId: 'B', legendFormat: '{{target}} RTO' },
      [
        {
          metric: { __name__: 'backup_sla_rto_seconds', target: 'mysql' },
          values: [
            [1700000000, '300'],
            [1700000015, '300'],
          ],
        },
      ],
      { expr: 'backup_sla_rto_seconds', start: 0, end: 1, step: 15 }
    );
    expect(frames).toHaveLength(1);
    expect(frames[0].schema.refId).toBe('B');
    expect(frames[0].schema.fields[1]).toMatchObject({
      name: 'Value',
      labels: { __name__: 'backup_sla_rto_seconds', target: 'mysql' },
      config: { displayNameFromDS: 'mysql RTO' },
    });
    expect(frames[0].data.values).toEqual([
      [1700000000000, 1700000015000],
      [300, 300],
    ]);
    expect(legendName('__auto', {})).toBeNull();
  });
});

describe("the harness's Grafana API for a test set-up (login, users, data sources, dashboards)", () => {
  let harness: Awaited<ReturnType<typeof startHarness>>;
  beforeAll(async () => {
    harness = await startHarness({ port: 0, serviceUrl: '', configured: false });
  });
  afterAll(() => harness.close());

  it('sets up a Grafana for the browser tests through its HTTP API (the E2E_GRAFANA_URL path)', async () => {
    const lab = {
      serviceUrl: 'http://127.0.0.1:8470',
      prometheusUrl: 'http://127.0.0.1:9090',
      tokens: { viewer: 'v'.repeat(32), operator: 'o'.repeat(32), admin: 'a'.repeat(32) },
    } as Lab;
    const grafana = await realGrafana(harness.url, lab);
    expect(grafana.kind).toBe('grafana');
    expect(harness.settings).toMatchObject({
      enabled: true,
      jsonData: { serviceUrl: lab.serviceUrl, prometheusDatasourceUid: PROMETHEUS_UID },
      secureJsonData: {
        viewerToken: lab.tokens.viewer,
        operatorToken: lab.tokens.operator,
        adminToken: lab.tokens.admin,
      },
    });
    expect(harness.dataSources.get(PROMETHEUS_UID)).toMatchObject({ type: 'prometheus', url: lab.prometheusUrl });
    // Again, on a Grafana already set up: it updates what exists.
    await realGrafana(harness.url, { ...lab, prometheusUrl: 'http://127.0.0.1:9091' } as Lab);
    expect(harness.dataSources.get(PROMETHEUS_UID)).toMatchObject({ url: 'http://127.0.0.1:9091' });
    const dashboard = await fetch(`${grafana.panelUrl.replace('/d/', '/api/dashboards/uid/')}`);
    expect((await dashboard.json()).dashboard.panels[0].type).toBe(harness.panelId);
  });

  it('signs a user in with POST /login, and the session carries their org role', async () => {
    const bad = await fetch(`${harness.url}/login`, {
      method: 'POST',
      body: JSON.stringify({ user: 'editor', password: 'x' }),
    });
    expect(bad.status).toBe(401);
    const login = await fetch(`${harness.url}/login`, {
      method: 'POST',
      body: JSON.stringify({ user: 'editor', password: 'editor' }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const html = await (await fetch(`${harness.url}/a/${harness.pluginId}/overview`, { headers: { cookie } })).text();
    expect(html).toContain('"orgRole":"Editor"');
    // Basic auth for API clients; a wrong password is no one.
    const auth = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect(
      (await fetch(`${harness.url}/api/datasources`, { method: 'POST', headers: auth('viewer', 'viewer'), body: '{}' }))
        .status
    ).toBe(403);
    expect(
      (await fetch(`${harness.url}/api/admin/users`, { method: 'POST', headers: auth('admin', 'nope'), body: '{}' }))
        .status
    ).toBe(403);
  });

  it('serves the theme asked for, as Grafana does with ?theme=', async () => {
    const res = await fetch(`${harness.url}/a/${harness.pluginId}/overview?theme=light`);
    expect(res.headers.get('set-cookie')).toContain('grafana_harness_theme=light');
    const html = await res.text();
    expect(html).toContain('class="theme-light app-grafana"');
    expect(html).toContain('"lightTheme":true');
  });
});
