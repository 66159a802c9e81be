/**
 * The Grafana the browser tests run against: the harness that plays Grafana (default), or a real
 * Grafana where one exists (E2E_GRAFANA_URL). Either way the tests get the same things: a URL,
 * pages signed in as a Viewer, an Editor or an Admin in a theme and a width, the app configured
 * for the lab's service, a Prometheus data source on the lab's Prometheus, and a dashboard holding
 * the backup-age panel. Only the harness can also show what went through its plugin proxy.
 *
 * A real Grafana (12.4 or later, with the plugin from dist/ installed and allowed unsigned, and
 * `[dataproxy] send_user_header = true`) is set up through its HTTP API:
 *   E2E_GRAFANA_URL     e.g. http://127.0.0.1:3000
 *   E2E_GRAFANA_ADMIN   login:password of a server admin (default admin:admin)
 *   E2E_GRAFANA_USERS   viewer:pw,editor:pw,admin:pw  the three users, created as org Viewer, Editor
 *                       and Admin when missing (default: logins viewer, editor, admin; password = login)
 * Grafana's server must reach the lab's service and Prometheus on 127.0.0.1 (the same machine).
 */
import type { Browser } from 'playwright-core';
import { startHarness } from '../harness/server.mjs';
import { newRolePage, Role, RolePage } from './browser';
import type { Lab } from './lab';

export const APP_ID = 'labops-backupsla-app';
export const PANEL_ID = 'labops-backupage-panel';
export const PROMETHEUS_UID = 'backup-sla-e2e-prometheus';
export const PANEL_DASHBOARD_UID = 'backup-sla-e2e-panel';

export interface ProxyEntry {
  method: string;
  path: string;
  role: string;
  status: number;
  route: number | null;
  upstream: string | null;
}

export interface PageOptions {
  theme?: 'dark' | 'light';
  width?: number;
  height?: number;
}

export interface GrafanaUnderTest {
  kind: 'harness' | 'grafana';
  url: string;
  appUrl: string;
  /** The dashboard with the backup-age panel. */
  panelUrl: string;
  /** What went through the plugin proxy (the harness only). */
  proxyLog?: ProxyEntry[];
  page(browser: Browser, role: Role, options?: PageOptions): Promise<RolePage>;
  close(): Promise<void>;
}

/** Adds ?theme= to a path, as Grafana takes it from the URL. */
/**
 * After each test: whatever the pages asked for, nothing failed behind the proxy (no 5xx from the
 * harness or the service; requests still in flight have no status yet). `logs` names what to show.
 */
export function expectNoProxyFailures(grafana: GrafanaUnderTest, logs: () => string): void {
  const failed = (grafana.proxyLog ?? []).filter((e) => e.status >= 500);
  if (failed.length) {
    throw new Error(`proxy requests failed: ${JSON.stringify(failed)}\n${logs()}`);
  }
}

export function withTheme(path: string, theme: 'dark' | 'light' | undefined): string {
  if (!theme) {
    return path;
  }
  return `${path}${path.includes('?') ? '&' : '?'}theme=${theme}`;
}

export async function startGrafana(lab: Lab, log: (line: string) => void): Promise<GrafanaUnderTest> {
  const external = process.env.E2E_GRAFANA_URL;
  return external ? realGrafana(external.replace(/\/+$/, ''), lab) : harnessGrafana(lab, log);
}

async function harnessGrafana(lab: Lab, log: (line: string) => void): Promise<GrafanaUnderTest> {
  const harness = await startHarness({
    port: 0,
    serviceUrl: lab.serviceUrl,
    tokens: lab.tokens,
    prometheusUrl: lab.prometheusUrl,
    prometheusUid: PROMETHEUS_UID,
    scrapeInterval: '1s',
    log,
  });
  return {
    kind: 'harness',
    url: harness.url,
    appUrl: harness.appUrl,
    panelUrl: `${harness.url}/d/harness/backup-age`,
    proxyLog: harness.proxyLog as ProxyEntry[],
    async page(browser, role, options = {}) {
      const rp = await newRolePage(browser, harness.url, role, options);
      await rp.context.addCookies([
        { name: 'grafana_harness_role', value: role, url: harness.url },
        ...(options.theme ? [{ name: 'grafana_harness_theme', value: options.theme, url: harness.url }] : []),
      ]);
      return rp;
    },
    close: () => harness.close(),
  };
}

/** A real Grafana, set up for the lab through its HTTP API (see the top of this file). */
export async function realGrafana(url: string, lab: Lab): Promise<GrafanaUnderTest> {
  const [adminLogin, adminPassword] = (process.env.E2E_GRAFANA_ADMIN ?? 'admin:admin').split(':');
  const auth = `Basic ${Buffer.from(`${adminLogin}:${adminPassword}`).toString('base64')}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const must = async (what: string, r: Promise<{ status: number; body: unknown }>, ok: number[] = [200]) => {
    const answer = await r;
    if (!ok.includes(answer.status)) {
      throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer;
  };

  const users = Object.fromEntries(
    (process.env.E2E_GRAFANA_USERS ?? 'viewer:viewer,editor:editor,admin:admin').split(',').map((pair, i) => {
      const [login, password] = pair.split(':');
      return [(['Viewer', 'Editor', 'Admin'] as Role[])[i], { login, password }];
    })
  ) as Record<Role, { login: string; password: string }>;
  for (const role of ['Viewer', 'Editor', 'Admin'] as Role[]) {
    const { login, password } = users[role];
    await must(
      `creating user ${login}`,
      api('POST', '/api/admin/users', { name: login, login, email: `${login}@e2e.local`, password }),
      [200, 412]
    );
    const user = await must(
      `looking up ${login}`,
      api('GET', `/api/users/lookup?loginOrEmail=${encodeURIComponent(login)}`)
    );
    await must(
      `making ${login} an org ${role}`,
      api('PATCH', `/api/org/users/${(user.body as { id: number }).id}`, { role })
    );
  }

  const datasource = {
    name: 'Backup SLA e2e Prometheus',
    uid: PROMETHEUS_UID,
    type: 'prometheus',
    access: 'proxy',
    url: lab.prometheusUrl,
    jsonData: { timeInterval: '1s', httpMethod: 'GET' },
  };
  const created = await must(
    'adding the Prometheus data source',
    api('POST', '/api/datasources', datasource),
    [200, 409]
  );
  if (created.status === 409) {
    await must('updating the Prometheus data source', api('PUT', `/api/datasources/uid/${PROMETHEUS_UID}`, datasource));
  }
  await must(
    'configuring the app',
    api('POST', `/api/plugins/${APP_ID}/settings`, {
      enabled: true,
      pinned: true,
      jsonData: { serviceUrl: lab.serviceUrl, prometheusDatasourceUid: PROMETHEUS_UID },
      secureJsonData: {
        viewerToken: lab.tokens.viewer,
        operatorToken: lab.tokens.operator,
        adminToken: lab.tokens.admin,
      },
    })
  );
  await must(
    'saving the panel dashboard',
    api('POST', '/api/dashboards/db', {
      overwrite: true,
      dashboard: {
        uid: PANEL_DASHBOARD_UID,
        title: 'Backup SLA e2e',
        schemaVersion: 39,
        panels: [{ id: 1, type: PANEL_ID, title: 'Backup age', gridPos: { x: 0, y: 0, w: 12, h: 8 }, options: {} }],
      },
    })
  );

  return {
    kind: 'grafana',
    url,
    appUrl: `${url}/a/${APP_ID}`,
    panelUrl: `${url}/d/${PANEL_DASHBOARD_UID}`,
    async page(browser, role, options = {}) {
      const rp = await newRolePage(browser, url, role, options);
      const login = await rp.context.request.post(`${url}/login`, {
        data: { user: users[role].login, password: users[role].password },
      });
      if (!login.ok()) {
        throw new Error(`logging in as ${users[role].login}: HTTP ${login.status()}`);
      }
      return rp;
    },
    close: async () => undefined,
  };
}

/**
 * The pages a test file opens on the Grafana under test (each a browser context of its own): closed
 * one by one by the tests, and whatever is left at the end. The getters read the file's
 * `grafana` and `browser`, set in its beforeAll.
 */
export function openPages(grafana: () => GrafanaUnderTest, browser: () => Browser | undefined) {
  const pages: RolePage[] = [];
  const close = async (rp: RolePage): Promise<void> => {
    await rp.context.close().catch(() => undefined);
    pages.splice(pages.indexOf(rp), 1);
  };
  /** A page the test opened itself, closed at the end with the others. */
  const track = (rp: RolePage): RolePage => {
    pages.push(rp);
    return rp;
  };
  return {
    async open(role: Role, urlPath: string, options: PageOptions = {}): Promise<RolePage> {
      const g = grafana();
      const rp = track(await g.page(browser()!, role, options));
      await rp.page.goto(`${g.url}${withTheme(urlPath, options.theme)}`);
      return rp;
    },
    track,
    close,
    async closeAll(): Promise<void> {
      for (const rp of [...pages]) {
        await close(rp);
      }
    },
  };
}
