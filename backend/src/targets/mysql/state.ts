/**
 * What "the same database" means, recorded at backup and compared after every test restore and
 * before a restore takes the live place: the database's default character set and collation,
 * every table's row count (and CHECKSUM TABLE), and the definition of every object — tables,
 * views, procedures, functions, triggers and events — with the session settings it was created
 * under (sql_mode, character set and collation of the client, the database's collation).
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { q } from './connection';

export interface TableState {
  rows: number;
  checksum: number | null;
}
export type DatabaseState = Record<string, TableState>;

export type ObjectType = 'table' | 'view' | 'procedure' | 'function' | 'trigger' | 'event';

/** One object of a database, as the server shows it: enough to create it again, exactly. */
export interface SchemaObject {
  type: ObjectType;
  name: string;
  /** The CREATE statement; views: without the database's name in qualifiers (it differs in scratch). */
  create: string;
  sqlMode: string | null;
  charsetClient: string | null;
  collationConnection: string | null;
  /** The database's collation when the object was created (routines, triggers, events). */
  databaseCollation: string | null;
  /** events */
  timeZone: string | null;
  /** events: ENABLE, DISABLE or DISABLE ON SLAVE */
  status: string | null;
  /** triggers: the table they belong to and their order among its triggers of the same timing */
  table: string | null;
  order: number | null;
}

/** What a backup records about the database's definitions (metadata.schema). */
export interface SchemaRecord {
  charset: string;
  collation: string;
  /** `<type> <name>` → hash of its definition */
  objects: Record<string, string>;
  /** event name → status at backup (staging copies are disabled, see load.ts) */
  events: Record<string, string>;
}

/** Tables with rows (sequences are compared by definition only). */
const DATA_TABLES = `('BASE TABLE', 'SYSTEM VERSIONED')`;

/** Row counts and CHECKSUM TABLE of every table: what "the same data" means for verification. */
export async function databaseState(
  conn: mysql.Connection,
  database: string,
  checksums = true
): Promise<DatabaseState> {
  const [tables] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ${DATA_TABLES} ORDER BY TABLE_NAME`,
    [database]
  );
  const state: DatabaseState = {};
  for (const t of tables) {
    const ident = `${q(database)}.${q(t.name)}`;
    const [[count]] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${ident}`);
    const [[sum]] = checksums
      ? await conn.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE ${ident}`)
      : [[{ Checksum: null }]];
    state[t.name] = { rows: Number(count.n), checksum: sum.Checksum === null ? null : Number(sum.Checksum) };
  }
  return state;
}

/**
 * The state of `database` as of a consistent snapshot begun now, read while the caller goes on
 * (the backup streams its dump meanwhile). InnoDB's COUNT(*) and CHECKSUM TABLE read the
 * transaction's snapshot, so what is read is the data as of `begin`, whatever is written later.
 * The connection is the reader's own and is closed when the read ends (or `cancel` is called).
 */
export async function beginStateRead(
  open: () => Promise<mysql.Connection>,
  database: string
): Promise<{ read: Promise<DatabaseState>; cancel: () => void }> {
  const conn = await open();
  try {
    await conn.query(`SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    await conn.query(`START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`);
  } catch (e) {
    conn.destroy();
    throw e;
  }
  const read = databaseState(conn, database).finally(() => conn.end().catch(() => conn.destroy()));
  // Settled by the caller (after the dump); never an unhandled rejection meanwhile.
  read.catch(() => undefined);
  return { read, cancel: () => conn.destroy() };
}

const STATUS = / ON COMPLETION (NOT )?PRESERVE (ENABLE|DISABLE ON SLAVE|DISABLE)\b/;

/** An event's status clause, and its CREATE with the status replaced (or read). */
export function eventStatus(create: string): string | null {
  return STATUS.exec(create)?.[2] ?? null;
}
export function withEventStatus(create: string, status: string): string {
  return create.replace(STATUS, (_m, not: string | undefined) => ` ON COMPLETION ${not ?? ''}PRESERVE ${status}`);
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

async function showCreate(conn: mysql.Connection, what: string, ident: string): Promise<mysql.RowDataPacket> {
  const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE ${what} ${ident}`);
  return row;
}

/** Every object of the database with its definition, in a stable order. */
export async function readObjects(conn: mysql.Connection, database: string): Promise<SchemaObject[]> {
  const out: SchemaObject[] = [];
  const base = {
    sqlMode: null,
    charsetClient: null,
    collationConnection: null,
    databaseCollation: null,
    timeZone: null,
    status: null,
    table: null,
    order: null,
  };
  const id = (name: string) => `${q(database)}.${q(name)}`;
  const [tables] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
    [database]
  );
  for (const t of tables) {
    if (t.type === 'VIEW') {
      const row = await showCreate(conn, 'VIEW', id(t.name));
      out.push({
        ...base,
        type: 'view',
        name: t.name,
        create: str(row['Create View'])!
          .split(`${q(database)}.`)
          .join(''),
        charsetClient: str(row.character_set_client),
        collationConnection: str(row.collation_connection),
      });
    } else {
      const row = await showCreate(conn, 'TABLE', id(t.name));
      out.push({ ...base, type: 'table', name: t.name, create: str(row['Create Table'])! });
    }
  }
  const [routines] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_TYPE, ROUTINE_NAME`,
    [database]
  );
  for (const r of routines) {
    const type = r.type === 'FUNCTION' ? 'function' : 'procedure';
    const row = await showCreate(conn, r.type, id(r.name));
    out.push({
      ...base,
      type,
      name: r.name,
      create: str(row[type === 'function' ? 'Create Function' : 'Create Procedure'])!,
      sqlMode: str(row.sql_mode),
      charsetClient: str(row.character_set_client),
      collationConnection: str(row.collation_connection),
      databaseCollation: str(row['Database Collation']),
    });
  }
  const [triggers] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl, ACTION_ORDER AS ord FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [database]
  );
  for (const t of triggers) {
    const row = await showCreate(conn, 'TRIGGER', id(t.name));
    out.push({
      ...base,
      type: 'trigger',
      name: t.name,
      create: str(row['SQL Original Statement'])!,
      sqlMode: str(row.sql_mode),
      charsetClient: str(row.character_set_client),
      collationConnection: str(row.collation_connection),
      databaseCollation: str(row['Database Collation']),
      table: t.tbl,
      order: Number(t.ord),
    });
  }
  const [events] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME`,
    [database]
  );
  for (const e of events) {
    const row = await showCreate(conn, 'EVENT', id(e.name));
    const create = str(row['Create Event'])!;
    out.push({
      ...base,
      type: 'event',
      name: e.name,
      create,
      sqlMode: str(row.sql_mode),
      timeZone: str(row.time_zone),
      charsetClient: str(row.character_set_client),
      collationConnection: str(row.collation_connection),
      databaseCollation: str(row['Database Collation']),
      status: eventStatus(create),
    });
  }
  return out;
}

/**
 * The hash of an object's definition: what must be equal after a restore. AUTO_INCREMENT counters
 * move with every insert (and during the dump) and an event's status is kept apart (staging copies
 * are disabled): both are left out.
 */
export function definitionHash(o: SchemaObject): string {
  const create =
    o.type === 'table'
      ? o.create.replace(/ AUTO_INCREMENT=\d+/, '')
      : o.type === 'event'
        ? withEventStatus(o.create, 'STATUS')
        : o.create;
  const text = JSON.stringify([
    o.type,
    o.name,
    create,
    o.sqlMode,
    o.charsetClient,
    o.collationConnection,
    o.databaseCollation,
    o.timeZone,
    o.table,
    o.order,
  ]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function schemaRecord(info: { charset: string; collation: string }, objects: SchemaObject[]): SchemaRecord {
  return {
    charset: info.charset,
    collation: info.collation,
    objects: Object.fromEntries(objects.map((o) => [`${o.type} ${o.name}`, definitionHash(o)])),
    events: Object.fromEntries(objects.filter((o) => o.type === 'event').map((o) => [o.name, o.status ?? ''])),
  };
}

/** Differences in definitions between what was recorded and what a restore holds, in words. */
export function compareSchema(expected: SchemaRecord, actual: SchemaRecord): string[] {
  const problems: string[] = [];
  if (expected.charset !== actual.charset || expected.collation !== actual.collation) {
    problems.push(
      `database character set ${actual.charset}/${actual.collation}, expected ${expected.charset}/${expected.collation}`
    );
  }
  for (const [key, hash] of Object.entries(expected.objects)) {
    if (!(key in actual.objects)) {
      problems.push(`${key} missing`);
    } else if (actual.objects[key] !== hash) {
      problems.push(`${key}: definition differs`);
    }
  }
  for (const key of Object.keys(actual.objects)) {
    if (!(key in expected.objects)) {
      problems.push(`unexpected ${key}`);
    }
  }
  for (const [name, status] of Object.entries(expected.events)) {
    if (name in actual.events && actual.events[name] !== status) {
      problems.push(`event ${name}: ${actual.events[name]}, expected ${status}`);
    }
  }
  return problems;
}

/** Differences in tables and row counts (and checksums where both have them), in words. */
export function compareTables(expected: DatabaseState, actual: DatabaseState): string[] {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(expected)) {
    const got = actual[table];
    if (!got) {
      problems.push(`table ${table} missing`);
    } else if (got.rows !== want.rows) {
      problems.push(`table ${table}: ${got.rows} rows, expected ${want.rows}`);
    } else if (want.checksum !== null && got.checksum !== null && got.checksum !== want.checksum) {
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
