/**
 * Bad input over HTTP: every route given missing, extra and ill-typed fields, path traversal in a
 * restore's `to`, unknown ids, oversized bodies, wrong and weaker tokens, and a bounded
 * property-based fuzz of the operation bodies and of query strings. The service answers only with
 * the documented client errors, never 500, never falls over, and nothing is ever restored by a
 * request that is not a valid, confirmed restore.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createAgama, mysqlTarget, query, tableState } from '../test/mysql';
import { auth, finished, json, makeServiceLab, request, ServiceLab, TOKENS } from '../test/service';
import { waitFor } from '../test/process';

const DB = 'agama_sec_api';
const BODY_LIMIT = 4096;
const CLIENT_ERRORS = [400, 401, 403, 404, 409, 413, 415];

describe('API: bad input', () => {
  let s: ServiceLab;
  let base: string;
  let appDir: string;
  let restoreBase: string;
  let mysqlSnapshot: string;
  let before: { rows: number; checksum: number };
  let databasesBefore: string[];

  const databases = async () => (await query('SHOW DATABASES')).map((r) => Object.values(r)[0] as string).sort();

  beforeAll(async () => {
    await createAgama(DB, 200);
    appDir = mkdtempSync(path.join(os.tmpdir(), 'bsla-sec-app-'));
    mkdirSync(path.join(appDir, 'agama'));
    writeFileSync(path.join(appDir, 'agama', 'app.txt'), 'AGAMA\n');
    restoreBase = mkdtempSync(path.join(os.tmpdir(), 'bsla-sec-restore-'));
    s = await makeServiceLab(
      {
        targets: {
          mysql: mysqlTarget(DB, { retention: { keepLast: 10 } }),
          app: { kind: 'files', source: { paths: [path.join(appDir, 'agama')] }, rpo: null },
        },
      },
      { bodyLimit: BODY_LIMIT }
    );
    base = s.service.address!;
    const b = await s.lab.engine.backup('mysql', 'test');
    expect(b.status).toBe('success');
    mysqlSnapshot = b.snapshotId!;
    expect((await s.lab.engine.backup('app', 'test')).status).toBe('success');
    before = await tableState(DB);
    databasesBefore = await databases();
  });

  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
    rmSync(appDir, { recursive: true, force: true });
    rmSync(restoreBase, { recursive: true, force: true });
    await query(`DROP DATABASE IF EXISTS ${DB}`);
  });

  const send = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) =>
    request(base, { method, url, headers, payload });

  /** A client error in the contract's shape: {statusCode, error, message}, no stack, no token. */
  function expectClientError(
    res: { statusCode: number; body: string },
    status: number,
    message?: RegExp,
    what?: unknown
  ) {
    if (res.statusCode !== status) {
      throw new Error(`expected ${status} for ${JSON.stringify(what)}, got ${res.statusCode}: ${res.body}`);
    }
    const body = JSON.parse(res.body);
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode']);
    expect(body.statusCode).toBe(status);
    if (message) {
      expect(body.message).toMatch(message);
    }
    expect(res.body).not.toMatch(/\n\s+at |\.ts:\d+/);
    for (const t of Object.values(TOKENS)) {
      expect(res.body).not.toContain(t);
    }
  }

  const restore = (body: unknown) => send('POST', '/api/restores', auth('admin'), body);
  /** Any JSON value as the body (a string too, which `request` would send as it is). */
  const asJson = (role: 'operator' | 'admin', extra: Record<string, string> = {}) =>
    auth(role, { 'content-type': 'application/json', ...extra });
  const valid = { target: 'mysql', snapshot: 'latest', safetyBackup: false, confirm: 'mysql' };

  it('POST /api/restores: every field missing, extra or of the wrong type is a 400 naming it', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ snapshot: 'latest', safetyBackup: false, confirm: 'mysql' }, /^body\/target is required$/],
      // A snapshot or a point in time: exactly one of them.
      [
        { target: 'mysql', safetyBackup: false, confirm: 'mysql' },
        /^body must name either a snapshot or a point in time \(at\)$/,
      ],
      [{ ...valid, at: '2026-11-29T14:32:05Z' }, /^body must name either a snapshot or a point in time \(at\)$/],
      [
        { target: 'mysql', at: 'yesterday', safetyBackup: false, confirm: 'mysql' },
        /^body\/at must match format "date-time"$/,
      ],
      [{ target: 'mysql', snapshot: 'latest', confirm: 'mysql' }, /^body\/safetyBackup is required$/],
      [{ target: 'mysql', snapshot: 'latest', safetyBackup: false }, /^body\/confirm is required$/],
      [{ ...valid, force: true }, /^body\/force is not a known field$/],
      [{ ...valid, intoLive: true }, /^body\/intoLive is not a known field$/],
      [{ ...valid, __proto__: { polluted: true }, extra: 1 }, /^body\/extra is not a known field$/],
      [{ ...valid, target: 5 }, /^body\/target must be string$/],
      [{ ...valid, target: '' }, /^body\/target must NOT have fewer than 1 characters$/],
      // <instance>/<target>: 64 characters of each and the slash.
      [{ ...valid, target: 'x'.repeat(130) }, /^body\/target must NOT have more than 129 characters$/],
      [{ ...valid, snapshot: 12345678 }, /^body\/snapshot must be string$/],
      [{ ...valid, snapshot: 'LATEST' }, /^body\/snapshot must be a snapshot id/],
      [{ ...valid, snapshot: 'abc' }, /^body\/snapshot must be a snapshot id/],
      [{ ...valid, snapshot: `${mysqlSnapshot.slice(0, 8)};rm -rf /` }, /^body\/snapshot must be a snapshot id/],
      [{ ...valid, snapshot: ['latest'] }, /^body\/snapshot must be string$/],
      [{ ...valid, safetyBackup: 'false' }, /^body\/safetyBackup must be one of true, false$/],
      [{ ...valid, safetyBackup: 0 }, /^body\/safetyBackup must be one of true, false$/],
      [{ ...valid, safetyBackup: null }, /^body\/safetyBackup must be one of true, false$/],
      [{ ...valid, confirm: true }, /^body\/confirm must be string$/],
      [{ ...valid, confirm: 'MYSQL' }, /^body\/confirm must equal the target name 'mysql'/],
      [{ ...valid, to: '' }, /^body\/to must NOT have fewer than 1 characters$/],
      [{ ...valid, to: 5 }, /^body\/to must be string$/],
      [{ ...valid, to: 'a'.repeat(256) }, /^body\/to must NOT have more than 255 characters$/],
      [{ ...valid, to: 'agama\ncopy' }, /^body\/to contains characters that are not allowed$/],
      [{ ...valid, to: 'agama\u0000' }, /^body\/to contains characters that are not allowed$/],
      [[valid], /^body must be object$/],
      ['restore please', /^body must be object$/],
    ];
    for (const [body, message] of cases) {
      expectClientError(await send('POST', '/api/restores', asJson('admin'), JSON.stringify(body)), 400, message, body);
    }
    expectClientError(
      await send('POST', '/api/restores', { ...auth('admin'), 'content-type': 'application/json' }, '{"target":'),
      400,
      /JSON/
    );
    // As text the body is a string, not the object asked for; other media types are not read.
    expectClientError(
      await send('POST', '/api/restores', { ...auth('admin'), 'content-type': 'text/plain' }, JSON.stringify(valid)),
      400,
      /^body must be object$/
    );
    expectClientError(
      await send('POST', '/api/restores', { ...auth('admin'), 'content-type': 'application/xml' }, '<restore/>'),
      415
    );
    expectClientError(await send('POST', '/api/restores', auth('admin')), 400, /^body must be object$/);
  });

  it('path traversal in `to` is refused, whatever the spelling, before anything runs', async () => {
    const runsBefore = s.lab.engine.catalog.runs({ limit: 1000 }).length;
    const mysqlTo = [
      '../x',
      '/etc',
      'a/../../b',
      '..',
      '..\\x',
      '%2e%2e%2fx',
      '..%2Fetc',
      '%2Fetc',
      'agama;drop',
      'agama`x`',
      'x'.repeat(65),
    ];
    for (const to of mysqlTo) {
      expectClientError(await restore({ ...valid, to }), 400, /(no path traversal|refused: database names)/);
    }
    // A directory target takes absolute paths only, and never a '..' in them.
    const appTo = [
      '../x',
      'a/../../b',
      `${restoreBase}/../../etc`,
      `${restoreBase}/x/..`,
      'relative/dir',
      '%2Fetc',
      '%2e%2e/etc',
      '~/x',
      '/',
    ];
    for (const to of appTo) {
      expectClientError(
        await restore({ target: 'app', snapshot: 'latest', safetyBackup: false, confirm: 'app', to }),
        400,
        /(no path traversal|give an absolute directory path)/
      );
    }
    expect(s.lab.engine.catalog.runs({ limit: 1000 })).toHaveLength(runsBefore);

    // An existing system directory is a valid path, but a directory target restores only below its
    // restore roots (the work dir's restores/ and the source's parent): the run fails, /etc is as it was.
    const etc = readdirSync('/etc').sort();
    const res = await restore({ target: 'app', snapshot: 'latest', safetyBackup: false, confirm: 'app', to: '/etc' });
    expect(res.statusCode).toBe(202);
    const run = await finished(s.lab, json(res).runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^restore destination \/etc is outside the target's restore roots \(/);
    expect(readdirSync('/etc').sort()).toEqual(etc);
  });

  it('unknown targets, snapshots and runs are 404, however they are spelled', async () => {
    expectClientError(await restore({ ...valid, target: 'nope', confirm: 'nope' }), 404, /^unknown target 'nope'/);
    expectClientError(
      await restore({ ...valid, snapshot: 'deadbeef' }),
      404,
      /^target mysql has no snapshot 'deadbeef'$/
    );
    expectClientError(await restore({ ...valid, snapshot: 'f'.repeat(64) }), 404, /has no snapshot/);
    expectClientError(
      await restore({ ...valid, target: '__proto__', confirm: '__proto__' }),
      404,
      /^unknown target '__proto__'/
    );
    expectClientError(
      await restore({ ...valid, target: 'constructor', confirm: 'constructor' }),
      404,
      /^unknown target 'constructor'/
    );
    const op = auth('operator');
    expectClientError(
      await send('POST', '/api/targets/mysql/verify', op, { snapshot: 'deadbeef' }),
      404,
      /has no snapshot 'deadbeef'/
    );
    for (const name of [
      'nope',
      '__proto__',
      'constructor',
      'toString',
      '..%2f..%2fetc',
      '%2e%2e',
      'mysql%00',
      'mysql%2fbackup',
    ]) {
      expectClientError(await send('GET', `/api/targets/${name}`, auth('viewer')), 404, undefined, name);
      expectClientError(await send('GET', `/api/targets/${name}/snapshots`, auth('viewer')), 404, undefined, name);
      expectClientError(await send('POST', `/api/targets/${name}/backup`, op, {}), 404, undefined, name);
      expectClientError(await send('GET', `/api/runs?target=${name}`, auth('viewer')), 404, undefined, name);
    }
    for (const id of ['0', '-1', '1.5', 'abc', '1;DROP TABLE runs']) {
      expectClientError(await send('GET', `/api/runs/${id}`, auth('viewer')), 400, /^params\/id must be/);
    }
    expectClientError(await send('GET', '/api/runs/2147483647', auth('viewer')), 404, /^no run 2147483647$/);
    expectClientError(await send('GET', '/api/../api/status', {}), 401);
    expectClientError(await send('GET', '/api/status/../../etc/passwd', auth('viewer')), 404);
  });

  it('query strings: ill-typed, repeated, polluting or broken parameters are 400 (or ignored), never 500', async () => {
    const v = auth('viewer');
    const bad = ['limit=0', 'limit=1001', 'limit=1.5', 'limit=', 'limit=1&limit=2', 'operation=restore%00', 'target='];
    for (const q of bad) {
      expectClientError(await send('GET', `/api/runs?${q}`, v), 400, undefined, q);
    }
    for (const q of [
      '__proto__[x]=1',
      '__proto__=1',
      'constructor[prototype][x]=1',
      'operation[]=backup',
      'foo=bar',
      '%zz=1',
      'limit=5&%=%',
      '&&&',
      '==',
    ]) {
      const res = await send('GET', `/api/runs?${q}`, v);
      expect([200, 400]).toContain(res.statusCode);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('oversized bodies are 413 on every POST route; without a token 401 comes first', async () => {
    const big = { padding: 'x'.repeat(BODY_LIMIT + 1) };
    expectClientError(await send('POST', '/api/targets/mysql/backup', auth('operator'), big), 413);
    expectClientError(await send('POST', '/api/targets/mysql/verify', auth('operator'), big), 413);
    expectClientError(
      await send('POST', '/api/restores', auth('admin'), { ...valid, confirm: 'x'.repeat(BODY_LIMIT) }),
      413
    );
    expectClientError(await send('POST', '/api/whoami', auth('viewer'), big), 413);
    expectClientError(await send('POST', '/api/restores/whoami', auth('viewer'), big), 413);
    expectClientError(await send('POST', '/api/restores', {}, { ...valid, confirm: 'x'.repeat(10 * BODY_LIMIT) }), 401);
  });

  it('wrong, malformed and weaker tokens: 401 or 403, and never a restore', async () => {
    const runsBefore = s.lab.engine.catalog.runs({ limit: 1000 }).length;
    const attempts: Array<[Record<string, string>, number]> = [
      [{}, 401],
      [{ authorization: '' }, 401],
      [{ authorization: 'Bearer' }, 401],
      [{ authorization: `Basic ${Buffer.from(`admin:${TOKENS.admin}`).toString('base64')}` }, 401],
      [{ authorization: `Token ${TOKENS.admin}` }, 401],
      [{ authorization: `Bearer ${TOKENS.admin}x` }, 401],
      [{ authorization: `Bearer ${TOKENS.admin.slice(0, -1)}` }, 401],
      [{ authorization: `Bearer ${TOKENS.admin.toUpperCase()}` }, 401],
      [{ authorization: `Bearer ${TOKENS.admin} ${TOKENS.admin}` }, 401],
      [{ authorization: `Bearer "${TOKENS.admin}"` }, 401],
      [{ 'x-api-key': TOKENS.admin }, 401],
      [{ authorization: `Bearer ${TOKENS.viewer}` }, 403],
      [{ authorization: `Bearer ${TOKENS.operator}` }, 403],
      [{ authorization: `Bearer ${TOKENS.operator}`, 'x-grafana-user': 'admin' }, 403],
    ];
    for (const [headers, status] of attempts) {
      const res = await send('POST', '/api/restores', headers, valid);
      expectClientError(res, status);
    }
    expectClientError(await send('POST', `/api/restores?token=${TOKENS.admin}`, {}, valid), 401);
    expectClientError(
      await send('POST', '/api/targets/mysql/backup', auth('viewer'), {}),
      403,
      /needs the operator role/
    );
    expectClientError(
      await send('POST', '/api/restores', auth('admin', { 'x-grafana-user': 'eve\u009f' }), valid),
      400
    );
    expect(s.lab.engine.catalog.runs({ limit: 1000 })).toHaveLength(runsBefore);
  });

  describe('fuzz (fast-check, bounded)', () => {
    const targets = ['mysql', 'app'];
    const snapshotRef = () =>
      fc.oneof(
        fc.constant('latest'),
        fc.constant(mysqlSnapshot.slice(0, 8)),
        fc.stringMatching(/^[0-9a-f]{4,64}$/),
        fc.string(),
        fc.integer(),
        fc.constant(null)
      );
    const anyValue = () =>
      fc.oneof(
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 2 }),
        fc.object({ maxDepth: 1 })
      );
    const toValue = () =>
      fc.oneof(
        fc.constantFrom('../x', '/etc', 'a/../../b', '%2e%2e%2fx', '..\\..\\x', '/', '..', `${os.tmpdir()}/../etc`),
        fc.string({ maxLength: 80 }),
        fc.stringMatching(/^[A-Za-z0-9_]{1,64}$/),
        anyValue()
      );
    const restoreBody = () =>
      fc.oneof(
        fc.record(
          {
            target: fc.oneof(fc.constantFrom(...targets, 'nope', '__proto__'), anyValue()),
            snapshot: snapshotRef(),
            safetyBackup: fc.oneof(fc.boolean(), anyValue()),
            confirm: fc.oneof(fc.constantFrom(...targets), anyValue()),
            to: toValue(),
            extra: anyValue(),
          },
          { requiredKeys: [] }
        ),
        fc.jsonValue({ maxDepth: 2 })
      );

    /**
     * Whether a body could be a real, confirmed restore (the fuzz must not start one: those are
     * skipped, everything else must be refused). Errs on the side of "could be".
     */
    function couldRestore(b: unknown): boolean {
      if (!b || typeof b !== 'object' || Array.isArray(b)) {
        return false;
      }
      const o = b as Record<string, unknown>;
      const allowed = ['target', 'snapshot', 'safetyBackup', 'confirm', 'to'];
      if (Object.keys(o).some((k) => !allowed.includes(k))) {
        return false;
      }
      if (typeof o.target !== 'string' || !targets.includes(o.target) || o.confirm !== o.target) {
        return false;
      }
      if (
        typeof o.safetyBackup !== 'boolean' ||
        typeof o.snapshot !== 'string' ||
        !/^(latest|[0-9a-f]{4,64})$/.test(o.snapshot)
      ) {
        return false;
      }
      if (o.to === undefined) {
        return true;
      }
      if (typeof o.to !== 'string') {
        return false;
      }
      return o.target === 'mysql' ? /^[A-Za-z0-9_]{1,64}$/.test(o.to) : o.to.startsWith('/');
    }

    const status = new Map<number, number>();
    const count = (code: number) => status.set(code, (status.get(code) ?? 0) + 1);
    let restoresBefore: number;

    beforeAll(() => {
      restoresBefore = s.lab.engine.catalog.runs({ operation: 'restore', limit: 1000 }).length;
    });

    it('POST /api/restores bodies: only 400/404/409/413, never a restore', async () => {
      await fc.assert(
        fc.asyncProperty(restoreBody(), async (body) => {
          fc.pre(!couldRestore(body));
          const res = await send('POST', '/api/restores', asJson('admin'), JSON.stringify(body));
          count(res.statusCode);
          expect([400, 404, 409, 413]).toContain(res.statusCode);
          expectClientError(res, res.statusCode);
        }),
        { numRuns: 90, seed: 4242 }
      );
    });

    it('POST /api/targets/:t/verify bodies and target names: only 202/400/404/409/413', async () => {
      const verifyBody = fc.oneof(
        fc.record({ snapshot: snapshotRef(), extra: anyValue() }, { requiredKeys: [] }),
        fc.jsonValue({ maxDepth: 2 })
      );
      const targetName = fc.oneof(fc.constantFrom('mysql', 'app', 'nope'), fc.string({ minLength: 1, maxLength: 70 }));
      await fc.assert(
        fc.asyncProperty(targetName, verifyBody, async (name, body) => {
          const res = await send(
            'POST',
            `/api/targets/${encodeURIComponent(name)}/verify`,
            asJson('operator'),
            JSON.stringify(body)
          );
          count(res.statusCode);
          expect([202, 400, 404, 409, 413]).toContain(res.statusCode);
          if (res.statusCode !== 202) {
            expectClientError(res, res.statusCode);
          }
        }),
        { numRuns: 50, seed: 4243 }
      );
    });

    it('query strings of the GET routes: only 200/400/404', async () => {
      const piece = fc.oneof(
        fc.string({ maxLength: 12 }).map(encodeURIComponent),
        fc.constantFrom(
          '%',
          '%zz',
          '%00',
          '[]',
          '[x]',
          '__proto__',
          'constructor',
          'prototype',
          '&',
          '=',
          'limit',
          'target',
          'operation',
          'backup',
          '1',
          '-1',
          '1001'
        )
      );
      const queryString = fc
        .array(fc.tuple(piece, piece), { maxLength: 4 })
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
      const route = fc.constantFrom(
        '/api/runs',
        '/api/audit',
        '/api/restores',
        '/api/status',
        '/api/targets/mysql',
        '/api/targets/mysql/snapshots'
      );
      await fc.assert(
        fc.asyncProperty(route, queryString, async (url, q) => {
          const res = await send('GET', `${url}?${q}`, auth('viewer'));
          count(res.statusCode);
          expect([200, 400, 404]).toContain(res.statusCode);
          if (res.statusCode !== 200) {
            expectClientError(res, res.statusCode);
          }
        }),
        { numRuns: 70, seed: 4244 }
      );
    });

    it('afterwards: the service is healthy, the database unchanged, nothing restored', async () => {
      // Verifications the fuzz may have started run to their end.
      await waitFor(() => s.lab.engine.catalog.runningRuns().length === 0, 60_000, 'fuzzed verifications to finish');
      const who = await send('GET', '/api/whoami', auth('viewer'));
      expect(who.statusCode).toBe(200);
      expect(json(who)).toEqual({ role: 'viewer' });
      expect((await send('GET', '/api/status', auth('viewer'))).statusCode).toBe(200);
      expect(await tableState(DB)).toEqual(before);
      expect(await databases()).toEqual(databasesBefore);
      expect(s.lab.engine.catalog.runs({ operation: 'restore', limit: 1000 })).toHaveLength(restoresBefore);
      expect(
        s.lab.engine.catalog.auditEntries(1000).filter((a) => a.action === 'restore' && a.target === 'mysql')
      ).toEqual([]);
      expect([...status.keys()].filter((c) => !CLIENT_ERRORS.includes(c) && c !== 200 && c !== 202)).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
});
