/**
 * Fault: the daemon (`node backend/bin/backup-sla.js serve`, as users run it) is killed with
 * SIGKILL in the middle of a backup, a verification and a restore, and started again at once.
 * After each: the interrupted run is recorded failed ("interrupted"), restic holds exactly what the
 * catalog holds (no partial snapshot, a restore's safety snapshot kept), no temp file, no scratch
 * database, no lock of ours nor of restic, the SLA state and the metrics tell the truth, and the
 * next run works. The earlier snapshot stays restorable throughout.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab, resticSnapshots, runTag } from '../test/harness';
import { buildIfStale, Daemon, startDaemon } from '../test/daemon';
import { createAgama, dropDatabases, mysqlTarget, query, tableState } from '../test/mysql';
import { pidsMatching, waitFor } from '../test/process';
import { apiLabOptions, auth, json, request } from '../test/service';
import { targetState } from '../engine/sla';
import { run } from '../util/subprocess';
import { isAlive } from '../util/processes';

const DB = 'agama_fault_kill';

async function kill9(d: Daemon): Promise<void> {
  d.child.kill('SIGKILL');
  await d.exited;
}

/** Bytes a process has read so far (restic or the mariadb client: mostly their stdin). */
function bytesRead(pid: number): number {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
  } catch {
    return 0;
  }
}

async function resticCheck(lab: Lab): Promise<void> {
  const r = lab.engine.config.repositories.main;
  await run({
    command: 'restic',
    args: ['-r', r.url, 'check'],
    env: { ...process.env, RESTIC_PASSWORD_FILE: r.password.file },
  });
}

/**
 * Scratch and staging databases (verifications, restores), except those other tests may have left
 * on the shared server before: recovery removes those a killed run recorded.
 */
let scratchBefore: string[] = [];
async function scratchDatabases(): Promise<string[]> {
  const all = (await query(`SHOW DATABASES LIKE 'bsla\\_%'`)).map((r) => Object.values(r)[0] as string);
  return all.filter((n) => !scratchBefore.includes(n));
}

/** The end state every case must reach. */
async function expectClean(lab: Lab, d: Daemon) {
  const locks = path.join(path.dirname(lab.engine.config.catalog), 'locks');
  expect(existsSync(locks) ? readdirSync(locks) : []).toEqual([]);
  expect(readdirSync(path.join(lab.dir, 'repo', 'locks'))).toEqual([]);
  expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  const inRestic = (await resticSnapshots(lab)).map((s) => s.id).sort();
  const inCatalog = lab.engine
    .snapshots('mysql')
    .map((s) => s.id)
    .sort();
  expect(inRestic).toEqual(inCatalog);
  expect(lab.engine.catalog.runningRuns()).toEqual([]);
  expect(await scratchDatabases()).toEqual([]);
  // No restic or client of the killed daemon is left running.
  const status = json(await request(d.address, { method: 'GET', url: '/api/targets/mysql', headers: auth('viewer') }));
  expect(status.running).toBeNull();
}

async function trigger(
  d: Daemon,
  url: string,
  payload: unknown,
  role: 'operator' | 'admin' = 'operator'
): Promise<number> {
  const res = await request(d.address, { method: 'POST', url, headers: auth(role), payload });
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 202 });
  return json(res).runId;
}

async function finished(d: Daemon, runId: number) {
  let r: any;
  await waitFor(
    async () => {
      r = json(await request(d.address, { method: 'GET', url: `/api/runs/${runId}`, headers: auth('viewer') }));
      return r.status !== 'running';
    },
    90_000,
    `run ${runId} to finish`
  );
  return r;
}

async function metric(d: Daemon, name: string): Promise<number | null> {
  const text = (await request(d.address, { method: 'GET', url: '/metrics' })).body;
  const m = text.match(new RegExp(`^backup_sla_${name}\\{target="mysql"\\} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : null;
}

describe('kill -9 of the daemon', () => {
  let lab: Lab;
  let d: Daemon | null = null;
  let original: { rows: number; checksum: number };
  let firstSnapshot: string;

  beforeAll(async () => {
    buildIfStale();
    // About 25 MB of dump: each operation takes a few seconds.
    await createAgama(DB, 90_000, 250);
    original = await tableState(DB);
    scratchBefore = await scratchDatabases();
    lab = makeLab(
      apiLabOptions({
        targets: { mysql: mysqlTarget(DB, { verify: { schedule: null }, retention: { keepLast: 10 } }) },
      })
    );
    // The first good backup, in process: the daemon's catch-up then has nothing to do at start.
    const first = await lab.engine.backup('mysql', 'test');
    expect(first.status).toBe('success');
    firstSnapshot = first.snapshotId!;
    d = await startDaemon(lab.configFile);
  }, 400_000);

  afterAll(async () => {
    if (d && d.child.exitCode === null) {
      await kill9(d);
    }
    lab?.cleanup();
    await dropDatabases(DB);
  });

  async function restart(): Promise<void> {
    d = await startDaemon(lab.configFile);
  }

  /**
   * Kills the daemon with SIGKILL while one of its children (found by `parts` of its command line)
   * is at work, having read at least `minRead` bytes; restarts it. The child is held still
   * (SIGSTOP) across the kill and the restart, so that the moment is the same on every run and
   * the restart's cleanup comes first, as with a slow repository; then it is let go.
   */
  async function killDuring(runId: number, parts: string[], minRead: number): Promise<void> {
    let held: number | undefined;
    await waitFor(
      () => {
        if (lab.engine.catalog.run(runId)?.status !== 'running') {
          throw new Error(`run ${runId} ended before the kill (make the database bigger)`);
        }
        held = pidsMatching(...parts)[0];
        return held !== undefined && bytesRead(held) >= minRead;
      },
      60_000,
      `${parts.join(' ')} to be at work`
    );
    process.kill(held!, 'SIGSTOP');
    try {
      await kill9(d!);
      await restart();
    } finally {
      try {
        process.kill(held!, 'SIGCONT');
      } catch {
        // already gone (the restart ended it)
      }
    }
    await waitFor(() => !isAlive(held!), 20_000, `process ${held} to end`);
  }

  it('during a backup: the run is recorded interrupted, no partial snapshot, the next backup works', async () => {
    const runId = await trigger(d!, '/api/targets/mysql/backup', {});
    // restic outlives the daemon and, seeing its input end, would commit what it had read.
    await killDuring(runId, ['restic', ` ${runTag(lab, runId)} `, '--stdin'], 1_000_000);

    const r = lab.engine.catalog.run(runId)!;
    expect(r.status).toBe('failed');
    expect(r.error).toBe('interrupted: the process running it stopped');
    expect(d!.lines.some((l) => l.msg === 'closed a run left open by a stopped process' && l.run === runId)).toBe(true);
    // The killed restic may still have committed what it had read: that snapshot must be gone.
    await expectClean(lab, d!);
    expect(lab.engine.snapshots('mysql').map((s) => s.id)).toEqual([firstSnapshot]);
    expect((await resticSnapshots(lab)).filter((s) => s.tags.includes(runTag(lab, runId)))).toEqual([]);

    // The status tells the truth: the last backup failed (interrupted), the earlier one still counts.
    const st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, new Date());
    expect(st.lastBackup!.status).toBe('failed');
    expect(st.checks.fresh.level).toBe('warning');
    expect(st.checks.fresh.reason).toMatch(/the last backup failed$/);
    expect(st.checks.fresh.cause).toMatch(/^interrupted/);
    expect(await metric(d!, 'last_run_success')).toBe(0);
    expect(await metric(d!, 'snapshots')).toBe(1);

    const next = await finished(d!, await trigger(d!, '/api/targets/mysql/backup', {}));
    expect(next.status).toBe('success');
    expect(await metric(d!, 'last_run_success')).toBe(1);
    await expectClean(lab, d!);
    expect(lab.engine.snapshots('mysql')).toHaveLength(2);
  });

  it('during a verification: recorded interrupted, no scratch database left, the next verification passes', async () => {
    const runId = await trigger(d!, '/api/targets/mysql/verify', { snapshot: firstSnapshot });
    // The scratch database is half loaded when the daemon dies.
    await killDuring(runId, ['--defaults-extra-file', '--batch bsla_verify_'], 1_000_000);

    const r = lab.engine.catalog.run(runId)!;
    expect(r.status).toBe('failed');
    expect(r.error).toBe('interrupted: the process running it stopped');
    // An interrupted verification proves nothing about the snapshot: it is not marked either way.
    expect(lab.engine.snapshots('mysql').find((s) => s.id === firstSnapshot)!.verification).toBe('unverified');
    // The status says the last verification did not pass, and why in words.
    const st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, new Date());
    expect(st.lastVerification!.success).toBe(false);
    // Interrupted, the verification learned nothing about the snapshot: "could not verify", not failed.
    expect(st.checks.verified).toEqual({
      level: 'unknown',
      reason: expect.stringMatching(/^could not verify .* ago/),
      cause: 'interrupted: the process running it stopped',
    });
    // No verdict yet: the success metric is absent (no false "verification failed" alert), unknown is 1.
    expect(await metric(d!, 'last_verify_success')).toBeNull();
    expect(await metric(d!, 'last_verify_unknown')).toBe(1);

    const next = await finished(d!, await trigger(d!, '/api/targets/mysql/verify', { snapshot: firstSnapshot }));
    expect(next.status).toBe('success');
    expect(lab.engine.snapshots('mysql').find((s) => s.id === firstSnapshot)!.verification).toBe('passed');
    expect(await metric(d!, 'last_verify_success')).toBe(1);
    await expectClean(lab, d!);
  });

  it('during a restore: recorded interrupted, the safety snapshot kept; restoring again repairs the database', async () => {
    await query(`INSERT INTO ${DB}.item (name, note) VALUES ('written after the backups', 'precious')`);
    const current = await tableState(DB);
    const runId = await trigger(
      d!,
      '/api/restores',
      { target: 'mysql', snapshot: firstSnapshot, safetyBackup: true, confirm: 'mysql' },
      'admin'
    );
    // After the safety backup, the snapshot is half loaded into the staging database when the daemon dies.
    await killDuring(runId, ['--defaults-extra-file', '--batch bsla_restore_'], 1_000_000);
    // A restore loads and checks the new data in a fresh place first: the live database is untouched.
    expect(await tableState(DB)).toEqual(current);
    // The staging database was recorded before it was made, so that recovery can remove it.
    expect(lab.engine.catalog.run(runId)!.detail.leftovers).toEqual([
      { kind: 'database', name: expect.stringMatching(/^bsla_restore_/) },
    ]);

    const r = lab.engine.catalog.run(runId)!;
    expect(r.status).toBe('failed');
    expect(r.error).toBe('interrupted: the process running it stopped');
    // The safety snapshot of the state before the restore was complete: it must still be there,
    // in the catalog and in restic (it is what protects the data the restore overwrote).
    const safety = lab.engine.snapshots('mysql').filter((s) => s.safety);
    expect(safety).toHaveLength(1);
    expect((safety[0].metadata as any).tables.item).toEqual(current);
    await expectClean(lab, d!);
    // The audit log says the restore started and never says it succeeded: it failed, interrupted.
    const audit = lab.engine.catalog.auditEntries().filter((a) => a.action === 'restore');
    expect(audit.map((a) => [a.result, a.runId])).toEqual([['failed', runId]]);
    expect(audit[0].detail).toMatch(/: interrupted: the process running it stopped$/);

    // The state before the restore is restorable from the safety snapshot...
    const back = await finished(
      d!,
      await trigger(
        d!,
        '/api/restores',
        { target: 'mysql', snapshot: safety[0].id, safetyBackup: false, confirm: 'mysql' },
        'admin'
      )
    );
    expect(back.status).toBe('success');
    expect(await tableState(DB)).toEqual(current);
    // ...and so is the earlier snapshot, untouched by all of the above.
    const again = await finished(
      d!,
      await trigger(
        d!,
        '/api/restores',
        { target: 'mysql', snapshot: firstSnapshot, safetyBackup: false, confirm: 'mysql' },
        'admin'
      )
    );
    expect(again.status).toBe('success');
    expect(await tableState(DB)).toEqual(original);
    await resticCheck(lab);
    await expectClean(lab, d!);
  });
});
