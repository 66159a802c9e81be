/**
 * Secrets never leave: with distinct, recognisable secrets configured (repository password, MySQL
 * password, the three API tokens, a Grafana token), the daemon (`backup-sla serve`, as users run
 * it, logging at debug level) and the CLI do backups (good and failing), a verification, restores,
 * and answer every GET route and a set of error answers. None of the secrets is found in the
 * service's log, an API answer, CLI output, an error message or the catalog file; and no child
 * process (restic, mariadb-dump, mariadb) ever carries one on its command line (docs/design.md §5 rule 6:
 * secrets travel by environment variable or file).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab } from '../test/harness';
import { BIN, buildIfStale } from '../test/daemon';
import { createAgama, dropDatabases, mysqlEnv, query, tableState } from '../test/mysql';
import { descendants, waitFor } from '../test/process';
import { request, HttpResponse } from '../test/service';
import { startGrafanaFake, GrafanaFake } from '../test/grafana-fake/server';
import { seededState } from '../test/grafana-fake/seed';

const DB = 'agama_sec_secrets';
const USER = 'bsla_secret_user';

const SECRETS = {
  repository: 'repoPw-SECRET-7c1f0e9a2b54',
  mysql: 'mysqlPw-SECRET-4d8e2a6b1c93',
  viewer: 'viewerTok-SECRET-1a2b3c4d5e6f7a8b9c0d',
  operator: 'operatorTok-SECRET-6f5e4d3c2b1a0f9e8d',
  admin: 'adminTok-SECRET-9e8d7c6b5a40f1e2d3c4',
  grafana: 'glsa_grafanaTok_SECRET_0f9e8d7c6b5a',
};

/** Command lines of every process below this one (the daemon, the CLI and all they start). */
function descendantCommandLines(): string[] {
  const out: string[] = [];
  for (const pid of descendants(process.pid)) {
    try {
      out.push(readFileSync(`/proc/${pid}/cmdline`).toString().split('\0').join(' ').trim());
    } catch {
      // ended meanwhile
    }
  }
  return out.filter(Boolean);
}

describe('secrets never leave', () => {
  let lab: Lab;
  let fake: GrafanaFake;
  let daemon: ChildProcess;
  let base: string;
  let exited: Promise<unknown>;
  /** Everything that left the service, by where it was seen. */
  const seen: Array<{ where: string; text: string }> = [];
  const commandLines = new Set<string>();
  let sampler: NodeJS.Timeout;
  let daemonOutput = '';

  const bearer = (role: 'viewer' | 'operator' | 'admin') => ({ authorization: `Bearer ${SECRETS[role]}` });

  async function call(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    payload?: unknown
  ): Promise<HttpResponse> {
    const res = await request(base, { method, url, headers, payload });
    seen.push({ where: `${method} ${url} → ${res.statusCode}`, text: `${JSON.stringify(res.headers)}\n${res.body}` });
    return res;
  }

  async function runToEnd(url: string, role: 'operator' | 'admin', payload: unknown): Promise<any> {
    const res = await call('POST', url, bearer(role), payload);
    expect({ url, status: res.statusCode, body: res.body }).toMatchObject({ status: 202 });
    const id = JSON.parse(res.body).runId;
    let run: any;
    await waitFor(
      async () => {
        run = JSON.parse((await call('GET', `/api/runs/${id}`, bearer('viewer'))).body);
        return run.status !== 'running';
      },
      60_000,
      `run ${id}`
    );
    return run;
  }

  function cli(args: string[]): { code: number; stdout: string; stderr: string } {
    let code = 0;
    let stdout = '';
    let stderr = '';
    try {
      stdout = execFileSync(process.execPath, [BIN, '--config', lab.configFile, ...args], {
        env: { ...process.env, BACKUP_SLA_LOG_LEVEL: 'debug' },
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 60_000,
      });
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      code = err.status;
      stdout = err.stdout;
      stderr = err.stderr;
    }
    seen.push({ where: `cli ${args.join(' ')} (exit ${code})`, text: `${stdout}\n${stderr}` });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    buildIfStale();
    await createAgama(DB, 40_000, 100);
    await query(`DROP USER IF EXISTS '${USER}'@'127.0.0.1'`);
    await query(`CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${SECRETS.mysql}'`);
    await query(`GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'127.0.0.1'`);
    fake = await startGrafanaFake({ state: seededState(SECRETS.grafana, 'demo') });
    const connection = { host: '127.0.0.1', port: mysqlEnv().port, user: USER, passwordFile: './mysql.pass' };
    lab = makeLab({
      files: {
        'repo.pass': SECRETS.repository,
        'mysql.pass': SECRETS.mysql,
        'grafana.token': SECRETS.grafana,
        'viewer.token': SECRETS.viewer,
        'operator.token': SECRETS.operator,
        'admin.token': SECRETS.admin,
      },
      targets: {
        mysql: {
          kind: 'mysql',
          connection: { ...connection, database: DB },
          retention: { keepLast: 10 },
          verify: { schedule: null },
        },
        // A database that does not exist: its backups fail, with the user and password in play.
        broken: {
          kind: 'mysql',
          connection: { ...connection, database: 'agama_sec_missing' },
          verify: { schedule: null },
        },
        grafana: {
          kind: 'grafana',
          connection: { url: fake.url, tokenFile: './grafana.token' },
          verify: { schedule: null },
        },
        // Grafana unreachable: the token is sent nowhere, the failure must not name it.
        grafana_down: {
          kind: 'grafana',
          connection: { url: 'http://127.0.0.1:1', tokenFile: './grafana.token' },
          verify: { schedule: null },
        },
      },
      api: {
        listen: '127.0.0.1:0',
        tokens: { viewer: './viewer.token', operator: './operator.token', admin: './admin.token' },
      },
    });
    // Seed a good run for each target, so the daemon's catch-up at start leaves them to the test.
    for (const t of ['mysql', 'broken', 'grafana', 'grafana_down']) {
      const id = lab.engine.catalog.startRun(t, 'backup', 'seed', new Date());
      lab.engine.catalog.finishRun(id, new Date(), { status: 'unchanged' });
    }

    sampler = setInterval(() => descendantCommandLines().forEach((c) => commandLines.add(c)), 10);
    daemon = spawn(process.execPath, [BIN, '--config', lab.configFile, 'serve'], {
      env: { ...process.env, BACKUP_SLA_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout!.on('data', (d: Buffer) => (daemonOutput += d.toString()));
    daemon.stderr!.on('data', (d: Buffer) => (daemonOutput += d.toString()));
    exited = new Promise((resolve) => daemon.on('exit', resolve));
    await waitFor(
      () => /backup-sla serving/.test(daemonOutput) || daemon.exitCode !== null,
      30_000,
      'the daemon to listen'
    );
    const ready = daemonOutput
      .split('\n')
      .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
      .find((l) => /^backup-sla serving/.test(l.msg ?? ''));
    if (!ready) {
      throw new Error(`the daemon did not start: ${daemonOutput}`);
    }
    base = ready.api.replace(/\/api$/, '');
  }, 300_000);

  afterAll(async () => {
    clearInterval(sampler);
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await exited;
    }
    await fake?.close();
    lab?.cleanup();
    await query(`DROP USER IF EXISTS '${USER}'@'127.0.0.1'`);
    await dropDatabases(DB, `${DB}_copy`);
  });

  it('backups, a failing backup, a verification and restores over HTTP', async () => {
    expect((await runToEnd('/api/targets/mysql/backup', 'operator', {})).status).toBe('success');
    const broken = await runToEnd('/api/targets/broken/backup', 'operator', {});
    expect(broken.status).toBe('failed');
    expect(broken.error).toMatch(/^cannot connect to MySQL at 127\.0\.0\.1:\d+: ER_BAD_DB_ERROR/);
    expect((await runToEnd('/api/targets/grafana/backup', 'operator', {})).status).toBe('success');
    const down = await runToEnd('/api/targets/grafana_down/backup', 'operator', {});
    expect(down.status).toBe('failed');
    expect((await runToEnd('/api/targets/mysql/verify', 'operator', {})).status).toBe('success');
    expect((await runToEnd('/api/targets/grafana/verify', 'operator', {})).status).toBe('success');
    const before = await tableState(DB);
    const copy = await runToEnd('/api/restores', 'admin', {
      target: 'mysql',
      snapshot: 'latest',
      to: `${DB}_copy`,
      safetyBackup: true,
      confirm: 'mysql',
    });
    expect(copy.status).toBe('success');
    const inPlace = await runToEnd('/api/restores', 'admin', {
      target: 'mysql',
      snapshot: 'latest',
      safetyBackup: true,
      confirm: 'mysql',
    });
    expect(inPlace.status).toBe('success');
    expect(await tableState(DB)).toEqual(before);
    // A restore refused by the driver (the database exists): an error message of its own.
    const exists = await runToEnd('/api/restores', 'admin', {
      target: 'mysql',
      snapshot: 'latest',
      to: `${DB}_copy`,
      safetyBackup: false,
      confirm: 'mysql',
    });
    expect(exists.status).toBe('failed');
  });

  it('every GET route and the error answers', async () => {
    const v = bearer('viewer');
    const runs = JSON.parse((await call('GET', '/api/runs?limit=1000', v)).body).runs as Array<{ id: number }>;
    const urls = [
      '/api/status',
      '/api/audit?limit=1000',
      '/api/restores?limit=1000',
      '/api/whoami',
      '/api/openapi.json',
      '/metrics',
      ...['mysql', 'broken', 'grafana', 'grafana_down'].flatMap((t) => [
        `/api/targets/${t}`,
        `/api/targets/${t}/snapshots`,
        `/api/runs?target=${t}`,
      ]),
      ...runs.map((r) => `/api/runs/${r.id}`),
    ];
    for (const url of urls) {
      expect((await call('GET', url, v)).statusCode).toBe(200);
    }
    expect((await call('POST', '/api/whoami', bearer('operator'), {})).statusCode).toBe(200);
    expect((await call('POST', '/api/restores/whoami', bearer('admin'), {})).statusCode).toBe(200);
    // Errors: no token, a wrong one, a weaker one, unknown things, bad fields, too large, busy.
    const errors: Array<[string, string, Record<string, string>, unknown, number]> = [
      ['GET', '/api/status', {}, undefined, 401],
      ['GET', '/api/status', { authorization: `Bearer ${SECRETS.admin}-not` }, undefined, 401],
      [
        'POST',
        '/api/restores',
        bearer('operator'),
        { target: 'mysql', snapshot: 'latest', safetyBackup: false, confirm: 'mysql' },
        403,
      ],
      ['POST', '/api/targets/mysql/backup', bearer('viewer'), {}, 403],
      ['GET', '/api/targets/nope', v, undefined, 404],
      ['GET', '/api/runs/999999', v, undefined, 404],
      ['POST', '/api/targets/mysql/verify', bearer('operator'), { snapshot: 'deadbeef' }, 404],
      [
        'POST',
        '/api/restores',
        bearer('admin'),
        { target: 'mysql', snapshot: 'latest', safetyBackup: false, confirm: 'nope' },
        400,
      ],
      [
        'POST',
        '/api/restores',
        bearer('admin'),
        { target: 'mysql', snapshot: 'latest', safetyBackup: false, confirm: 'mysql', to: '../x' },
        400,
      ],
      ['POST', '/api/targets/mysql/backup', bearer('operator'), { padding: 'x'.repeat(100_000) }, 413],
      ['GET', '/api/nothing', v, undefined, 404],
    ];
    for (const [method, url, headers, payload, status] of errors) {
      expect((await call(method as 'GET' | 'POST', url, headers, payload)).statusCode).toBe(status);
    }
    const first = await call('POST', '/api/targets/mysql/backup', bearer('operator'), {});
    const busy = await call('POST', '/api/targets/mysql/backup', bearer('operator'), {});
    expect([first.statusCode, busy.statusCode]).toEqual([202, 409]);
    await waitFor(
      async () =>
        JSON.parse((await call('GET', `/api/runs/${JSON.parse(first.body).runId}`, v)).body).status !== 'running',
      60_000
    );
  });

  it('the CLI: status, list, and failing commands', () => {
    expect(cli(['status', '--json']).code).toBe(0);
    expect(cli(['status']).code).toBe(1); // critical: the broken target holds no version
    expect(cli(['list', 'mysql', '--json']).code).toBe(0);
    expect(cli(['--verbose', 'backup', 'broken']).code).toBe(1);
    expect(cli(['--verbose', 'backup', 'grafana_down']).code).toBe(1);
    expect(cli(['verify', 'mysql', 'deadbeef']).code).toBe(5);
    expect(cli(['restore', 'mysql', 'latest']).code).toBe(2); // not confirmed
    expect(cli(['check-config']).code).toBe(0);
  });

  it('no secret anywhere: logs, answers, CLI output, errors, the catalog, command lines', async () => {
    // Stop the daemon (its shutdown logs too), then look everywhere.
    daemon.kill('SIGTERM');
    await exited;
    clearInterval(sampler);
    seen.push({ where: 'daemon log (stdout + stderr)', text: daemonOutput });
    for (const r of lab.engine.catalog.runs({ limit: 1000 })) {
      seen.push({ where: `run ${r.id} error`, text: `${r.error ?? ''} ${JSON.stringify(r.detail)}` });
    }
    const dir = path.dirname(lab.engine.config.catalog);
    for (const f of readdirSync(dir).filter((n) => n.startsWith(path.basename(lab.engine.config.catalog)))) {
      seen.push({ where: `catalog file ${f}`, text: readFileSync(path.join(dir, f)).toString('latin1') });
    }
    // The run produced what it should have: logs at debug level, answers, errors.
    expect(daemonOutput).toMatch(/"msg":"backup finished"/);
    expect(daemonOutput).toMatch(/cannot connect to MySQL/);
    expect(seen.length).toBeGreaterThan(60);

    const leaks = seen.flatMap(({ where, text }) =>
      Object.entries(SECRETS)
        .filter(([, secret]) => text.includes(secret) || text.includes(secret.slice(0, 16)))
        .map(([name]) => `${name} in ${where}`)
    );
    expect(leaks).toEqual([]);

    // Command lines: restic, mariadb-dump and the mariadb client were seen, none with a secret.
    const lines = [...commandLines];
    expect(lines.some((l) => /restic .* backup /.test(l))).toBe(true);
    expect(lines.some((l) => /mariadb-dump /.test(l))).toBe(true);
    expect(lines.some((l) => /mariadb --defaults-extra-file/.test(l))).toBe(true);
    const onCommandLine = lines.flatMap((l) =>
      Object.entries(SECRETS)
        .filter(([, s]) => l.includes(s))
        .map(([name]) => `${name}: ${l}`)
    );
    expect(onCommandLine).toEqual([]);
    // The files that carried a secret to a child (client options) are gone with their run.
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });
});
