import { NoRepositoryError } from '../repository/restic';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { BIN, buildIfStale } from '../test/daemon';
import {
  answers,
  leftSnapshots,
  lowestTimestamp,
  privatePrometheus,
  PrivatePrometheus,
  waitForData,
} from '../test/prometheus';
import { changeRecordedMetadata, makeLab, Lab } from '../test/harness';
import { services } from '../test/services';
import { pidsMatching, waitFor } from '../test/process';
import { run } from '../util/subprocess';
import { ADMIN_API_DISABLED, BlockInfo, prometheusDriver, readBlocks } from './prometheus';
import { freePort } from './tools';

function promEnv() {
  return services().prometheus;
}

function packFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? packFiles(p) : [p];
  });
}

/** `backup-sla backup <target>` as users run it, in its own process (to be killed with -9). */
function spawnBackup(lab: Lab, target: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, '--config', lab.configFile, 'backup', target], { stdio: 'ignore' });
  return child;
}

/**
 * A proxy in front of a Prometheus that, while `hold` is set, forwards the snapshot request but
 * keeps Prometheus's answer from the service (the window in which a kill -9 loses the name).
 */
async function holdingProxy(
  target: string
): Promise<{ url: string; hold: boolean; held: number; close(): Promise<void> }> {
  const state = { hold: false, held: 0 };
  const server = http.createServer(async (req, res) => {
    const body = await new Promise<Buffer>((r) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c)).on('end', () => r(Buffer.concat(chunks)));
    });
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      body: req.method === 'GET' ? undefined : body,
    });
    const text = await answer.text();
    if (state.hold && req.url?.includes('/admin/tsdb/snapshot')) {
      state.held++;
      return; // never answered: the client is killed meanwhile
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

function scratchServers(lab: Lab): number[] {
  return pidsMatching('prometheus', `--storage.tsdb.path=${lab.engine.config.workDir}`);
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

  it('restores to a directory given with `to` (staged, checked, swapped; what was there moved aside), never over the live data directory', async () => {
    const meta = lab.engine.snapshots('prom')[0].metadata as any;
    const area = path.join(lab.engine.config.workDir, 'restores');
    const to = path.join(area, 'prom');
    const r = await lab.engine.restore('prom', { snapshot: 'latest', to, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.location).toBe(`directory ${to}`);
    expect(r.detail.safetySnapshotId).toBeNull();
    expect(readBlocks(to)).toEqual(meta.blocks);
    const restore = r.detail.restore as any;
    expect(restore.counts).toEqual({ blocks: meta.blocks.length, series: meta.series, samples: meta.samples });
    expect(restore.movedAside).toEqual([]);
    expect(restore.next).toEqual([`to read it, start a Prometheus with --storage.tsdb.path=${to}`]);

    const again = await lab.engine.restore('prom', { snapshot: 'latest', to, safetyBackup: false }, 'test');
    expect(again.error).toBe(
      `directory ${to} is not empty; choose another or force (it is then moved aside, never deleted)`
    );
    writeFileSync(path.join(to, 'stray'), 'x');
    const forced = await lab.engine.restore(
      'prom',
      { snapshot: 'latest', to, safetyBackup: false, force: true },
      'test'
    );
    expect(forced.error).toBeNull();
    expect(existsSync(path.join(to, 'stray'))).toBe(false);
    expect(readBlocks(to)).toEqual(meta.blocks);
    // --force moves aside, never deletes: the stray file is kept with the old directory.
    const [aside] = readdirSync(area).filter((n) => n.startsWith('prom.before-restore-'));
    expect(readFileSync(path.join(area, aside, 'stray'), 'utf8')).toBe('x');
    expect((forced.detail.restore as any).movedAside).toEqual([path.join(area, aside)]);
    expect(readdirSync(area).filter((n) => n.includes('.restoring-'))).toEqual([]);

    const live = await lab.engine.restore(
      'prom',
      { snapshot: 'latest', to: dataDir, safetyBackup: false, force: true },
      'test'
    );
    expect(live.error).toBe(
      `restore destination ${dataDir} is, holds or is inside the live ${dataDir}: restore in place (without to) to replace it`
    );
    const above = await lab.engine.restore(
      'prom',
      { snapshot: 'latest', to: path.dirname(dataDir), safetyBackup: false, force: true },
      'test'
    );
    expect(above.error).toMatch(/is outside the target's restore roots/);
    const elsewhere = await lab.engine.restore(
      'prom',
      { snapshot: 'latest', to: path.join(lab.dir, 'restored'), safetyBackup: false },
      'test'
    );
    expect(elsewhere.error).toBe(
      `restore destination ${path.join(lab.dir, 'restored')} is outside the target's restore roots (${area}, ${path.dirname(dataDir)}): choose a directory below one of them, or add one to the target's restoreRoots`
    );
    const nowhere = await lab.engine.restore('prom', { snapshot: 'latest', safetyBackup: false }, 'test');
    // In place is the live data directory: refused while Prometheus runs and no stop hook is configured.
    expect(nowhere.error).toBe(
      `Prometheus at ${url} is running and the target has no hooks.stop: stop it (e.g. systemctl stop prometheus) and restore again, or configure hooks { stop, start }`
    );
    await expect(
      lab.engine.restore('prom', { snapshot: 'latest', to: 'relative/dir', safetyBackup: false }, 'test')
    ).rejects.toThrow(/refused: give an absolute directory path/);
    expect(leftSnapshots(dataDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual(['restores']);
  });

  it('verify fails when the restored data differs from what was recorded', async () => {
    const snap = lab.engine.snapshots('prom').find((s) => !s.safety)!;
    const block = (snap.metadata as any).blocks.at(-1);
    const putBack = changeRecordedMetadata(lab, snap.id, (meta) => (meta.blocks.at(-1).series += 1));
    try {
      const v = await lab.engine.verify('prom', snap.id, 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toBe(
        `verification failed: block ${block.ulid}: series ${block.series}, expected ${block.series + 1}`
      );
      expect(scratchServers(lab)).toEqual([]);
    } finally {
      putBack();
    }
  });

  // Before the metadata was parsed (kit/metadata.ts), `blocks: null` passed as "nothing
  // recorded" and a block that is not an object crashed the comparison with a TypeError.
  it.each([
    ['blocks that are null', (m: any) => (m.blocks = null), 'blocks: expected array, received null'],
    ['a block that is not an object', (m: any) => (m.blocks[0] = null), 'blocks.0: expected object, received null'],
  ])('verify fails with one clear message on malformed metadata: %s', async (_what, damage, problem) => {
    const snap = lab.engine.snapshots('prom').find((s) => !s.safety)!;
    const putBack = changeRecordedMetadata(lab, snap.id, damage);
    try {
      const v = await lab.engine.verify('prom', snap.id, 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toBe(
        `verification failed: the metadata recorded for this prometheus snapshot is malformed (${problem}): it cannot be compared with the snapshot`
      );
      const now = lab.engine.snapshots('prom').find((s) => s.id === snap.id)!;
      expect(now.verification).toBe('failed');
      expect(lab.engine.contents(now)!.summary).toContain(problem);
      expect(scratchServers(lab)).toEqual([]);
    } finally {
      putBack();
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
    expect(readdirSync(lab.engine.config.workDir)).toEqual(['restores']);
  });
});

describe('prometheus target against private servers', () => {
  let lab: Lab;
  let admin: PrivatePrometheus;
  let noAdmin: PrivatePrometheus;
  let closed: number;

  beforeAll(async () => {
    [admin, noAdmin] = await Promise.all([privatePrometheus(), privatePrometheus({ adminApi: false })]);
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
    await Promise.all([admin, noAdmin].map((p) => p?.destroy()));
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
    expect(o.error).toBe(`cannot reach Prometheus at http://127.0.0.1:${closed}: connection refused (ECONNREFUSED)`);
    await expectNothingLeft('down', admin.dataDir);
  });

  it('restore in place (the live data directory): stop hook, live data moved aside (kept), restored data checked and swapped in, start hook', async () => {
    const b = await lab.engine.backup('live', 'test');
    expect(b.error).toBeNull();
    const meta = lab.engine.snapshots('live')[0].metadata as any;
    expect(leftSnapshots(admin.dataDir)).toEqual([]);

    // Without hooks, a running Prometheus is not touched.
    expect((await lab.engine.backup('nohooks', 'test')).error).toBeNull();
    const refused = await lab.engine.restore('nohooks', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(refused.error).toMatch(
      /is running and the target has no hooks\.stop: stop it \(e\.g\. systemctl stop prometheus\) and restore again/
    );

    const r = await lab.engine.restore('live', { snapshot: b.snapshotId!, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.status).toBe('success');
    expect(r.detail.safetySnapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.detail.location).toBe(`live data directory ${admin.dataDir}`);
    const aside = readdirSync(admin.dir).filter((d) => d.startsWith('data.before-restore-'));
    expect(aside).toHaveLength(1);
    expect(r.detail.result).toContain(`previous data kept in ${path.join(admin.dir, aside[0])}`);
    const restore = r.detail.restore as any;
    expect(restore.movedAside).toEqual([path.join(admin.dir, aside[0])]);
    expect(restore.counts).toEqual({ blocks: meta.blocks.length, series: meta.series, samples: meta.samples });
    expect(restore.next).toEqual([]);
    expect(readdirSync(admin.dir).filter((d) => d.includes('.restoring-'))).toEqual([]);
    // The aside copy is the live TSDB of before (its WAL); the new one holds the snapshot's blocks.
    expect(existsSync(path.join(admin.dir, aside[0], 'wal'))).toBe(true);
    const now = readBlocks(admin.dataDir).map((x) => x.ulid);
    expect(now).toEqual(expect.arrayContaining(meta.blocks.map((x: BlockInfo) => x.ulid)));
    // Restarted by the start hook over the restored data: its oldest sample is the snapshot's.
    await waitForData(admin.url);
    expect(await lowestTimestamp(admin.url)).toBe(meta.minTime);
    expect(leftSnapshots(admin.dataDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('a snapshot that does not restore as recorded is refused before Prometheus is stopped; the live data is untouched', async () => {
    const snap = lab.engine.snapshots('live').find((x) => !x.safety)!;
    const block = (snap.metadata as any).blocks[0];
    const putBack = changeRecordedMetadata(lab, snap.id, (meta) => (meta.blocks[0].samples += 1));
    const before = readdirSync(admin.dataDir).sort();
    const asidesBefore = readdirSync(admin.dir).filter((d) => d.startsWith('data.before-restore-'));
    try {
      const r = await lab.engine.restore('live', { snapshot: snap.id, safetyBackup: false }, 'test');
      expect(r.error).toBe(
        `the restored TSDB is not what was backed up (block ${block.ulid}: samples ${block.samples}, expected ${block.samples + 1}); nothing was replaced`
      );
      expect(await answers(admin.url)).toBe(true);
      expect(readdirSync(admin.dataDir).sort()).toEqual(before);
      expect(readdirSync(admin.dir).filter((d) => d.startsWith('data.before-restore-'))).toEqual(asidesBefore);
      expect(readdirSync(admin.dir).filter((d) => d.includes('.restoring-'))).toEqual([]);
    } finally {
      putBack();
    }
  });

  it('a snapshot whose recorded metadata is malformed is refused before Prometheus is stopped; the live data is untouched', async () => {
    const snap = lab.engine.snapshots('live').find((x) => !x.safety)!;
    const putBack = changeRecordedMetadata(
      lab,
      snap.id,
      (meta) => (meta.blocks[0].samples = String(meta.blocks[0].samples))
    );
    const before = readdirSync(admin.dataDir).sort();
    try {
      const r = await lab.engine.restore('live', { snapshot: snap.id, safetyBackup: false }, 'test');
      expect(r.error).toBe(
        'the metadata recorded for this prometheus snapshot is malformed (blocks.0.samples: expected number, received string): it cannot be compared with the snapshot; nothing was replaced'
      );
      expect(await answers(admin.url)).toBe(true);
      expect(readdirSync(admin.dataDir).sort()).toEqual(before);
      expect(readdirSync(admin.dir).filter((d) => d.includes('.restoring-'))).toEqual([]);
    } finally {
      putBack();
    }
  });

  it('a stopped Prometheus without hooks: the safety backup saves the data directory from disk, the restore swaps, the result says to start Prometheus', async () => {
    const good = lab.engine.snapshots('nohooks').find((x) => !x.safety)!;
    await admin.stop();
    const r = await lab.engine.restore('nohooks', { snapshot: good.id, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('saved');
    const safety = lab.engine.snapshots('nohooks').find((x) => x.id === r.detail.safetySnapshotId)!;
    expect(safety.safety).toBe(true);
    expect(safety.metadata).toMatchObject({ source: 'data directory', dataDir: admin.dataDir });
    expect(lab.engine.contents(safety)!.summary).toContain('(the data directory as it was on disk)');
    expect((r.detail.restore as any).next).toEqual(['start Prometheus (no hooks.start configured)']);
    expect(await answers(admin.url)).toBe(false);
    // The safety snapshot holds the WAL of the stopped server: it restores elsewhere as it was.
    const to = path.join(lab.engine.config.workDir, 'restores', 'safety');
    const back = await lab.engine.restore('nohooks', { snapshot: safety.id, to, safetyBackup: false }, 'test');
    expect(back.error).toBeNull();
    expect(existsSync(path.join(to, 'wal'))).toBe(true);
    await admin.start();
    await waitForData(admin.url);
    expect(await lowestTimestamp(admin.url)).toBe((good.metadata as any).minTime);
  });

  it('the data directory deleted with the server stopped: "nothing" to save, the restore recreates it', async () => {
    await admin.stop();
    rmSync(admin.dataDir, { recursive: true });
    const r = await lab.engine.restore('live', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('nothing');
    expect((r.detail.restore as any).movedAside).toEqual([]);
    expect((r.detail.restore as any).next).toEqual([]);
    expect(statSync(admin.dataDir).mode & 0o777).toBe(0o750);
    // The start hook ran: the server is back on the restored data.
    await waitForData(admin.url);
    const meta = lab.engine.snapshots('live').find((x) => !x.safety)!.metadata as any;
    expect(await lowestTimestamp(admin.url)).toBe(meta.minTime);
  });

  it('kill -9 while Prometheus writes the snapshot, and while it is uploaded: the next backup removes the snapshot directory the dead run left', async () => {
    buildIfStale();
    const proxy = await holdingProxy(admin.url);
    try {
      const config = YAML.parse(readFileSync(lab.configFile, 'utf8'));
      config.targets.proxied = { kind: 'prometheus', connection: { url: proxy.url, dataDir: admin.dataDir } };
      writeFileSync(lab.configFile, YAML.stringify(config));
      lab.reopen();
      await waitForData(admin.url);

      // 1. Killed before the answer: the snapshot exists, its name never reached the service.
      proxy.hold = true;
      const cli = spawnBackup(lab, 'proxied');
      await waitFor(() => proxy.held > 0, 30_000, 'the snapshot request to be answered by Prometheus');
      cli.kill('SIGKILL');
      await new Promise((r) => cli.once('exit', r));
      expect(leftSnapshots(admin.dataDir)).toHaveLength(1);
      proxy.hold = false;

      // 2. Killed while uploading: the directory was recorded as the run's leftover.
      const cli2 = spawnBackup(lab, 'proxied');
      let leftover: { kind: string; name: string } | null = null;
      await waitFor(
        () => {
          const r = lab.engine.catalog.runs({ target: 'proxied', limit: 1 })[0];
          leftover = (r?.detail.leftovers as any)?.[0] ?? null;
          return leftover !== null;
        },
        30_000,
        'the snapshot directory to be recorded'
      );
      cli2.kill('SIGKILL');
      await new Promise((r) => cli2.once('exit', r));
      expect(leftover).toEqual({
        kind: 'directory',
        name: expect.stringMatching(new RegExp(`^${admin.dataDir}/snapshots/\\d{8}T\\d{6}Z-`)),
      });
      expect(leftSnapshots(admin.dataDir).length).toBeGreaterThanOrEqual(1);

      // The next backup (a new process: the dead ones' marks are swept) leaves nothing behind.
      await lab.engine.recoverInterrupted();
      const b = await lab.engine.backup('proxied', 'test');
      expect(b.error).toBeNull();
      expect(leftSnapshots(admin.dataDir)).toEqual([]);
      expect(readdirSync(admin.dir).filter((n) => n.includes('backup-sla-snapshot'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('could not verify when promtool is not installed; a TSDB that does not load fails', async () => {
    const snap = lab.engine.snapshots('live').find((x) => !x.safety)!;
    const bin = mkdtempSync(path.join(os.tmpdir(), 'bsla-bin-'));
    symlinkSync(
      await run({ command: 'sh', args: ['-c', 'command -v restic'] }).then((x) => x.trim()),
      path.join(bin, 'restic')
    );
    const pathBefore = process.env.PATH;
    process.env.PATH = bin;
    let v;
    try {
      v = await lab.engine.verify('live', snap.id, 'test');
    } finally {
      process.env.PATH = pathBefore;
      rmSync(bin, { recursive: true, force: true });
    }
    expect(v.error).toBe(
      'could not verify: promtool is not installed (not found on PATH): install prometheus (Debian: apt-get install prometheus, which ships promtool)'
    );
    expect(lab.engine.snapshots('live').find((x) => x.id === snap.id)!.verification).not.toBe('failed');

    // The same snapshot with the index of a block damaged (as meta.json says it is): it does not load.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-tsdb-'));
    try {
      const repo = lab.engine.config.repositories.main;
      const env = { ...process.env, RESTIC_PASSWORD_FILE: repo.password.file };
      await run({
        command: 'restic',
        args: ['-r', repo.url, 'restore', snap.id, '--target', dir],
        env,
        timeoutMs: 60_000,
      });
      const block = readBlocks(dir)[0].ulid;
      const index = readFileSync(path.join(dir, block, 'index'));
      index.write('damaged!', 0);
      writeFileSync(path.join(dir, block, 'index'), index);
      const out = await run({
        command: 'restic',
        args: ['-r', repo.url, 'backup', '--json', '--tag', 'target=live', '.'],
        cwd: dir,
        env,
        timeoutMs: 60_000,
      });
      const id = JSON.parse(out.trim().split('\n').pop()!).snapshot_id as string;
      lab.engine.catalog.addSnapshot(
        {
          id,
          target: 'live',
          time: new Date().toISOString(),
          bytes: 1,
          version: null,
          metadata: snap.metadata,
          runId: null,
          runUid: null,
          safety: false,
        },
        'main'
      );
      const bad = await lab.engine.verify('live', id, 'test');
      expect(bad.error).toMatch(new RegExp(`^verification failed: promtool tsdb analyze cannot read block ${block}: `));
      expect(lab.engine.snapshots('live').find((x) => x.id === id)!.verification).toBe('failed');
      expect(scratchServers(lab)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('doctor: connection, admin API, data directory, promtool and prometheus, hooks', async () => {
    const checks = await prometheusDriver.doctor!(lab.engine.target('live') as any, lab.engine.log);
    expect(checks.map((c) => [c.name, c.level])).toEqual([
      ['connection', 'ok'],
      ['admin API', 'ok'],
      ['data directory', 'ok'],
      ['data directory access', 'ok'],
      ['promtool', 'ok'],
      ['prometheus', 'ok'],
      ['hooks.stop', 'ok'],
      ['hooks.start', 'ok'],
    ]);
    expect(checks[0].detail).toMatch(/^Prometheus 2\.\d+\.\d+/);
    const noadmin = await prometheusDriver.doctor!(lab.engine.target('noadmin') as any, lab.engine.log);
    expect(noadmin.find((c) => c.name === 'admin API')).toEqual({
      name: 'admin API',
      level: 'failed',
      detail: ADMIN_API_DISABLED,
    });
    const down = await prometheusDriver.doctor!(lab.engine.target('down') as any, lab.engine.log);
    expect(down[0]).toEqual({
      name: 'connection',
      level: 'failed',
      detail: `cannot reach Prometheus at http://127.0.0.1:${closed}: connection refused (ECONNREFUSED): backups fail until it answers`,
    });
  });
});
