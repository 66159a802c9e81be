/**
 * Point-in-time recovery of a mysql target against the real MariaDB of scripts/services.sh
 * (binary log on, ROW format), as the least-privilege account of docs/mysql-privileges.md:
 * the archiver follows the log into the target's repository, a restore `--at` one second before
 * a DROP TABLE brings back every row written before it and none after, a time inside a gap (a log
 * file purged before it was archived) is refused with the nearest recoverable times, and the
 * archive survives a server restart, a service restart and a kill of its follower mid-file without
 * a gap, byte for byte the server's log.
 *
 * One lab and one repository for the whole file, in order (every restic command costs ≈ 0.7 s).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab, resticSnapshots } from '../test/harness';
import {
  createAgama,
  dropDatabases,
  grantDocumented,
  leastPrivilegeTarget,
  nextSecond,
  query,
  scratchOf,
} from '../test/mysql';
import { services } from '../test/services';
import { waitFor, waitForProcess } from '../test/process';
import { Archiver } from '../engine/pitr/archiver';
import { fetchArchived, targetWindow } from '../engine/pitr/log';
import { createMetrics } from '../metrics/metrics';
import { silentLogger } from '../util/log';
import YAML from 'yaml';
import { Engine } from '../engine/engine';
import { Catalog } from '../catalog/catalog';
import { loadConfig } from '../config/load';
import { rebuildCatalog } from '../catalog/rebuild';
import { apiLabOptions, auth, json, request } from '../test/service';
import { buildIfStale, Daemon, startDaemon } from '../test/daemon';

const DB = 'agama_pitr';
const BIN = path.resolve(__dirname, '../../bin/backup-sla.js');

/** Runs the built CLI as a user would. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: process.env }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
const REPO_ROOT = path.resolve(__dirname, '../../..');

async function names(database: string): Promise<string[]> {
  return (await query(`SELECT name FROM \`${database}\`.item ORDER BY id`)).map((r) => r.name);
}

async function insert(...rows: string[]): Promise<void> {
  await query(`INSERT INTO \`${DB}\`.item (name) VALUES ${rows.map(() => '(?)').join(', ')}`, rows);
}

function servicesScript(...args: string[]): void {
  execFileSync('bash', [path.join(REPO_ROOT, 'scripts/services.sh'), ...args], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
    timeout: 120_000,
    env: process.env,
  });
}

describe('mysql point-in-time recovery', () => {
  let lab: Lab;
  let archiver: Archiver;
  let daemon: Daemon | null = null;
  const log = silentLogger;

  const window = () => targetWindow(lab.engine.target('mysql'), lab.engine.catalog, lab.engine.now())!;
  /** Waits until the archive holds every event through second `s`. */
  const archivedThrough = (s: number) =>
    waitFor(() => (window().archivedThrough ?? -1) >= s, 60_000, `the archive to hold second ${s}`);

  /**
   * The archive has no more gaps than `gaps`, and what the repository holds of each file the server
   * still has is that file, byte for byte (every file so far closed on the server first).
   */
  async function expectArchiveIsTheServerLog(gaps: number): Promise<void> {
    await query('FLUSH BINARY LOGS');
    await archivedThrough(await nextSecond());
    const files = lab.engine.catalog.archive.files('mysql');
    expect(files.filter((f) => f.gapBefore).length).toBe(gaps);
    expect(window().gaps.filter((g) => g.kind === 'archive').length).toBe(gaps);
    const dataDir = path.join(services().dir, 'mariadb', 'data');
    const onServer = new Set(readdirSync(dataDir));
    const compared = files.filter((f) => f.complete && onServer.has(f.file));
    expect(compared.length).toBeGreaterThanOrEqual(1);
    const fetched = await fetchArchived(
      lab.engine,
      lab.engine.target('mysql'),
      compared,
      { file: compared[0].file, position: 4 },
      mkdtempSync(path.join(lab.dir, 'fetched-')),
      new AbortController().signal
    );
    fetched.files.forEach((local, i) => {
      const same = readFileSync(local).equals(readFileSync(path.join(dataDir, compared[i].file)));
      expect({ file: compared[i].file, same }).toEqual({ file: compared[i].file, same: true });
    });
    // No archive snapshot the catalog does not know (an interrupted save is forgotten at the next start).
    const known = lab.engine.catalog.archive.knownSnapshots('mysql');
    const stray = (await resticSnapshots(lab)).filter((x) => x.tags.includes('pitr=binlog') && !known.has(x.id));
    expect(stray).toEqual([]);
  }

  let firstFile: string;
  beforeAll(async () => {
    await query('FLUSH BINARY LOGS'); // this file's own log files, from here on
    firstFile = (await query('SHOW MASTER STATUS'))[0].File;
    await createAgama(DB, 20);
    await grantDocumented(DB);
    lab = makeLab(
      apiLabOptions({
        // Every dump kept until the retention test (the weekly default keeps one per week).
        targets: {
          mysql: leastPrivilegeTarget(DB, { pitr: { saveEvery: '2s', copyEvery: '1h' }, retention: { keepLast: 10 } }),
        },
        realClock: true,
      })
    );
    archiver = new Archiver(lab.engine, 'mysql', { log, owner: lab.dir });
    archiver.start();
  });

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    await archiver?.stop();
    lab?.cleanup();
    await dropDatabases(DB, `${DB}_restored`);
  });

  it('restores to one second before a DROP TABLE: every row written before it, none after', async () => {
    await insert('before dump 1', 'before dump 2');
    const dump = await lab.engine.backup('mysql', 'test');
    expect(dump.status).toBe('success');
    const meta = lab.engine.snapshots('mysql')[0].metadata as any;
    expect(meta.binlog).toEqual({
      file: expect.stringMatching(/^binlog\.\d+$/),
      position: expect.any(Number),
      gtid: expect.stringMatching(/^\d+-\d+-\d+/),
      at: expect.any(Number),
    });
    // Rows written over time after the dump.
    const t1 = await nextSecond();
    await insert('after dump 1');
    await nextSecond(t1);
    await insert('after dump 2', 'after dump 3');
    // The drop comes in a second of its own, with a row written in that same second.
    const dropSecond = await nextSecond();
    await insert('written with the drop');
    await query(`DROP TABLE \`${DB}\`.item`);
    const at = dropSecond - 1;
    await archivedThrough(dropSecond);

    const w = window();
    expect(w.start).toBeLessThanOrEqual(Math.floor(meta.binlog.at / 1000));
    expect(w.end).toBeGreaterThanOrEqual(at);
    expect(w.gaps).toEqual([]);

    const r = await lab.engine.restore('mysql', { at: new Date(at * 1000), safetyBackup: false }, 'test');
    expect(r.error).toBeNull();
    expect(r.status).toBe('success');
    expect(r.detail.at).toBe(new Date(at * 1000).toISOString());
    expect(r.snapshotId).toBe(dump.snapshotId);
    expect(await names(DB)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `task ${i}`),
      'before dump 1',
      'before dump 2',
      'after dump 1',
      'after dump 2',
      'after dump 3',
    ]);
    // The replay wrote into the server's own log under new GTIDs: a strict reader finds none out of order.
    const dataDir = path.join(services().dir, 'mariadb', 'data');
    const [{ File: current }] = await query('SHOW MASTER STATUS');
    for (const f of readdirSync(dataDir).filter((n) => /^binlog\.\d+$/.test(n) && n >= firstFile && n <= current)) {
      execFileSync('mariadb-binlog', ['--no-defaults', path.join(dataDir, f)], { stdio: 'pipe', maxBuffer: 1 << 28 });
    }
    // Nothing was live to keep (the table was dropped); the next step is said.
    expect(r.detail.restore?.movedAside).toEqual([]);
    expect(r.detail.restore?.next.join(' ')).toMatch(/take a backup now/);
    // A restore crosses no later time: the window ends before it until the next backup.
    expect(window().gaps).toEqual([]);
  });

  it('fetches the archived log while the dump loads: a fetch that fails ends the restore with one message, nothing touched or left behind', async () => {
    // The catalog names an archive snapshot the repository does not hold (the archiver stopped,
    // so that no save puts the real one back meanwhile).
    // A dump after the restore in place above (the window restarts there), then a row to replay.
    expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
    await insert('after the dump, to replay');
    const s = await nextSecond();
    await archivedThrough(s);
    await archiver.stop();
    const at = new Date(s * 1000);
    const live = await names(DB).catch(() => null);
    const file = lab.engine.catalog.archive.files('mysql').at(-1)!;
    const setSnapshot = (id: string | null) =>
      lab.engine.catalog.db.prepare(`UPDATE binlog_files SET snapshot_id = ? WHERE id = ?`).run(id, file.id);
    setSnapshot('0'.repeat(64));
    const phases: string[] = [];
    const onProgress = (e: { phase: string }) => phases.push(e.phase);
    lab.engine.on('progress', onProgress);
    try {
      const r = await lab.engine.restore('mysql', { at, to: `${DB}_restored`, safetyBackup: false }, 'test');
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(
        new RegExp(`^repository main: invalid id .*no matching ID found.*; database ${DB}_restored is untouched$`)
      );
    } finally {
      lab.engine.off('progress', onProgress);
      setSnapshot(file.snapshotId);
      archiver = new Archiver(lab.engine, 'mysql', { log, owner: lab.dir });
      archiver.start();
    }
    // The dump was loading while the log was fetched; the replay never began.
    expect(phases).toContain('loading into a staging database');
    expect(phases.some((p) => p.startsWith('replaying'))).toBe(false);
    expect(await query(`SHOW DATABASES LIKE '${DB}\\_restored'`)).toEqual([]);
    expect(await scratchOf('mysql', DB)).toEqual([]);
    expect(await names(DB).catch(() => null)).toEqual(live);
    // The fetch ended before the run removed its temp dir (it wrote there).
    expect(readdirSync(lab.engine.config.workDir).filter((d) => d.startsWith('mysql-restore-'))).toEqual([]);
  });

  it('refuses a restore --at inside a gap (a log file purged before it was archived), with the nearest recoverable times', async () => {
    // A base after the restore, archived.
    await insert('after restore');
    expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
    await archivedThrough(await nextSecond());
    await archiver.stop();

    // While the archiver is down, the server writes two files and purges them.
    const lostSecond = await nextSecond();
    await insert('lost 1');
    await query('FLUSH BINARY LOGS');
    await insert('lost 2');
    await query('FLUSH BINARY LOGS');
    const [{ File: current }] = await query('SHOW MASTER STATUS');
    await query(`PURGE BINARY LOGS TO '${current}'`);

    archiver = new Archiver(lab.engine, 'mysql', { log, owner: lab.dir });
    archiver.start();
    await nextSecond();
    await insert('after the gap');
    expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
    await archivedThrough(await nextSecond());

    const w = window();
    const gap = w.gaps.find((g) => g.start <= lostSecond && lostSecond <= g.end)!;
    expect(gap).toMatchObject({
      kind: 'archive',
      reason: expect.stringMatching(/purged from the server before it was archived/),
    });
    const at = new Date(lostSecond * 1000);
    const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    const refused = `${iso(lostSecond)} cannot be recovered: it lies in a gap of the archive`;
    expect(() => lab.engine.pointInTime('mysql', at)).toThrow(refused);
    await expect(lab.engine.restore('mysql', { at, safetyBackup: false }, 'test')).rejects.toThrow(
      new RegExp(
        `nearest recoverable: ${iso(gap.start - 1)} \\(the latest before\\) or ${iso(gap.end + 1)} \\(the earliest after\\)`
      )
    );
    // The gap is reported: the SLA state's reason, the metric the provisioned alert watches.
    const state = lab.engine.slaState().targets[0];
    expect(state.checks.fresh.level).toBe('warning');
    expect(state.checks.fresh.reason).toMatch(/the archive has a gap: .* cannot be recovered \(.*purged/);
    const metrics = await createMetrics(lab.engine).render();
    expect(metrics).toMatch(/^backup_sla_pitr_gap\{target="mysql"\} 1$/m);
    expect(metrics).toMatch(/^backup_sla_binlog_lag_seconds\{target="mysql"\} \d/m);
    expect(metrics).toMatch(
      new RegExp(`^backup_sla_pitr_window_end_timestamp_seconds\\{target="mysql"\\} ${w.end}$`, 'm')
    );
  });

  it("survives a server restart, a service restart and a kill of its follower mid-file without a gap, byte for byte the server's log", async () => {
    const gapsBefore = lab.engine.catalog.archive.files('mysql').filter((f) => f.gapBefore).length;
    const restartsBefore = lab.engine.catalog.archive.state('mysql')!.restarts;

    // The server restarts (it writes a stop event and a new file); the follower loses it and is started again.
    await insert('before the server restart');
    servicesScript('stop', 'mariadb');
    servicesScript('start', 'mariadb');
    await insert('after the server restart');
    await archivedThrough(await nextSecond());
    expect(lab.engine.catalog.archive.state('mysql')!.restarts).toBeGreaterThan(restartsBefore);

    // The service stops and starts again (a new engine on the same catalog); the server writes meanwhile.
    await archiver.stop();
    await insert('while the service is down');
    lab.reopen();
    archiver = new Archiver(lab.engine, 'mysql', { log, owner: lab.dir });
    archiver.start();
    await insert('after the service restart');
    await archivedThrough(await nextSecond());

    // The follower is killed while the server writes: what it wrote half is cut away, then fetched again.
    const writes = (async () => {
      for (let i = 0; i < 30; i++) {
        await insert(`written while killed ${i}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    const follower = await waitForProcess(['mariadb-binlog', path.join(lab.engine.config.workDir, 'pitr')]);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(follower, 'SIGKILL');
    await writes;

    await expectArchiveIsTheServerLog(gapsBefore);
    // A dump after it all: the next tests start from it.
    expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
  });

  it('verifies the newest dump with the archived log replayed on it up to a mark taken on the live database', async () => {
    await insert('after the last dump 1');
    await query(`UPDATE \`${DB}\`.item SET done = 1 WHERE name LIKE 'task 1%'`);
    await query(`DELETE FROM \`${DB}\`.item WHERE name = 'task 2'`);
    const v = await lab.engine.verify('mysql', 'latest', 'test');
    expect(v.error).toBeNull();
    expect(v.detail.result).toMatch(
      /checksums match.*; the archived binary log replayed on it \(binlog\.\d+:\d+ → binlog\.\d+:\d+\) gives the live database's \d+ rows at a mark just taken/
    );
  });

  it('the CLI restores to a local time with --at (here beside the live database), and refuses a time it cannot reach', async () => {
    buildIfStale();
    const live = await names(DB);
    const s = await nextSecond();
    await archivedThrough(s);
    const d = new Date(s * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    const r = await cli([
      '--config',
      lab.configFile,
      'restore',
      'mysql',
      '--at',
      local,
      '--to',
      `${DB}_restored`,
      '--yes',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^restored [0-9a-f]{8} as of .* to database ${DB}_restored$`, 'm'));
    expect(await names(`${DB}_restored`)).toEqual(live);

    const refused = await cli(['--config', lab.configFile, 'restore', 'mysql', '--at', '2001-01-01 00:00:00', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^backup-sla: .* cannot be recovered: it is before the oldest backup the archived log starts from; nearest recoverable: \S+ \(the earliest after\)\n$/
    );
    const both = await cli(['--config', lab.configFile, 'restore', 'mysql', 'latest', '--at', local, '--yes']);
    expect({ code: both.code, stderr: both.stderr }).toEqual({
      code: 2,
      stderr: 'backup-sla: restore: give a snapshot (or "latest") or --at <time>, not both\n',
    });
    // status names the window under the target's line.
    const status = await cli(['--config', lab.configFile, 'status']);
    expect(status.stdout).toMatch(
      /^ {2}point in time: \S+Z … \S+Z(, archive [\d.]+ s behind)? \(archiver (following|retrying|stopped)/m
    );
  });

  it('doctor says what point-in-time recovery needs, with and without it', async () => {
    const t = lab.engine.target('mysql');
    const checks = await lab.engine.driver(t).doctor!(t, log);
    expect(checks.filter((c) => /binary log|point-in-time|mariadb-binlog/.test(c.name))).toEqual([
      { name: 'mariadb-binlog', level: 'ok', detail: expect.stringMatching(/mariadb-binlog Ver/) },
      {
        name: 'binary log',
        level: 'ok',
        detail: expect.stringMatching(/^log_bin on, binlog_format ROW, server_id 1, files kept 7 d/),
      },
      {
        name: 'privileges: point-in-time recovery',
        level: 'ok',
        detail: 'has what it needs to archive and replay the binary log',
      },
    ]);
    const off = { ...t, settings: { ...t.settings, pitr: null } };
    const advice = (await lab.engine.driver(t).doctor!(off, log)).filter((c) => c.name === 'point-in-time recovery');
    expect(advice).toEqual([
      {
        name: 'point-in-time recovery',
        level: 'ok',
        detail: expect.stringMatching(
          /^off: the recovery point is the last daily dump \(RPO 1 d\)\. To lose minutes instead, set pitr: true \(RPO 4 h/
        ),
      },
    ]);
  });

  it('forgets archived log files with the oldest dump that needed them (never as versions), and copies the archive to the copies', async () => {
    // Keep one version from now on, and a copy repository.
    const config = YAML.parse(readFileSync(lab.configFile, 'utf8'));
    config.repositories.copy = { url: './copy', passwordFile: './repo.pass' };
    config.targets.mysql.retention = { keepLast: 1 };
    config.targets.mysql.copies = ['copy'];
    writeFileSync(lab.configFile, YAML.stringify(config));
    await archiver.stop();
    lab.reopen();
    archiver = new Archiver(lab.engine, 'mysql', { log, owner: lab.dir });

    const versions = lab.engine.snapshots('mysql').filter((s) => !s.safety);
    const kept = versions[0];
    const keptFile = (kept.metadata as any).binlog.file;
    const filesBefore = lab.engine.catalog.archive.files('mysql');
    const older = filesBefore.slice(
      0,
      filesBefore.findIndex((f) => f.file === keptFile)
    );
    expect(older.length).toBeGreaterThan(0);
    const olderSnapshots = lab.engine.catalog.archive.snapshotsOfFiles(older.map((f) => f.id));

    const f = await lab.engine.forget('mysql', 'test');
    expect(f.status).toBe('success');
    expect(new Set(f.detail.forgotten)).toEqual(new Set(versions.slice(1).map((s) => s.id)));
    // Archive snapshots are not versions: counted nowhere, never forgotten by the version policy.
    expect(
      lab.engine
        .snapshots('mysql')
        .filter((s) => !s.safety)
        .map((s) => s.id)
    ).toEqual([kept.id]);
    const files = lab.engine.catalog.archive.files('mysql');
    expect(files[0].file).toBe(keptFile);
    expect(files.length).toBe(filesBefore.length - older.length);
    const inRepo = new Set((await resticSnapshots(lab)).map((s) => s.id));
    expect(olderSnapshots.filter((id) => inRepo.has(id))).toEqual([]);
    for (const file of files) {
      expect(inRepo.has(file.snapshotId!)).toBe(true);
    }

    // The archive's housekeeping: superseded snapshots forgotten, the current ones copied.
    await archiver.housekeep();
    expect(lab.engine.catalog.archive.superseded('mysql')).toEqual([]);
    const copied = (await resticSnapshots(lab, 'copy')).filter((s) => s.tags.includes('pitr=binlog'));
    expect(new Set(copied.map((s: any) => s.original))).toEqual(new Set(files.map((x) => x.snapshotId)));
    archiver.start();
  });

  it('rebuilds the archive records from the repository, apart from the versions', async () => {
    const config = YAML.parse(readFileSync(lab.configFile, 'utf8'));
    config.catalog = './rebuilt/catalog.db';
    const file = path.join(lab.dir, 'rebuilt.yaml');
    writeFileSync(file, YAML.stringify(config));
    const engine = new Engine(loadConfig(file), new Catalog(path.join(lab.dir, 'rebuilt', 'catalog.db')));
    try {
      await rebuildCatalog(engine);
      expect(new Set(engine.snapshots('mysql').map((x) => x.id))).toEqual(
        new Set(lab.engine.snapshots('mysql').map((x) => x.id))
      );
      const original = lab.engine.catalog.archive.files('mysql');
      const rebuilt = engine.catalog.archive.files('mysql');
      const shape = (f: (typeof original)[0]) => [
        f.file,
        f.end,
        f.complete,
        f.firstEventAt,
        f.lastEventAt,
        f.snapshotId,
      ];
      // The archiver may have saved the newest file again meanwhile: compare those it did not touch.
      expect(rebuilt.slice(0, -1).map(shape)).toEqual(original.slice(0, rebuilt.length - 1).map(shape));
    } finally {
      engine.catalog.close();
    }
  });

  it('the service killed (kill -9) while it saves the archive: the next start forgets the stray save and resumes without a gap', async () => {
    await archiver.stop();
    buildIfStale();
    const gaps = lab.engine.catalog.archive.files('mysql').filter((f) => f.gapBefore).length;
    let d = await startDaemon(lab.configFile);
    daemon = d;
    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing; i++) {
        await insert(`written around the kill ${i}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await waitForProcess(['restic', 'backup', 'pitr=binlog'], 30_000);
      d.child.kill('SIGKILL');
      await d.exited;
      d = await startDaemon(lab.configFile);
      daemon = d;

      // The API shows the window; a restore into a time the archive cannot reach is refused (400).
      const status = json(
        await request(d.address, { method: 'GET', url: '/api/targets/mysql', headers: auth('viewer') })
      );
      expect(status.pitr).toMatchObject({
        archiver: expect.any(String),
        windowStart: expect.any(String),
        gaps: expect.any(Array),
      });
      // Retention let the gap go with the dumps before it: the window starts at the kept dump.
      const before = new Date(Date.parse(status.pitr.windowStart) - 60_000).toISOString();
      const refused = await request(d.address, {
        method: 'POST',
        url: '/api/restores',
        headers: auth('admin'),
        payload: { target: 'mysql', at: before, safetyBackup: false, confirm: 'mysql' },
      });
      expect(refused.statusCode).toBe(400);
      expect(json(refused).message).toBe(
        `${before.replace('.000Z', 'Z')} cannot be recovered: it is before the oldest backup the archived log starts from; nearest recoverable: ${status.pitr.windowStart} (the earliest after)`
      );
      await waitFor(
        () => lab.engine.catalog.archive.state('mysql')?.state === 'following',
        30_000,
        'the archiver to follow'
      );
    } finally {
      writing = false;
      await writes;
    }
    await archivedThrough(await nextSecond());
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
    expect(lab.engine.catalog.archive.state('mysql')?.state).toBe('stopped');
    archiver = new Archiver(lab.engine, 'mysql', { log, owner: lab.dir });
    archiver.start();
    await expectArchiveIsTheServerLog(gaps);
  });
});
