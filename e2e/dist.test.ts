/**
 * Checks of the built plugin (dist/) in place of Grafana's plugin validator, which needs the
 * internet: ids and types, includes and nested plugin files, the proxy routes and their roles
 * (applied with the harness's implementation of Grafana's route selection), secrets only through
 * SecureJsonData, and the provisioning files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { selectRoute, upstreamFor } from './harness/proxy.mjs';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const APP_ID = 'labops-backupsla-app';
const PANEL_ID = 'labops-backupage-panel';

interface Route {
  path: string;
  method?: string;
  reqRole?: string;
  reqAction?: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
  body?: unknown;
  tokenAuth?: unknown;
  jwtTokenAuth?: unknown;
  urlParams?: unknown;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const app = readJson(path.join(DIST, 'plugin.json'));
const panel = readJson(path.join(DIST, 'panels/backup-age/plugin.json'));
const routes: Route[] = app.routes;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? walk(file) : [file];
  });
}

/** The shared modules Grafana hands to plugins through define() (what the harness provides). */
const SHARED = new Set([
  'module',
  'react',
  'react/jsx-runtime',
  'react-dom',
  'react-dom/client',
  'react-router',
  'react-router-dom',
  'rxjs',
  'rxjs/operators',
  '@emotion/css',
  '@emotion/react',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  '@grafana/i18n',
  'lodash',
  'moment',
  'i18next',
]);

function amdDeps(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const m = /define\((\[[^\]]*\])\s*,/.exec(text);
  if (!m) {
    throw new Error(`${file} is not an AMD module (no define([...], factory))`);
  }
  return JSON.parse(m[1]);
}

describe('dist/ plugin metadata', () => {
  it('is the app labops-backupsla-app, frontend only, with placeholders filled in', () => {
    expect(app.type).toBe('app');
    expect(app.id).toBe(APP_ID);
    // Grafana's naming rule: <org>-<name>-<type>.
    expect(app.id).toMatch(/^[a-z0-9]+-[a-z0-9]+-app$/);
    expect(app.backend).not.toBe(true);
    expect(app.executable).toBeUndefined();
    expect(app.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(app.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(app.dependencies.grafanaDependency).toBe('>=11.6.0');
    for (const file of walk(DIST).filter((f) => f.endsWith('.json'))) {
      expect({ file: path.relative(DIST, file), text: readFileSync(file, 'utf8') }).toEqual({
        file: path.relative(DIST, file),
        text: expect.not.stringMatching(/%(PLUGIN_ID|VERSION|TODAY)%/),
      });
    }
  });

  it('has module.js as an AMD module that needs only what Grafana shares', () => {
    for (const file of [path.join(DIST, 'module.js'), path.join(DIST, 'panels/backup-age/module.js')]) {
      const deps = amdDeps(file);
      expect(deps.filter((d) => !SHARED.has(d))).toEqual([]);
      expect(deps).toEqual(expect.arrayContaining(['react', '@grafana/data']));
    }
  });

  it('ships README, CHANGELOG, LICENSE and its logos', () => {
    for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE']) {
      expect(existsSync(path.join(DIST, f))).toBe(true);
    }
    expect(readFileSync(path.join(DIST, 'README.md'), 'utf8').length).toBeGreaterThan(200);
    for (const logo of Object.values(app.info.logos) as string[]) {
      expect(existsSync(path.join(DIST, logo))).toBe(true);
    }
    for (const logo of Object.values(panel.info.logos) as string[]) {
      expect(existsSync(path.join(DIST, 'panels/backup-age', logo))).toBe(true);
    }
  });

  it('nests the backup-age panel plugin with its own plugin.json and module.js', () => {
    expect(panel.type).toBe('panel');
    expect(panel.id).toBe(PANEL_ID);
    expect(panel.id).toMatch(/^[a-z0-9]+-[a-z0-9]+-panel$/);
    expect(existsSync(path.join(DIST, 'panels/backup-age/module.js'))).toBe(true);
    expect(panel.info.version).toBe(app.info.version);
    // The app's include names the nested panel by name and type.
    expect(app.includes).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'panel', name: panel.name })])
    );
  });

  it('lists its pages under /a/<id>/ and the configuration page, with roles', () => {
    const pages = app.includes.filter((i: { type: string }) => i.type === 'page');
    expect(pages.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['Overview', 'Activity']));
    for (const p of pages) {
      expect(p.path === `/plugins/${APP_ID}` || p.path.startsWith(`/a/${APP_ID}/`)).toBe(true);
      expect(['Viewer', 'Editor', 'Admin']).toContain(p.role);
    }
    expect(pages.filter((p: { defaultNav?: boolean }) => p.defaultNav)).toHaveLength(1);
    expect(pages.find((p: { path: string }) => p.path === `/plugins/${APP_ID}`)?.role).toBe('Admin');
  });

  it('ships its dashboard for provisioning (not in includes), valid JSON using the fixed Prometheus uid', () => {
    const dashboards = readdirSync(path.join(DIST, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(dashboards).toEqual(['backup-sla.json']);
    const dashboard = readJson(path.join(DIST, 'dashboards', dashboards[0]));
    expect(dashboard.title).toBeTruthy();
    expect(Array.isArray(dashboard.panels)).toBe(true);
    expect(JSON.stringify(dashboard)).toContain('backup-sla-prometheus');
  });
});

describe('dist/ proxy routes', () => {
  it('are ordered: api/restores (GET Viewer, POST Admin) first, then api/* GET Viewer and POST Editor', () => {
    expect(routes[0]).toMatchObject({ path: 'api/restores', method: 'GET', reqRole: 'Viewer' });
    expect(routes[1]).toMatchObject({ path: 'api/restores', method: 'POST', reqRole: 'Admin' });
    const catchAll = routes.findIndex((r) => r.path === 'api/*');
    expect(routes.slice(catchAll)).toEqual([
      expect.objectContaining({ path: 'api/*', method: 'GET', reqRole: 'Viewer' }),
      expect.objectContaining({ path: 'api/*', method: 'POST', reqRole: 'Editor' }),
    ]);
    // Everything about restores comes before the catch-all, and POSTs there are Admin only; so does
    // the doctor report (GET, Admin only: it runs restic and the tools and names paths).
    for (const r of routes.slice(0, catchAll)) {
      if (r.path === 'api/doctor') {
        expect(r).toMatchObject({ method: 'GET', reqRole: 'Admin' });
        continue;
      }
      expect(r.path.startsWith('api/restores')).toBe(true);
      expect(r.reqRole).toBe(r.method === 'POST' ? 'Admin' : 'Viewer');
    }
  });

  it('name an explicit method and role each, go to the service URL and need no RBAC action', () => {
    for (const r of routes) {
      expect(['GET', 'POST']).toContain(r.method);
      expect(['Viewer', 'Editor', 'Admin']).toContain(r.reqRole);
      expect(r.reqAction).toBeUndefined();
      expect(r.url).toMatch(/^\{\{ *\.JsonData\.serviceUrl *\}\}\/api(\/|$)/);
      expect(r.tokenAuth).toBeUndefined();
      expect(r.jwtTokenAuth).toBeUndefined();
    }
  });

  it('send the role token from SecureJsonData only: viewer for reads, operator for Editor POSTs, admin for restores', () => {
    const expected: Record<string, string> = { GET: 'viewerToken', POST: 'operatorToken' };
    for (const r of routes) {
      const auth = (r.headers ?? []).filter((h) => h.name.toLowerCase() === 'authorization');
      expect(auth).toHaveLength(1);
      const token = r.reqRole === 'Admin' ? 'adminToken' : expected[r.method!];
      expect(auth[0].content).toMatch(new RegExp(`^Bearer \\{\\{ *\\.SecureJsonData\\.${token} *\\}\\}$`));
      // Nothing secret is templated from JsonData (which any viewer of the app can read).
      expect(JSON.stringify(r)).not.toMatch(/\.JsonData\.[A-Za-z]*(token|secret|password|key)/i);
    }
  });

  const settings = {
    jsonData: { serviceUrl: 'http://127.0.0.1:8470' },
    secureJsonData: { viewerToken: 'V', operatorToken: 'O', adminToken: 'A' },
  };
  /** [role, method, proxy path] → expected: status 403/404, or [upstream path+query, token]. */
  const cases: Array<[string, string, string, 403 | 404 | [string, string]]> = [
    ['Viewer', 'GET', '/api/status', ['/api/status', 'V']],
    ['Viewer', 'GET', '/api/targets/mysql/snapshots', ['/api/targets/mysql/snapshots', 'V']],
    ['Viewer', 'GET', '/api/restores', ['/api/restores', 'V']],
    ['Viewer', 'GET', '/api/whoami', ['/api/whoami', 'V']],
    ['Viewer', 'POST', '/api/targets/mysql/backup', 403],
    ['Viewer', 'POST', '/api/targets/mysql/verify', 403],
    ['Viewer', 'POST', '/api/restores', 403],
    ['Viewer', 'POST', '/api/whoami', 403],
    ['Editor', 'GET', '/api/runs', ['/api/runs', 'V']],
    ['Editor', 'POST', '/api/targets/mysql/backup', ['/api/targets/mysql/backup', 'O']],
    ['Editor', 'POST', '/api/targets/mysql/verify', ['/api/targets/mysql/verify', 'O']],
    ['Editor', 'POST', '/api/whoami', ['/api/whoami', 'O']],
    ['Editor', 'POST', '/api/restores', 403],
    ['Editor', 'POST', '/api/restores/whoami', 403],
    ['Admin', 'GET', '/api/restores', ['/api/restores', 'V']],
    ['Admin', 'POST', '/api/restores', ['/api/restores', 'A']],
    ['Admin', 'POST', '/api/restores/whoami', ['/api/restores/whoami', 'A']],
    ['Admin', 'POST', '/api/targets/mysql/backup', ['/api/targets/mysql/backup', 'O']],
    ['Admin', 'PUT', '/api/targets/mysql', 404],
    ['Admin', 'DELETE', '/api/restores', 404],
    ['Admin', 'GET', '/metrics', 404],
  ];
  it.each(cases)('as %s, %s %s → %p', (role, method, proxyPath, expected) => {
    const choice = selectRoute(routes, method, proxyPath, role);
    if (expected === 403) {
      expect(choice.kind).toBe('forbidden');
      return;
    }
    if (expected === 404) {
      expect(choice.kind).toBe('notFound');
      return;
    }
    expect(choice.kind).toBe('route');
    const upstream = upstreamFor(choice.route, choice.rest, '?limit=5', settings);
    expect(`${upstream.url.pathname}`).toBe(expected[0]);
    expect(upstream.url.search).toBe('?limit=5');
    expect(upstream.url.origin).toBe('http://127.0.0.1:8470');
    expect((upstream.headers as Record<string, string>).Authorization).toBe(`Bearer ${expected[1]}`);
  });
});

describe('provisioning files', () => {
  const dir = path.join(ROOT, 'provisioning');
  const files = walk(dir);

  // (The root's `yaml` may be 1.x or 2.x: only parse() and parseDocument().errors are used.)
  it('parse: every YAML with the yaml package, every JSON dashboard as JSON', () => {
    const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f));
    expect(yamlFiles.length).toBeGreaterThanOrEqual(4);
    for (const f of yamlFiles) {
      const doc = YAML.parseDocument(readFileSync(f, 'utf8'));
      expect({ file: path.relative(ROOT, f), errors: doc.errors.map((e) => e.message) }).toEqual({
        file: path.relative(ROOT, f),
        errors: [],
      });
      expect(YAML.parse(readFileSync(f, 'utf8'))).toBeTruthy();
    }
    for (const f of files.filter((x) => x.endsWith('.json'))) {
      const dashboard = readJson(f);
      expect(dashboard.title).toBeTruthy();
    }
  });

  it('provision the app with the service URL in jsonData and the tokens only in secureJsonData, read from files or env', () => {
    const doc = YAML.parse(readFileSync(path.join(dir, 'plugins/apps.yaml'), 'utf8'));
    expect(doc.apiVersion).toBe(1);
    const entry = doc.apps.find((a: { type: string }) => a.type === APP_ID);
    expect(entry).toBeTruthy();
    expect(entry.jsonData.serviceUrl).toMatch(/^https?:\/\//);
    expect(Object.keys(entry.jsonData).filter((k) => /token|secret|password|key/i.test(k))).toEqual([]);
    expect(Object.keys(entry.secureJsonData).sort()).toEqual(['adminToken', 'operatorToken', 'viewerToken']);
    for (const value of Object.values(entry.secureJsonData) as string[]) {
      // A reference ($__file{...}, $__env{...}, $VAR), never a literal token.
      expect(value).toMatch(/^\$(__file\{[^}]+\}|__env\{[^}]+\}|\{?[A-Z_][A-Z0-9_]*\}?)$/);
    }
  });

  it('provision the dashboard from the JSON inside the installed plugin (one path only)', () => {
    const doc = YAML.parse(readFileSync(path.join(dir, 'dashboards/backup-sla.yaml'), 'utf8'));
    expect(doc.providers[0].type).toBe('file');
    const installed = `/var/lib/grafana/plugins/${APP_ID}/`;
    expect(doc.providers[0].options.path.startsWith(installed)).toBe(true);
    const json = path.join(DIST, doc.providers[0].options.path.slice(installed.length), 'backup-sla.json');
    expect(readJson(json).uid).toBe('backup-sla');
    expect(app.includes.filter((i: { type: string }) => i.type === 'dashboard')).toEqual([]);
  });

  it('provision alert rules that query the Prometheus data source by its fixed uid', () => {
    const ruleFiles = files.filter((f) => f.includes(`${path.sep}alerting${path.sep}`) && /\.ya?ml$/.test(f));
    expect(ruleFiles.length).toBeGreaterThan(0);
    const datasource = YAML.parse(readFileSync(path.join(dir, 'datasources/backup-sla-prometheus.yaml'), 'utf8'));
    const uid = datasource.datasources[0].uid;
    for (const f of ruleFiles) {
      const doc = YAML.parse(readFileSync(f, 'utf8'));
      expect(doc.apiVersion).toBe(1);
      const rules = (doc.groups ?? []).flatMap((g: { rules: unknown[] }) => g.rules);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules as Array<{
        uid: string;
        title: string;
        data: Array<{ datasourceUid: string; model?: { expr?: string } }>;
      }>) {
        expect(rule.uid).toBeTruthy();
        expect(rule.title).toBeTruthy();
        const prometheusQueries = rule.data.filter((d) => d.datasourceUid === uid);
        expect(prometheusQueries.length).toBeGreaterThan(0);
        for (const q of prometheusQueries) {
          // The service's own metrics, or whether Prometheus reaches the service at all.
          expect(q.model?.expr).toMatch(/backup_sla_|up\{job="backup-sla"\}/);
        }
      }
    }
  });
});
