/**
 * Issue 14: two machines, one view. Two instances on this machine, each with its own
 * configuration, port, catalog and sources — app1: MariaDB and the application's files; mon1:
 * Prometheus, InfluxDB and the Ansible repository — sharing one S3 repository (pruned by mon1)
 * and one sftp copy. Everything is asked of app1 only:
 *
 * - its status lists every target of both, each with its instance (`local=1`: its own only);
 * - a backup and a restore of a mon1 target succeed and are audited on both sides with the
 *   Grafana user and the role of the token that carried them; two instances back up into the
 *   bucket at once;
 * - a viewer cannot start anything on mon1;
 * - mon1 stopped: app1 answers within 2 s, mon1's targets unknown ("instance mon1 unreachable
 *   since …"), and recovers once mon1 is back; a peer that accepts connections but never answers
 *   costs one timeout, then nothing;
 * - app1's retention leaves mon1's snapshots in the shared bucket (and copy) untouched, without
 *   pruning; only mon1 prunes;
 * - the CLI of app1 shows the whole lab and works on `mon1/<target>` through mon1's API.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type * as Api from '../api/contract';
import type { Role } from '../config/types';
import { DEFAULT_PEER_TIMEOUT_MS } from '../config/lab';
import { Lab, LabOptions, makeLab, resticSnapshots } from '../test/harness';
import { createAgama, mysqlTarget, query } from '../test/mysql';
import { json, request } from '../test/service';
import { s3RepositoryConfig, services, sftpRepository } from '../test/services';
import { waitFor } from '../test/process';
import { BIN, buildIfStale } from '../test/daemon';
import { startService, Service } from '../serve';
import { run } from '../util/subprocess';

const DB = 'agama_peers_test';
const unique = `${process.pid}-${Date.now()}`;
const BUCKET_REPO = `peers-shared-${unique}`;
const copy = sftpRepository(`peers-offsite-${unique}`);

/** Each instance has its own tokens: app1 holds mon1's (as a peer must), never the other way round by accident. */
const TOKENS: Record<'app1' | 'mon1', Record<Role, string>> = {
  app1: {
    viewer: 'app1-viewer-3c8e1f0a9b27-xxxxxxxxx',
    operator: 'app1-operator-7d2a5c9e0f41-xxxxxxx',
    admin: 'app1-admin-1b6f3e8d2a95-xxxxxxxxxx',
  },
  mon1: {
    viewer: 'mon1-viewer-9a4c7e2b5d10-xxxxxxxxx',
    operator: 'mon1-operator-2e9b4f7c1a63-xxxxxxx',
    admin: 'mon1-admin-6d1a8c3f9e52-xxxxxxxxxx',
  },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function git(dir: string, ...args: string[]): Promise<string> {
  return run({
    command: 'git',
    args: ['-C', dir, '-c', 'user.name=Lab Admin', '-c', 'user.email=admin@lab.test', ...args],
    env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' },
    timeoutMs: 30_000,
  });
}

/** What both instances' configurations share: the bucket (pruned by mon1) and the sftp copy. */
function sharedRepositories(): LabOptions['repositories'] {
  return {
    shared: { ...s3RepositoryConfig(BUCKET_REPO), passwordFile: './repo.pass', pruneBy: 'mon1' },
    offsite: { url: copy.url, options: copy.options, passwordFile: './repo.pass', pruneBy: 'mon1' },
  };
}

function tokenFiles(name: 'app1' | 'mon1', peer: 'app1' | 'mon1'): Record<string, string> {
  return {
    'viewer.token': TOKENS[name].viewer,
    'operator.token': TOKENS[name].operator,
    'admin.token': TOKENS[name].admin,
    [`${peer}-viewer.token`]: TOKENS[peer].viewer,
    [`${peer}-operator.token`]: TOKENS[peer].operator,
    [`${peer}-admin.token`]: TOKENS[peer].admin,
  };
}

function apiSection(port: number) {
  return {
    listen: `127.0.0.1:${port}`,
    tokens: { viewer: './viewer.token', operator: './operator.token', admin: './admin.token' },
  };
}

function peerSection(peer: string, port: number) {
  return {
    url: `http://127.0.0.1:${port}`,
    tokens: { viewer: `./${peer}-viewer.token`, operator: `./${peer}-operator.token`, admin: `./${peer}-admin.token` },
  };
}

async function start(lab: Lab): Promise<Service> {
  return startService(lab.engine.config, {
    engine: lab.engine,
    now: () => lab.clock.now,
    scheduler: false,
    shutdownGraceMs: 10_000,
  });
}

describe('two instances, one view (issue 14)', () => {
  let app1: Lab;
  let mon1: Lab;
  let app1Svc: Service;
  let mon1Svc: Service;
  let mon1Port: number;

  const as = (role: Role, user?: string) => ({
    authorization: `Bearer ${TOKENS.app1[role]}`,
    ...(user ? { 'x-grafana-user': user } : {}),
  });
  const get = (url: string, role: Role = 'viewer') =>
    request(app1Svc.address!, { method: 'GET', url, headers: as(role) });
  const post = (url: string, payload: unknown, role: Role, user?: string) =>
    request(app1Svc.address!, { method: 'POST', url, headers: as(role, user), payload });
  /** mon1 asked directly (with its own tokens): what it recorded itself. */
  const mon1Get = (url: string) =>
    request(mon1Svc.address!, { method: 'GET', url, headers: { authorization: `Bearer ${TOKENS.mon1.viewer}` } });

  /** Follows a run through app1 (`/api/runs/<instance>/<id>`) until it ends. */
  async function finishedRun(accepted: Api.Accepted): Promise<Api.Run> {
    let r: Api.Run | undefined;
    await waitFor(
      async () => {
        const res = await get(`/api/runs/${accepted.instance}/${accepted.runId}`);
        expect(res.statusCode).toBe(200);
        r = json<Api.Run>(res);
        return r.status !== 'running';
      },
      120_000,
      `run ${accepted.instance}/${accepted.runId}`
    );
    return r!;
  }

  beforeAll(async () => {
    await createAgama(DB, 200);
    const app1Port = await freePort();
    mon1Port = await freePort();
    const s = services();

    mon1 = makeLab({
      repositories: sharedRepositories(),
      targets: {
        prometheus: { kind: 'prometheus', connection: { url: s.prometheus.url, dataDir: s.prometheus.dataDir } },
        influxdb: { kind: 'influxdb', connection: { url: s.influx.url, rpcAddress: s.influx.rpc } },
        ansible: { kind: 'ansible', source: { path: './ansible' }, copies: ['offsite'] },
      },
      api: apiSection(mon1Port),
      extra: { instance: 'mon1', peers: { app1: peerSection('app1', app1Port) } },
      files: tokenFiles('mon1', 'app1'),
    });
    app1 = makeLab({
      repositories: sharedRepositories(),
      targets: {
        mysql: mysqlTarget(DB, { retention: { keepLast: 1 }, copies: ['offsite'] }),
        agama: { kind: 'files', source: { paths: ['./srv/agama'] } },
      },
      api: apiSection(app1Port),
      extra: { instance: 'app1', peers: { mon1: peerSection('mon1', mon1Port) } },
      files: tokenFiles('app1', 'mon1'),
    });
    // One repository password for the shared repositories.
    writeFileSync(path.join(app1.dir, 'repo.pass'), readFileSync(path.join(mon1.dir, 'repo.pass')));
    // mon1's Ansible repository, app1's application files.
    const repo = path.join(mon1.dir, 'ansible');
    cpSync(path.join(__dirname, '..', 'test', 'fixtures', 'ansible'), repo, { recursive: true });
    await git(repo, 'init', '-q', '-b', 'main');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'lab configuration');
    mkdirSync(path.join(app1.dir, 'srv'));
    cpSync(path.join(__dirname, '..', 'test', 'fixtures', 'agama'), path.join(app1.dir, 'srv', 'agama'), {
      recursive: true,
    });

    mon1Svc = await start(mon1);
    app1Svc = await start(app1);
  });

  afterAll(async () => {
    await app1Svc?.close();
    await mon1Svc?.close();
    app1?.cleanup();
    mon1?.cleanup();
    await query(`DROP DATABASE IF EXISTS \`${DB}\``);
    rmSync(path.join(services().s3.dir, BUCKET_REPO), { recursive: true, force: true });
    rmSync(copy.url.replace(/^sftp:[^:]+:/, ''), { recursive: true, force: true });
  });

  it("app1's status lists every target of the lab with its instance; local=1 its own only", async () => {
    const res = await get('/api/status');
    expect(res.statusCode).toBe(200);
    const body = json<Api.GetStatus>(res);
    expect(body.instance).toBe('app1');
    expect(body.targets.map((t) => `${t.instance}/${t.name}`)).toEqual([
      'app1/mysql',
      'app1/agama',
      'mon1/prometheus',
      'mon1/influxdb',
      'mon1/ansible',
    ]);
    expect(body.instances).toEqual([
      expect.objectContaining({ name: 'app1', self: true, reachable: true, unreachableSince: null }),
      expect.objectContaining({ name: 'mon1', self: false, reachable: true, unreachableSince: null, error: null }),
    ]);
    // The services the SLA covers by the Ansible backup are mon1's.
    expect(body.covered.map((c) => `${c.name}: ${c.instance}/${c.coveredBy}`)).toContain('nginx: mon1/ansible');
    // One target of mon1, asked through app1.
    const one = json<Api.TargetStatus>(await get('/api/targets/mon1/prometheus'));
    expect([one.instance, one.name, one.kind]).toEqual(['mon1', 'prometheus', 'prometheus']);

    const local = json<Api.GetStatus>(await get('/api/status?local=1'));
    expect(local.targets.map((t) => `${t.instance}/${t.name}`)).toEqual(['app1/mysql', 'app1/agama']);
    expect(local.instances.map((i) => i.name)).toEqual(['app1']);
  });

  let ansibleSnapshot: string;
  it('a backup of a mon1 target through app1, then app1 and mon1 backing up into the bucket at once', async () => {
    // mon1 prunes the shared repositories, so it creates them: its backup comes first.
    const res = await post('/api/targets/mon1/ansible/backup', {}, 'operator', 'alice');
    expect(res.statusCode).toBe(202);
    const accepted = json<Api.Accepted>(res);
    expect(accepted.instance).toBe('mon1');
    const r = await finishedRun(accepted);
    expect({ status: r.status, error: r.error, instance: r.instance, actor: r.actor }).toEqual({
      status: 'success',
      error: null,
      instance: 'mon1',
      actor: 'alice',
    });
    ansibleSnapshot = r.snapshotId!;

    const [a, b] = await Promise.all([
      post('/api/targets/app1/mysql/backup', {}, 'operator', 'alice'),
      post('/api/targets/mon1/prometheus/backup', {}, 'operator', 'alice'),
    ]);
    const [ra, rb] = await Promise.all([finishedRun(json(a)), finishedRun(json(b))]);
    expect([ra.instance, ra.status, ra.error]).toEqual(['app1', 'success', null]);
    expect([rb.instance, rb.status, rb.error]).toEqual(['mon1', 'success', null]);

    const snapshots = json<Api.GetSnapshots>(await get('/api/targets/mon1/ansible/snapshots')).snapshots;
    expect(snapshots.map((s) => [s.instance, s.id, s.heldBy])).toEqual([
      ['mon1', ansibleSnapshot, ['shared', 'offsite']],
    ]);

    // Audited on both sides, with the Grafana user and the role whose token carried it.
    const here = json<Api.GetAudit>(await get('/api/audit?local=1')).entries;
    expect(here).toContainEqual(
      expect.objectContaining({
        instance: 'app1',
        action: 'backup',
        target: 'mon1/ansible',
        actor: 'alice',
        role: 'operator',
        detail: `forwarded to mon1: run ${accepted.runId}`,
        result: 'started',
      })
    );
    const there = json<Api.GetAudit>(await mon1Get('/api/audit?local=1')).entries;
    expect(there).toContainEqual(
      expect.objectContaining({
        instance: 'mon1',
        action: 'backup',
        target: 'ansible',
        actor: 'alice',
        role: 'operator',
      })
    );
    // The whole lab's audit log, through app1, has both.
    const lab = json<Api.GetAudit>(await get('/api/audit')).entries;
    expect(lab.map((e) => `${e.instance} ${e.target}`)).toEqual(
      expect.arrayContaining(['app1 mon1/ansible', 'mon1 ansible'])
    );
  });

  it('a restore of a mon1 target through app1 (admin), audited on both sides', async () => {
    const to = path.join(mon1.dir, 'restored-ansible');
    const refused = await post(
      '/api/restores',
      { target: 'mon1/ansible', snapshot: 'latest', to, safetyBackup: false, confirm: 'ansible' },
      'admin',
      'bob'
    );
    expect(refused.statusCode).toBe(400); // confirm names the target as given: mon1/ansible
    const res = await post(
      '/api/restores',
      { target: 'mon1/ansible', snapshot: 'latest', to, safetyBackup: false, confirm: 'mon1/ansible' },
      'admin',
      'bob'
    );
    expect(res.statusCode).toBe(202);
    const r = await finishedRun(json(res));
    expect({ status: r.status, error: r.error, snapshot: r.snapshotId }).toEqual({
      status: 'success',
      error: null,
      snapshot: ansibleSnapshot,
    });
    expect(readdirSync(to).length).toBeGreaterThan(0);
    const restores = json<Api.GetRestores>(await get('/api/restores')).restores;
    expect(restores[0]).toMatchObject({ instance: 'mon1', target: 'ansible', runId: r.id, actor: 'bob' });

    const here = json<Api.GetAudit>(await get('/api/audit?local=1')).entries;
    expect(here[0]).toMatchObject({ action: 'restore', target: 'mon1/ansible', actor: 'bob', role: 'admin' });
    const there = json<Api.GetAudit>(await mon1Get('/api/audit?local=1')).entries;
    expect(there[0]).toMatchObject({ action: 'restore', target: 'ansible', actor: 'bob', role: 'admin', result: 'ok' });
  });

  it('a viewer cannot start anything on mon1, an operator cannot restore there; nothing reaches mon1', async () => {
    const before = mon1.engine.catalog.runs({ limit: 1000 }).length;
    expect((await post('/api/targets/mon1/ansible/backup', {}, 'viewer')).statusCode).toBe(403);
    expect((await post('/api/targets/mon1/ansible/verify', {}, 'viewer')).statusCode).toBe(403);
    const restore = {
      target: 'mon1/ansible',
      snapshot: 'latest',
      to: '/tmp/x',
      safetyBackup: false,
      confirm: 'mon1/ansible',
    };
    expect((await post('/api/restores', restore, 'viewer')).statusCode).toBe(403);
    expect((await post('/api/restores', restore, 'operator')).statusCode).toBe(403);
    // Only a target name goes into a path to the peer, only a configured peer is asked.
    const dots = await post('/api/restores', { ...restore, target: 'mon1/..', confirm: 'mon1/..' }, 'admin');
    expect([dots.statusCode, json(dots).message]).toEqual([
      404,
      expect.stringMatching(/^unknown target '\.\.' of instance mon1/),
    ]);
    const nobody = await get('/api/targets/mon9/ansible');
    expect([nobody.statusCode, json(nobody).message]).toEqual([
      404,
      "unknown instance 'mon9' (this instance: app1; peers: mon1)",
    ]);
    expect(mon1.engine.catalog.runs({ limit: 1000 }).length).toBe(before);
    // Reading is a viewer's: forwarded with the viewer token.
    const runs = json<Api.GetRuns>(await get('/api/runs?target=mon1/ansible')).runs;
    expect(runs.every((x) => x.instance === 'mon1' && x.target === 'ansible')).toBe(true);
    expect(runs.map((x) => x.operation).sort()).toEqual(['backup', 'restore']);
  });

  it('mon1 stopped: app1 answers within 2 s with its targets unknown, and recovers when mon1 is back', async () => {
    await mon1Svc.close();
    for (let i = 0; i < 2; i++) {
      const t0 = Date.now();
      const res = await get('/api/status');
      expect(Date.now() - t0).toBeLessThan(2000);
      const body = json<Api.GetStatus>(res);
      const theirs = body.targets.filter((t) => t.instance === 'mon1');
      expect(theirs.map((t) => t.name)).toEqual(['prometheus', 'influxdb', 'ansible']);
      for (const t of theirs) {
        expect(t.level).toBe('unknown');
        expect(t.reasons).toEqual([expect.stringMatching(/^instance mon1 unreachable since \S+ \(connection refused/)]);
        expect(t.checks.fresh.level).toBe('unknown');
      }
      expect(body.instances[1]).toMatchObject({ name: 'mon1', reachable: false, level: 'unknown' });
      expect(body.instances[1].unreachableSince).not.toBeNull();
      // app1's own targets go on as before.
      expect(body.targets.find((t) => t.name === 'mysql')!.level).not.toBe('unknown');
    }
    const refused = await post('/api/targets/mon1/ansible/backup', {}, 'operator');
    expect(refused.statusCode).toBe(502);
    expect(json(refused).message).toMatch(/^instance mon1 unreachable: connection refused/);
    const runs = json<Api.GetRuns>(await get('/api/runs'));
    expect(runs.unreachable.map((u) => u.name)).toEqual(['mon1']);
    expect(runs.runs.every((r) => r.instance === 'app1')).toBe(true);

    mon1.reopen();
    mon1Svc = await start(mon1);
    await waitFor(
      async () => json<Api.GetStatus>(await get('/api/status')).instances[1].reachable,
      5000,
      'mon1 to be reachable again'
    );
    const back = json<Api.GetStatus>(await get('/api/status'));
    expect(back.targets.filter((t) => t.instance === 'mon1').every((t) => t.level !== 'unknown')).toBe(true);
  });

  it("app1's retention leaves mon1's snapshots in the shared bucket and copy untouched, without pruning", async () => {
    const mon1Ids = mon1.engine.catalog
      .runs({ limit: 100 })
      .map((r) => r.snapshotId)
      .filter(Boolean);
    const inBucket = async () => (await resticSnapshots(app1, 'shared')).map((s) => s.id);
    const before = await inBucket();
    expect(before).toEqual(expect.arrayContaining(mon1.engine.snapshots('ansible').map((s) => s.id)));
    const firstMysql = app1.engine.snapshots('mysql')[0].id;

    await query(`INSERT INTO \`${DB}\`.item (name, done, note) VALUES ('after the first backup', 0, 'x')`);
    const res = await post('/api/targets/mysql/backup', {}, 'operator');
    const r = await finishedRun(json(res));
    expect(r.status).toBe('success');
    // keepLast 1: app1 forgot its own first version ...
    expect(app1.engine.catalog.run(r.id)!.detail.forgotten).toEqual([firstMysql]);
    const after = await inBucket();
    expect(after).not.toContain(firstMysql);
    // ... and nothing of mon1's, in the bucket or in the copy.
    for (const id of [...mon1.engine.snapshots('ansible'), ...mon1.engine.snapshots('prometheus')].map((s) => s.id)) {
      expect(after).toContain(id);
    }
    expect(mon1Ids.length).toBeGreaterThanOrEqual(2);
    const offsite = (await resticSnapshots(app1, 'offsite')).map((s) => s.original);
    expect(offsite).toContain(ansibleSnapshot);
    expect(offsite).not.toContain(firstMysql);
    // Only mon1 prunes the shared repository.
    await expect(app1.engine.prune('shared', 'test')).rejects.toThrow(/pruned by instance mon1, not by this one/);
    await mon1.engine.prune('shared', 'test');
    expect((await inBucket()).sort()).toEqual(after.sort());
  });

  it("app1's CLI shows the whole lab and works on mon1's targets through mon1's API", async () => {
    buildIfStale();
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [BIN, '--config', app1.configFile, ...args], (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
        )
      );
    // The CLI runs beside the daemon (its own catalog connection, as on the machine).
    {
      const status = await cli('status');
      expect(status.stderr).toBe('');
      for (const t of ['app1/mysql', 'app1/agama', 'mon1/prometheus', 'mon1/influxdb', 'mon1/ansible']) {
        expect(status.stdout).toMatch(new RegExp(`^\\S+ +${t} `, 'm'));
      }
      const local = await cli('status', '--local');
      expect(local.stdout).not.toContain('prometheus');

      const list = await cli('list', 'mon1/ansible');
      expect(list.stdout).toContain(ansibleSnapshot.slice(0, 8));
      const backup = await cli('backup', 'mon1/ansible');
      expect({ code: backup.code, stderr: backup.stderr, stdout: backup.stdout }).toEqual({
        code: 0,
        stderr: '',
        stdout: 'unchanged: the current version is held\n',
      });
      const [last] = mon1.engine.catalog.runs({ target: 'ansible', operation: 'backup', limit: 1 });
      expect(last.actor).toMatch(/^cli:\S+@app1$/);
      expect((await cli('backup', 'mon2/ansible')).code).toBe(5);
      const noPrune = await cli('prune', 'shared');
      expect(noPrune.code).toBe(2);
      expect(noPrune.stderr).toMatch(/pruned by instance mon1/);
    }
  });
});

describe('a peer that accepts connections but never answers', () => {
  let lab: Lab;
  let svc: Service;
  let silent: net.Server;
  const held: net.Socket[] = [];

  beforeAll(async () => {
    silent = net.createServer((socket) => held.push(socket)); // reads nothing, answers nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    lab = makeLab({
      targets: { mysql: mysqlTarget(DB) },
      api: apiSection(0),
      extra: { instance: 'solo', peers: { ghost: peerSection('ghost', port) } },
      files: {
        'viewer.token': TOKENS.app1.viewer,
        'operator.token': TOKENS.app1.operator,
        'admin.token': TOKENS.app1.admin,
        'ghost-viewer.token': 'ghost-v-token-xxxxxxxxxxxxxxxxxxxx',
        'ghost-operator.token': 'ghost-o-token-xxxxxxxxxxxxxxxxxxxx',
        'ghost-admin.token': 'ghost-a-token-xxxxxxxxxxxxxxxxxxxx',
      },
    });
    svc = await start(lab);
  });
  afterAll(async () => {
    await svc.close();
    lab.cleanup();
    held.forEach((s) => s.destroy());
    silent.close();
  });

  it('costs the status one timeout (< 2 s), then nothing while it stays silent', async () => {
    const status = async (query = '') => {
      const t0 = Date.now();
      const res = await request(svc.address!, {
        method: 'GET',
        url: `/api/status${query}`,
        headers: { authorization: `Bearer ${TOKENS.app1.viewer}` },
      });
      return { ms: Date.now() - t0, body: json<Api.GetStatus>(res) };
    };
    // What this instance's own answer costs on this machine now (a loaded machine slows it; the
    // silent peer must add one timeout to it, nothing more): 2 s on a quiet machine.
    const own = Math.max(250, (await status('?local=1')).ms);
    const first = await status();
    expect(first.ms).toBeGreaterThanOrEqual(DEFAULT_PEER_TIMEOUT_MS - 50);
    expect(first.ms).toBeLessThan(DEFAULT_PEER_TIMEOUT_MS + 2 * own);
    expect(first.body.instances[1]).toMatchObject({
      name: 'ghost',
      reachable: false,
      error: 'instance ghost unreachable: no answer within 1.5 s',
    });
    expect(first.body.targets.map((t) => t.instance)).toEqual(['solo']); // it never said what it has
    const second = await status();
    expect(second.ms).toBeLessThan(2 * own);
    expect(second.body.instances[1].unreachableSince).toBe(first.body.instances[1].unreachableSince);
  });
});
