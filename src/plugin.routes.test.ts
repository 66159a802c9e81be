/**
 * The proxy routes in plugin.json, checked with Grafana's own way of choosing a route
 * (pkg/api/pluginproxy/pluginproxy.go, Grafana 10+): walk `routes` in order; skip those whose method
 * does not fit; match `path` as a web.Tree pattern (static segments must be equal, a trailing `*`
 * takes one or more remaining segments and is appended to `url`; without `*` the path must be
 * equal and `url` is used as is); the first match wins, and a user below its `reqRole` gets 403
 * without trying later routes.
 */
import pluginJson from './plugin.json';

type Role = 'Viewer' | 'Editor' | 'Admin';
const RANK: Record<Role, number> = { Viewer: 1, Editor: 2, Admin: 3 };

interface Route {
  path: string;
  method?: string;
  reqRole?: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

function matchPath(pattern: string, requestPath: string): { matched: boolean; rest?: string } {
  const want = pattern.replace(/^\/+|\/+$/g, '').split('/');
  const got = requestPath.replace(/^\/+|\/+$/g, '').split('/');
  const glob = want[want.length - 1] === '*';
  const fixed = glob ? want.slice(0, -1) : want;
  if (glob ? got.length <= fixed.length : got.length !== fixed.length) {
    return { matched: false };
  }
  if (!fixed.every((segment, i) => segment === got[i])) {
    return { matched: false };
  }
  return glob ? { matched: true, rest: got.slice(fixed.length).join('/') } : { matched: true };
}

const settings = {
  JsonData: { serviceUrl: 'http://127.0.0.1:8470' } as Record<string, string>,
  SecureJsonData: { viewerToken: 'V', operatorToken: 'O', adminToken: 'A' } as Record<string, string>,
};

function interpolate(template: string): string {
  return template.replace(
    /{{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*}}/g,
    (_, where: 'JsonData' | 'SecureJsonData', key) => {
      const value = settings[where][key];
      if (value === undefined) {
        throw new Error(`${where}.${key} is not set`);
      }
      return value;
    }
  );
}

function proxy(role: Role, method: string, path: string): { status: number; url?: string; authorization?: string } {
  for (const route of pluginJson.routes as Route[]) {
    if (route.method && route.method !== '*' && route.method !== method) {
      continue;
    }
    const m = matchPath(route.path, path);
    if (!m.matched) {
      continue;
    }
    if (route.reqRole && RANK[role] < RANK[route.reqRole as Role]) {
      return { status: 403 };
    }
    const base = interpolate(route.url);
    const authorization = route.headers?.find((h) => h.name === 'Authorization');
    return {
      status: 200,
      url: m.rest ? `${base}/${m.rest}` : base,
      authorization: authorization && interpolate(authorization.content),
    };
  }
  return { status: 404 };
}

describe('plugin.json proxy routes', () => {
  it.each([
    // role, method, path, expected status, service URL, token
    ['Viewer', 'GET', 'api/status', 200, 'http://127.0.0.1:8470/api/status', 'Bearer V'],
    [
      'Viewer',
      'GET',
      'api/targets/mysql/snapshots',
      200,
      'http://127.0.0.1:8470/api/targets/mysql/snapshots',
      'Bearer V',
    ],
    ['Viewer', 'GET', 'api/runs/42', 200, 'http://127.0.0.1:8470/api/runs/42', 'Bearer V'],
    ['Viewer', 'GET', 'api/whoami', 200, 'http://127.0.0.1:8470/api/whoami', 'Bearer V'],
    ['Viewer', 'GET', 'api/restores', 200, 'http://127.0.0.1:8470/api/restores', 'Bearer V'],
    ['Viewer', 'POST', 'api/targets/mysql/backup', 403, undefined, undefined],
    ['Viewer', 'POST', 'api/restores', 403, undefined, undefined],
    ['Editor', 'POST', 'api/targets/mysql/backup', 200, 'http://127.0.0.1:8470/api/targets/mysql/backup', 'Bearer O'],
    ['Editor', 'POST', 'api/targets/mysql/verify', 200, 'http://127.0.0.1:8470/api/targets/mysql/verify', 'Bearer O'],
    ['Editor', 'POST', 'api/whoami', 200, 'http://127.0.0.1:8470/api/whoami', 'Bearer O'],
    ['Editor', 'POST', 'api/restores', 403, undefined, undefined],
    ['Editor', 'POST', 'api/restores/whoami', 403, undefined, undefined],
    ['Editor', 'GET', 'api/restores', 200, 'http://127.0.0.1:8470/api/restores', 'Bearer V'],
    ['Admin', 'POST', 'api/restores', 200, 'http://127.0.0.1:8470/api/restores', 'Bearer A'],
    ['Admin', 'POST', 'api/restores/whoami', 200, 'http://127.0.0.1:8470/api/restores/whoami', 'Bearer A'],
    ['Admin', 'POST', 'api/targets/mysql/backup', 200, 'http://127.0.0.1:8470/api/targets/mysql/backup', 'Bearer O'],
    ['Admin', 'GET', 'api/status', 200, 'http://127.0.0.1:8470/api/status', 'Bearer V'],
    // The doctor report runs restic and tools, and names paths: Admins only, with the admin token.
    ['Viewer', 'GET', 'api/doctor', 403, undefined, undefined],
    ['Editor', 'GET', 'api/doctor', 403, undefined, undefined],
    ['Admin', 'GET', 'api/doctor', 200, 'http://127.0.0.1:8470/api/doctor', 'Bearer A'],
    ['Admin', 'GET', 'metrics', 404, undefined, undefined],
    ['Admin', 'DELETE', 'api/targets/mysql', 404, undefined, undefined],
  ] as const)('%s %s %s → %s', (role, method, path, status, url, authorization) => {
    const answer = proxy(role, method, path);
    expect(answer.status).toBe(status);
    expect(answer.url).toBe(url);
    expect(answer.authorization).toBe(authorization);
  });

  it('keeps tokens only in secureJsonData and the service URL in jsonData', () => {
    for (const route of pluginJson.routes as Route[]) {
      expect(route.url).toMatch(/^{{ \.JsonData\.serviceUrl }}\/api(\/restores|\/doctor)?$/);
      expect(route.headers).toHaveLength(1);
      expect(route.headers![0].content).toMatch(/^Bearer {{ \.SecureJsonData\.(viewer|operator|admin)Token }}$/);
    }
  });

  it('gives each token to one role only: viewer for reads, operator for Editor POSTs, admin for Admin routes', () => {
    const tokenOf = (route: Route) => /(viewer|operator|admin)Token/.exec(route.headers![0].content)![1];
    for (const route of pluginJson.routes as Route[]) {
      const expected = route.reqRole === 'Admin' ? 'admin' : route.method === 'GET' ? 'viewer' : 'operator';
      expect(tokenOf(route)).toBe(expected);
    }
  });
});
