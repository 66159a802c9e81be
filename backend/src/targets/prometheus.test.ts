import { NoRepositoryError } from '../repository/restic';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeLab, Lab } from '../test/harness';
import { services } from '../test/services';
import { pidsMatching, waitFor } from '../test/process';
import { run } from '../util/subprocess';
import { ADMIN_API_DISABLED, BlockInfo, readBlocks } from './prometheus';
import { freePort } from './tools';

function promEnv() {
  return services().prometheus;
}

async function seriesCount(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: 'count({__name__=~".+"})' })}`).catch(
    () => null
  );
  const json: any = res ? await res.json().catch(() => null) : null;
  return Number(json?.data?.result?.[0]?.value?.[1] ?? 0);
}

async function waitForData(url: string): Promise<void> {
  await waitFor(async () => (await seriesCount(url)) > 0, 60_000, `Prometheus at ${url} to have series`);
}

function packFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? packFiles(p) : [p];
  });
}

/** Snapshot directories Prometheus left (the driver must delete each one it made). */
function leftSnapshots(dataDir: string): string[] {
  const dir = path.join(dataDir, 'snapshots');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function scratchServers(lab: Lab): number[] {
  return pidsMatching('prometheus', `--storage.tsdb.path=${lab.engine.config.workDir}`);
}

/**
 * A private Prometheus (own port and data dir) that scrapes itself every second, started and
 * stopped by two small scripts that double as the target's hooks.
 */
interface Private {
  url: string;
  dir: string;
  dataDir: string;
  startHook: string[];
  stopHook: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function privatePrometheus(adminApi: boolean): Promise<Private> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-prom-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`
  );
  const args = [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...(adminApi ? ['--web.enable-admin-api'] : []),
  ];
  writeFileSync(
    path.join(dir, 'start.sh'),
    `setsid /usr/bin/prometheus ${args.join(' ')} </dev/null >>${dir}/prometheus.log 2>&1 &\necho $! >${dir}/pid\n` +
      `for i in $(seq 1 100); do curl -sf ${url}/-/ready >/dev/null && exit 0; sleep 0.1; done\necho not ready >&2; exit 1\n`
  );
  writeFileSync(
    path.join(dir, 'stop.sh'),
    `pid=$(cat ${dir}/pid) || exit 0\nkill $pid 2>/dev/null || exit 0\n` +
      `for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || exit 0; sleep 0.1; done\nkill -9 $pid\n`
  );
  const startHook = ['bash', path.join(dir, 'start.sh')];
  const stopHook = ['bash', path.join(dir, 'stop.sh')];
  const p: Private = {
    url,
    dir,
    dataDir,
    startHook,
    stopHook,
    start: async () => void (await run({ command: startHook[0], args: startHook.slice(1), timeoutMs: 30_000 })),
    stop: async () => void (await run({ command: stopHook[0], args: stopHook.slice(1), timeoutMs: 30_000 })),
  };
  await p.start();
  return p;
}

describe('prometheus target', () => {
  let lab: Lab;
  const { url, dataDir } = promEnv();

  beforeAll(async () => {
    await waitForData(url);
    lab = makeLab({
      repositories: {
        main: { url: './repo', passwordFile: './repo.pass' },
        // restic cannot create a repository below a file: fails after the TSDB snapshot is taken.
        broken: { url: './blocker/repo', passwordFile: './repo.pass' },
      },
      targets: {
        prom: { kind: 'prometheus', connection: { url, dataDir } },
        unsaved: { kind: 'prometheus', connection: { url, dataDir }, repository: 'broken' },
      },
      files: { blocker: 'not a directory' },
    });
  });
  afterAll(() => lab.cleanup());

  it('takes the SLA defaults: daily, RPO 1d, RTO 20m, 10 weekly versions, weekly verification', () => {
    const t = lab.engine.config.targets.prom;
    expect(t.schedule).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(t.rpoSeconds).toBe(86400);
    expect(t.rtoSeconds).toBe(1200);
    expect(t.retention).toEqual({ keepWeekly: 10 });
    expect(t.verifySchedule).toMatch(/^\d+ \d+ \* \* \d$/);
  });

  it('backs up an admin-API snapshot, records its blocks, and deletes the snapshot directory', async () => {
    const b = await lab.engine.backup('prom', 'test');
    expect(b.error).toBeNull();
    expect(b.status).toBe('success');
    const meta = lab.engine.snapshots('prom')[0].metadata as any;
    expect(meta.snapshot).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]+$/);
    expect(meta.blocks.length).toBeGreaterThan(0);
    expect(meta.series).toBeGreaterThan(0);
    expect(meta.samples).toBe(meta.blocks.reduce((n: number, x: BlockInfo) => n + x.samples, 0));
    expect(meta.samples).toBeGreaterThan(0);
    expect(meta.maxTime).toBeGreaterThan(meta.minTime);
    expect(leftSnapshots(dataDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('a backup that fails after the snapshot was taken still deletes the snapshot directory', async () => {
    const o = await lab.engine.backup('unsaved', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/^repository broken: /);
    expect(lab.engine.snapshots('unsaved')).toEqual([]);
    expect(leftSnapshots(dataDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('verify: promtool analyze and a scratch Prometheus over the restored copy agree with the record', async () => {
    const v = await lab.engine.verify('prom', 'latest', 'test');
    expect(v.error).toBeNull();
    expect(v.status).toBe('success');
    expect(v.detail.result).toMatch(
      /^\d+ blocks?, \d+ samples, \d+ series in the newest block, \S+ to \S+; promtool tsdb analyze and a scratch Prometheus agree with what was recorded$/
    );
    expect(lab.engine.snapshots('prom')[0].verification).toBe('passed');
    expect(scratchServers(lab)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('restores to a directory given with `to`, never over the live data directory', async () => {
    const meta = lab.engine.snapshots('prom')[0].metadata as any;
    const to = path.join(lab.dir, 'restored');
    const r = await lab.engine.restore('prom', { snapshot: 'latest', to, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.location).toBe(`directory ${to}`);
    expect(r.detail.safetySnapshotId).toBeNull();
    expect(readBlocks(to)).toEqual(meta.blocks);

    const again = await lab.engine.restore('prom', { snapshot: 'latest', to, safetyBackup: false }, 'test');
    expect(again.error).toBe(`${to} is not empty; choose an empty directory or force`);
    writeFileSync(path.join(to, 'stray'), 'x');
    const forced = await lab.engine.restore(
      'prom',
      { snapshot: 'latest', to, safetyBackup: false, force: true },
      'test'
    );
    expect(forced.error).toBeNull();
    expect(existsSync(path.join(to, 'stray'))).toBe(false);
    expect(readBlocks(to)).toEqual(meta.blocks);

    const live = await lab.engine.restore(
      'prom',
      { snapshot: 'latest', to: dataDir, safetyBackup: false, force: true },
      'test'
    );
    expect(live.error).toBe(
      `${dataDir} is (or holds) the live data directory ${dataDir}: restore in place (without to) to replace it`
    );
    const above = await lab.engine.restore(
      'prom',
      { snapshot: 'latest', to: path.dirname(dataDir), safetyBackup: false, force: true },
      'test'
    );
    expect(above.error).toMatch(/is \(or holds\) the live data directory/);
    const nowhere = await lab.engine.restore('prom', { snapshot: 'latest', safetyBackup: false }, 'test');
    // In place is the live data directory: refused while Prometheus runs and no stop hook is configured.
    expect(nowhere.error).toMatch(/is running and the target has no hooks\.stop/);
    await expect(
      lab.engine.restore('prom', { snapshot: 'latest', to: 'relative/dir', safetyBackup: false }, 'test')
    ).rejects.toThrow(/refused: give an absolute directory path/);
    expect(leftSnapshots(dataDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('verify fails when the restored data differs from what was recorded', async () => {
    const snap = lab.engine.snapshots('prom').find((s) => !s.safety)!;
    const original = JSON.stringify(snap.metadata);
    const meta = JSON.parse(original);
    const block = meta.blocks[meta.blocks.length - 1];
    block.series += 1;
    lab.engine.catalog.db.prepare('UPDATE snapshots SET metadata = ? WHERE id = ?').run(JSON.stringify(meta), snap.id);
    try {
      const v = await lab.engine.verify('prom', snap.id, 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toBe(
        `verification failed: block ${block.ulid}: series ${block.series - 1}, expected ${block.series}`
      );
      expect(scratchServers(lab)).toEqual([]);
    } finally {
      lab.engine.catalog.db.prepare('UPDATE snapshots SET metadata = ? WHERE id = ?').run(original, snap.id);
    }
  });

  // Last: it breaks the repository.
  it('verify fails when the repository is damaged (bytes flipped in its pack files)', async () => {
    const snap = lab.engine.snapshots('prom').find((s) => !s.safety)!;
    for (const f of packFiles(path.join(lab.engine.config.repositories.main.url, 'data'))) {
      const buf = readFileSync(f);
      for (let i = Math.floor(buf.length / 2); i < buf.length; i += 97) {
        buf[i] ^= 0xff;
      }
      writeFileSync(f, buf);
    }
    const v = await lab.engine.verify('prom', snap.id, 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(/^verification failed: repository main: /);
    expect(lab.engine.snapshots('prom').find((s) => s.id === snap.id)!.verification).toBe('failed');
    expect(scratchServers(lab)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });
});

describe('prometheus target against private servers', () => {
  let lab: Lab;
  let admin: Private;
  let noAdmin: Private;
  let closed: number;

  beforeAll(async () => {
    [admin, noAdmin] = await Promise.all([privatePrometheus(true), privatePrometheus(false)]);
    closed = await freePort();
    lab = makeLab({
      targets: {
        live: {
          kind: 'prometheus',
          connection: { url: admin.url, dataDir: admin.dataDir },
          hooks: { stop: admin.stopHook, start: admin.startHook },
        },
        nohooks: { kind: 'prometheus', connection: { url: admin.url, dataDir: admin.dataDir } },
        noadmin: { kind: 'prometheus', connection: { url: noAdmin.url, dataDir: noAdmin.dataDir } },
        down: { kind: 'prometheus', connection: { url: `http://127.0.0.1:${closed}`, dataDir: admin.dataDir } },
      },
    });
    await waitForData(admin.url);
  });
  afterAll(async () => {
    lab?.cleanup();
    for (const p of [admin, noAdmin]) {
      if (p) {
        await p.stop().catch(() => undefined);
        rmSync(p.dir, { recursive: true, force: true });
      }
    }
  });

  async function expectNothingLeft(target: string, dataDir: string): Promise<void> {
    expect(lab.engine.snapshots(target)).toEqual([]);
    // Nothing saved: no snapshot, or not even a repository (only a backup creates one).
    const held = await lab.engine
      .repository('main')
      .snapshots()
      .catch((e) => (e instanceof NoRepositoryError ? [] : Promise.reject(e)));
    expect(held).toEqual([]);
    expect(leftSnapshots(dataDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  }

  it('a disabled admin API is named, with the flag that enables it', async () => {
    await waitForData(noAdmin.url);
    const o = await lab.engine.backup('noadmin', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toBe(ADMIN_API_DISABLED);
    expect(ADMIN_API_DISABLED).toBe('Prometheus admin API is disabled: start it with --web.enable-admin-api');
    await expectNothingLeft('noadmin', noAdmin.dataDir);
  });

  it('an unreachable server fails with one clear line', async () => {
    const o = await lab.engine.backup('down', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toBe(`cannot reach Prometheus at http://127.0.0.1:${closed}: ECONNREFUSED`);
    await expectNothingLeft('down', admin.dataDir);
  });

  it('restore in place (the live data directory): stop hook, live data moved aside (kept), restored data in place, start hook', async () => {
    const b = await lab.engine.backup('live', 'test');
    expect(b.error).toBeNull();
    const meta = lab.engine.snapshots('live')[0].metadata as any;
    expect(leftSnapshots(admin.dataDir)).toEqual([]);

    // Without hooks, a running Prometheus is not touched.
    expect((await lab.engine.backup('nohooks', 'test')).error).toBeNull();
    const refused = await lab.engine.restore('nohooks', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(refused.error).toMatch(/is running and the target has no hooks\.stop/);

    const r = await lab.engine.restore('live', { snapshot: b.snapshotId!, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.status).toBe('success');
    expect(r.detail.safetySnapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.detail.location).toBe(`live data directory ${admin.dataDir}`);
    const aside = readdirSync(admin.dir).filter((d) => d.startsWith('data.before-restore-'));
    expect(aside).toHaveLength(1);
    expect(r.detail.result).toContain(`previous data kept in ${path.join(admin.dir, aside[0])}`);
    expect(readdirSync(admin.dir).filter((d) => d.startsWith('data.restoring-'))).toEqual([]);
    // The aside copy is the live TSDB of before (its WAL); the new one holds the snapshot's blocks.
    expect(existsSync(path.join(admin.dir, aside[0], 'wal'))).toBe(true);
    const now = readBlocks(admin.dataDir).map((x) => x.ulid);
    expect(now).toEqual(expect.arrayContaining(meta.blocks.map((x: BlockInfo) => x.ulid)));
    // Restarted by the start hook over the restored data: its oldest sample is the snapshot's.
    await waitForData(admin.url);
    const lowest = await fetch(`${admin.url}/metrics`).then((res) => res.text());
    expect(Number(/^prometheus_tsdb_lowest_timestamp (\S+)$/m.exec(lowest)![1])).toBe(meta.minTime);
    expect(leftSnapshots(admin.dataDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });
});
