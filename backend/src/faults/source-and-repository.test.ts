/**
 * Faults of the source and of the repository, each ending with: one clear line, the earlier
 * snapshots intact and restorable, `restic check` clean, no temp files, no locks (ours or
 * restic's), restic holding exactly what the catalog holds, and the SLA state telling the truth.
 *
 * - the source refuses: a MariaDB user without any grant, and one that may read but not dump;
 * - the server drops the dump's connection midway (KILL CONNECTION from the server side: what the
 *   dump sees when the server goes away, without stopping the MariaDB other test files share);
 * - the repository becomes unreachable mid-run: an sftp primary repository whose sshd is stopped;
 * - the repository is full: a small tmpfs (skipped, saying why, where mounting is not allowed).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab, runTag } from '../test/harness';
import { createAgama, mysqlEnv, mysqlTarget, query, tableState } from '../test/mysql';
import { pidsMatching, waitFor, descendants } from '../test/process';
import { services, sftpRepository } from '../test/services';
import { targetState } from '../engine/sla';
import { run } from '../util/subprocess';

const ROOT = path.resolve(__dirname, '../../..');
const SRC = 'agama_fault_src';
const FULL = 'agama_fault_full';
const NOPRIV_PASS = 'nopriv-pass-81f3c2';
const READER_PASS = 'reader-pass-4b9e07';

async function resticIds(lab: Lab, repo: string): Promise<string[]> {
  const r = lab.engine.config.repositories[repo];
  const args = [
    '-r',
    r.url,
    ...Object.entries(r.options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    'snapshots',
    '--json',
    '--no-lock',
  ];
  const out = await run({ command: 'restic', args, env: { ...process.env, RESTIC_PASSWORD_FILE: r.password.file } });
  return ((JSON.parse(out) ?? []) as Array<{ id: string }>).map((s) => s.id).sort();
}

async function resticCheck(lab: Lab, repo: string): Promise<string> {
  const r = lab.engine.config.repositories[repo];
  const args = ['-r', r.url, ...Object.entries(r.options).flatMap(([k, v]) => ['-o', `${k}=${v}`]), 'check'];
  return run({ command: 'restic', args, env: { ...process.env, RESTIC_PASSWORD_FILE: r.password.file } });
}

/** The end state every case must reach; `repoDir` is the repository's directory on disk. */
async function expectClean(lab: Lab, target: string, repoDir: string) {
  const t = lab.engine.config.targets[target];
  expect(readdirSync(path.join(path.dirname(lab.engine.config.catalog), 'locks'))).toEqual([]);
  expect(readdirSync(path.join(repoDir, 'locks'))).toEqual([]);
  expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  expect(lab.engine.catalog.runningRuns()).toEqual([]);
  // Every snapshot restic holds for this target is one the catalog holds, and the reverse.
  const inCatalog = lab.engine
    .snapshots(target)
    .map((s) => s.id)
    .sort();
  const inRestic = (await lab.engine.repository(t.repository).snapshots([`target=${target}`])).map((s) => s.id).sort();
  expect(inRestic).toEqual(inCatalog);
}

function expectOneLine(error: string | null, pattern: RegExp) {
  expect(error).toMatch(pattern);
  expect(error!.split('\n')).toHaveLength(1);
  expect(error!.length).toBeLessThan(400);
}

describe('source and repository faults', () => {
  let lab: Lab;
  let sftpDir: string;
  let fullDir: string;
  let mounted = false;
  let mountProblem = '';

  beforeAll(async () => {
    await createAgama(SRC, 60_000, 200);
    await query(`DROP USER IF EXISTS 'bsla_nopriv'@'127.0.0.1', 'bsla_reader'@'127.0.0.1'`);
    // No grant at all; and one that may read the tables but not dump them whole (no EVENT, no LOCK TABLES).
    await query(`CREATE USER 'bsla_nopriv'@'127.0.0.1' IDENTIFIED BY '${NOPRIV_PASS}'`);
    await query(`CREATE USER 'bsla_reader'@'127.0.0.1' IDENTIFIED BY '${READER_PASS}'`);
    await query(`GRANT SELECT ON ${SRC}.* TO 'bsla_reader'@'127.0.0.1'`);

    const name = `fault-sftp-${process.pid}-${Date.now()}`;
    const sftp = sftpRepository(name);
    sftpDir = path.join(services().sftp.repoBase, name);

    lab = makeLab({
      repositories: {
        main: { url: './repo', passwordFile: './repo.pass' },
        remote: { url: sftp.url, passwordFile: './repo.pass', options: sftp.options },
        full: { url: './full/repo', passwordFile: './repo.pass' },
      },
      targets: {
        mysql: mysqlTarget(SRC, { retention: { keepLast: 10 } }),
        nopriv: mysqlTarget(SRC, {
          connection: {
            host: '127.0.0.1',
            port: mysqlEnv().port,
            user: 'bsla_nopriv',
            passwordFile: './nopriv.pass',
            database: SRC,
          },
        }),
        reader: mysqlTarget(SRC, {
          connection: {
            host: '127.0.0.1',
            port: mysqlEnv().port,
            user: 'bsla_reader',
            passwordFile: './reader.pass',
            database: SRC,
          },
        }),
        remote: mysqlTarget(SRC, { repository: 'remote', retention: { keepLast: 10 }, timeout: '2m' }),
        full: mysqlTarget(FULL, { repository: 'full', retention: { keepLast: 10 } }),
      },
      files: { 'nopriv.pass': NOPRIV_PASS, 'reader.pass': READER_PASS },
    });
    fullDir = path.join(lab.dir, 'full');
    mkdirSync(fullDir);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', fullDir], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      mountProblem = String((e as { stderr?: Buffer }).stderr ?? e).trim();
    }
  }, 120_000);

  afterAll(async () => {
    if (mounted) {
      execFileSync('umount', [fullDir]);
    }
    lab?.cleanup();
    rmSync(sftpDir, { recursive: true, force: true });
    await query(`DROP USER IF EXISTS 'bsla_nopriv'@'127.0.0.1', 'bsla_reader'@'127.0.0.1'`);
    await query(`DROP DATABASE IF EXISTS ${SRC}; DROP DATABASE IF EXISTS ${FULL}`);
  });

  it('a MariaDB user without any privilege: one clear line naming the user and the database, no password', async () => {
    const o = await lab.engine.backup('nopriv', 'test');
    expect(o.status).toBe('failed');
    expectOneLine(
      o.error,
      /^cannot connect to MySQL at 127\.0\.0\.1:\d+: ER_DBACCESS_DENIED_ERROR Access denied for user 'bsla_nopriv'@'[^']+' to database 'agama_fault_src'$/
    );
    expect(o.error).not.toContain(NOPRIV_PASS);
    expect(lab.engine.snapshots('nopriv')).toEqual([]);
    const st = targetState(lab.engine.config.targets.nopriv, lab.engine.catalog, new Date());
    expect(st.level).toBe('critical');
    expect(st.checks.fresh.reason).toContain('the last backup failed');
    expect(st.checks.fresh.cause).toBe(o.error);
  });

  it("a user who may read but not dump: the dump's own refusal, in one line, and nothing saved", async () => {
    const o = await lab.engine.backup('reader', 'test');
    expect(o.status).toBe('failed');
    expectOneLine(
      o.error,
      /^(\/usr\/bin\/)?mariadb-dump failed: mariadb-dump: Couldn't execute '[^']+': Access denied for user 'bsla_reader'/
    );
    expect(o.error).not.toContain(READER_PASS);
    expect(lab.engine.snapshots('reader')).toEqual([]);
    expect(await lab.engine.repository('main').snapshots(['target=reader'])).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('the server drops the dump midway: one clear line, no snapshot, the earlier one restorable, the next run works', async () => {
    const good = await lab.engine.backup('mysql', 'test');
    expect(good.status).toBe('success');

    const running = lab.engine.backup('mysql', 'test');
    // The dump's connection, seen from the server, while it reads the table (mariadb-dump's own
    // SELECT carries SQL_NO_CACHE; the driver's row count and checksum queries must not match).
    let killed = 0;
    await waitFor(
      async () => {
        const rows = await query(
          `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'backup' AND DB = ? AND COMMAND = 'Query' AND INFO LIKE 'SELECT %SQL_NO_CACHE%item%'`,
          [SRC]
        );
        for (const r of rows) {
          await query(`KILL CONNECTION ${Number(r.id)}`);
          killed++;
        }
        return killed > 0;
      },
      30_000,
      'the dump to read the table'
    );
    const o = await running;
    expect(o.status).toBe('failed');
    expectOneLine(
      o.error,
      /^(\/usr\/bin\/)?mariadb-dump failed: mariadb-dump: Error 2013: Lost connection to server during query when dumping table `item` at row: \d+$/
    );
    expect(lab.engine.snapshots('mysql').map((s) => s.id)).toEqual([good.snapshotId]);
    await expectClean(lab, 'mysql', path.join(lab.dir, 'repo'));

    const st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, new Date());
    expect(st.checks.fresh.level).toBe('warning');
    expect(st.checks.fresh.reason).toContain('the last backup failed');
    expect(st.checks.fresh.cause).toBe(o.error);

    const v = await lab.engine.verify('mysql', good.snapshotId!, 'test');
    expect(v.status).toBe('success');
    const next = await lab.engine.backup('mysql', 'test');
    expect(next.status).toBe('success');
    await resticCheck(lab, 'main');
    await expectClean(lab, 'mysql', path.join(lab.dir, 'repo'));
  });

  it('the sftp repository goes away mid-run: one clear line, nothing recorded, the next run after sshd is back works', async () => {
    const good = await lab.engine.backup('remote', 'test');
    expect(good.status).toBe('success');
    const runningId = () => lab.engine.catalog.runningRuns().find((r) => r.target === 'remote')?.id;
    let a, b;
    try {
      // A: the server goes away while restic reads the dump (restic held still meanwhile, so that
      // it cannot finish first).
      const runA = lab.engine.backup('remote', 'test');
      let uploader: number | undefined;
      await waitFor(
        () => {
          const id = runningId();
          uploader = id ? pidsMatching('restic', ' backup ', `${runTag(lab, id)} `)[0] : undefined;
          return uploader !== undefined && bytesRead(uploader) > 2_000_000;
        },
        30_000,
        'restic to read the dump'
      );
      process.kill(uploader!, 'SIGSTOP');
      try {
        stopSshd();
      } finally {
        process.kill(uploader!, 'SIGCONT');
      }
      a = await runA;
      startSshd();

      // B: the server goes away just after restic committed the snapshot, before the engine has
      // recorded it: the snapshot stays in the repository and the failed run cannot remove it.
      // (The engine runs in this process: stopping sshd synchronously holds it still meanwhile.)
      const snapshotsDir = path.join(sftpDir, 'snapshots');
      const watcher = watch(snapshotsDir, () => {
        watcher.close();
        stopSshd();
      });
      try {
        b = await lab.engine.backup('remote', 'test');
      } finally {
        watcher.close();
      }
    } finally {
      startSshd();
    }
    expect(a.status).toBe('failed');
    expectOneLine(a.error, /^repository remote: .*(connection lost|ssh command exited)/);
    expect(b.status).toBe('failed');
    expectOneLine(
      b.error,
      /^repository remote: .*(connection lost|ssh command exited|unable to start the sftp session)/
    );
    // Neither failed run is in the catalog; the status says the last backup failed and why.
    expect(lab.engine.snapshots('remote').map((x) => x.id)).toEqual([good.snapshotId]);
    const st = targetState(lab.engine.config.targets.remote, lab.engine.catalog, new Date());
    expect(st.lastBackup!.status).toBe('failed');
    expect(st.checks.fresh.reason).toContain('the last backup failed');
    expect(st.checks.fresh.cause).toBe(b.error);

    // Run B's snapshot is in the repository, unknown to the catalog (its cleanup could not reach it).
    expect((await lab.engine.repository('remote').snapshots([runTag(lab, b.runId)])).map((x) => x.id)).toHaveLength(1);

    // sshd is back: the next run works, and removes what run B had to leave behind.
    const next = await lab.engine.backup('remote', 'test');
    expect(next.status).toBe('success');
    expect((await lab.engine.verify('remote', good.snapshotId!, 'test')).status).toBe('success');
    await resticCheck(lab, 'remote');
    await expectClean(lab, 'remote', sftpDir);
    expect(await resticIds(lab, 'remote')).toEqual([good.snapshotId, next.snapshotId].sort());
  });

  it('the repository is full: "no space left on device", the earlier snapshot intact and restorable, check clean', async () => {
    if (!mounted) {
      // eslint-disable-next-line no-console
      console.warn(`skipped: cannot mount a tmpfs here (${mountProblem}); the repository-full case needs one`);
      return;
    }
    await createAgama(FULL, 500);
    const good = await lab.engine.backup('full', 'test');
    expect(good.status).toBe('success');
    const before = await tableState(FULL);
    // About 20 MB of incompressible text: its dump cannot fit in the 8 MB repository.
    await query(
      `INSERT INTO ${FULL}.item (name, note) SELECT CONCAT('random ', seq), HEX(RANDOM_BYTES(1024)) FROM ${FULL}.seq_1_to_10000`
    );

    const o = await lab.engine.backup('full', 'test');
    expect(o.status).toBe('failed');
    expectOneLine(o.error, /^repository full: no space left on device where it is stored: free space there/);
    expect(lab.engine.snapshots('full').map((s) => s.id)).toEqual([good.snapshotId]);
    await expectClean(lab, 'full', path.join(fullDir, 'repo'));
    expect(await resticIds(lab, 'full')).toEqual([good.snapshotId]);
    // restic check passes (the packs written before the disk filled are unreferenced: not an error).
    await resticCheck(lab, 'full');

    // The earlier snapshot is intact and restorable: a test restore passes, a real one gives its data.
    expect((await lab.engine.verify('full', good.snapshotId!, 'test')).status).toBe('success');
    const r = await lab.engine.restore(
      'full',
      { snapshot: good.snapshotId!, to: `${FULL}_back`, safetyBackup: false },
      'test'
    );
    expect(r.status).toBe('success');
    expect(await tableState(`${FULL}_back`)).toEqual(before);
    await query(`DROP DATABASE ${FULL}_back`);
    const st = targetState(lab.engine.config.targets.full, lab.engine.catalog, new Date());
    expect(st.checks.fresh.cause).toContain('no space left on device');
    await expectClean(lab, 'full', path.join(fullDir, 'repo'));
  });
});

const SERVICES = path.join(ROOT, 'scripts/services.sh');

/** Stops the test sshd and ends the sessions it serves (stopping the listener alone leaves them running). */
function stopSshd(): void {
  const listener = Number(readFileSync(path.join(services().dir, 'sshd', 'sshd.pid'), 'utf8').trim());
  const sessions = descendants(listener);
  execFileSync('bash', [SERVICES, 'stop', 'sshd'], { stdio: 'pipe' });
  for (const pid of sessions) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone with the listener
    }
  }
}

function startSshd(): void {
  execFileSync('bash', [SERVICES, 'start', 'sshd'], { stdio: 'pipe' });
}

/** Bytes a process has read so far (restic: its repository files, then the dump on stdin). */
function bytesRead(pid: number): number {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
  } catch {
    return 0;
  }
}
