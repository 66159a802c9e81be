/**
 * Issue 10, the engine's part: runs only ever forget what they wrote (by target and run
 * identity), safety snapshots are kept apart from the versions, "newest" follows the order runs
 * happened, a verification that could not run is not a failure, a rebuild never creates a
 * repository, the repository's own cause is reported, and what an interrupted run left is
 * removed. Against real MariaDB and restic.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab, resticSnapshots } from '../test/harness';
import { createAgama, mysqlTarget, query } from '../test/mysql';
import { rebuildCatalog } from '../catalog/rebuild';
import { createMetrics } from '../metrics/metrics';
import { run } from '../util/subprocess';
import { targetState } from './sla';

const DAY = 86400;

function dropCatalog(lab: Lab): void {
  lab.engine.catalog.close();
  for (const f of ['', '-wal', '-shm']) {
    rmSync(`${lab.engine.config.catalog}${f}`, { force: true });
  }
  lab.reopen();
}

describe('a run only ever forgets what it wrote (target and run identity)', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('safety_tags_a', 20);
    lab = makeLab({
      targets: {
        a: mysqlTarget('safety_tags_a'),
        // Its database does not exist: every backup of b fails.
        b: mysqlTarget('safety_tags_missing'),
      },
    });
  });
  afterAll(() => lab.cleanup());

  it("after a catalog rebuild, a failed backup of one target does not forget another target's only snapshot", async () => {
    const a = await lab.engine.backup('a', 'test');
    expect(a.status).toBe('success');
    dropCatalog(lab);
    await rebuildCatalog(lab.engine);
    // Run numbers of the new catalog start again; before run identities, b's run 1 took "run=1" with it.
    const b = await lab.engine.backup('b', 'test');
    expect(b.status).toBe('failed');
    expect((await resticSnapshots(lab)).map((s) => s.id)).toEqual([a.snapshotId]);
    expect(lab.engine.snapshots('a').map((s) => s.id)).toEqual([a.snapshotId]);
    // Every snapshot names its run by a UUID.
    expect((await resticSnapshots(lab))[0].tags).toEqual(
      expect.arrayContaining(['target=a', expect.stringMatching(/^run=[0-9a-f-]{36}$/)])
    );
  });

  it('two catalogs sharing one repository do not collide', async () => {
    const other = makeLab({ targets: { b: mysqlTarget('safety_tags_missing') } });
    try {
      // The other service's catalog uses this lab's repository (and password).
      other.engine.catalog.close();
      writeFileSync(
        other.configFile,
        readFileSync(other.configFile, 'utf8').replace('url: ./repo', `url: ${path.join(lab.dir, 'repo')}`)
      );
      writeFileSync(path.join(other.dir, 'repo.pass'), readFileSync(path.join(lab.dir, 'repo.pass')));
      other.reopen();
      const before = (await resticSnapshots(lab)).map((s) => s.id).sort();
      expect((await other.engine.backup('b', 'test')).status).toBe('failed');
      expect((await resticSnapshots(lab)).map((s) => s.id).sort()).toEqual(before);
    } finally {
      other.cleanup();
    }
  });

  it('rebuild drops what the repository no longer holds, and never reuses a run number the tags name', async () => {
    const r = lab.engine.config.repositories.main;
    const env = { ...process.env, RESTIC_PASSWORD_FILE: r.password.file, RESTIC_REPOSITORY: r.url };
    // A snapshot of before run identities: its run tag is the old catalog's number 41.
    const legacy = path.join(lab.dir, 'legacy.sql');
    writeFileSync(legacy, '-- an old dump\n');
    await run({
      command: 'restic',
      args: ['backup', '--host', 'h', '--tag', 'target=a', '--tag', 'run=41', legacy],
      env,
    });
    const kept = lab.engine.snapshots('a')[0].id;
    // Someone forgets a's snapshot with restic directly.
    await run({ command: 'restic', args: ['forget', kept], env });
    const report = await rebuildCatalog(lab.engine);
    expect(report.find((x) => x.target === 'a')).toMatchObject({ found: 1, added: 1, dropped: 1 });
    expect(lab.engine.snapshots('a').map((s) => s.id)).not.toContain(kept);
    const next = await lab.engine.backup('a', 'test');
    expect(next.runId).toBeGreaterThan(41);
  });
});

describe('safety snapshots are kept apart from the versions', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('safety_weekly', 30);
    await createAgama('safety_last', 30);
    lab = makeLab({
      targets: {
        weekly: mysqlTarget('safety_weekly', { retention: { keepWeekly: 4 } }),
        last: mysqlTarget('safety_last', { retention: { keepLast: 2 }, safetyRetention: '30d' }),
      },
      start: new Date('2026-11-02T10:00:00'), // a Monday
    });
  });
  afterAll(() => lab.cleanup());

  it('keepWeekly: the next backup of the week does not forget the only copy of the state before a restore', async () => {
    const v1 = await lab.engine.backup('weekly', 'test');
    lab.clock.advance(3600);
    const r = await lab.engine.restore('weekly', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.status).toBe('success');
    const safetyId = r.detail.safetySnapshotId!;
    expect(safetyId).toMatch(/^[0-9a-f]{64}$/);
    lab.clock.advance(3600);
    const v2 = await lab.engine.backup('weekly', 'test');
    expect(v2.status).toBe('success');
    const held = lab.engine.snapshots('weekly');
    // restic's weekly bucket would keep only v2 of this week: the safety snapshot stays, v1 goes.
    expect(held.map((s) => s.id)).toEqual([v2.snapshotId, safetyId]);
    expect(held.find((s) => s.id === safetyId)!.safety).toBe(true);
    expect((await resticSnapshots(lab)).map((s) => s.id).sort()).toEqual([v2.snapshotId, safetyId].sort());
    expect(v1.snapshotId).not.toBe(v2.snapshotId);
    // Not a version, not "the latest".
    const st = targetState(lab.engine.config.targets.weekly, lab.engine.catalog, lab.clock.now);
    expect(st.versionsHeld).toBe(1);
    expect(lab.engine.resolveSnapshot('weekly', 'latest').id).toBe(v2.snapshotId);
  });

  it('keepLast: a safety snapshot never pushes out a real version, and goes after its own period', async () => {
    const v1 = await lab.engine.backup('last', 'test');
    lab.clock.advance(3600);
    const v2 = await lab.engine.backup('last', 'test');
    lab.clock.advance(3600);
    const r = await lab.engine.restore('last', { snapshot: v1.snapshotId!, safetyBackup: true }, 'test');
    const safetyId = r.detail.safetySnapshotId!;
    lab.clock.advance(3600);
    const v3 = await lab.engine.backup('last', 'test');
    expect(lab.engine.snapshots('last').map((s) => s.id)).toEqual([v3.snapshotId, safetyId, v2.snapshotId]);
    // "Restore the latest" never means the safety snapshot; the last good backup is v3's run.
    expect(lab.engine.resolveSnapshot('last', 'latest').id).toBe(v3.snapshotId);
    // 31 days later the safety snapshot has served its time.
    lab.clock.advance(31 * DAY);
    const v4 = await lab.engine.backup('last', 'test');
    expect(v4.detail.forgotten).toEqual(expect.arrayContaining([safetyId, v2.snapshotId]));
    expect(lab.engine.snapshots('last').map((s) => s.id)).toEqual([v4.snapshotId, v3.snapshotId]);
  });
});

describe('versions are judged against what the retention can have kept by now', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('safety_versions', 10);
    lab = makeLab({
      targets: { mysql: mysqlTarget('safety_versions', { retention: { keepWeekly: 4 } }) },
      start: new Date('2026-11-02T10:00:00'), // a Monday
    });
  });
  afterAll(() => lab.cleanup());

  it('a few extra manual backups in one week are no warning: 2 of 4 versions, building up, with the date it completes', async () => {
    for (const hours of [0, 2, 4]) {
      lab.clock.advance(hours * 3600);
      expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
    }
    lab.clock.advance(7 * DAY);
    expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
    // Weekly retention pruned the same-week extras: 2 versions held, and 2 is all it can have kept.
    const st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, lab.clock.now);
    expect(st.versionsHeld).toBe(2);
    expect(st.versionsExpected).toBe(2);
    expect(st.checks.versions.level).toBe('ok');
    expect(st.checks.versions.reason).toBe('2 of 4 versions held so far (building up; complete by 2026-11-23)');
    expect(st.versionsCompleteAt?.slice(0, 10)).toBe('2026-11-23');
  });

  it('a version missing that the retention would have kept is a warning', async () => {
    const older = lab.engine.snapshots('mysql')[1];
    lab.engine.catalog.markForgotten([older.id], lab.clock.now); // lost by hand
    const st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, lab.clock.now);
    expect(st.checks.versions).toEqual({
      level: 'warning',
      reason: 'only 1 of 4 versions held; the retention (4 weekly versions) can have kept 2 by now',
    });
  });
});

describe('a clock that goes back', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('safety_clock', 10);
    lab = makeLab({
      targets: { mysql: mysqlTarget('safety_clock', { retention: { keepLast: 2 } }) },
      start: new Date('2026-11-20T10:00:00'),
    });
  });
  afterAll(() => lab.cleanup());

  it('new backups do not forget each other, the latest is the newest taken, and the status says why', async () => {
    const x1 = await lab.engine.backup('mysql', 'test');
    lab.clock.advance(DAY);
    const x2 = await lab.engine.backup('mysql', 'test');
    // The clock is set five days back.
    lab.clock.advance(-6 * DAY);
    let st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, lab.clock.now);
    // An age below zero must not read as fresh.
    expect(st.checks.fresh.level).toBe('warning');
    expect(st.checks.fresh.reason).toMatch(/after the service's clock.*the clock went back/);

    await query('INSERT INTO safety_clock.item (name) VALUES (?)', ['written after the clock went back']);
    const x3 = await lab.engine.backup('mysql', 'test');
    lab.clock.advance(3600);
    const x4 = await lab.engine.backup('mysql', 'test');
    expect([x1, x2, x3, x4].map((o) => o.status)).toEqual(['success', 'success', 'success', 'success']);
    expect(x4.detail.forgotten).toEqual([]);
    expect(x4.detail.retentionHeld).toMatch(/^retention skipped: .*the clock went back/);
    expect(lab.engine.snapshots('mysql').map((s) => s.id)).toEqual([x4, x3, x2, x1].map((o) => o.snapshotId));
    expect(lab.engine.resolveSnapshot('mysql', 'latest').id).toBe(x4.snapshotId);
    st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, lab.clock.now);
    expect(st.checks.versions.level).toBe('warning');
    expect(st.checks.versions.reason).toMatch(/retention skipped/);
  });
});

describe('a verification that could not run is not a failed snapshot', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('safety_unknown', 10);
    lab = makeLab({ targets: { mysql: mysqlTarget('safety_unknown') } });
  });
  afterAll(() => lab.cleanup());

  it('a wrong repository password: "could not verify", the snapshot stays passed, no critical, metrics tell it apart', async () => {
    const b = await lab.engine.backup('mysql', 'test');
    expect((await lab.engine.verify('mysql', 'latest', 'test')).status).toBe('success');
    const passFile = path.join(lab.dir, 'repo.pass');
    const good = readFileSync(passFile, 'utf8');
    writeFileSync(passFile, 'not-the-password\n', { mode: 0o600 });
    try {
      const v = await lab.engine.verify('mysql', 'latest', 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toMatch(/^could not verify: repository main: wrong password or no key found$/);
      expect(v.detail.verification?.outcome).toBe('unknown');
    } finally {
      writeFileSync(passFile, good, { mode: 0o600 });
    }
    expect(lab.engine.snapshots('mysql').find((s) => s.id === b.snapshotId)!.verification).toBe('passed');
    const st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, lab.clock.now);
    expect(st.checks.verified.level).toBe('unknown');
    expect(st.checks.verified.reason).toMatch(/^could not verify .* ago; the last verification that ran passed/);
    expect(st.checks.verified.cause).toMatch(/wrong password/);
    expect(st.level).not.toBe('critical');
    const text = await createMetrics(lab.engine).render();
    expect(text).toMatch(/^backup_sla_last_verify_success\{target="mysql"\} 1$/m);
    expect(text).toMatch(/^backup_sla_last_verify_unknown\{target="mysql"\} 1$/m);
  });
});

describe('only a backup creates a repository', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = makeLab({
      repositories: { main: { url: './mistyped-repo', passwordFile: './repo.pass' } },
      targets: { mysql: mysqlTarget('safety_none') },
    });
  });
  afterAll(() => lab.cleanup());

  it('rebuild-catalog with a mistyped repository URL says "no repository at URL" and creates nothing', async () => {
    await expect(rebuildCatalog(lab.engine)).rejects.toThrow(
      `repository main: no repository at ${path.join(lab.dir, 'mistyped-repo')} (only a backup creates one)`
    );
    expect(existsSync(path.join(lab.dir, 'mistyped-repo'))).toBe(false);
  });
});

describe('a read-only repository', () => {
  let lab: Lab;
  let mountPoint: string;
  let mounted = false;
  beforeAll(async () => {
    await createAgama('safety_ro', 10);
    lab = makeLab({
      repositories: { main: { url: './ro/repo', passwordFile: './repo.pass' } },
      targets: { mysql: mysqlTarget('safety_ro') },
    });
    mountPoint = path.join(lab.dir, 'ro');
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint]);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) {
      execFileSync('umount', [mountPoint]);
    }
    lab.cleanup();
  });

  it("reports restic's own cause and what to do, not a lock held by another process", async () => {
    expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    const o = await lab.engine.backup('mysql', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toBe(
      'repository main: its file system is read-only: remount it read-write (or fix the mount) and run again; the snapshots it holds are untouched'
    );
    execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
  }, 120_000);
});

describe('an interrupted run leaves nothing behind', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = makeLab({ targets: { mysql: mysqlTarget('safety_leftovers') } });
  });
  afterAll(() => lab.cleanup());

  it('what the run created outside the repository is removed when its run is closed', async () => {
    const leftover = path.join(lab.dir, 'tsdb-snapshot-of-a-dead-run');
    mkdirSync(path.join(leftover, 'block'), { recursive: true });
    // A run of a process that died (pid 2^22 - 1 does not exist) after recording what it created.
    const id = lab.engine.catalog.startRun('mysql', 'backup', 'test', new Date(), { pid: 4194303 });
    lab.engine.catalog.addLeftover(id, { kind: 'directory', name: leftover });
    const recovered = await lab.engine.recoverInterrupted();
    expect(recovered.map((r) => r.id)).toEqual([id]);
    expect(existsSync(leftover)).toBe(false);
    expect(lab.engine.catalog.run(id)).toMatchObject({
      status: 'failed',
      error: 'interrupted: the process running it stopped',
    });
  });
});
