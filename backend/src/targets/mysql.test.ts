import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { changeRecordedMetadata, makeLab, Lab, resticSnapshots } from '../test/harness';
import {
  createAgama,
  createRichDatabase,
  databasesLike,
  grantDocumented,
  leastPrivilegeTarget,
  mysqlEnv,
  mysqlTarget,
  query,
  readDatabase,
  rootConnection,
  scratchOf,
  tableState,
} from '../test/mysql';
import { ConfigError, parseConfig } from '../config/load';
import { beginStateRead } from './mysql/state';

import { killWhenRunning, waitForProcess } from '../test/process';

describe('mysql target', () => {
  let lab: Lab;
  const db = 'agama_rt';

  beforeAll(async () => {
    await createAgama(db, 500);
    await grantDocumented(db);
    lab = makeLab({ targets: { mysql: leastPrivilegeTarget(db) } });
  });
  afterAll(async () => {
    lab.cleanup();
    for (const d of await query(`SHOW DATABASES LIKE 'agama\\_rt\\_%'`)) {
      await query(`DROP DATABASE \`${Object.values(d)[0]}\``);
    }
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
    // One entry for the restore: recorded when it started, updated with its result.
    expect(audit.map((a) => [a.result, a.runId])).toEqual([['ok', r.runId]]);
    expect(audit[0].actor).toBe('test');
  });

  it('restores into another database with `to`, leaving the original alone', async () => {
    await query(`INSERT INTO ${db}.item (name) VALUES ('after backup')`);
    const r = await lab.engine.restore(
      'mysql',
      { snapshot: 'latest', to: 'agama_rt_restored', safetyBackup: true },
      'test'
    );
    expect(r.status).toBe('success');
    expect((await tableState('agama_rt_restored')).rows).toBe(500);
    expect((await tableState(db)).rows).toBe(501);
    await expect(
      lab.engine.restore('mysql', { snapshot: 'latest', to: '../etc', safetyBackup: false }, 'test')
    ).rejects.toThrow(/restore destination '..\/etc' refused/);
    const again = await lab.engine.restore(
      'mysql',
      { snapshot: 'latest', to: 'agama_rt_restored', safetyBackup: false },
      'test'
    );
    expect(again.status).toBe('failed');
    expect(again.error).toMatch(/database agama_rt_restored already exists/);
    // With force the one there is moved aside, never dropped.
    const forced = await lab.engine.restore(
      'mysql',
      { snapshot: 'latest', to: 'agama_rt_restored', safetyBackup: false, force: true },
      'test'
    );
    expect(forced.error).toBeNull();
    const [aside] = (forced.detail.restore as { movedAside: string[] }).movedAside;
    expect(aside).toMatch(/^database agama_rt_restored_before_restore_\d{8}T\d{6}Z$/);
    expect((await tableState(aside.slice('database '.length))).rows).toBe(500);
  });

  it('verify passes on a good snapshot and records the result and duration', async () => {
    const v = await lab.engine.verify('mysql', 'latest', 'test');
    expect(v.status).toBe('success');
    expect(v.detail.result).toMatch(/1 table, 500 rows, checksums match/);
    expect(v.detail.durationSeconds).toBeGreaterThan(0);
    const snap = lab.engine.snapshots('mysql').find((s) => !s.safety)!;
    expect(snap.verification).toBe('passed');
    const scratch = await query(`SHOW DATABASES LIKE 'bsla_verify_%'`);
    expect(scratch).toEqual([]);
  });

  it('verify fails when the restored data differs from what was recorded at backup time', async () => {
    const snap = lab.engine.snapshots('mysql').find((s) => !s.safety)!;
    changeRecordedMetadata(lab, snap.id, (meta) => (meta.tables.item.rows = 499));
    const v = await lab.engine.verify('mysql', snap.id.slice(0, 8), 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toBe('verification failed: table item: 500 rows, expected 499');
    expect(lab.engine.snapshots('mysql').find((s) => s.id === snap.id)!.verification).toBe('failed');
  });

  // Before the metadata was parsed (kit/metadata.ts), `tables: null` passed as "catalog was
  // rebuilt" and a `schema` that is not an object crashed the comparison with a TypeError.
  it.each([
    [
      'tables that are null',
      (m: any) => (m.tables = null),
      'tables: expected record, received null',
      'verification failed: the metadata recorded for this mysql snapshot is malformed (tables: expected record, received null): it cannot be compared with the snapshot',
    ],
    [
      'a schema that is not an object',
      (m: any) => (m.schema = 'utf8mb4'),
      'schema: expected object, received string',
      'verification failed: the metadata recorded for this mysql snapshot is malformed (schema: expected object, received string): it cannot be compared with the snapshot',
    ],
  ])('verify fails with one clear message on malformed metadata: %s', async (_what, damage, problem, error) => {
    const snap = lab.engine.snapshots('mysql').find((s) => !s.safety)!;
    const putBack = changeRecordedMetadata(lab, snap.id, damage);
    try {
      const v = await lab.engine.verify('mysql', snap.id.slice(0, 8), 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toBe(error);
      const now = lab.engine.snapshots('mysql').find((s) => s.id === snap.id)!;
      expect(now.verification).toBe('failed');
      // The listing of snapshots still answers, and says what is wrong with this one.
      expect(lab.engine.contents(now)!.summary).toContain(problem);
      expect(await query(`SHOW DATABASES LIKE 'bsla\_verify\_%'`)).toEqual([]);
    } finally {
      putBack();
    }
  });
});

describe('mysql target failures leave no snapshot behind', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('agama_fail', 60000, 200);
    await grantDocumented('agama_fail');
    lab = makeLab({
      targets: {
        mysql: leastPrivilegeTarget('agama_fail'),
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

  it('the recorded state is read from a snapshot begun before the dump: a write after it is not in the state', async () => {
    // The state is read while the dump streams (mysql/state.ts beginStateRead). Held here by a
    // table lock until a row has been written: the read must still give the data as of its start.
    const db = 'agama_fail';
    const holder = await rootConnection();
    try {
      const rows = (await tableState(db)).rows;
      await holder.query(`LOCK TABLES ${db}.item WRITE`);
      const state = await beginStateRead(rootConnection, db);
      await holder.query(`INSERT INTO ${db}.item (name) VALUES ('after the snapshot began')`);
      await holder.query('UNLOCK TABLES');
      expect((await state.read).item.rows).toBe(rows);
      expect((await tableState(db)).rows).toBe(rows + 1);
    } finally {
      await holder.end();
    }
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

describe('mysql restore never drops live data, and brings the database back exactly', () => {
  let lab: Lab;
  const db = 'agama_cs';
  let first: string;
  let original: Record<string, unknown> | null;
  const live = () => lab.engine.config.targets.app;

  beforeAll(async () => {
    await createRichDatabase(db, 400);
    await grantDocumented(db);
    lab = makeLab({ targets: { app: leastPrivilegeTarget(db) } });
    original = await readDatabase(db);
    const b = await lab.engine.backup('app', 'test');
    expect(b.error).toBeNull();
    first = b.snapshotId!;
  });
  afterAll(async () => {
    lab.cleanup();
    for (const d of await databasesLike(db)) {
      await query(`DROP DATABASE \`${d}\``);
    }
  });

  it('records the database definition: character set, collation and every object', () => {
    const meta = lab.engine.snapshots('app')[0].metadata as any;
    expect(meta).toMatchObject({ charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' });
    expect(Object.keys(meta.schema.objects).sort()).toEqual([
      'event purge_done',
      'function open_count',
      'procedure mark_done',
      'table item',
      'table tally',
      'trigger item_tally',
      'view open_items',
    ]);
    expect(meta.schema.events).toEqual({ purge_done: 'ENABLE' });
    expect(lab.engine.contents(lab.engine.snapshots('app')[0])!.summary).toBe(
      'database agama_cs (utf8mb4, utf8mb4_unicode_ci): 2 tables, 401 rows, 1 view, 1 procedure, 1 function, 1 trigger, 1 event'
    );
  });

  it('the whole database dropped on a latin1 server: nothing to save, and it comes back utf8mb4 with every object', async () => {
    const [server] = await query(`SELECT @@character_set_server AS cs`);
    expect(server.cs).toBe('latin1'); // what a restore without the definition would give
    await query(`DROP DATABASE ${db}`);
    const r = await lab.engine.restore('app', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('nothing');
    expect(r.detail.safetySnapshotId).toBeNull();
    expect(await readDatabase(db)).toEqual(original);
    const [row] = await query(`SELECT name, HEX(name) AS hex FROM ${db}.item WHERE id = 3`);
    expect(row.name).toBe('日本語のメモ 2');
    expect(row.hex).toBe(Buffer.from('日本語のメモ 2').toString('hex').toUpperCase());
    expect(r.detail.restore).toEqual({
      location: `database ${db}`,
      counts: { tables: 2, rows: 401, views: 1, routines: 2, triggers: 1, events: 1 },
      movedAside: [],
      next: [],
      detail: `2 tables, 401 rows, character set utf8mb4/utf8mb4_unicode_ci`,
    });
    // The staging database was recorded before it was created (for recovery after a crash), and is gone.
    const leftovers = lab.engine.catalog.run(r.runId)!.detail.leftovers as Array<{ kind: string; name: string }>;
    expect(leftovers).toEqual([{ kind: 'database', name: expect.stringMatching(/^bsla_restore_[0-9a-f]{8}_/) }]);
    expect(await scratchOf('app', db)).toEqual([]);
  });

  it('a table dropped: the restore moves the rest aside (kept, events disabled) and brings the table back', async () => {
    await query(`DROP TABLE ${db}.item`); // its trigger goes with it; the view now points at nothing
    // mariadb-dump stops at the broken view: the safety backup fails and says how to go on.
    const refused = await lab.engine.restore('app', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(
      /^safety backup failed, nothing was restored: .*\(restore without a safety backup to go on\)$/
    );
    const r = await lab.engine.restore('app', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(r.error).toBeNull();
    expect(await readDatabase(db)).toEqual(original);
    const outcome = r.detail.restore as { movedAside: string[]; next: string[] };
    expect(outcome.movedAside).toEqual([expect.stringMatching(/^database agama_cs_before_restore_\d{8}T\d{6}Z$/)]);
    const aside = outcome.movedAside[0].slice('database '.length);
    const kept = (await readDatabase(aside))!;
    expect(Object.keys(kept).sort()).toEqual([
      'charset',
      'collation',
      'event purge_done',
      'function open_count',
      'procedure mark_done',
      'table bsla_kept_definitions',
      'table tally',
    ]);
    expect((kept['event purge_done'] as string[])[0]).toMatch(/ PRESERVE DISABLE DO /);
    expect(kept.collation).toBe('utf8mb4_unicode_ci');
    const [broken] = await query(`SELECT type, name, definition FROM \`${aside}\`.bsla_kept_definitions`);
    expect(broken).toMatchObject({ type: 'view', name: 'open_items' });
    expect(outcome.next).toEqual([
      expect.stringMatching(
        new RegExp(`^check the application; what database ${db} held before is kept in database ${aside}`)
      ),
      `view open_items of the previous database could not be created in ${aside} (what they use was gone): their definitions are kept in its table bsla_kept_definitions`,
    ]);
    const driver = lab.engine.driver(live());
    expect(await driver.asideExists!(live(), { kind: 'database', name: aside, was: '' })).toBe(true);
    await driver.removeAside!(live(), { kind: 'database', name: aside, was: '' });
    expect(await databasesLike(`${db}_before`)).toEqual([]);
  });

  it('system schemas and bsla_ names are refused as restore destinations and as the configured database', async () => {
    for (const to of ['mysql', 'sys', 'performance_schema', 'information_schema', 'MySQL', 'bsla_restore_x']) {
      await expect(lab.engine.restore('app', { snapshot: 'latest', to, safetyBackup: false }, 'test')).rejects.toThrow(
        /restore destination '.*' refused: .*(system schema|reserved)/
      );
    }
    const itself = await lab.engine.restore('app', { snapshot: 'latest', to: db, safetyBackup: false }, 'test');
    expect(itself.error).toBe(
      `to names the database ${db} itself: restore without to (a safety backup is taken first)`
    );
    for (const database of ['mysql', 'performance_schema', 'bsla_verify_x']) {
      let err: unknown;
      try {
        parseConfig(
          {
            repositories: { main: { url: './repo', passwordEnv: 'X' } },
            targets: { m: { ...leastPrivilegeTarget(database) } },
          },
          path.join(lab.dir, 'other.yaml')
        );
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(
        /targets\.m\.connection\.database: .*(system schema|reserved)/
      );
    }
  });

  it('a snapshot whose dump does not load fails the restore and its verification; the live database is untouched', async () => {
    // A snapshot holding something that is not a dump (the repository's content is what it is).
    const repo = lab.engine.repository('main');
    const bad = await repo.backupStream(
      {
        command: 'printf',
        args: ['CREATE TABLE item (id INT PRIMARY KEY);\nINSERT INTO item VALUES (1);\nNOT SQL AT ALL;\n'],
      },
      `${db}.sql`,
      { tags: ['target=app', 'run=0'] },
      60_000
    );
    lab.engine.catalog.addSnapshot(
      {
        id: bad.snapshotId,
        target: 'app',
        time: new Date().toISOString(),
        bytes: bad.bytes,
        version: null,
        metadata: null,
        runId: lab.engine.catalog.runs({ target: 'app', limit: 1 })[0].id,
        runUid: lab.engine.catalog.runs({ target: 'app', limit: 1 })[0].uid,
        safety: false,
      },
      'main'
    );
    await query(`INSERT INTO ${db}.item (name) VALUES ('written after the backup')`);
    const before = await readDatabase(db);
    const r = await lab.engine.restore('app', { snapshot: bad.snapshotId, safetyBackup: true }, 'test');
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(
      /^the snapshot does not load: \S*mariadb failed: ERROR 1064 .*; database agama_cs is untouched$/
    );
    expect(await readDatabase(db)).toEqual(before);
    expect(await scratchOf('app', db)).toEqual([]);
    const v = await lab.engine.verify('app', bad.snapshotId, 'test');
    expect(v.error).toMatch(/^verification failed: the dump does not load: /);
    lab.engine.catalog.markForgotten([bad.snapshotId], new Date());
  });

  it('a loaded snapshot that differs from what was recorded is not swapped in', async () => {
    const putBack = changeRecordedMetadata(lab, first, (meta) => {
      meta.tables.item.rows = 399;
    });
    try {
      const before = await readDatabase(db);
      const r = await lab.engine.restore('app', { snapshot: first, safetyBackup: false }, 'test');
      expect(r.error).toBe(
        'the snapshot loaded into staging does not match what was recorded at backup, database agama_cs is untouched: table item: 400 rows, expected 399'
      );
      expect(await readDatabase(db)).toEqual(before);
      expect(await scratchOf('app', db)).toEqual([]);
    } finally {
      putBack();
    }
  });

  it('a snapshot whose recorded metadata is malformed is not restored; the live database is untouched', async () => {
    const putBack = changeRecordedMetadata(lab, first, (meta) => {
      meta.tables.item = { rows: '400', checksum: null };
    });
    try {
      const before = await readDatabase(db);
      const r = await lab.engine.restore('app', { snapshot: first, safetyBackup: false }, 'test');
      expect(r.error).toBe(
        'the metadata recorded for this mysql snapshot is malformed (tables.item.rows: expected number, received string): it cannot be compared with the snapshot; database agama_cs is untouched'
      );
      expect(await readDatabase(db)).toEqual(before);
      expect(await scratchOf('app', db)).toEqual([]);
    } finally {
      putBack();
    }
  });

  it('removeLeftover drops only scratch databases; removeAside only what a restore moved aside', async () => {
    const driver = lab.engine.driver(live());
    await query(`CREATE DATABASE IF NOT EXISTS bsla_restore_00000000_leftover`);
    await driver.removeLeftover!(live(), { kind: 'database', name: 'bsla_restore_00000000_leftover' }, lab.engine.log);
    expect(await databasesLike('bsla_restore_00000000')).toEqual([]);
    await driver.removeLeftover!(live(), { kind: 'database', name: db }, lab.engine.log);
    expect(await readDatabase(db)).not.toBeNull();
    await expect(driver.removeAside!(live(), { kind: 'database', name: db, was: '' })).rejects.toThrow(
      'agama_cs is not a database a restore moved aside'
    );
    expect(await readDatabase(db)).not.toBeNull();
  });

  it('doctor: the documented account has what it needs; a missing grant is named; a server down is one line', async () => {
    const driver = lab.engine.driver(live());
    const ok = await driver.doctor!(live(), lab.engine.log);
    expect(ok.map((c) => [c.name, c.level])).toEqual([
      ['mariadb-dump', 'ok'],
      ['mariadb client', 'ok'],
      ['connection', 'ok'],
      ['database', 'ok'],
      ['privileges: backup', 'ok'],
      ['privileges: verification', 'ok'],
      ['privileges: restore in place', 'ok'],
      // This target does not archive its log: one line says what it would take (mysql.pitr.test.ts).
      ['point-in-time recovery', 'ok'],
    ]);
    expect(ok[0].detail).toMatch(/^mariadb-dump.* Ver /);
    expect(ok[2].detail).toMatch(/as backup_sla@127\.0\.0\.1: server 10\.11/);

    const pass = 'weak-account-pass-1234';
    await query(`CREATE USER IF NOT EXISTS 'bsla_weak'@'127.0.0.1' IDENTIFIED BY '${pass}'`);
    await query(`GRANT SELECT ON \`${db}\`.* TO 'bsla_weak'@'127.0.0.1'`);
    const weakLab = makeLab({
      targets: {
        weak: {
          ...leastPrivilegeTarget(db),
          connection: {
            ...(leastPrivilegeTarget(db).connection as object),
            user: 'bsla_weak',
            passwordFile: './weak.pass',
          },
        },
      },
      files: { 'weak.pass': pass },
    });
    try {
      const weak = weakLab.engine.config.targets.weak;
      const checks = Object.fromEntries((await driver.doctor!(weak, lab.engine.log)).map((c) => [c.name, c]));
      expect(checks['privileges: backup']).toEqual({
        name: 'privileges: backup',
        level: 'failed',
        detail: `missing SHOW VIEW, TRIGGER, EVENT, SELECT ON mysql.proc on ${db} to back it up (docs/mysql-privileges.md)`,
      });
      expect(checks['privileges: verification'].level).toBe('failed');
      expect(checks['privileges: verification'].detail).toMatch(/SET USER \(global\)/);
      expect(checks['privileges: restore in place'].level).toBe('warning');
      // Without the routines' definitions mariadb-dump would silently leave them out: the backup refuses.
      const o = await weakLab.engine.backup('weak', 'test');
      expect(o.error).toMatch(
        /^bsla_weak cannot read the definitions of the database's procedures and functions \(.*\): grant SELECT ON mysql\.proc/
      );
    } finally {
      weakLab.cleanup();
      await query(`DROP USER 'bsla_weak'@'127.0.0.1'`);
    }
    const down = {
      ...live(),
      settings: { ...live().settings, connection: { ...(live().settings.connection as object), port: 1 } },
    };
    const checks = await driver.doctor!(down, lab.engine.log);
    expect(checks.find((c) => c.name === 'connection')).toEqual({
      name: 'connection',
      level: 'failed',
      detail: expect.stringMatching(/^cannot connect to MySQL at 127\.0\.0\.1:1: ECONNREFUSED/),
    });
  });
});
