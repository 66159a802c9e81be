/**
 * kind: mysql — the AGAMA database. Backup streams mariadb-dump into restic (never through memory
 * or a temp file) and records each table's row count and CHECKSUM TABLE; verification restores
 * into a scratch database and compares; restore recreates the database (or another one, `to`).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import mysql from 'mysql2/promise';
import { readSecret } from '../config/secret';
import { SecretRef } from '../config/types';
import { CommandSpec, start } from '../util/subprocess';
import { findProgram } from './tools';
import { DriverContext, Metadata, TargetDriver } from './types';

export interface MysqlSettings {
  connection: {
    host: string;
    port: number;
    user: string;
    passwordFile?: string;
    passwordEnv?: string;
    database: string;
  };
  verify: Record<string, never>;
}

interface TableState {
  rows: number;
  checksum: number | null;
}
type DatabaseState = Record<string, TableState>;

const IDENT = /^[A-Za-z0-9_]{1,64}$/;

function password(s: MysqlSettings): string {
  const ref: SecretRef = { file: s.connection.passwordFile, env: s.connection.passwordEnv };
  return readSecret(ref, 'mysql connection');
}

async function connect(s: MysqlSettings, database?: string): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({
      host: s.connection.host,
      port: s.connection.port,
      user: s.connection.user,
      password: password(s),
      database,
      connectTimeout: 10_000,
      multipleStatements: false,
    });
  } catch (e) {
    const err = e as { code?: string; message: string };
    throw new Error(
      `cannot connect to MySQL at ${s.connection.host}:${s.connection.port}: ${err.code ?? ''} ${err.message}`.trim()
    );
  }
}

/** Row counts and CHECKSUM TABLE of every base table: what "the same data" means for verification. */
export async function databaseState(
  conn: mysql.Connection,
  database: string,
  checksums = true
): Promise<DatabaseState> {
  const [tables] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    [database]
  );
  const state: DatabaseState = {};
  for (const t of tables) {
    const ident = `${conn.escapeId(database)}.${conn.escapeId(t.name)}`;
    const [[count]] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${ident}`);
    const [[sum]] = checksums
      ? await conn.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE ${ident}`)
      : [[{ Checksum: null }]];
    state[t.name] = { rows: Number(count.n), checksum: sum.Checksum === null ? null : Number(sum.Checksum) };
  }
  return state;
}

/**
 * The server's time, and whether any table of the database was written at or after `since`
 * (UPDATE_TIME has one-second resolution: a write in the same second counts as a change).
 */
async function writesSince(
  conn: mysql.Connection,
  database: string,
  since?: string
): Promise<{ now: string; changed: boolean }> {
  const [[{ now }]] = await conn.query<mysql.RowDataPacket[]>(`SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s') AS now`);
  if (!since) {
    return { now, changed: false };
  }
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'
       AND (UPDATE_TIME IS NULL AND CREATE_TIME >= ? OR UPDATE_TIME >= ?)`,
    [database, since, since]
  );
  return { now, changed: Number(rows[0].n) > 0 };
}

/** Client options in a private file (mode 600): the password never appears on a command line. */
function optionsFile(ctx: DriverContext<MysqlSettings>): string {
  const file = path.join(ctx.tmpDir, 'client.cnf');
  const c = ctx.target.settings.connection;
  const quoted = password(ctx.target.settings).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  writeFileSync(
    file,
    `[client]\nhost=${c.host}\nport=${c.port}\nuser=${c.user}\npassword="${quoted}"\nprotocol=TCP\n`,
    { mode: 0o600 }
  );
  return file;
}

function clientCommand(ctx: DriverContext<MysqlSettings>, database: string): CommandSpec {
  return {
    command: findProgram(['mariadb', 'mysql']),
    args: [`--defaults-extra-file=${optionsFile(ctx)}`, '--batch', database],
    timeoutMs: ctx.target.timeoutSeconds * 1000,
  };
}

/** Loads a snapshot's dump into `database` (which must exist), streaming restic → client. */
async function load(
  ctx: DriverContext<MysqlSettings>,
  dump: { stream: NodeJS.ReadableStream; done: Promise<void> },
  database: string
): Promise<void> {
  const client = start(clientCommand(ctx, database), { stdin: 'pipe', signal: ctx.signal });
  client.child.stdin!.on('error', () => undefined);
  dump.stream.pipe(client.child.stdin!);
  const [d, c] = await Promise.allSettled([dump.done, client.done]);
  if (d.status === 'rejected') {
    throw d.reason;
  }
  if (c.status === 'rejected') {
    throw c.reason;
  }
}

function compare(expected: DatabaseState, actual: DatabaseState): string[] {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(expected)) {
    const got = actual[table];
    if (!got) {
      problems.push(`table ${table} missing`);
    } else if (got.rows !== want.rows) {
      problems.push(`table ${table}: ${got.rows} rows, expected ${want.rows}`);
    } else if (want.checksum !== null && got.checksum !== want.checksum) {
      problems.push(`table ${table}: checksum ${got.checksum}, expected ${want.checksum}`);
    }
  }
  for (const table of Object.keys(actual)) {
    if (!(table in expected)) {
      problems.push(`unexpected table ${table}`);
    }
  }
  return problems;
}

/** `bsla_verify_<8 hex of target and database>_`: scratch databases of one target's verifications. */
function scratchPrefix(target: string, s: MysqlSettings): string {
  const id = createHash('sha256').update(`${target}\0${s.connection.database}`).digest('hex').slice(0, 8);
  return `bsla_verify_${id}_`;
}

function dumpFilename(s: MysqlSettings): string {
  return `${s.connection.database}.sql`;
}

export const mysqlDriver: TargetDriver<MysqlSettings> = {
  kind: 'mysql',
  settingsShape: (h) => ({
    connection: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(3306),
        user: z.string().min(1),
        ...h.passwordFields(),
        database: z.string().regex(IDENT, 'database names: letters, digits and _ only'),
      })
      .refine((c) => c.passwordFile || c.passwordEnv, { message: 'needs passwordFile or passwordEnv' }),
  }),
  defaults: {
    schedule: '0 2 * * *',
    rpo: '1d',
    rto: '5m',
    retention: { keepWeekly: 4 },
    verifySchedule: '0 4 * * 0',
    coverage: 'the AGAMA database (its item table and everything else in it)',
    usability: 'restore into a scratch database; same tables, row counts and CHECKSUM TABLE as at backup time',
  },

  checkRestoreTarget: (to) => (IDENT.test(to) ? null : 'database names: letters, digits and _ only, at most 64'),

  destinations: (t) => ({
    inPlace: {
      replaces: `database ${t.settings.connection.database}`,
      movedAsideAs: `database ${t.settings.connection.database}_before_restore_<time>`,
      note: null,
      unavailable: null,
    },
    elsewhere: {
      kind: 'database',
      hint: 'another database on the same server (letters, digits and _)',
      example: `${t.settings.connection.database}_restored`,
    },
  }),

  contents: (meta) => {
    const tables = (meta.tables ?? {}) as unknown as DatabaseState;
    const names = Object.keys(tables).sort();
    const rows = names.reduce((n, k) => n + tables[k].rows, 0);
    const db = typeof meta.database === 'string' ? meta.database : 'the database';
    return {
      summary: `database ${db}: ${names.length} table${names.length === 1 ? '' : 's'}, ${rows} rows`,
      items: names.map((name) => ({ name, count: tables[name].rows, unit: 'rows' })),
    };
  },

  async backup(ctx) {
    const s = ctx.target.settings;
    const conn = await connect(s, s.connection.database);
    try {
      const started = await writesSince(conn, s.connection.database);
      const before = await databaseState(conn, s.connection.database);
      ctx.progress('dumping');
      const dump: CommandSpec = {
        command: findProgram(['mariadb-dump', 'mysqldump']),
        args: [
          `--defaults-extra-file=${optionsFile(ctx)}`,
          '--single-transaction',
          '--routines',
          '--triggers',
          '--events',
          '--skip-dump-date',
          s.connection.database,
        ],
      };
      const snapshot = await ctx.store.saveStream(dump, dumpFilename(s));
      // Reading the state again costs a full scan per table; InnoDB's UPDATE_TIME says whether
      // anything was written since we started, so the scan is needed only then.
      const written = (await writesSince(conn, s.connection.database, started.now)).changed;
      const after = written ? await databaseState(conn, s.connection.database) : before;
      // Writes during the dump make the recorded state uncertain: keep both, verify against the range.
      const changed = JSON.stringify(before) !== JSON.stringify(after);
      const metadata: Metadata = {
        database: s.connection.database,
        tables: before as unknown as Metadata,
        changedDuringBackup: changed,
      };
      if (changed) {
        metadata.tablesAfter = after as unknown as Metadata;
      }
      return { kind: 'saved', snapshot, version: null, metadata };
    } finally {
      await conn.end().catch(() => undefined);
    }
  },

  async verify(ctx) {
    const s = ctx.target.settings;
    // The scratch name carries the target, so that one left by a verification that never finished
    // (the service was killed) is found and dropped by the next one of the same target.
    const prefix = scratchPrefix(ctx.target.name, s);
    const scratch = `${prefix}${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const conn = await connect(s);
    try {
      // The target's lock is ours: no other verification of it is running, what is there is left over.
      const [leftovers] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`,
        [`${prefix.replace(/_/g, '\\_')}%`]
      );
      for (const l of leftovers) {
        ctx.log.warn({ database: l.name }, 'dropping the scratch database of an unfinished verification');
        await conn.query(`DROP DATABASE IF EXISTS ${conn.escapeId(l.name)}`);
      }
      await conn.query(`CREATE DATABASE ${conn.escapeId(scratch)}`);
      ctx.progress('restoring into scratch database');
      await load(ctx, ctx.reader.dump(dumpFilename(s)), scratch);
      ctx.progress('comparing');
      const actual = await databaseState(conn, scratch);
      const meta = ctx.snapshot.metadata;
      if (!meta) {
        return {
          ok: true,
          detail: `restored ${Object.keys(actual).length} tables (no recorded state to compare: catalog was rebuilt)`,
        };
      }
      const expected = meta.tables as unknown as DatabaseState;
      let problems = compare(expected, actual);
      if (problems.length && meta.changedDuringBackup && meta.tablesAfter) {
        const alt = compare(meta.tablesAfter as unknown as DatabaseState, actual);
        problems = alt.length < problems.length ? alt : problems;
      }
      const rows = Object.values(actual).reduce((n, t) => n + t.rows, 0);
      return problems.length
        ? { ok: false, detail: problems.join('; ') }
        : { ok: true, detail: `${Object.keys(actual).length} tables, ${rows} rows, checksums match` };
    } finally {
      await conn.query(`DROP DATABASE IF EXISTS ${conn.escapeId(scratch)}`).catch(() => undefined);
      await conn.end().catch(() => undefined);
    }
  },

  async restore(ctx) {
    const s = ctx.target.settings;
    const database = ctx.options.to ?? s.connection.database;
    const conn = await connect(s);
    try {
      if (ctx.options.to !== undefined) {
        const [exists] = await conn.query<mysql.RowDataPacket[]>(
          `SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
          [database]
        );
        if (exists.length && !ctx.options.force) {
          throw new Error(`database ${database} already exists; choose another name or force`);
        }
      }
      // The engine took a safety snapshot of the current database before we get here.
      await conn.query(`DROP DATABASE IF EXISTS ${conn.escapeId(database)}`);
      await conn.query(`CREATE DATABASE ${conn.escapeId(database)}`);
      ctx.progress('loading dump');
      await load(ctx, ctx.reader.dump(dumpFilename(s)), database);
      // Row counts only: checksums are the verification's job, not worth the restore's time.
      const state = await databaseState(conn, database, false);
      const rows = Object.values(state).reduce((n, t) => n + t.rows, 0);
      return { location: `database ${database}`, detail: `${Object.keys(state).length} tables, ${rows} rows` };
    } finally {
      await conn.end().catch(() => undefined);
    }
  },
};
