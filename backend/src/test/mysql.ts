/** Test helpers for the real MariaDB started by scripts/services.sh (root over its socket). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { services } from './services';
import { scratchPrefix } from '../targets/kit/scratch';

export function mysqlEnv() {
  const need = (k: string) => {
    const v = process.env[k];
    if (!v) {
      throw new Error(
        `${k} is not set: run the tests through jest (global setup) or eval "$(bash scripts/services.sh env)"`
      );
    }
    return v;
  };
  return {
    host: need('BSLA_MYSQL_HOST'),
    port: Number(need('BSLA_MYSQL_PORT')),
    user: need('BSLA_MYSQL_USER'),
    passwordFile: need('BSLA_MYSQL_PASSWORD_FILE'),
    socket: need('BSLA_MYSQL_SOCKET'),
  };
}

export async function rootConnection(): Promise<mysql.Connection> {
  return mysql.createConnection({ socketPath: mysqlEnv().socket, user: 'root', multipleStatements: true });
}

/** A fresh AGAMA-like database with an `item` table holding `rows` rows (padding makes it bigger). */
export async function createAgama(database: string, rows: number, padding = 0): Promise<void> {
  const c = await rootConnection();
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${database}\`; CREATE DATABASE \`${database}\``);
    await c.query(
      `CREATE TABLE \`${database}\`.item (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, done TINYINT NOT NULL DEFAULT 0, note TEXT)`
    );
    const batch = 5000;
    for (let i = 0; i < rows; i += batch) {
      const n = Math.min(batch, rows - i);
      const values = Array.from({ length: n }, (_, k) => [
        `task ${i + k}`,
        (i + k) % 2,
        'x'.repeat(padding) + String(i + k),
      ]);
      await c.query(`INSERT INTO \`${database}\`.item (name, done, note) VALUES ?`, [values]);
    }
  } finally {
    await c.end();
  }
}

export async function query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await rootConnection();
  try {
    const [rows] = await c.query(sql, params);
    return rows as T[];
  } finally {
    await c.end();
  }
}

export async function tableState(database: string): Promise<{ rows: number; checksum: number }> {
  const [count] = await query(`SELECT COUNT(*) AS n FROM \`${database}\`.item`);
  const [sum] = await query(`CHECKSUM TABLE \`${database}\`.item`);
  return { rows: Number(count.n), checksum: Number(sum.Checksum) };
}

export function mysqlTarget(database: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const e = mysqlEnv();
  return {
    kind: 'mysql',
    connection: { host: e.host, port: e.port, user: e.user, passwordFile: e.passwordFile, database },
    ...extra,
  };
}

/**
 * A database as the real AGAMA keeps it, on a server whose default is latin1: utf8mb4 with a
 * collation of its own, non-ASCII rows, and one of every kind of object (a view, a procedure, a
 * function, a trigger, an event), all made by root (their DEFINER).
 */
export async function createRichDatabase(database: string, rows: number): Promise<void> {
  const c = await rootConnection();
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await c.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await c.query(`USE \`${database}\``);
    await c.query(
      `CREATE TABLE item (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, done TINYINT NOT NULL DEFAULT 0, note TEXT)`
    );
    await c.query(`CREATE TABLE tally (n INT NOT NULL) CHARACTER SET latin1`);
    await c.query(`INSERT INTO tally VALUES (0)`);
    await c.query(`CREATE VIEW open_items AS SELECT id, name FROM item WHERE done = 0`);
    await c.query(`CREATE TRIGGER item_tally AFTER INSERT ON item FOR EACH ROW UPDATE tally SET n = n + 1`);
    await c.query(`CREATE PROCEDURE mark_done(IN i INT) BEGIN UPDATE item SET done = 1 WHERE id = i; END`);
    await c.query(
      `CREATE FUNCTION open_count() RETURNS INT READS SQL DATA BEGIN RETURN (SELECT COUNT(*) FROM item WHERE done = 0); END`
    );
    await c.query(
      `CREATE EVENT purge_done ON SCHEDULE EVERY 1 DAY STARTS '2024-01-01 00:00:00' DO DELETE FROM item WHERE done = 1 AND 0`
    );
    const names = ['café crème', 'naïve ✓', '日本語のメモ', 'Ærø – ½', 'plain'];
    for (let i = 0; i < rows; i += 1000) {
      const values = Array.from({ length: Math.min(1000, rows - i) }, (_, k) => [
        `${names[(i + k) % names.length]} ${i + k}`,
        (i + k) % 3 === 0 ? 1 : 0,
        `note ${i + k} ✓`,
      ]);
      await c.query(`INSERT INTO item (name, done, note) VALUES ?`, [values]);
    }
  } finally {
    await c.end();
  }
}

/**
 * Everything that makes a database itself, read as root (independently of the driver): default
 * character set and collation, each table's definition, rows and checksum, and every view,
 * routine, trigger and event with the session settings it was created under. View definitions
 * name their own database; that name is left out so that copies compare equal.
 */
export async function readDatabase(database: string): Promise<Record<string, unknown> | null> {
  const c = await rootConnection();
  try {
    const [[schema]] = (await c.query(
      `SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS coll FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
      [database]
    )) as any;
    if (!schema) {
      return null;
    }
    const id = (n: string) => `\`${database}\`.\`${n}\``;
    const out: Record<string, unknown> = { charset: schema.cs, collation: schema.coll };
    const [tables] = (await c.query(
      `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
      [database]
    )) as any;
    for (const t of tables) {
      if (t.type === 'VIEW') {
        const [[v]] = (await c.query(`SHOW CREATE VIEW ${id(t.name)}`)) as any;
        out[`view ${t.name}`] = [
          String(v['Create View']).split(`\`${database}\`.`).join(''),
          v.character_set_client,
          v.collation_connection,
        ];
      } else {
        const [[d]] = (await c.query(`SHOW CREATE TABLE ${id(t.name)}`)) as any;
        const [[n]] = (await c.query(`SELECT COUNT(*) AS n FROM ${id(t.name)}`)) as any;
        const [[sum]] = (await c.query(`CHECKSUM TABLE ${id(t.name)}`)) as any;
        out[`table ${t.name}`] = [d['Create Table'], Number(n.n), Number(sum.Checksum)];
      }
    }
    const [routines] = (await c.query(
      `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?`,
      [database]
    )) as any;
    for (const r of routines) {
      const [[d]] = (await c.query(`SHOW CREATE ${r.type} ${id(r.name)}`)) as any;
      out[`${r.type.toLowerCase()} ${r.name}`] = [
        d[`Create ${r.type === 'FUNCTION' ? 'Function' : 'Procedure'}`],
        d.sql_mode,
        d.character_set_client,
        d.collation_connection,
        d['Database Collation'],
      ];
    }
    const [triggers] = (await c.query(
      `SELECT TRIGGER_NAME AS name, ACTION_ORDER AS ord FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?`,
      [database]
    )) as any;
    for (const t of triggers) {
      const [[d]] = (await c.query(`SHOW CREATE TRIGGER ${id(t.name)}`)) as any;
      out[`trigger ${t.name}`] = [
        d['SQL Original Statement'],
        d.sql_mode,
        d.character_set_client,
        d.collation_connection,
        d['Database Collation'],
        Number(t.ord),
      ];
    }
    const [events] = (await c.query(`SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?`, [
      database,
    ])) as any;
    for (const e of events) {
      const [[d]] = (await c.query(`SHOW CREATE EVENT ${id(e.name)}`)) as any;
      out[`event ${e.name}`] = [
        d['Create Event'],
        d.sql_mode,
        d.time_zone,
        d.character_set_client,
        d.collation_connection,
        d['Database Collation'],
      ];
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Databases whose name starts with `prefix` (scratch, staging, aside...). */
export async function databasesLike(prefix: string): Promise<string[]> {
  const rows = await query(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [
    `${prefix.replace(/_/g, '\\_')}%`,
  ]);
  return rows.map((r) => r.name).sort();
}

const PRIVILEGES_DOC = path.resolve(__dirname, '../../../docs/mysql-privileges.md');

/** The GRANT statements of docs/mysql-privileges.md, for `database` instead of `agama`. */
export function documentedGrants(database: string): string[] {
  const doc = readFileSync(PRIVILEGES_DOC, 'utf8');
  const block = /<!-- mysql-privileges:begin -->\s*```sql\n([\s\S]*?)```\s*<!-- mysql-privileges:end -->/.exec(doc);
  if (!block) {
    throw new Error(`no SQL block between the mysql-privileges markers in ${PRIVILEGES_DOC}`);
  }
  // In a grant `_` is a wildcard: the database's own name is written with `\_`.
  const escaped = database.replace(/_/g, '\\_');
  return block[1]
    .split(/;\s*\n/)
    .map((stmt) => stmt.replace(/^\s*--.*$/gm, '').trim())
    .filter((stmt) => stmt.startsWith('GRANT'))
    .map((stmt) => stmt.split('`agama').join(`\`${escaped}`));
}

/** Applies exactly the documented grants to `database` for the least-privilege account. */
export async function grantDocumented(database: string): Promise<void> {
  for (const grant of documentedGrants(database)) {
    await query(grant);
  }
}

/**
 * A mysql target that runs as the least-privilege account (services.sh created it from the
 * documented SQL); call grantDocumented(database) first.
 */
export function leastPrivilegeTarget(database: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s = services().mysql;
  return {
    kind: 'mysql',
    connection: { host: s.host, port: s.port, user: s.leastUser, passwordFile: s.leastPasswordFile, database },
    ...extra,
  };
}

/** The scratch and staging databases of one mysql target that are still there (none after every run). */
export async function scratchOf(target: string, database: string): Promise<string[]> {
  const owner = `${target}\0${database}`;
  return [
    ...(await databasesLike(scratchPrefix('verify', owner))),
    ...(await databasesLike(scratchPrefix('restore', owner))),
  ];
}

/**
 * Drops test databases and what restores moved aside from them (`<name>_before_restore_<time>`):
 * a restore in place keeps the replaced data, so a test that restores cleans that up too.
 */
export async function dropDatabases(...names: string[]): Promise<void> {
  for (const name of names) {
    for (const db of [name, ...(await databasesLike(`${name}_before_restore_`))]) {
      await query(`DROP DATABASE IF EXISTS \`${db}\``);
    }
  }
}

/** The server's clock, in unix seconds. */
export async function serverSecond(): Promise<number> {
  const [r] = await query(`SELECT UNIX_TIMESTAMP(NOW()) AS s`);
  return Number(r.s);
}

/** Waits until the server's clock is in a second later than `s` (default: now); returns that second. */
export async function nextSecond(s?: number): Promise<number> {
  const from = s ?? (await serverSecond());
  for (;;) {
    const now = await serverSecond();
    if (now > from) {
      return now;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
