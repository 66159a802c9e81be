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

/** Views may use other views: create them in passes until none is left (or none can be made). */
async function createViews(conn: mysql.Connection, database: string, views: SchemaObject[], log: Logger) {
  let pending = views;
  while (pending.length) {
    const failed: Array<{ view: SchemaObject; error: unknown }> = [];
    for (const view of pending) {
      try {
        await createObject(conn, database, view, log);
      } catch (error) {
        failed.push({ view, error });
      }
    }
    if (failed.length === pending.length) {
      throw failed[0].error;
    }
    pending = failed.map((f) => f.view);
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
    await createViews(conn, s.into, of(dropped, 'view'), log);
    for (const o of of(dropped, 'trigger')) {
      await createObject(conn, s.into, o, log);
    }
    if (s.aside) {
      await conn.query(`DROP DATABASE IF EXISTS ${q(s.aside)}`);
    }
    throw e;
  }

  // 4. The old views and triggers beside their tables, aside.
  if (s.aside) {
    await createViews(conn, s.aside, of(current, 'view'), log);
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
  await createViews(conn, s.into, of(incoming, 'view'), log);
  for (const o of of(incoming, 'trigger')) {
    await createObject(conn, s.into, o, log);
  }
  await conn.query(`DROP DATABASE ${q(s.staging)}`);

  const restored: Record<string, number> = {};
  for (const o of incoming) {
    restored[o.type] = (restored[o.type] ?? 0) + 1;
  }
  return { restored, keptAside: current.length };
}
