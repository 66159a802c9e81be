/**
 * The last step of a MySQL restore: the checked staging database takes the live place, and what
 * was there is moved aside into a database of its own, kept, never dropped.
 *
 * Tables move by RENAME TABLE across schemas (one statement, atomic in MariaDB 10.6+, no data is
 * copied). What MariaDB cannot move that way is created again from its definition: views
 * ("Changing schema ... is not allowed"), triggers ("Trigger in wrong schema": they are dropped
 * before the rename and created again after it), routines and events (they belong to their
 * schema). Each is created under the session settings it was created with (state.ts), so it comes
 * back exactly. Events kept aside are created DISABLED: an old copy must not act.
 */
import type { Logger } from 'pino';
import mysql from 'mysql2/promise';
import { q } from './connection';
import { readObjects, SchemaObject, withEventStatus } from './state';

export interface Swap {
  /** The checked staging database (dropped at the end, empty by then). */
  staging: string;
  /** Where the restored objects go: the live database or `to`. */
  into: string;
  /** Where `into`'s objects go; null when `into` does not exist (or holds nothing). */
  aside: string | null;
  /** Character set and collation of the restored database (the snapshot's). */
  charset: string;
  collation: string;
  /** Event statuses as the dump had them (staging copies are disabled). */
  statuses: Record<string, string>;
  log: Logger;
}

export interface Swapped {
  /** How many objects of each type the restored database holds. */
  restored: Record<string, number>;
  /** How many objects were moved aside. */
  keptAside: number;
  /** Views of the replaced database that could not be created aside (their definitions are in KEPT_DEFINITIONS). */
  unmade: string[];
}

const ASCII = /^[\x00-\x7f]*$/;

/** Runs `CREATE ...` of one object in `database` under the session settings it was created with. */
async function createObject(
  conn: mysql.Connection,
  database: string,
  o: SchemaObject,
  log: Logger,
  status?: string
): Promise<void> {
  const create = o.type === 'event' && status ? withEventStatus(o.create, status) : o.create;
  await conn.query(`USE ${q(database)}`);
  await conn.query(
    `SET @bsla_mode = @@SESSION.sql_mode, @bsla_tz = @@SESSION.time_zone, @bsla_cs = @@SESSION.character_set_client, @bsla_coll = @@SESSION.collation_connection`
  );
  try {
    if (o.sqlMode !== null) {
      await conn.query(`SET SESSION sql_mode = ?`, [o.sqlMode]);
    }
    if (o.timeZone !== null) {
      await conn.query(`SET SESSION time_zone = ?`, [o.timeZone]);
    }
    if (o.charsetClient && o.collationConnection) {
      // The statement travels as UTF-8: another client character set is exact only for ASCII text.
      if (ASCII.test(create) || o.charsetClient.startsWith('utf8')) {
        await conn.query(`SET SESSION character_set_client = ?, collation_connection = ?`, [
          o.charsetClient,
          o.collationConnection,
        ]);
      } else {
        log.warn(
          { object: `${o.type} ${o.name}`, charset: o.charsetClient },
          'created with the UTF-8 client character set: its text is not ASCII'
        );
      }
    }
    await conn.query(create);
  } finally {
    await conn.query(
      `SET SESSION sql_mode = @bsla_mode, time_zone = @bsla_tz, character_set_client = @bsla_cs, collation_connection = @bsla_coll`
    );
  }
}

/**
 * Views may use other views: create them in passes until none is left or none can be made; the
 * views that could not be made are returned (e.g. their table was dropped: the view was already
 * broken where it came from).
 */
async function createViews(
  conn: mysql.Connection,
  database: string,
  views: SchemaObject[],
  log: Logger
): Promise<Array<{ view: SchemaObject; error: string }>> {
  let pending = views;
  while (pending.length) {
    const failed: Array<{ view: SchemaObject; error: string }> = [];
    for (const view of pending) {
      try {
        await createObject(conn, database, view, log);
      } catch (error) {
        failed.push({ view, error: (error as Error).message });
      }
    }
    if (failed.length === pending.length) {
      return failed;
    }
    pending = failed.map((f) => f.view);
  }
  return [];
}

/** A table in the aside database with the definitions that could not be created there (kept, not lost). */
export const KEPT_DEFINITIONS = 'bsla_kept_definitions';

async function keepDefinitions(
  conn: mysql.Connection,
  database: string,
  failed: Array<{ view: SchemaObject; error: string }>
): Promise<void> {
  await conn.query(
    `CREATE TABLE ${q(database)}.${q(KEPT_DEFINITIONS)} (type VARCHAR(16) NOT NULL, name VARCHAR(64) NOT NULL,
       definition LONGTEXT NOT NULL, character_set_client VARCHAR(32), collation_connection VARCHAR(64),
       error TEXT NOT NULL) CHARACTER SET utf8mb4`
  );
  for (const f of failed) {
    await conn.query(`INSERT INTO ${q(database)}.${q(KEPT_DEFINITIONS)} VALUES (?, ?, ?, ?, ?, ?)`, [
      f.view.type,
      f.view.name,
      f.view.create,
      f.view.charsetClient,
      f.view.collationConnection,
      f.error,
    ]);
  }
}

async function drop(conn: mysql.Connection, database: string, o: SchemaObject): Promise<void> {
  const what = {
    table: 'TABLE',
    view: 'VIEW',
    procedure: 'PROCEDURE',
    function: 'FUNCTION',
    trigger: 'TRIGGER',
    event: 'EVENT',
  };
  await conn.query(`DROP ${what[o.type]} ${q(database)}.${q(o.name)}`);
}

const of = (objects: SchemaObject[], ...types: SchemaObject['type'][]) => objects.filter((o) => types.includes(o.type));

/** Moves the checked staging database into `into`, keeping what was there in `aside`. */
export async function swapIn(conn: mysql.Connection, s: Swap): Promise<Swapped> {
  const incoming = await readObjects(conn, s.staging);
  const current = s.aside ? await readObjects(conn, s.into) : [];
  const log = s.log;

  // 1. Nothing live is touched yet: the aside database with the current routines and events.
  if (s.aside) {
    const [[info]] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS coll FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
      [s.into]
    );
    await conn.query(`CREATE DATABASE ${q(s.aside)} CHARACTER SET ${q(info.cs)} COLLATE ${q(info.coll)}`);
    try {
      for (const o of of(current, 'procedure', 'function')) {
        await createObject(conn, s.aside, o, log);
      }
      for (const o of of(current, 'event')) {
        await createObject(conn, s.aside, o, log, 'DISABLE');
      }
    } catch (e) {
      // It holds only copies of what is still live: nothing is lost by dropping it.
      await conn.query(`DROP DATABASE IF EXISTS ${q(s.aside)}`).catch(() => undefined);
      throw e;
    }
  } else {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS ${q(s.into)} CHARACTER SET ${q(s.charset)} COLLATE ${q(s.collation)}`
    );
  }

  // 2. What RENAME TABLE cannot carry across schemas leaves both sides (definitions in hand),
  // 3. then one atomic statement: the current tables aside, the restored ones in.
  const dropped: SchemaObject[] = [];
  try {
    for (const o of of(incoming, 'trigger', 'view')) {
      await drop(conn, s.staging, o);
    }
    for (const o of of(current, 'trigger', 'view')) {
      await drop(conn, s.into, o);
      dropped.push(o);
    }
    const pairs = [
      ...of(current, 'table').map((t) => `${q(s.into)}.${q(t.name)} TO ${q(s.aside!)}.${q(t.name)}`),
      ...of(incoming, 'table').map((t) => `${q(s.staging)}.${q(t.name)} TO ${q(s.into)}.${q(t.name)}`),
    ];
    if (pairs.length) {
      await conn.query(`RENAME TABLE ${pairs.join(', ')}`);
    }
  } catch (e) {
    // No table moved: put the live views and triggers back as they were; the aside holds only copies.
    for (const f of await createViews(conn, s.into, of(dropped, 'view'), log)) {
      log.error({ view: f.view.name, definition: f.view.create, err: f.error }, 'could not create a view again');
    }
    for (const o of of(dropped, 'trigger')) {
      await createObject(conn, s.into, o, log);
    }
    if (s.aside) {
      await conn.query(`DROP DATABASE IF EXISTS ${q(s.aside)}`);
    }
    throw e;
  }

  // 4. The old views and triggers beside their tables, aside.
  let unmade: string[] = [];
  if (s.aside) {
    const failed = await createViews(conn, s.aside, of(current, 'view'), log);
    if (failed.length) {
      await keepDefinitions(conn, s.aside, failed);
      unmade = failed.map((f) => `${f.view.type} ${f.view.name}`);
    }
    for (const o of of(current, 'trigger')) {
      await createObject(conn, s.aside, o, log);
    }
  }

  // 5. The restored database's definition and its other objects, with the events' own status.
  for (const o of of(current, 'procedure', 'function', 'event')) {
    await drop(conn, s.into, o);
  }
  await conn.query(`ALTER DATABASE ${q(s.into)} CHARACTER SET ${q(s.charset)} COLLATE ${q(s.collation)}`);
  for (const o of of(incoming, 'procedure', 'function')) {
    await createObject(conn, s.into, o, log);
  }
  for (const o of of(incoming, 'event')) {
    await createObject(conn, s.into, o, log, s.statuses[o.name] ?? o.status ?? undefined);
  }
  const failed = await createViews(conn, s.into, of(incoming, 'view'), log);
  if (failed.length) {
    throw new Error(`could not create view ${failed[0].view.name} of the snapshot: ${failed[0].error}`);
  }
  for (const o of of(incoming, 'trigger')) {
    await createObject(conn, s.into, o, log);
  }
  await conn.query(`DROP DATABASE ${q(s.staging)}`);

  const restored: Record<string, number> = {};
  for (const o of incoming) {
    restored[o.type] = (restored[o.type] ?? 0) + 1;
  }
  return { restored, keptAside: current.length, unmade };
}
