/**
 * `backup-sla doctor` for a mysql target: can the account connect, does it hold exactly what
 * backup, verification and restore need (docs/mysql-privileges.md says why each grant), and are
 * mariadb-dump and the mariadb client there. Privileges are read from information_schema, which
 * shows the account its own grants (the database part of a grant is a LIKE pattern: `bsla\_%`).
 */
import mysql from 'mysql2/promise';
import { run } from '../../util/subprocess';
import { findProgram } from '../tools';
import type { DoctorCheck } from '../types';
import { asideName } from '../kit/aside';
import { scratchName } from '../kit/scratch';
import { connect, MysqlSettings, where } from './connection';

/** On the target's database: read everything in it (mariadb-dump, the recorded state). */
export const BACKUP_PRIVILEGES = ['SELECT', 'SHOW VIEW', 'TRIGGER', 'EVENT'];
/** On scratch databases (`bsla\_%`): load a dump (create, insert, lock, every kind of object) and drop it. */
export const SCRATCH_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'CREATE',
  'DROP',
  'ALTER',
  'LOCK TABLES',
  'CREATE VIEW',
  'SHOW VIEW',
  'CREATE ROUTINE',
  'ALTER ROUTINE',
  'TRIGGER',
  'EVENT',
];
/** On the target's database, to restore in place: move its objects out (RENAME, DROP) and the restored ones in. */
export const RESTORE_PRIVILEGES = [
  'ALTER',
  'CREATE',
  'DROP',
  'INSERT',
  'CREATE VIEW',
  'CREATE ROUTINE',
  'ALTER ROUTINE',
  'TRIGGER',
  'EVENT',
];

async function version(program: string[]): Promise<string> {
  const out = await run({ command: findProgram(program), args: ['--version'], timeoutMs: 10_000 });
  return out.trim().split('\n')[0];
}

/** The privileges of `wanted` the account lacks on database `db` (global grants count too). */
async function missingOn(conn: mysql.Connection, db: string, wanted: string[]): Promise<string[]> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES
     UNION SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE ? LIKE TABLE_SCHEMA`,
    [db]
  );
  const held = new Set(rows.map((r) => String(r.p)));
  return wanted.filter((p) => !held.has(p));
}

async function hasGlobal(conn: mysql.Connection, privilege: string): Promise<boolean> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE IN (?, 'SUPER')`,
    [privilege]
  );
  return rows.length > 0;
}

async function canReadProc(conn: mysql.Connection): Promise<boolean> {
  try {
    await conn.query(`SELECT COUNT(*) FROM mysql.proc WHERE 0`);
    return true;
  } catch {
    return false;
  }
}

function check(name: string, missing: string[], what: string, level: 'failed' | 'warning'): DoctorCheck {
  return missing.length
    ? {
        name,
        level,
        detail: `missing ${missing.join(', ')} ${what} (docs/mysql-privileges.md)`,
      }
    : { name, level: 'ok', detail: `has what it needs ${what}` };
}

export async function mysqlDoctor(s: MysqlSettings): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const [name, program] of [
    ['mariadb-dump', ['mariadb-dump', 'mysqldump']],
    ['mariadb client', ['mariadb', 'mysql']],
  ] as const) {
    try {
      checks.push({ name, level: 'ok', detail: await version([...program]) });
    } catch (e) {
      checks.push({ name, level: 'failed', detail: `${(e as Error).message}: install mariadb-client` });
    }
  }
  let conn: mysql.Connection;
  try {
    conn = await connect(s);
  } catch (e) {
    checks.push({ name: 'connection', level: 'failed', detail: (e as Error).message });
    return checks;
  }
  try {
    const db = s.connection.database;
    const [[v]] = await conn.query<mysql.RowDataPacket[]>(`SELECT VERSION() AS v, CURRENT_USER() AS u`);
    checks.push({ name: 'connection', level: 'ok', detail: `${where(s)} as ${v.u}: server ${v.v}` });
    const [exists] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
      [db]
    );
    checks.push(
      exists.length
        ? { name: 'database', level: 'ok', detail: `database ${db} exists` }
        : { name: 'database', level: 'failed', detail: `database ${db} does not exist (or the account may not see it)` }
    );
    const backup = await missingOn(conn, db, BACKUP_PRIVILEGES);
    if (!(await canReadProc(conn))) {
      backup.push('SELECT ON mysql.proc');
    }
    checks.push(check('privileges: backup', backup, `on ${db} to back it up`, 'failed'));
    const verify = await missingOn(conn, scratchName('verify', 'doctor'), SCRATCH_PRIVILEGES);
    if (!(await hasGlobal(conn, 'SET USER'))) {
      verify.push('SET USER (global)');
    }
    checks.push(check('privileges: verification', verify, 'on scratch databases bsla_…', 'failed'));
    const aside = asideName(db, new Date());
    const restore = [
      ...(await missingOn(conn, db, RESTORE_PRIVILEGES)).map((p) => `${p} on ${db}`),
      ...(await missingOn(conn, aside, [...SCRATCH_PRIVILEGES])).map((p) => `${p} on ${db}_before_restore_…`),
      ...(await missingOn(conn, scratchName('restore', 'doctor'), SCRATCH_PRIVILEGES)).map((p) => `${p} on bsla_…`),
    ];
    checks.push(
      check('privileges: restore in place', restore, 'to restore in place (restores fail without them)', 'warning')
    );
  } finally {
    await conn.end().catch(() => undefined);
  }
  return checks;
}
