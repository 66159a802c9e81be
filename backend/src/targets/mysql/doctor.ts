/**
 * `backup-sla doctor` for a mysql target: can the account connect, does it hold exactly what
 * backup, verification and restore need (docs/mysql-privileges.md says why each grant), and are
 * mariadb-dump and the mariadb client there. Privileges are read from information_schema, which
 * shows the account its own grants (the database part of a grant is a LIKE pattern: `bsla\_%`).
 *
 * Point-in-time recovery: with `pitr` the server must write a binary log the archiver can follow
 * (log_bin, binlog_format=ROW, a server_id, an expiry longer than the archive's worst delay) and
 * the account needs REPLICATION SLAVE, BINLOG MONITOR and BINLOG REPLAY; without `pitr` doctor
 * says what the server lacks for it and what the RPO is then.
 */
import mysql from 'mysql2/promise';
import { run } from '../../util/subprocess';
import { findProgram } from '../tools';
import type { DoctorCheck } from '../types';
import { asideName } from '../kit/aside';
import { scratchName } from '../kit/scratch';
import { connect, MysqlSettings, where } from './connection';
import { PITR_DEFAULTS } from './pitr';
import { formatDuration } from '../../config/duration';

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
    checks.push(...(await creatorsTrusted(conn, db)));
    checks.push(...(await pitrChecks(conn, s)));
  } finally {
    await conn.end().catch(() => undefined);
  }
  return checks;
}

/**
 * With the binary log on, only SUPER may create triggers and stored functions unless the server
 * trusts their creators: every restore and verification of a database holding them would fail.
 */
async function creatorsTrusted(conn: mysql.Connection, db: string): Promise<DoctorCheck[]> {
  const [[v]] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT @@log_bin AS logBin, @@log_bin_trust_function_creators AS trusted,
       (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?) AS triggers,
       (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'FUNCTION') AS functions`,
    [db, db]
  );
  if (Number(v.logBin) !== 1 || Number(v.trusted) === 1) {
    return [];
  }
  const n = Number(v.triggers) + Number(v.functions);
  return [
    n > 0
      ? {
          name: 'triggers and functions',
          level: 'failed',
          detail: `the server writes a binary log and log_bin_trust_function_creators is OFF: only SUPER may create the ${v.triggers} trigger(s) and ${v.functions} function(s) of ${db}, so its verifications and restores fail; set log_bin_trust_function_creators = ON (docs/mysql-privileges.md)`,
        }
      : {
          name: 'triggers and functions',
          level: 'warning',
          detail: `the server writes a binary log and log_bin_trust_function_creators is OFF: should ${db} get a trigger or a stored function, its verifications and restores would fail; set log_bin_trust_function_creators = ON (docs/mysql-privileges.md)`,
        },
  ];
}

/** Privileges the archiver and the replay need (global: the binary log is the server's). */
export const PITR_PRIVILEGES = ['REPLICATION SLAVE', 'BINLOG MONITOR', 'BINLOG REPLAY'];

/** How long the archive may fall behind before a purged file is a gap: the expiry must exceed it. */
const WORST_DELAY_SECONDS = 3 * 86400;

/**
 * What the server writes of its binary log, against what point-in-time recovery needs; with
 * `pitr` off, one line that says what the RPO is and what the server would need.
 */
async function pitrChecks(conn: mysql.Connection, s: MysqlSettings): Promise<DoctorCheck[]> {
  const [[v]] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT @@log_bin AS logBin, @@binlog_format AS format, @@server_id AS serverId,
            @@binlog_expire_logs_seconds AS expiry, @@expire_logs_days AS days`
  );
  const expiry = Number(v.expiry) || Math.round(Number(v.days) * 86400);
  const lacks: string[] = [];
  if (Number(v.logBin) !== 1) {
    lacks.push('log_bin is off (start the server with log_bin)');
  }
  if (String(v.format).toUpperCase() !== 'ROW') {
    lacks.push(`binlog_format is ${v.format} (set binlog_format=ROW)`);
  }
  if (Number(v.serverId) === 0) {
    lacks.push('server_id is 0 (set a server_id)');
  }
  if (expiry !== 0 && expiry < WORST_DELAY_SECONDS) {
    lacks.push(
      `binary log files expire after ${formatDuration(expiry)}, less than the ${formatDuration(WORST_DELAY_SECONDS)} the archive may fall behind (a weekend without the service): set binlog_expire_logs_seconds to 604800 or more`
    );
  }
  if (!s.pitr) {
    return [
      {
        name: 'point-in-time recovery',
        level: 'ok',
        detail: `off: the recovery point is the last daily dump (RPO 1 d). To lose minutes instead, set pitr: true (RPO 4 h, met by the archive's lag of seconds)${
          lacks.length
            ? `; the server needs: ${lacks.join('; ')}`
            : '; the server writes what it needs (log_bin, ROW, server_id, expiry)'
        }; and grant ${PITR_PRIVILEGES.join(', ')} (docs/mysql-privileges.md)`,
      },
    ];
  }
  const out: DoctorCheck[] = [];
  try {
    out.push({ name: 'mariadb-binlog', level: 'ok', detail: await version(['mariadb-binlog', 'mysqlbinlog']) });
  } catch (e) {
    out.push({ name: 'mariadb-binlog', level: 'failed', detail: `${(e as Error).message}: install mariadb-client` });
  }
  out.push(
    lacks.length
      ? {
          name: 'binary log',
          level:
            Number(v.logBin) === 1 && String(v.format).toUpperCase() === 'ROW' && Number(v.serverId) !== 0
              ? 'warning'
              : 'failed',
          detail: `point-in-time recovery needs: ${lacks.join('; ')}`,
        }
      : {
          name: 'binary log',
          level: 'ok',
          detail: `log_bin on, binlog_format ROW, server_id ${v.serverId}, files kept ${expiry ? formatDuration(expiry) : 'until purged by hand'}; the archive saves at most every ${PITR_DEFAULTS.saveEvery} by default`,
        }
  );
  const [held] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES`
  );
  const have = new Set(held.map((r) => String(r.p)));
  const missing = PITR_PRIVILEGES.filter((p) => !have.has(p) && !have.has('SUPER'));
  out.push(
    check(
      'privileges: point-in-time recovery',
      missing.map((p) => `${p} (global)`),
      'to archive and replay the binary log',
      'failed'
    )
  );
  return out;
}
