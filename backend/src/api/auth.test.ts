/**
 * The auth matrix: every route of the table × every way of calling it (no token, a wrong token,
 * each role). Weaker roles get 403, unknown tokens 401, the right role (and stronger) 2xx with
 * real work behind it.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Role } from '../config/types';
import { createAgama, mysqlTarget, query } from '../test/mysql';
import { auth, finished, HttpRequest, json, makeServiceLab, request, ServiceLab, TOKENS } from '../test/service';
import { atLeast, bearerToken, grafanaUser, ROLES, TokenAuth } from './auth';
import { routeTable } from './server';

const DB = 'agama_auth_test';
const COPY = 'agama_auth_test_copy';

/** A valid request for each route (the matrix is about who may, not about what is asked). */
/** A directory "moved aside by a restore", removed by the admin in the matrix below. */
const ASIDE = path.join(os.tmpdir(), `bsla-auth-aside-${process.pid}`);

function sample(method: string, url: string, runId: number, instance: string): HttpRequest {
  // The <instance>/<target> forms are asked with this instance's own name (peers: peers.test.ts).
  const path = url.replace(':instance', instance).replace(':target', 'mysql').replace(':id', String(runId));
  const bodies: Record<string, unknown> = {
    'POST /api/restores': { target: 'mysql', snapshot: 'latest', to: COPY, safetyBackup: false, confirm: 'mysql' },
    'POST /api/targets/:target/verify': { snapshot: 'latest' },
    'POST /api/targets/:instance/:target/verify': { snapshot: 'latest' },
    'POST /api/restores/aside/remove': { target: 'mysql', name: ASIDE, confirm: ASIDE },
  };
  return {
    method: method as 'GET' | 'POST',
    url: path,
    payload: method === 'POST' ? (bodies[`${method} ${url}`] ?? {}) : undefined,
  };
}

describe('auth matrix', () => {
  let s: ServiceLab;
  let firstRun: number;
  const call = (req: HttpRequest, headers: Record<string, string> = {}) =>
    request(s.service.address!, { ...req, headers: { ...(req.headers ?? {}), ...headers } });

  beforeAll(async () => {
    await createAgama(DB, 50);
    s = await makeServiceLab({ targets: { mysql: mysqlTarget(DB, { retention: { keepLast: 10 } }) } });
    firstRun = (await s.lab.engine.backup('mysql', 'test')).runId;
    // Something a restore moved aside, for the admin-only removal route.
    mkdirSync(ASIDE, { recursive: true });
    s.lab.engine.catalog.addAside(
      { target: 'mysql', kind: 'directory', name: ASIDE, was: 'directory /srv/agama', runId: null },
      new Date()
    );
  });
  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
    await query(`DROP DATABASE IF EXISTS ${COPY}`);
  });

  const routes = () =>
    routeTable({ api: s.lab.engine.config.api!, metrics: null as never }).filter((r) => r.role !== null);

  it('covers every API route (all of them need a token)', () => {
    const table = routeTable({
      api: {
        listen: { host: '', port: 0 },
        tokens: {} as never,
        clients: [],
        tls: null,
        metricsAuth: false,
        bodyLimitBytes: 1024,
      },
      metrics: null as never,
    });
    expect(table.filter((r) => r.role === null).map((r) => r.url)).toEqual(['/api/openapi.json', '/metrics']);
    expect(
      table.filter((r) => r.url.startsWith('/api/') && r.url !== '/api/openapi.json').every((r) => r.role !== null)
    ).toBe(true);
    expect(routes().map((r) => `${r.method} ${r.url} ${r.role}`)).toEqual([
      'GET /api/status viewer',
      'GET /api/targets/:target viewer',
      'GET /api/targets/:instance/:target viewer',
      'GET /api/targets/:target/snapshots viewer',
      'GET /api/targets/:instance/:target/snapshots viewer',
      'GET /api/runs viewer',
      'GET /api/runs/:id viewer',
      'GET /api/runs/:instance/:id viewer',
      'GET /api/audit viewer',
      'GET /api/restores viewer',
      'GET /api/restores/aside viewer',
      'POST /api/restores/aside/remove admin',
      'GET /api/whoami viewer',
      'GET /api/doctor admin',
      'POST /api/whoami viewer',
      'POST /api/restores/whoami viewer',
      'POST /api/targets/:target/backup operator',
      'POST /api/targets/:instance/:target/backup operator',
      'POST /api/targets/:target/verify operator',
      'POST /api/targets/:instance/:target/verify operator',
      'POST /api/restores admin',
    ]);
  });

  it('no token, a wrong token, a weaker role, the right role: 401, 401, 403, 2xx on every route', async () => {
    const wrong: Array<[string, Record<string, string>]> = [
      ['no token', {}],
      ['unknown token', { authorization: 'Bearer not-a-token-of-this-service' }],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['prefix of the admin token', { authorization: `Bearer ${TOKENS.admin.slice(0, -1)}` }],
      ['admin token plus a character', { authorization: `Bearer ${TOKENS.admin}x` }],
      ['token without the Bearer scheme', { authorization: TOKENS.admin }],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`admin:${TOKENS.admin}`).toString('base64')}` }],
      ['token in another header', { 'x-api-key': TOKENS.admin }],
    ];
    const seen: string[] = [];
    for (const r of routes()) {
      const req = sample(r.method, r.url, firstRun, s.lab.engine.config.instance);
      for (const [what, headers] of wrong) {
        const res = await call(req, headers);
        expect({ route: `${r.method} ${r.url}`, what, status: res.statusCode }).toEqual({
          route: `${r.method} ${r.url}`,
          what,
          status: 401,
        });
        expect(json(res)).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'a valid token is needed: Authorization: Bearer <token>',
        });
      }
      for (const role of ROLES) {
        const res = await call(req, auth(role));
        const cell = `${r.method} ${r.url} as ${role}`;
        if (!atLeast(role, r.role!)) {
          expect({ cell, status: res.statusCode }).toEqual({ cell, status: 403 });
          expect(json(res).message).toBe(`this needs the ${r.role} role; the token used has the ${role} role`);
          continue;
        }
        expect({ cell, status: res.statusCode, body: res.statusCode < 300 ? '' : res.body }).toEqual({
          cell,
          status: r.status ?? 200,
          body: '',
        });
        seen.push(cell);
        if (res.statusCode === 202) {
          await finished(s.lab, json(res).runId);
        }
      }
    }
    // Operations started by the right roles really ran, under the role's name.
    const runs = s.lab.engine.catalog.runs({ target: 'mysql' }).filter((r) => r.id !== firstRun);
    expect(runs.map((r) => `${r.operation} ${r.actor}`).sort()).toEqual(
      [
        ...['backup operator', 'backup admin', 'verify operator', 'verify admin'].flatMap((x) => [x, x]),
        'restore admin',
      ].sort()
    );
    expect(seen).toHaveLength(14 * 3 + 4 * 2 + 3); // viewer routes × 3 roles, operator × 2, admin × 1
  });

  it('/api/openapi.json and /metrics need no token unless api.metricsAuth', async () => {
    expect((await call({ method: 'GET', url: '/api/openapi.json' })).statusCode).toBe(200);
    const m = await call({ method: 'GET', url: '/metrics' });
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('with api.metricsAuth: /metrics needs a token of any role', async () => {
    const locked = await makeServiceLab({ targets: { mysql: mysqlTarget(DB) } }, { metricsAuth: true });
    try {
      const get = (headers: Record<string, string>) =>
        request(locked.service.address!, { method: 'GET', url: '/metrics', headers });
      expect((await get({})).statusCode).toBe(401);
      expect((await get({ authorization: 'Bearer nope' })).statusCode).toBe(401);
      for (const role of ROLES) {
        const res = await get(auth(role));
        expect(res.statusCode).toBe(200);
        expect(res.body).toMatch(/^backup_sla_rto_seconds\{target="mysql"\} 300$/m);
      }
    } finally {
      await locked.service.close();
      locked.lab.cleanup();
    }
  });
});

describe('TokenAuth', () => {
  const tokens: Record<Role, string> = {
    viewer: 'viewer-1f2e3d4c5b6a79880a1b2c3d4e5f6071',
    operator: 'operator-9a8b7c6d5e4f30211f2e3d4c5b6a',
    admin: 'admin-0f1e2d3c4b5a69788a9b0c1d2e3f4a5b',
  };

  it('maps each token to its role and nothing else to anything', () => {
    const a = new TokenAuth(tokens);
    for (const role of ROLES) {
      expect(a.roleOf(tokens[role])).toBe(role);
      expect(a.holderOf(tokens[role])).toEqual({ role, client: null });
    }
    const t = tokens.admin;
    for (const x of [undefined, '', t.slice(0, -1), `${t}x`, t.toUpperCase(), ` ${t}`]) {
      expect(a.roleOf(x)).toBeNull();
    }
  });

  it('refuses the same token for two roles', () => {
    expect(() => new TokenAuth({ ...tokens, operator: tokens.admin })).toThrow(
      'api: the operator token and the admin token are the same; each role and client needs its own token'
    );
  });

  it('refuses tokens shorter than 32 characters or of too few characters', () => {
    expect(() => new TokenAuth({ ...tokens, viewer: 'v'.repeat(20) })).toThrow(
      'api: the viewer token: the token is 20 characters long; at least 32 are needed'
    );
    expect(() => new TokenAuth({ ...tokens, viewer: 'ab'.repeat(20) })).toThrow(/only 2 different characters/);
  });

  it('knows the clients other than Grafana by name, with their role', () => {
    const a = new TokenAuth(tokens, [
      { name: 'nightly', role: 'operator', token: 'nightly-5e6f7a8b9c0d1e2f3a4b5c6d7e8f' },
    ]);
    expect(a.holderOf('nightly-5e6f7a8b9c0d1e2f3a4b5c6d7e8f')).toEqual({ role: 'operator', client: 'nightly' });
    expect(() => new TokenAuth(tokens, [{ name: 'x', role: 'viewer', token: tokens.admin }])).toThrow(
      /the admin token and client x's token are the same/
    );
  });

  it('reads only well-formed bearer headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('accepts printable Grafana users of at most 100 characters, without bidirectional overrides', () => {
    expect(grafanaUser(undefined)).toEqual({ user: null, problem: null });
    expect(grafanaUser('alice@example.org').user).toBe('alice@example.org');
    expect(grafanaUser('ü'.repeat(100)).user).toBe('ü'.repeat(100));
    expect(grafanaUser('x'.repeat(101)).problem).toMatch(/x-grafana-user/);
    expect(grafanaUser('a\u0000b').problem).toMatch(/printable/);
    expect(grafanaUser('  ').problem).toMatch(/printable/);
    expect(grafanaUser(['a', 'b']).problem).toMatch(/once/);
    // "Trojan Source": a name that reads "admin" but is something else.
    for (const c of ['\u202e', '\u202a', '\u2066', '\u2069', '\u200f', '\u061c']) {
      const latin1 = Buffer.from(`ni${c}mda`, 'utf8').toString('latin1');
      expect(grafanaUser(latin1).problem).toMatch(/bidirectional/);
    }
  });
});
