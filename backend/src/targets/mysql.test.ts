import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab, resticSnapshots } from '../test/harness';
import { createAgama, mysqlEnv, mysqlTarget, query, tableState } from '../test/mysql';
import { killWhenRunning, waitForProcess } from '../test/process';

describe('mysql target', () => {
  let lab: Lab;
  const db = 'agama_rt';

  beforeAll(async () => {
    await createAgama(db, 500);
    lab = makeLab({ targets: { mysql: mysqlTarget(db) } });
  });
  afterAll(async () => {
    lab.cleanup();
    await query(`DROP DATABASE IF EXISTS agama_rt_copy`);
  });

  it('round trip: backup, drop, restore gives the same rows and checksum', async () => {
    const before = await tableState(db);
    const b = await lab.engine.backup('mysql', 'test');
    expect(b.status).toBe('success');
    expect(b.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    const [snap] = lab.engine.snapshots('mysql');
    expect(snap.id).toBe(b.snapshotId);
    expect((snap.metadata as any).tables.item).toEqual({ rows: 500, checksum: before.checksum });

    await query(`DROP TABLE ${db}.item`);
    const r = await lab.engine.restore('mysql', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.status).toBe('success');
    expect(await tableState(db)).toEqual(before);
    // The safety backup holds the state just before the restore (here: no item table).
    expect(r.detail.safetySnapshotId).toMatch(/^[0-9a-f]{64}$/);
    const safety = lab.engine.snapshots('mysql').find((s) => s.id === r.detail.safetySnapshotId)!;
    expect(safety.safety).toBe(true);
    expect((safety.metadata as any).tables).toEqual({});
    const audit = lab.engine.catalog.auditEntries().filter((a) => a.action === 'restore');
    expect(audit.map((a) => a.result)).toEqual(['ok', 'started']);
    expect(audit[0].actor).toBe('test');
  });

  it('restores into another database with `to`, leaving the original alone', async () => {
    await query(`INSERT INTO ${db}.item (name) VALUES ('after backup')`);
    const r = await lab.engine.restore(
      'mysql',
      { snapshot: 'latest', to: 'agama_rt_copy', safetyBackup: true },
      'test'
    );
    expect(r.status).toBe('success');
    expect((await tableState('agama_rt_copy')).rows).toBe(500);
    expect((await tableState(db)).rows).toBe(501);
    await expect(
      lab.engine.restore('mysql', { snapshot: 'latest', to: '../etc', safetyBackup: false }, 'test')
    ).rejects.toThrow(/restore destination '..\/etc' refused/);
    const again = await lab.engine.restore(
      'mysql',
      { snapshot: 'latest', to: 'agama_rt_copy', safetyBackup: false },
      'test'
    );
    expect(again.status).toBe('failed');
    expect(again.error).toMatch(/database agama_rt_copy already exists/);
  });

  it('verify passes on a good snapshot and records the result and duration', async () => {
    const v = await lab.engine.verify('mysql', 'latest', 'test');
    expect(v.status).toBe('success');
    expect(v.detail.result).toMatch(/1 tables, 500 rows, checksums match/);
    expect(v.detail.durationSeconds).toBeGreaterThan(0);
    const snap = lab.engine.snapshots('mysql').find((s) => !s.safety)!;
    expect(snap.verification).toBe('passed');
    const scratch = await query(`SHOW DATABASES LIKE 'bsla_verify_%'`);
    expect(scratch).toEqual([]);
  });

  it('verify fails when the restored data differs from what was recorded at backup time', async () => {
    const snap = lab.engine.snapshots('mysql').find((s) => !s.safety)!;
    const meta = snap.metadata as any;
    meta.tables.item.rows = 499;
    lab.engine.catalog.db.prepare('UPDATE snapshots SET metadata = ? WHERE id = ?').run(JSON.stringify(meta), snap.id);
    const v = await lab.engine.verify('mysql', snap.id.slice(0, 8), 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toBe('verification failed: table item: 500 rows, expected 499');
    expect(lab.engine.snapshots('mysql').find((s) => s.id === snap.id)!.verification).toBe('failed');
  });
});

describe('mysql target failures leave no snapshot behind', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('agama_fail', 60000, 200);
    lab = makeLab({
      targets: {
        mysql: mysqlTarget('agama_fail'),
        wrongpass: mysqlTarget('agama_fail', {
          connection: {
            host: '127.0.0.1',
            port: mysqlEnv().port,
            user: 'backup',
            passwordFile: './wrong.pass',
            database: 'agama_fail',
          },
        }),
        down: mysqlTarget('agama_fail', {
          connection: {
            host: '127.0.0.1',
            port: 1,
            user: 'backup',
            passwordFile: mysqlEnv().passwordFile,
            database: 'agama_fail',
          },
        }),
      },
      files: { 'wrong.pass': 'not-the-password' },
    });
  });
  afterAll(() => lab.cleanup());

  it('a wrong password fails with one clear line', async () => {
    const o = await lab.engine.backup('wrongpass', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/^cannot connect to MySQL at 127\.0\.0\.1:\d+: ER_ACCESS_DENIED_ERROR/);
    expect(o.error).not.toContain('not-the-password');
    expect(o.error!.split('\n')).toHaveLength(1);
  });

  it('an unreachable server fails with one clear line', async () => {
    const o = await lab.engine.backup('down', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/^cannot connect to MySQL at 127\.0\.0\.1:1: ECONNREFUSED/);
  });

  it('a dump killed midway leaves no snapshot, in restic or the catalog', async () => {
    const running = lab.engine.backup('mysql', 'test');
    await killWhenRunning(['mariadb-dump', 'agama_fail']);
    const o = await running;
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/mariadb-dump failed: killed by SIGKILL/);
    expect(lab.engine.snapshots('mysql')).toEqual([]);
    expect(await resticSnapshots(lab)).toEqual([]);
    const run = lab.engine.catalog.run(o.runId)!;
    expect(run.status).toBe('failed');
    // The temp dir of the run (with the client options file) is gone.
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('after restic itself is killed -9, its stale lock is cleared and the next backup works', async () => {
    const running = lab.engine.backup('mysql', 'test');
    await killWhenRunning(['restic', lab.dir, 'backup']);
    const o = await running;
    expect(o.status).toBe('failed');
    const next = await lab.engine.backup('mysql', 'test');
    expect(next.status).toBe('success');
    expect(await resticSnapshots(lab)).toHaveLength(1);
    const locks = readdirSync(path.join(lab.engine.config.repositories.main.url, 'locks'));
    expect(locks).toEqual([]);
  });

  it('writes during the backup are noticed, and verification accepts either recorded state', async () => {
    const running = lab.engine.backup('mysql', 'test');
    // The dump is held still while a row is written, so the write surely falls inside the backup.
    const dumpPid = await waitForProcess(['mariadb-dump', 'agama_fail']);
    process.kill(dumpPid, 'SIGSTOP');
    try {
      await query(`INSERT INTO agama_fail.item (name) VALUES ('written during the backup')`);
    } finally {
      process.kill(dumpPid, 'SIGCONT');
    }
    const o = await running;
    expect(o.status).toBe('success');
    const snap = lab.engine.snapshots('mysql')[0];
    expect(snap.metadata!.changedDuringBackup).toBe(true);
    expect((snap.metadata as any).tablesAfter.item.rows).toBe((snap.metadata as any).tables.item.rows + 1);
    expect((await lab.engine.verify('mysql', 'latest', 'test')).status).toBe('success');
    // Without writes the state is read once: nothing changed. (UPDATE_TIME counts in whole
    // seconds, so a write in the second the next backup starts would count as one.)
    await new Promise((r) => setTimeout(r, 1100));
    lab.clock.advance(1);
    const quiet = await lab.engine.backup('mysql', 'test');
    expect(quiet.status).toBe('success');
    const quietSnap = lab.engine.snapshots('mysql').find((x) => x.id === quiet.snapshotId)!;
    expect(quietSnap.metadata!.changedDuringBackup).toBe(false);
  });

  it('the backup is streamed: the dump is never written to the work dir', async () => {
    const sizes: number[] = [];
    const timer = setInterval(() => {
      const dir = lab.engine.config.workDir;
      for (const d of readdirSync(dir)) {
        for (const f of readdirSync(path.join(dir, d))) {
          sizes.push(statSync(path.join(dir, d, f)).size);
        }
      }
    }, 20);
    const o = await lab.engine.backup('mysql', 'test');
    clearInterval(timer);
    expect(o.status).toBe('success');
    expect(o.detail.bytes).toBeGreaterThan(10_000_000);
    expect(Math.max(0, ...sizes)).toBeLessThan(1024); // only the client options file
    expect(readFileSync(lab.configFile, 'utf8')).not.toContain('password:');
  });
});
