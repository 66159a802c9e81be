/**
 * Reaching the MySQL/MariaDB server: one connection for the driver's own queries, and a private
 * client options file for mariadb-dump and the mariadb client (the password never on a command
 * line). A server that cannot be reached, or refuses the account, is an UnavailableError: nothing
 * was learned about the data.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { readSecret } from '../../config/secret';
import { SecretRef } from '../../config/types';
import { UnavailableError } from '../../util/errors';
import { CommandSpec } from '../../util/subprocess';
import { findProgram } from '../tools';
import type { DriverContext, PitrSettings } from '../types';

export interface MysqlSettings {
  connection: {
    host: string;
    port: number;
    user: string;
    passwordFile?: string;
    passwordEnv?: string;
    database: string;
  };
  /** Point-in-time recovery: the binary log archived continuously (mysql/pitr.ts); null: off. */
  pitr: PitrSettings | null;
  verify: Record<string, never>;
}

/** Database names the driver accepts: no quoting needed anywhere. */
export const IDENT = /^[A-Za-z0-9_]{1,64}$/;

/** The server's own schemas: never backed up as a target's database, never a restore destination. */
export const SYSTEM_SCHEMAS = ['mysql', 'sys', 'performance_schema', 'information_schema'];

export function isSystemSchema(name: string): boolean {
  return SYSTEM_SCHEMAS.includes(name.toLowerCase());
}

function password(s: MysqlSettings): string {
  const ref: SecretRef = { file: s.connection.passwordFile, env: s.connection.passwordEnv };
  return readSecret(ref, 'mysql connection');
}

export function where(s: MysqlSettings): string {
  return `MySQL at ${s.connection.host}:${s.connection.port}`;
}

/** A connection without a default database (the driver names every object with its schema). */
export async function connect(s: MysqlSettings): Promise<mysql.Connection> {
  try {
    // Loaded on first use: every CLI command loads the drivers, few of them talk to MySQL.
    const { createConnection } = await import('mysql2/promise');
    return await createConnection({
      host: s.connection.host,
      port: s.connection.port,
      user: s.connection.user,
      password: password(s),
      connectTimeout: 10_000,
      multipleStatements: false,
    });
  } catch (e) {
    const err = e as { code?: string; message: string };
    throw new UnavailableError(`cannot connect to ${where(s)}: ${err.code ?? ''} ${err.message}`.trim());
  }
}

/** Client options in a private file (mode 600) of the run's temp dir. */
export function optionsFile(ctx: DriverContext<MysqlSettings>): string {
  return optionsFileIn(ctx.target.settings, ctx.tmpDir);
}

/** Client options in a private file (mode 600) of a private directory (the archiver's own). */
export function optionsFileIn(s: MysqlSettings, dir: string): string {
  const file = path.join(dir, 'client.cnf');
  const c = s.connection;
  const quoted = password(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  writeFileSync(
    file,
    `[client]\nhost=${c.host}\nport=${c.port}\nuser=${c.user}\npassword="${quoted}"\nprotocol=TCP\n`,
    { mode: 0o600 }
  );
  return file;
}

/** The mariadb client reading SQL from stdin into `database`. */
export function clientCommand(ctx: DriverContext<MysqlSettings>, database: string): CommandSpec {
  return {
    command: findProgram(['mariadb', 'mysql']),
    args: [`--defaults-extra-file=${optionsFile(ctx)}`, '--batch', database],
    timeoutMs: ctx.target.timeoutSeconds * 1000,
  };
}

/**
 * mariadb-dump of one database, with everything in it and no date (identical dumps dedup). With
 * `logCoordinates` (the server writes a binary log) it also writes, as comments, where its
 * consistent snapshot is in the log and the GTID position there (mysql/pitr.ts reads them).
 */
export function dumpCommand(ctx: DriverContext<MysqlSettings>, database: string, logCoordinates = false): CommandSpec {
  return {
    command: findProgram(['mariadb-dump', 'mysqldump']),
    args: [
      `--defaults-extra-file=${optionsFile(ctx)}`,
      '--single-transaction',
      ...(logCoordinates ? ['--master-data=2', '--gtid'] : []),
      '--routines',
      '--triggers',
      '--events',
      '--skip-dump-date',
      database,
    ],
  };
}

/**
 * Whether the target's database exists, as the account sees it: information_schema hides a
 * database the account has no privilege on, so "not listed" is asked again of the server itself
 * (USE): unknown → false; no access → an UnavailableError naming the account and the database
 * (something is there that cannot be read: never "nothing there").
 */
export async function databaseExists(conn: mysql.Connection, s: MysqlSettings): Promise<boolean> {
  try {
    await conn.query(`USE ${q(s.connection.database)}`);
    return true;
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === 'ER_BAD_DB_ERROR') {
      return false;
    }
    throw new UnavailableError(`cannot connect to ${where(s)}: ${err.code ?? ''} ${err.message}`.trim());
  }
}

/** Whether a database exists, and its default character set and collation. */
export async function schemaInfo(
  conn: mysql.Connection,
  database: string
): Promise<{ charset: string; collation: string } | null> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
       FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
    [database]
  );
  return rows.length ? { charset: rows[0].charset, collation: rows[0].collation } : null;
}

/** Backticks a name for SQL (names are checked against IDENT, this is the second wall). */
export function q(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
