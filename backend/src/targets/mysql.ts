/**
 * kind: mysql — one database (the lab's: AGAMA's). Backup streams mariadb-dump into restic (never through memory
 * or a temp file) and records what "the same database" means (mysql/state.ts): its character set
 * and collation, every table's row count and CHECKSUM TABLE, every object's definition.
 *
 * Verification loads the snapshot into a scratch database and compares all of it. A restore never
 * drops live data: it loads the snapshot into a fresh staging database, checks it, and only then
 * swaps it into the live place, moving what was there aside into `<db>_before_restore_<time>`
 * (mysql/swap.ts), kept until an operator removes it.
 *
 * With `pitr` the server's binary log is archived continuously (engine/pitr/, mysql/pitr.ts):
 * every dump records where it is in the log, a restore may go to any second of the archived
 * window (the newest dump before it, then the log replayed into the staging database up to that
 * second), and verification replays the log on top of the newest dump up to a mark just taken.
 */
import { z } from 'zod';
import mysql from 'mysql2/promise';
import type { Logger } from 'pino';
import type { TargetConfig } from '../config/types';
import { doc } from '../config/schema';
import { asideName, isAsideName } from './kit/aside';
import { isScratchName, scratchName, scratchPrefix } from './kit/scratch';
import { TargetDriver, DriverContext, SnapshotReader, ArchivedLog } from './types';
import {
  connect,
  databaseExists,
  dumpCommand,
  IDENT,
  isSystemSchema,
  MysqlSettings,
  q,
  schemaInfo,
  SYSTEM_SCHEMAS,
  where,
} from './mysql/connection';
import { loadDump } from './mysql/load';
import {
  beginStateRead,
  compareSchema,
  compareTables,
  databaseState,
  DatabaseState,
  readObjects,
  SchemaRecord,
  schemaRecord,
} from './mysql/state';
import { MysqlMetadata, mysqlRecord, readMysqlMetadata } from './mysql/metadata';
import { metadataForRestore } from './kit/metadata';
import { KEPT_DEFINITIONS, swapIn } from './mysql/swap';
import { mysqlDoctor } from './mysql/doctor';
import {
  compareHashes,
  DumpPosition,
  fileNumber,
  followerCommand,
  logBinOn,
  logCutter,
  logMark,
  pitrField,
  replay,
  ReplayStop,
  replicaIdOf,
  serverLog,
  snapshotPosition,
  tableHashes,
} from './mysql/pitr';
import { isUnavailable } from '../util/errors';

export type { MysqlSettings } from './mysql/connection';
export { databaseState } from './mysql/state';

/** What a backup recorded (metadata): what verification and restore compare against. */
interface Recorded {
  tables: DatabaseState;
  tablesAfter?: DatabaseState;
  schema?: SchemaRecord;
}

function recorded(meta: MysqlMetadata | null): Recorded | null {
  if (!meta) {
    return null;
  }
  return {
    tables: meta.tables,
    tablesAfter: meta.changedDuringBackup ? meta.tablesAfter : undefined,
    schema: meta.schema,
  };
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

/**
 * Without SELECT on mysql.proc, MariaDB 10.11 hides the database's procedures and functions from
 * the account, and mariadb-dump leaves them out without a word: refuse such a backup.
 */
async function checkRoutinesReadable(conn: mysql.Connection, s: MysqlSettings): Promise<void> {
  try {
    await conn.query(`SELECT COUNT(*) FROM mysql.proc WHERE db = ?`, [s.connection.database]);
  } catch (e) {
    const err = e as { code?: string; message: string };
    throw new Error(
      `${s.connection.user} cannot read the definitions of the database's procedures and functions (${err.code ?? err.message}): grant SELECT ON mysql.proc (docs/mysql-privileges.md), or mariadb-dump leaves them out`
    );
  }
}

function dumpFilename(s: MysqlSettings): string {
  return `${s.connection.database}.sql`;
}

/** The scratch/staging names of one target (its name and database). */
function owner(ctx: DriverContext<MysqlSettings>): string {
  return `${ctx.target.name}\0${ctx.target.settings.connection.database}`;
}

/** The character set and collation to create a scratch/staging database with: the snapshot's own. */
async function charsetFor(
  conn: mysql.Connection,
  meta: MysqlMetadata | null,
  fallback: string
): Promise<{ charset: string; collation: string }> {
  const schema = meta?.schema;
  if (schema?.charset && schema.collation) {
    return { charset: schema.charset, collation: schema.collation };
  }
  // A snapshot from before definitions were recorded: the live database's, else the server's default.
  const info = await schemaInfo(conn, fallback);
  if (info) {
    return info;
  }
  const [[d]] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT @@character_set_server AS charset, @@collation_server AS collation`
  );
  return { charset: d.charset, collation: d.collation };
}

/** A load failure of the client (vs. the snapshot that could not be read, which is rethrown). */
class LoadError extends Error {}

/**
 * Loads the snapshot into a new scratch/staging database (recorded first as something this run
 * creates) and reads what it holds. The database is left for the caller to drop or swap in.
 */
async function loadInto(
  ctx: DriverContext<MysqlSettings> & { reader: SnapshotReader },
  meta: MysqlMetadata | null,
  conn: mysql.Connection,
  database: string,
  checksums: boolean
): Promise<{ tables: DatabaseState; schema: SchemaRecord; statuses: Record<string, string> }> {
  const s = ctx.target.settings;
  const cs = await charsetFor(conn, meta, s.connection.database);
  ctx.created({ kind: 'database', name: database });
  await conn.query(`CREATE DATABASE ${q(database)} CHARACTER SET ${q(cs.charset)} COLLATE ${q(cs.collation)}`);
  const dump = ctx.reader.dump(dumpFilename(s));
  let readFailed = false;
  dump.done.catch(() => (readFailed = true));
  let statuses: Record<string, string>;
  try {
    statuses = await loadDump(ctx, dump, database);
  } catch (e) {
    throw readFailed ? e : new LoadError(`the dump does not load: ${(e as Error).message}`);
  }
  ctx.progress('checking');
  const tables = await databaseState(conn, database, checksums);
  const info = (await schemaInfo(conn, database))!;
  const schema = schemaRecord(info, await readObjects(conn, database));
  // Scratch copies of events are disabled (mysql/load.ts): their status is the dump's.
  schema.events = { ...schema.events, ...statuses };
  return { tables, schema, statuses };
}

/** Problems of a loaded copy against the recorded state (row counts within before/after, definitions). */
function problemsOf(rec: Recorded, got: { tables: DatabaseState; schema: SchemaRecord }): string[] {
  let problems = compareTables(rec.tables, got.tables);
  if (problems.length && rec.tablesAfter) {
    const alt = compareTables(rec.tablesAfter, got.tables);
    problems = alt.length < problems.length ? alt : problems;
  }
  if (rec.schema) {
    problems.push(...compareSchema(rec.schema, got.schema));
  }
  return problems;
}

async function dropQuietly(conn: mysql.Connection, database: string, log: Logger): Promise<void> {
  await conn
    .query(`DROP DATABASE IF EXISTS ${q(database)}`)
    .catch((e) => log.error({ database, err: String(e) }, 'could not drop a scratch database'));
}

/** A free aside name for `database` (a second restore within the same second gets another). */
async function freeAsideName(conn: mysql.Connection, database: string): Promise<string> {
  const now = new Date();
  for (let attempt = 1; ; attempt++) {
    const name = asideName(database, now, 64, attempt);
    if (!(await schemaInfo(conn, name))) {
      return name;
    }
  }
}

/** What a staging database holds after the log was replayed into it (the restore checks and swaps this). */
async function stagedState(
  conn: mysql.Connection,
  staging: string,
  statuses: Record<string, string>
): Promise<{ tables: DatabaseState; schema: SchemaRecord; statuses: Record<string, string> }> {
  const tables = await databaseState(conn, staging, false);
  const schema = schemaRecord((await schemaInfo(conn, staging))!, await readObjects(conn, staging));
  schema.events = { ...schema.events, ...statuses };
  return { tables, schema, statuses };
}

/**
 * The log half of a verification (targets with `pitr`): a mark on the live server (its log
 * position and every table's rows, in one consistent snapshot), the archived log from the
 * snapshot's position to the mark replayed into the scratch copy, and the scratch compared with
 * the mark. null when there is nothing to check (no archive, or the snapshot has no position).
 */
async function verifyLog(
  ctx: DriverContext<MysqlSettings> & {
    archivedLog?: (
      from: { file: string; position: number },
      to: { file: string; position: number }
    ) => Promise<ArchivedLog>;
  },
  meta: MysqlMetadata | null,
  conn: mysql.Connection,
  scratch: string
): Promise<{ ok: boolean; detail: string } | null> {
  const from = meta?.binlog ?? null;
  if (!ctx.target.settings.pitr || !ctx.archivedLog) {
    return null;
  }
  if (!from) {
    return { ok: true, detail: 'the binary log was not checked: this snapshot does not say where it is in the log' };
  }
  ctx.progress('marking the live database');
  const mark = await logMark(ctx.target.settings);
  let log: ArchivedLog;
  try {
    ctx.progress('waiting for the archive to reach the mark');
    log = await ctx.archivedLog(from, mark.position);
  } catch (e) {
    if (isUnavailable(e)) {
      return { ok: true, detail: `the binary log was not checked: ${(e as Error).message}` };
    }
    throw e;
  }
  ctx.progress('replaying the archived binary log');
  const stop: ReplayStop = { position: mark.position };
  try {
    await replay(ctx, scratch, log, stop);
  } catch (e) {
    return { ok: false, detail: `dump verified, but ${(e as Error).message}` };
  }
  const problems = compareHashes(mark.tables, await tableHashes(conn, scratch));
  const span = `${from.file}:${from.position} → ${mark.position.file}:${mark.position.position}`;
  if (problems.length) {
    return {
      ok: false,
      detail: `the archived binary log replayed on it (${span}) does not give the live rows: ${problems.slice(0, 3).join('; ')}`,
    };
  }
  const rows = Object.values(mark.tables).reduce((n, t) => n + t.rows, 0);
  return {
    ok: true,
    detail: `the archived binary log replayed on it (${span}) gives the live database's ${rows} rows at a mark just taken (counts and row hashes match)`,
  };
}

function refused(name: string): string | null {
  if (!IDENT.test(name)) {
    return 'database names: letters, digits and _ only, at most 64';
  }
  if (isSystemSchema(name)) {
    return `${name} is a system schema of the server (${SYSTEM_SCHEMAS.join(', ')} are never restored into)`;
  }
  if (isScratchName(name)) {
    return `${name} starts with bsla_, reserved for the scratch and staging databases of backup-sla`;
  }
  return null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const mysqlDriver: TargetDriver<MysqlSettings> = {
  kind: 'mysql',
  settingsShape: (h) => ({
    connection: doc(
      z
        .strictObject({
          host: doc(z.string().min(1), 'the MariaDB/MySQL server', '127.0.0.1').default('127.0.0.1'),
          port: doc(z.number().int().min(1).max(65535), "the server's TCP port", 3306).default(3306),
          user: doc(
            z.string().min(1),
            'the account, with exactly the grants of docs/mysql-privileges.md',
            'backup_sla'
          ),
          ...h.passwordFields(),
          database: doc(
            z
              .string()
              .regex(IDENT, 'database names: letters, digits and _ only')
              .refine((d) => !isSystemSchema(d), {
                message: `a system schema (${SYSTEM_SCHEMAS.join(', ')}) is not a target`,
              })
              .refine((d) => !isScratchName(d), {
                message: 'names starting with bsla_ are reserved for scratch databases',
              }),
            'the database backed up (one per target)',
            'agama'
          ),
        })
        .refine((c) => c.passwordFile || c.passwordEnv, { message: 'needs passwordFile or passwordEnv' }),
      'how to reach the database (the password from a file or the environment, never here)',
      { host: '127.0.0.1', port: 3306, user: 'backup_sla', passwordFile: './secrets/mysql.pass', database: 'agama' }
    ),
    pitr: pitrField(),
  }),
  defaults: {
    schedule: '0 2 * * *',
    rpo: '1d',
    rto: '5m',
    retention: { keepWeekly: 4 },
    verifySchedule: '0 4 * * 0',
    coverage: 'the database: its tables, views, routines, triggers and events, with its character set',
    usability:
      'restore into a scratch database; same character set, tables, definitions, row counts and CHECKSUM TABLE as at backup time',
  },

  // The SLA's "few hours": met by the archive's lag when the binary log is archived, else by the daily dump.
  defaultsFor: (settings) =>
    settings.pitr
      ? {
          rpo: '4h',
          coverage:
            'the database: its tables, views, routines, triggers and events, with its character set; and its binary log, archived continuously',
          usability:
            'restore into a scratch database; same character set, tables, definitions, row counts and CHECKSUM TABLE as at backup time; then the archived binary log replayed on it up to a mark just taken gives the same rows as the live database had there',
        }
      : {},

  checkRestoreTarget: (to) => refused(to),

  destinations: (t) => ({
    inPlace: {
      replaces: `database ${t.settings.connection.database}`,
      movedAsideAs: `database ${t.settings.connection.database}_before_restore_<time> (kept until removed)`,
      note: 'the snapshot is loaded and checked in a staging database first; the live database is untouched until then',
      unavailable: null,
    },
    elsewhere: {
      kind: 'database',
      hint: 'another database on the same server (letters, digits and _); an existing one is moved aside only with force',
      example: `${t.settings.connection.database}_restored`,
    },
  }),

  contents: (metadata) => {
    const meta = readMysqlMetadata(metadata)!;
    const tables = meta.tables;
    const names = Object.keys(tables).sort();
    const rows = names.reduce((n, k) => n + tables[k].rows, 0);
    const db = meta.database;
    const schema = meta.schema;
    const others = schema
      ? (['view', 'procedure', 'function', 'trigger', 'event'] as const)
          .map((type) => [type, Object.keys(schema.objects).filter((k) => k.startsWith(`${type} `)).length] as const)
          .filter(([, n]) => n > 0)
          .map(([type, n]) => `, ${plural(n, type)}`)
          .join('')
      : '';
    return {
      summary: `database ${db}${schema ? ` (${schema.charset}, ${schema.collation})` : ''}: ${plural(names.length, 'table')}, ${rows} rows${others}`,
      items: names.map((name) => ({ name, count: tables[name].rows, unit: 'rows' })),
    };
  },

  async backup(ctx) {
    const s = ctx.target.settings;
    const db = s.connection.database;
    const conn = await connect(s);
    try {
      if (!(await databaseExists(conn, s))) {
        if (ctx.safety) {
          // Before a restore: the database being gone is why one restores.
          return { kind: 'nothing', reason: `database ${db} does not exist on ${where(s)}` };
        }
        throw new Error(`cannot connect to ${where(s)}: ER_BAD_DB_ERROR Unknown database '${db}'`);
      }
      const info = (await schemaInfo(conn, db))!;
      await checkRoutinesReadable(conn, s);
      const started = await writesSince(conn, db);
      const schema = schemaRecord(info, await readObjects(conn, db));
      // The row counts and checksums are read while the dump streams, from a consistent snapshot
      // begun before the dump's own: with no write since `started`, both see the same data.
      const state = await beginStateRead(() => connect(s), db);
      // Where the dump is in the binary log (when the server writes one): replay starts there.
      const coordinates = (await logBinOn(conn)) ? new DumpPosition() : null;
      let positionAt: Promise<number> | null = null;
      if (coordinates) {
        coordinates.onPosition = () => {
          positionAt = conn
            .query<mysql.RowDataPacket[]>(`SELECT UNIX_TIMESTAMP(NOW(6)) * 1000 AS now`)
            .then(([[r]]) => Number(r.now));
        };
      }
      ctx.progress('dumping');
      const saved = ctx.store
        .saveStream(dumpCommand(ctx, db, !!coordinates), dumpFilename(s), {
          observe: coordinates ? (chunk) => coordinates.observe(chunk) : undefined,
        })
        .catch((e) => {
          state.cancel();
          throw e;
        });
      const [dumped, read] = await Promise.allSettled([saved, state.read]);
      if (dumped.status === 'rejected') {
        throw dumped.reason;
      }
      if (read.status === 'rejected') {
        throw new Error(`could not read the row counts and checksums of ${db}: ${(read.reason as Error).message}`);
      }
      const snapshot = dumped.value;
      const before = read.value;
      // Reading the state again costs a full scan per table; InnoDB's UPDATE_TIME says whether
      // anything was written since we started, so the scan is needed only then.
      const written = (await writesSince(conn, db, started.now)).changed;
      const after = written ? await databaseState(conn, db) : before;
      // Writes during the dump make the recorded state uncertain: keep both, verify against the range.
      const changed = JSON.stringify(before) !== JSON.stringify(after);
      const position = coordinates?.position;
      if (!(coordinates && position && positionAt) && s.pitr) {
        ctx.log.warn('the dump did not say where it is in the binary log: it cannot start a point-in-time restore');
      }
      const metadata = mysqlRecord({
        database: db,
        charset: info.charset,
        collation: info.collation,
        tables: before,
        schema,
        changedDuringBackup: changed,
        ...(changed ? { tablesAfter: after } : {}),
        ...(coordinates && position && positionAt
          ? { binlog: { ...position, gtid: coordinates.gtid, at: await positionAt } }
          : {}),
      });
      return { kind: 'saved', snapshot, version: null, metadata };
    } finally {
      await conn.end().catch(() => undefined);
    }
  },

  async verify(ctx) {
    // Malformed metadata fails the verification here, before anything is loaded (kit/metadata.ts).
    const meta = readMysqlMetadata(ctx.snapshot.metadata);
    const conn = await connect(ctx.target.settings);
    const prefix = scratchPrefix('verify', owner(ctx));
    const scratch = scratchName('verify', owner(ctx));
    try {
      // The target's lock is ours: a scratch database of this target's is left over from a killed run.
      const [leftovers] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`,
        [`${prefix.replace(/_/g, '\\_')}%`]
      );
      for (const l of leftovers) {
        ctx.log.warn({ database: l.name }, 'dropping the scratch database of an unfinished verification');
        await conn.query(`DROP DATABASE IF EXISTS ${q(l.name)}`);
      }
      ctx.progress('restoring into a scratch database');
      let got;
      try {
        got = await loadInto(ctx, meta, conn, scratch, true);
      } catch (e) {
        if (e instanceof LoadError) {
          return { ok: false, detail: e.message };
        }
        throw e;
      }
      const rows = Object.values(got.tables).reduce((n, t) => n + t.rows, 0);
      const rec = recorded(meta);
      if (!rec) {
        return {
          ok: true,
          detail: `restored ${plural(Object.keys(got.tables).length, 'table')} (no recorded state to compare: catalog was rebuilt)`,
        };
      }
      const problems = problemsOf(rec, got);
      if (problems.length) {
        return { ok: false, detail: problems.join('; ') };
      }
      const objects = Object.keys(got.schema.objects).length;
      const dumpDetail = `${plural(Object.keys(got.tables).length, 'table')}, ${plural(rows, 'row')}, checksums match${rec.schema ? `; character set ${got.schema.charset}/${got.schema.collation} and the definitions of ${plural(objects, 'object')} match` : ''}`;
      const log = await verifyLog(ctx, meta, conn, scratch);
      return log ? { ok: log.ok, detail: `${dumpDetail}; ${log.detail}` } : { ok: true, detail: dumpDetail };
    } finally {
      await dropQuietly(conn, scratch, ctx.log);
      await conn.end().catch(() => undefined);
    }
  },

  async restore(ctx) {
    const s = ctx.target.settings;
    const live = s.connection.database;
    const to = ctx.options.to;
    if (to !== undefined && to === live) {
      throw new Error(`to names the database ${live} itself: restore without to (a safety backup is taken first)`);
    }
    const into = to ?? live;
    const problem = refused(into);
    if (problem) {
      throw new Error(`cannot restore into ${into}: ${problem}`);
    }
    const meta = metadataForRestore(() => readMysqlMetadata(ctx.snapshot.metadata), `database ${into} is untouched`);
    const conn = await connect(s);
    const staging = scratchName('restore', owner(ctx));
    let swapped = false;
    try {
      if (to !== undefined && (await schemaInfo(conn, to)) && !ctx.options.force) {
        throw new Error(`database ${to} already exists; choose another name, or force to move it aside (it is kept)`);
      }
      ctx.progress('loading into a staging database');
      let got;
      try {
        got = await loadInto(ctx, meta, conn, staging, false);
      } catch (e) {
        throw new Error(`${(e as Error).message.replace(/^the dump/, 'the snapshot')}; database ${into} is untouched`);
      }
      const rec = recorded(meta);
      const problems = rec ? problemsOf(rec, got) : [];
      if (problems.length) {
        throw new Error(
          `the snapshot loaded into staging does not match what was recorded at backup, database ${into} is untouched: ${problems.slice(0, 3).join('; ')}`
        );
      }
      const pit = ctx.pointInTime;
      if (pit) {
        try {
          // Fetched by the engine while the snapshot loaded.
          const log = await pit.log;
          ctx.progress(`replaying the binary log up to ${pit.at.toISOString()}`);
          await replay(ctx, staging, log, { at: pit.at });
        } catch (e) {
          throw new Error(`${(e as Error).message}; database ${into} is untouched`);
        }
        ctx.progress('checking');
        got = await stagedState(conn, staging, got.statuses);
      }
      // Only now is anything live touched.
      const current = await schemaInfo(conn, into);
      const currentObjects = current ? (await readObjects(conn, into)).length : 0;
      const aside = currentObjects > 0 ? await freeAsideName(conn, into) : null;
      ctx.progress(aside ? `moving database ${into} aside as ${aside}` : `creating database ${into}`);
      const result = await swapIn(conn, {
        staging,
        into,
        aside,
        charset: got.schema.charset,
        collation: got.schema.collation,
        statuses: got.statuses,
        log: ctx.log,
      });
      swapped = true;
      // The live place now holds the restored objects: check their definitions there too.
      const now = schemaRecord((await schemaInfo(conn, into))!, await readObjects(conn, into));
      const after = compareSchema(got.schema, now);
      if (after.length) {
        throw new Error(
          `database ${into} restored, but its definitions differ from the snapshot's: ${after.slice(0, 3).join('; ')}${aside ? ` (the previous data is kept in ${aside})` : ''}`
        );
      }
      const tables = Object.keys(got.tables).length;
      const rows = Object.values(got.tables).reduce((n, t) => n + t.rows, 0);
      const r = result.restored;
      const replayed = pit ? ` as of ${pit.at.toISOString()} (the binary log replayed on the snapshot)` : '';
      return {
        location: `database ${into}`,
        detail: `${plural(tables, 'table')}, ${rows} rows${replayed}, character set ${got.schema.charset}/${got.schema.collation}${aside ? `; the previous database is kept as ${aside}` : ''}`,
        counts: {
          tables,
          rows,
          views: r.view ?? 0,
          routines: (r.procedure ?? 0) + (r.function ?? 0),
          triggers: r.trigger ?? 0,
          events: r.event ?? 0,
        },
        movedAside: aside ? [{ kind: 'database', name: aside, was: `database ${into}` }] : [],
        next: [
          ...(s.pitr && to === undefined
            ? [
                `take a backup now (backup-sla backup ${ctx.target.name}): a restore to a point in time after this restore starts from the next backup`,
              ]
            : []),
          ...(aside
            ? [
                `check the application; what database ${into} held before is kept in database ${aside} (its events disabled) until you remove it`,
                ...(result.unmade.length
                  ? [
                      `${result.unmade.join(', ')} of the previous database could not be created in ${aside} (what they use was gone): their definitions are kept in its table ${KEPT_DEFINITIONS}`,
                    ]
                  : []),
              ]
            : []),
        ],
      };
    } finally {
      if (!swapped) {
        await dropQuietly(conn, staging, ctx.log);
      }
      await conn.end().catch(() => undefined);
    }
  },

  async removeLeftover(target, item, log) {
    if (item.kind !== 'database' || !isScratchName(item.name)) {
      return; // only ever our own scratch databases
    }
    const conn = await connect(target.settings);
    try {
      log.warn({ database: item.name }, 'dropping the scratch database of an interrupted run');
      await conn.query(`DROP DATABASE IF EXISTS ${q(item.name)}`);
    } finally {
      await conn.end().catch(() => undefined);
    }
  },

  async asideExists(target, item) {
    const conn = await connect(target.settings);
    try {
      return (await schemaInfo(conn, item.name)) !== null;
    } finally {
      await conn.end().catch(() => undefined);
    }
  },

  async removeAside(target: TargetConfig<MysqlSettings>, item) {
    if (item.kind !== 'database' || !isAsideName(item.name) || !IDENT.test(item.name)) {
      throw new Error(`${item.name} is not a database a restore moved aside`);
    }
    const conn = await connect(target.settings);
    try {
      await conn.query(`DROP DATABASE IF EXISTS ${q(item.name)}`);
    } finally {
      await conn.end().catch(() => undefined);
    }
  },

  doctor: (target) => mysqlDoctor(target.settings),

  pitr: {
    settings: (t) => t.settings.pitr,
    serverLog: (t) => serverLog(t.settings),
    follower: (t, from, dir, owner) => followerCommand(t.settings, from, dir, replicaIdOf(t.settings, owner)),
    cutter: (from) => logCutter(from),
    snapshotPosition: (meta) => snapshotPosition(meta),
    fileNumber,
  },
};
