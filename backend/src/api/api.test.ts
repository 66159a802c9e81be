/**
 * The HTTP contract against a real engine (real MariaDB, real restic): every route answers the
 * shapes of the contract (packages/contract), starts real work, and every error answers {statusCode, error, message}.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAgama, mysqlTarget, query, tableState } from '../test/mysql';
import { auth, finished, HttpRequest, json, makeServiceLab, request, ServiceLab, TOKENS } from '../test/service';
import { routeTable } from './server';
import type * as Api from './contract';
import * as S from './schemas';

const DB = 'agama_api_test';
const COPY = 'agama_api_test_copy';

/** The fields of each answer, from the schemas (contract.test.ts ties those to the contract). */
const fields = (schema: S.JsonSchema) => Object.keys(schema.properties as object).sort();
const KEYS = {
  status: fields(S.statusResponseSchema),
  target: fields(S.targetStatusSchema),
  policy: fields(S.policySchema),
  run: fields(S.runSchema),
  snapshot: fields(S.snapshotSchema),
  audit: fields(S.auditEntrySchema),
  restore: fields(S.restoreSchema),
  error: fields(S.apiErrorSchema),
};
const keys = (o: object) => Object.keys(o).sort();

describe('HTTP API contract', () => {
  let s: ServiceLab;
  let app: { inject(req: HttpRequest): ReturnType<typeof request> };

  beforeAll(async () => {
    await createAgama(DB, 300);
    await query(`DROP DATABASE IF EXISTS ${COPY}`);
    s = await makeServiceLab(
      {
        targets: {
          mysql: mysqlTarget(DB, { retention: { keepLast: 5 } }),
          // A database that does not exist: its backups fail.
          broken: mysqlTarget('agama_api_test_missing'),
        },
        extra: { covered: [{ name: 'nginx', coveredBy: 'mysql', note: 'test' }] },
      },
      { bodyLimit: 2048 }
    );
    app = { inject: (req) => request(s.service.address!, req) };
  });
  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
    await query(`DROP DATABASE IF EXISTS ${COPY}`);
  });

  const get = (url: string, role: Api.Role = 'viewer', headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: auth(role, headers) });
  const post = (url: string, body: unknown, role: Api.Role = 'operator', headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: auth(role, headers), payload: body as object });

  function expectError(res: { statusCode: number; body: string }, status: number, message?: RegExp) {
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body);
    expect(keys(body)).toEqual(KEYS.error);
    expect(body.statusCode).toBe(status);
    expect(typeof body.error).toBe('string');
    if (message) {
      expect(body.message).toMatch(message);
    }
    expect(res.body).not.toMatch(/\n\s+at /); // no stack
    return body as Api.ApiError;
  }

  it('GET /api/status before any backup: every target critical, shapes exactly as the contract', async () => {
    const res = await get('/api/status');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = json<Api.GetStatus>(res);
    expect(keys(body)).toEqual(KEYS.status);
    expect(body.targets.map((t) => t.name)).toEqual(['mysql', 'broken']);
    const t = body.targets[0];
    expect(keys(t)).toEqual(KEYS.target);
    expect(keys(t.policy)).toEqual(KEYS.policy);
    expect(t.policy).toMatchObject({
      schedule: '0 2 * * *',
      rpoSeconds: 86400,
      rtoSeconds: 300,
      retention: { keepLast: 5 },
      retentionText: 'last 5 versions',
      repository: 'main',
      copies: [],
    });
    expect(t.level).toBe('critical');
    expect(t.checks.fresh.level).toBe('critical');
    expect(t.lastRun).toBeNull();
    expect(t.running).toBeNull();
    expect(t.versionsHeld).toBe(0);
    expect(body.covered).toEqual([
      { name: 'nginx', instance: s.lab.engine.config.instance, coveredBy: 'mysql', note: 'test', level: 'critical' },
    ]);
    // Without peers: this instance alone, named by its host name.
    expect(body.instance).toBe(s.lab.engine.config.instance);
    expect(body.instances).toEqual([
      expect.objectContaining({ name: body.instance, self: true, reachable: true, level: 'critical' }),
    ]);
    expect(t.instance).toBe(body.instance);
  });

  let backupRun: number;
  it('POST backup answers 202 {runId}; the run, the snapshot and the target state follow', async () => {
    const res = await post('/api/targets/mysql/backup', {}, 'operator', { 'x-grafana-user': 'alice' });
    expect(res.statusCode).toBe(202);
    const body = json<Api.Accepted>(res);
    expect(keys(body)).toEqual(['instance', 'runId']);
    expect(body.instance).toBe(s.lab.engine.config.instance);
    backupRun = body.runId;
    // The run is recorded before the answer: it can be polled at once.
    const polled = json<Api.Run>(await get(`/api/runs/${backupRun}`));
    expect(keys(polled)).toEqual(KEYS.run);
    expect(polled).toMatchObject({ id: backupRun, target: 'mysql', operation: 'backup', actor: 'alice' });

    const run = await finished(s.lab, backupRun);
    expect(run.status).toBe('success');
    const done = json<Api.Run>(await get(`/api/runs/${backupRun}`));
    expect(done.status).toBe('success');
    expect(done.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(done.bytesDone).toBeGreaterThan(0);
    expect(done.durationSeconds).toBe(0); // the injected clock stands still

    const snaps = json<Api.GetSnapshots>(await get('/api/targets/mysql/snapshots'));
    expect(snaps.snapshots).toHaveLength(1);
    const snap = snaps.snapshots[0];
    expect(keys(snap)).toEqual(KEYS.snapshot);
    expect(snap).toMatchObject({
      id: done.snapshotId,
      shortId: done.snapshotId!.slice(0, 8),
      target: 'mysql',
      verification: 'unverified',
      heldBy: ['main'],
      version: null,
    });
    expect((snap.metadata as any).tables.item.rows).toBe(300);

    const target = json<Api.GetTarget>(await get('/api/targets/mysql'));
    expect(keys(target)).toEqual(KEYS.target);
    expect(target.versionsHeld).toBe(1);
    expect(target.lastRun).toMatchObject({ id: backupRun, status: 'success' });
    expect(target.lastSuccessAt).not.toBeNull();
    expect(target.checks.fresh.level).toBe('ok');

    const audit = json<Api.GetAudit>(await get('/api/audit?limit=5'));
    expect(keys(audit.entries[0])).toEqual(KEYS.audit);
    expect(audit.entries[0]).toMatchObject({ actor: 'alice', action: 'backup', target: 'mysql', result: 'ok' });
  });

  it('busy: a second backup while the first runs answers 409 with the message', async () => {
    const first = await post('/api/targets/mysql/backup', {});
    expect(first.statusCode).toBe(202);
    const second = await post('/api/targets/mysql/backup', {});
    expectError(second, 409, /target mysql is busy: backup running since/);
    // A verification is refused the same way: one operation per target.
    expectError(await post('/api/targets/mysql/verify', {}), 409, /busy/);
    const run = await finished(s.lab, json<Api.Accepted>(first).runId);
    expect(run.status).toBe('success');
    // Only one run was recorded for the two requests.
    expect(s.lab.engine.catalog.runs({ target: 'mysql', operation: 'backup' })).toHaveLength(2);
  });

  it('POST verify without a body verifies the latest; with {snapshot} that one; unknown snapshot 404', async () => {
    const noBody = await app.inject({ method: 'POST', url: '/api/targets/mysql/verify', headers: auth('operator') });
    expect(noBody.statusCode).toBe(202);
    const run = await finished(s.lab, json<Api.Accepted>(noBody).runId);
    expect(run.status).toBe('success');
    const [latest] = json<Api.GetSnapshots>(await get('/api/targets/mysql/snapshots')).snapshots;
    expect(latest.verification).toBe('passed');
    expect(run.detail.snapshot).toBe(latest.id);

    const older = json<Api.GetSnapshots>(await get('/api/targets/mysql/snapshots')).snapshots[1];
    const byId = await post('/api/targets/mysql/verify', { snapshot: older.shortId });
    expect(byId.statusCode).toBe(202);
    expect((await finished(s.lab, json<Api.Accepted>(byId).runId)).detail.snapshot).toBe(older.id);

    expectError(await post('/api/targets/mysql/verify', { snapshot: 'deadbeef' }), 404, /no snapshot 'deadbeef'/);
    expectError(
      await post('/api/targets/mysql/verify', { snapshot: '../x' }),
      400,
      /body\/snapshot must be a snapshot id/
    );
    expectError(await post('/api/targets/broken/verify', {}), 404, /has no snapshot yet/);

    const target = json<Api.GetTarget>(await get('/api/targets/mysql'));
    expect(target.lastVerification).toMatchObject({ success: true, snapshotId: older.id });
    expect(target.recoverySeconds).not.toBeNull();
  });

  it('a failing backup is a failed run with its error, and the target says so', async () => {
    const res = await post('/api/targets/broken/backup', {});
    expect(res.statusCode).toBe(202);
    const run = await finished(s.lab, json<Api.Accepted>(res).runId);
    expect(run.status).toBe('failed');
    const api = json<Api.Run>(await get(`/api/runs/${run.id}`));
    expect(api.error).toMatch(/agama_api_test_missing|Unknown database/i);
    expect(api.error).not.toContain(
      require('node:fs').readFileSync(process.env.BSLA_MYSQL_PASSWORD_FILE!, 'utf8').trim()
    );
    const target = json<Api.GetTarget>(await get('/api/targets/broken'));
    expect(target.lastRun).toMatchObject({ id: run.id, status: 'failed' });
    expect(target.reasons.join(' ')).toMatch(/last backup failed/);
  });

  it('GET /api/runs filters by target and operation, newest first, limited', async () => {
    const all = json<Api.GetRuns>(await get('/api/runs')).runs;
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => b - a));
    const backups = json<Api.GetRuns>(await get('/api/runs?target=mysql&operation=backup')).runs;
    expect(backups.every((r) => r.target === 'mysql' && r.operation === 'backup')).toBe(true);
    expect(backups).toHaveLength(2);
    expect(json<Api.GetRuns>(await get('/api/runs?operation=verify')).runs.every((r) => r.operation === 'verify')).toBe(
      true
    );
    expect(json<Api.GetRuns>(await get('/api/runs?limit=1')).runs).toHaveLength(1);
    expect(json<Api.GetRuns>(await get('/api/runs?target=broken')).runs.every((r) => r.target === 'broken')).toBe(true);
  });

  it('GET /api/runs filters by status (one or several) and since, on the service', async () => {
    const all = json<Api.GetRuns>(await get('/api/runs?limit=1000')).runs;
    const failed = json<Api.GetRuns>(await get('/api/runs?status=failed')).runs;
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.map((r) => r.id)).toEqual(all.filter((r) => r.status === 'failed').map((r) => r.id));
    const good = json<Api.GetRuns>(await get('/api/runs?status=success,unchanged&target=mysql')).runs;
    expect(good.map((r) => r.id)).toEqual(
      all.filter((r) => r.target === 'mysql' && ['success', 'unchanged'].includes(r.status)).map((r) => r.id)
    );
    // since: runs started at or after it; any zone, compared as a point in time.
    s.lab.clock.advance(60);
    const cut = s.lab.clock.now.toISOString();
    const later = await finished(s.lab, json<Api.Accepted>(await post('/api/targets/broken/backup', {})).runId);
    const since = json<Api.GetRuns>(await get(`/api/runs?since=${encodeURIComponent(cut)}`)).runs;
    expect(since.map((r) => r.id)).toEqual([later.id]);
    // The same point in time, written in another zone.
    const zoned = new Date(Date.parse(cut) + 3600_000).toISOString().replace('Z', '+01:00');
    expect(json<Api.GetRuns>(await get(`/api/runs?since=${encodeURIComponent(zoned)}`)).runs).toEqual(since);
    const before = new Date(Date.parse(cut) - 1000).toISOString();
    expect(json<Api.GetRuns>(await get(`/api/runs?since=${encodeURIComponent(before)}&status=failed`)).runs).toEqual(
      since
    );
    expect(json<Api.GetRuns>(await get('/api/runs?since=2999-01-01T00:00:00Z')).runs).toEqual([]);
    expectError(
      await get('/api/runs?status=ok'),
      400,
      /^querystring\/status must be one or more of running, success, failed, unchanged, comma-separated$/
    );
    expectError(await get('/api/runs?status=failed,'), 400, /^querystring\/status/);
    expectError(await get('/api/runs?since=yesterday'), 400, /^querystring\/since must match format "date-time"/);
  });

  it('POST /api/restores: confirmation, validation, then a real restore listed by GET /api/restores', async () => {
    const ok = { target: 'mysql', snapshot: 'latest', to: COPY, safetyBackup: false, confirm: 'mysql' };
    expectError(
      await post('/api/restores', { ...ok, confirm: 'mysq' }, 'admin'),
      400,
      /body\/confirm must equal the target name 'mysql'/
    );
    const { confirm: _c, ...noConfirm } = ok;
    expectError(await post('/api/restores', noConfirm, 'admin'), 400, /^body\/confirm is required$/);
    const { safetyBackup: _s, ...noSafety } = ok;
    expectError(await post('/api/restores', noSafety, 'admin'), 400, /^body\/safetyBackup is required$/);
    // Declining the safety backup must be an explicit boolean, never a coerced "false", 0 or null.
    for (const v of ['false', 0, null]) {
      expectError(
        await post('/api/restores', { ...ok, safetyBackup: v }, 'admin'),
        400,
        /^body\/safetyBackup must be one of true, false$/
      );
    }
    expectError(await post('/api/restores', { ...ok, to: '../etc' }, 'admin'), 400, /body\/to must not contain '\.\.'/);
    expectError(await post('/api/restores', { ...ok, to: 'a/../../b' }, 'admin'), 400, /body\/to/);
    expectError(
      await post('/api/restores', { ...ok, to: 'bad name' }, 'admin'),
      400,
      /restore destination 'bad name' refused/
    );
    expectError(await post('/api/restores', { ...ok, extra: 1 }, 'admin'), 400, /^body\/extra is not a known field$/);
    expectError(
      await post('/api/restores', { ...ok, target: 'nope', confirm: 'nope' }, 'admin'),
      404,
      /unknown target 'nope'/
    );
    expectError(await post('/api/restores', { ...ok, snapshot: 'abcdef12' }, 'admin'), 404, /no snapshot 'abcdef12'/);
    expect(s.lab.engine.catalog.runs({ operation: 'restore' })).toHaveLength(0);

    const res = await post('/api/restores', ok, 'admin', { 'x-grafana-user': 'root-admin' });
    expect(res.statusCode).toBe(202);
    const runId = json<Api.Accepted>(res).runId;
    const run = await finished(s.lab, runId);
    expect(run.status).toBe('success');
    expect((await tableState(COPY)).rows).toBe(300);

    const restores = json<Api.GetRestores>(await get('/api/restores')).restores;
    expect(restores).toHaveLength(1);
    expect(keys(restores[0])).toEqual(KEYS.restore);
    const latest = json<Api.GetSnapshots>(await get('/api/targets/mysql/snapshots')).snapshots[0];
    expect(restores[0]).toMatchObject({
      runId,
      target: 'mysql',
      snapshotId: latest.id,
      to: COPY,
      safetySnapshotId: null,
      status: 'success',
      actor: 'root-admin',
      error: null,
    });
    // One audit entry per action: recorded when the restore started, updated with its result.
    const audit = json<Api.GetAudit>(await get('/api/audit')).entries.filter((e) => e.action === 'restore');
    expect(audit.map((e) => [e.actor, e.role, e.result, e.runId])).toEqual([['root-admin', 'admin', 'ok', runId]]);
    expect(keys(audit[0])).toEqual(KEYS.audit);
    expect(audit[0].detail).toMatch(new RegExp(`^snapshot ${latest.shortId} to ${COPY}: restored to database ${COPY}`));
    expect(Date.parse(audit[0].finishedAt!)).toBeGreaterThanOrEqual(Date.parse(audit[0].at));
    expect(Date.parse(audit[0].at)).toBeLessThanOrEqual(Date.parse(run.finishedAt!));
  });

  it('GET /api/audit: each entry names its run; status and since filter it on the service', async () => {
    const all = json<Api.GetAudit>(await get('/api/audit?limit=1000')).entries;
    const backups = all.filter((e) => e.action === 'backup');
    expect(backups.length).toBeGreaterThan(0);
    for (const e of backups) {
      // Recorded once, when done: no finishedAt; its run is a backup of that target.
      expect(e.finishedAt).toBeNull();
      expect(json<Api.Run>(await get(`/api/runs/${e.runId}`))).toMatchObject({ operation: 'backup', target: e.target });
    }
    const ok = json<Api.GetAudit>(await get('/api/audit?status=ok')).entries;
    expect(ok.map((e) => e.id)).toEqual(all.filter((e) => e.result === 'ok').map((e) => e.id));
    const notOk = json<Api.GetAudit>(await get('/api/audit?status=failed,started')).entries;
    expect(notOk.map((e) => e.id)).toEqual(all.filter((e) => e.result !== 'ok').map((e) => e.id));
    // since: entries recorded (actions started) at or after it.
    s.lab.clock.advance(60);
    const cut = s.lab.clock.now.toISOString();
    const runId = json<Api.Accepted>(await post('/api/targets/mysql/backup', {})).runId;
    expect((await finished(s.lab, runId)).status).toBe('success');
    const since = json<Api.GetAudit>(await get(`/api/audit?since=${encodeURIComponent(cut)}`)).entries;
    expect(since.map((e) => [e.action, e.target, e.runId])).toEqual([['backup', 'mysql', runId]]);
    expect(json<Api.GetAudit>(await get(`/api/audit?since=${encodeURIComponent(cut)}&status=failed`)).entries).toEqual(
      []
    );
    expectError(
      await get('/api/audit?status=running'),
      400,
      /^querystring\/status must be one or more of ok, failed, started, comma-separated$/
    );
    expectError(await get('/api/audit?since=1700000000'), 400, /^querystring\/since must match format "date-time"/);
  });

  it('a finished restore says what it did: GET /api/runs/:id and GET /api/restores carry the outcome', async () => {
    const restore = json<Api.GetRestores>(await get('/api/restores')).restores[0];
    expect(restore.outcome).toMatchObject({ location: `database ${COPY}`, movedAside: [], next: [] });
    expect(restore.safetyBackup).toBe('not-needed');
    const run = json<Api.Run>(await get(`/api/runs/${restore.runId}`));
    expect(run.restore).toEqual(restore.outcome);
    expect(run.restoredTo).toBe(`database ${COPY}`);
    expect(run.phases.map((p) => p.name)).toContain('restoring');
  });

  it('what restores moved aside: listed for viewers, removed only by admins who name it, audited', async () => {
    const aside = path.join(s.lab.dir, 'agama.before-restore-2026-11-30T10-00-00-000Z');
    mkdirSync(aside);
    writeFileSync(path.join(aside, 'agama.py'), 'print("old")\n');
    const runId = s.lab.engine.catalog.runs({ operation: 'restore' })[0].id;
    s.lab.engine.catalog.addAside(
      { target: 'mysql', kind: 'directory', name: aside, was: 'directory /srv/agama', runId },
      new Date()
    );
    const items = json<Api.GetAside>(await get('/api/restores/aside')).items;
    expect(items).toEqual([
      {
        instance: s.lab.engine.config.instance,
        target: 'mysql',
        kind: 'directory',
        name: aside,
        was: 'directory /srv/agama',
        createdAt: expect.any(String),
        runId,
        bytes: null,
      },
    ]);
    const body = { target: 'mysql', name: aside, confirm: aside };
    expectError(await post('/api/restores/aside/remove', body, 'operator'), 403);
    expectError(
      await post('/api/restores/aside/remove', { ...body, confirm: 'x' }, 'admin'),
      400,
      /body\/confirm must equal the name/
    );
    // Only what the catalog recorded: never an arbitrary path.
    expectError(
      await post('/api/restores/aside/remove', { target: 'mysql', name: s.lab.dir, confirm: s.lab.dir }, 'admin'),
      404,
      /has nothing moved aside named/
    );
    expect(existsSync(s.lab.dir)).toBe(true);
    const removed = await post('/api/restores/aside/remove', body, 'admin', { 'x-grafana-user': 'root-admin' });
    expect(removed.statusCode).toBe(200);
    expect(existsSync(aside)).toBe(false);
    expect(json<Api.GetAside>(await get('/api/restores/aside')).items).toEqual([]);
    const audit = json<Api.GetAudit>(await get('/api/audit')).entries[0];
    expect(audit).toMatchObject({ actor: 'root-admin', role: 'admin', action: 'remove aside', result: 'ok' });
  });

  it('the actor is the role when Grafana forwards no user; a bad X-Grafana-User is refused', async () => {
    expectError(await get('/api/status', 'viewer', { 'x-grafana-user': 'x'.repeat(101) }), 400, /x-grafana-user/);
    expectError(
      await get('/api/status', 'viewer', { 'x-grafana-user': 'bad\ttab' }),
      400,
      /x-grafana-user must be printable/
    );
    // Grafana sends the login's UTF-8 bytes; Node reads header bytes as latin1; the service decodes.
    // (No body here: Node's client would write the headers in the body's encoding.)
    const res = await app.inject({
      method: 'POST',
      url: '/api/targets/broken/backup',
      headers: { ...auth('admin'), 'x-grafana-user': Buffer.from('Jürgen', 'utf8').toString('latin1') },
    });
    expect(res.statusCode).toBe(202);
    expect((await finished(s.lab, json<Api.Accepted>(res).runId)).actor).toBe('Jürgen');
    const anon = await post('/api/targets/broken/backup', {});
    expect((await finished(s.lab, json<Api.Accepted>(anon).runId)).actor).toBe('operator');
  });

  it('whoami answers the role of the token on all three paths', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      expect(json(await get('/api/whoami', role))).toEqual({ role });
      expect(json(await post('/api/whoami', {}, role))).toEqual({ role });
      expect(json(await post('/api/restores/whoami', {}, role))).toEqual({ role });
      const noBody = await app.inject({ method: 'POST', url: '/api/restores/whoami', headers: auth(role) });
      expect(json(noBody)).toEqual({ role });
    }
  });

  it('404 for unknown targets, runs and routes', async () => {
    expectError(await get('/api/targets/nope'), 404, /unknown target 'nope' \(configured: mysql, broken\)/);
    expectError(await get('/api/targets/nope/snapshots'), 404, /unknown target 'nope'/);
    expectError(await get('/api/runs?target=nope'), 404, /unknown target 'nope'/);
    expectError(await post('/api/targets/nope/backup', {}), 404, /unknown target/);
    expectError(await post('/api/targets/nope/verify', {}), 404, /unknown target/);
    expectError(await get('/api/runs/999999'), 404, /^no run 999999$/);
    expectError(await get('/api/nothing-here'), 404, /no such route: GET \/api\/nothing-here/);
  });

  it('400 names the wrong field', async () => {
    expectError(await get('/api/runs?limit=0'), 400, /^querystring\/limit must be >= 1$/);
    expectError(await get('/api/runs?limit=5000'), 400, /^querystring\/limit must be <= 1000$/);
    expectError(await get('/api/runs?limit=ten'), 400, /^querystring\/limit must be integer$/);
    expectError(
      await get('/api/runs?operation=dance'),
      400,
      /^querystring\/operation must be one of "backup", "verify", "restore", "forget"$/
    );
    expectError(await get('/api/audit?limit=-1'), 400, /querystring\/limit/);
    expectError(await get('/api/runs/abc'), 400, /^params\/id must be integer$/);
    expectError(await post('/api/targets/mysql/backup', { now: true }), 400, /^body\/now is not a known field$/);
    expectError(await post('/api/targets/mysql/backup', [1, 2]), 400, /^body must be object$/);
    expectError(
      await app.inject({
        method: 'POST',
        url: '/api/targets/mysql/backup',
        headers: { ...auth('operator'), 'content-type': 'application/json' },
        payload: '{oops',
      }),
      400,
      /not valid JSON/
    );
    expectError(
      await app.inject({
        method: 'POST',
        url: '/api/restores',
        headers: { ...auth('admin'), 'content-type': 'application/json' },
        payload: 'null',
      }),
      400,
      /^body must be object$/
    );
  });

  it('413 when the body is larger than api.bodyLimit', async () => {
    const big = { target: 'mysql', snapshot: 'latest', safetyBackup: true, confirm: 'x'.repeat(4096) };
    expectError(await post('/api/restores', big, 'admin'), 413, /too large/);
    // Without a token the answer is 401 before the body is read.
    const anon = await app.inject({ method: 'POST', url: '/api/restores', payload: big });
    expectError(anon, 401);
  });

  it('a failure inside answers 500 without a stack or details', async () => {
    const spy = jest.spyOn(s.lab.engine.catalog, 'auditEntries').mockImplementation(() => {
      throw new Error(`SQLITE_CORRUPT at /secret/path with ${TOKENS.admin}`);
    });
    try {
      const body = expectError(await get('/api/audit'), 500);
      expect(body.message).toBe('internal error; the service log has the details');
    } finally {
      spy.mockRestore();
    }
  });

  it('GET /api/openapi.json documents every route of the table, with roles and schemas', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = json(res);
    expect(doc.openapi).toBe('3.1.0');
    const table = routeTable({ api: s.lab.engine.config.api!, metrics: null as never });
    for (const r of table) {
      const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(op).toBeDefined();
      expect(op['x-required-role'] ?? null).toBe(r.role);
      expect(Object.keys(op.responses)).toEqual(Object.keys(r.schema.response));
    }
    expect(doc.paths['/api/restores'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RestoreRequest',
    });
    expect(doc.paths['/api/runs'].get.parameters.map((p: any) => p.name)).toEqual([
      'target',
      'operation',
      'status',
      'since',
      'limit',
      'local',
      'x-grafana-user',
    ]);
    expect(doc.components.schemas.TargetStatus.properties.lastRun).toEqual({
      anyOf: [{ $ref: '#/components/schemas/Run' }, { type: 'null' }],
    });
    // Every $ref points at a defined component.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g)!;
    for (const ref of new Set(refs)) {
      expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
    }
  });
});

describe('HTTP API on a real socket', () => {
  let s: ServiceLab;
  beforeAll(async () => {
    s = await makeServiceLab({ targets: { mysql: mysqlTarget(DB) } }, {}, { listen: true });
  });
  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
  });

  it('listens on api.listen and answers over TCP', async () => {
    expect(s.service.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const status = await fetch(`${s.service.address}/api/status`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    expect(status.status).toBe(200);
    expect(((await status.json()) as Api.GetStatus).targets[0].name).toBe('mysql');
    const anon = await fetch(`${s.service.address}/api/status`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await anon.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'a valid token is needed: Authorization: Bearer <token>',
    });
    const metrics = await fetch(`${s.service.address}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^backup_sla_snapshots\{target="mysql"\} 0$/m);
  });
});
