/**
 * Point-in-time recovery, the server's side: the binary log the engine archives (engine/pitr/)
 * and replays here on top of a dump.
 *
 * - Following: `mariadb-binlog --read-from-remote-server --raw --stop-never` writes the server's
 *   log files as they grow into a private directory (the password in a private option file there,
 *   never on its command line), registered under a replica id of its own: two followers with one
 *   id throw each other out ("a slave with the same server_id is already connected").
 * - Where a dump is: `mariadb-dump --master-data=2 --gtid` with --single-transaction writes the
 *   log coordinates of its consistent snapshot (MariaDB takes them from the snapshot itself, no
 *   global read lock, no RELOAD) as comments; the driver reads them off the stream (DumpPosition).
 * - Replay: `mariadb-binlog --start-position=<dump's> --stop-datetime|--stop-position --database=D
 *   --rewrite-db='D->staging' FILES | mariadb --binary-mode staging`. What that cannot replay
 *   safely is refused first (unsafeStatements): a statement that names the database explicitly
 *   (`DROP TABLE agama.item`) would act on the live database, or be left out by the filter.
 * - A mark for verification: in one consistent snapshot, the log position and every table's row
 *   count and an order-independent hash of its rows; a dump replayed up to that position must
 *   give the same counts and hashes.
 */
import { createHash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import mysql from 'mysql2/promise';
import { start, run, CommandError, CommandSpec } from '../../util/subprocess';
import { findProgram } from '../tools';
import type {
  ArchivedLog,
  DriverContext,
  LogCut,
  LogPosition,
  Metadata,
  PitrSettings,
  ServerLog,
  SnapshotLogPosition,
} from '../types';
import { doc, durationField } from '../../config/schema';
import { parseDuration } from '../../config/duration';
import { clientCommand, connect, MysqlSettings, optionsFileIn, q, where } from './connection';
import { binlogPosition } from './metadata';
import { BinlogEvent, EVENT, HEADER, queryOf, checksummed, EventCutter, endsFile, readHeader } from './binlog';

/** The defaults of `pitr: true` (docs/design.md §11 says why these numbers). */
export const PITR_DEFAULTS = { saveEvery: '5s', copyEvery: '5m', stalledAfter: '15m' };

/** `pitr: true`, or `pitr: { saveEvery, copyEvery, stalledAfter, replicaId }`; absent or false: off. */
export function pitrField() {
  const settings = z.strictObject({
    saveEvery: doc(
      durationField(),
      'how often the growing log file is saved into the repository (what a crash of the service can cost the archive)',
      PITR_DEFAULTS.saveEvery
    ).optional(),
    copyEvery: doc(
      durationField(),
      "how often the archive is copied to the target's copies",
      PITR_DEFAULTS.copyEvery
    ).optional(),
    stalledAfter: doc(
      durationField(),
      'no progress for this long while the server writes: the archive is stalled (a gap, an alert)',
      PITR_DEFAULTS.stalledAfter
    ).optional(),
    replicaId: doc(
      z.number().int().min(2).max(4294967295),
      "the server id the archiver follows the log under (unique among the server's replicas; default derived from the target)",
      4001
    ).optional(),
  });
  return doc(
    z
      .union([z.boolean(), settings])
      .optional()
      .transform((v): PitrSettings | null => {
        if (!v) {
          return null;
        }
        const o = v === true ? {} : v;
        const seconds = (d: string | undefined, fallback: string) => parseDuration(d ?? fallback)!;
        return {
          saveEverySeconds: seconds(o.saveEvery, PITR_DEFAULTS.saveEvery),
          copyEverySeconds: seconds(o.copyEvery, PITR_DEFAULTS.copyEvery),
          stalledAfterSeconds: seconds(o.stalledAfter, PITR_DEFAULTS.stalledAfter),
          replicaId: o.replicaId ?? null,
        };
      }),
    "point-in-time recovery: archive the server's binary log continuously (true, or its settings); the RPO default becomes 4 h. The server needs log_bin, binlog_format=ROW and a server_id (docs/point-in-time-recovery.md)",
    true
  );
}

/** Reads SHOW BINARY LOGS and SHOW MASTER STATUS (BINLOG MONITOR) on one connection. */
export async function readServerLog(conn: mysql.Connection, s: MysqlSettings): Promise<ServerLog> {
  const [[t]] = await conn.query<mysql.RowDataPacket[]>(`SELECT UNIX_TIMESTAMP(NOW(6)) * 1000 AS now`);
  let files: mysql.RowDataPacket[];
  let status: mysql.RowDataPacket[];
  try {
    [files] = await conn.query<mysql.RowDataPacket[]>(`SHOW BINARY LOGS`);
    [status] = await conn.query<mysql.RowDataPacket[]>(`SHOW MASTER STATUS`);
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === 'ER_NO_BINARY_LOGGING') {
      throw new Error(`${where(s)} writes no binary log: start it with log_bin, binlog_format=ROW and a server_id`);
    }
    throw new Error(
      `${s.connection.user} cannot read the server's binary log list (${err.code ?? err.message}): grant BINLOG MONITOR and REPLICATION SLAVE (docs/mysql-privileges.md)`
    );
  }
  if (!status.length) {
    throw new Error(`${where(s)} writes no binary log: start it with log_bin, binlog_format=ROW and a server_id`);
  }
  return {
    now: Number(t.now),
    files: files.map((f) => ({ name: String(f.Log_name), size: Number(f.File_size) })),
    current: { file: String(status[0].File), position: Number(status[0].Position) },
  };
}

export async function serverLog(s: MysqlSettings): Promise<ServerLog> {
  const conn = await connect(s);
  try {
    return await readServerLog(conn, s);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** The number at the end of a log file's name (binlog.000042 → 42), for ordering. */
export function fileNumber(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : -1;
}

/**
 * The follower of the server's log from `from` (its file, from its offset): writes the files into
 * `dir` (raw, named as the server names them) and keeps waiting for more. Its password is in a
 * private option file in `dir`.
 */
export function followerCommand(s: MysqlSettings, from: LogPosition, dir: string, replicaId: number): CommandSpec {
  return {
    command: findProgram(['mariadb-binlog', 'mysqlbinlog']),
    args: [
      `--defaults-extra-file=${optionsFileIn(s, dir)}`,
      '--read-from-remote-server',
      '--raw',
      '--stop-never',
      `--stop-never-slave-server-id=${replicaId}`,
      `--start-position=${Math.max(4, from.position)}`,
      `--result-file=${dir}${path.sep}`,
      from.file,
    ],
    cwd: dir,
  };
}

/** A follower's replica id: configured, else derived from what makes this follower itself. */
export function replicaIdOf(s: MysqlSettings, owner: string): number {
  if (s.pitr?.replicaId) {
    return s.pitr.replicaId;
  }
  const h = createHash('sha256').update(owner).digest().readUInt32BE(0);
  return 1_000_000 + (h % 2_000_000_000);
}

/** Cuts what the follower appends to one file into complete, checked events. */
export function logCutter(from: number): { push(chunk: Buffer): LogCut } {
  const cutter = new EventCutter(from);
  return {
    push(chunk) {
      const r = cutter.push(chunk);
      // The format description and the log's own bookkeeping are not "writes": their times say
      // when the file began, not what the server was doing.
      // Times need not grow: a replay writes statements with their original times.
      const times = r.events.filter((e) => e.type !== EVENT.FORMAT_DESCRIPTION).map((e) => e.timestamp);
      return {
        bytes: r.bytes,
        end: cutter.end,
        firstEventAt: times.length ? times.reduce((a, b) => Math.min(a, b)) : null,
        lastEventAt: times.length ? times.reduce((a, b) => Math.max(a, b)) : null,
        complete: r.events.some(endsFile),
      };
    },
  };
}

// --- where a dump is in the log ----------------------------------------------------------------

const HEAD_LIMIT = 64 * 1024;
const TAIL_LIMIT = 8 * 1024;

/**
 * Reads a dump's log coordinates off its stream as it passes into the repository: the
 * `-- CHANGE MASTER TO MASTER_LOG_FILE='…', MASTER_LOG_POS=…;` comment near its head and the
 * `-- SET GLOBAL gtid_slave_pos='…';` comment near its end. Holds at most 72 KiB.
 */
export class DumpPosition {
  private head = '';
  private tail: Buffer = Buffer.alloc(0);
  private seen: LogPosition | null = null;
  /** Called once when the coordinates have passed (the dump's snapshot is taken by then). */
  onPosition: (() => void) | null = null;

  observe(chunk: Buffer): void {
    if (!this.seen && this.head.length < HEAD_LIMIT) {
      this.head += chunk.subarray(0, HEAD_LIMIT - this.head.length).toString('latin1');
      const m = /^-- CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+);/m.exec(this.head);
      if (m) {
        this.seen = { file: m[1], position: Number(m[2]) };
        this.onPosition?.();
      }
    }
    // Only the last TAIL_LIMIT bytes matter: never copy the whole chunk.
    this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - TAIL_LIMIT))]);
    if (this.tail.length > TAIL_LIMIT) {
      this.tail = Buffer.from(this.tail.subarray(this.tail.length - TAIL_LIMIT));
    }
  }

  get position(): LogPosition | null {
    return this.seen;
  }

  get gtid(): string | null {
    return /^-- SET GLOBAL gtid_slave_pos='([^']*)';/m.exec(this.tail.toString('latin1'))?.[1] ?? null;
  }
}

/** Whether the server writes a binary log (then dumps record where they are in it). */
export async function logBinOn(conn: mysql.Connection): Promise<boolean> {
  const [[r]] = await conn.query<mysql.RowDataPacket[]>(`SELECT @@log_bin AS on_`);
  return Number(r.on_) === 1;
}

// --- replay -------------------------------------------------------------------------------------

export type { ArchivedLog, LogPosition, ServerLog, SnapshotLogPosition };

export type ReplayStop = { at: Date } | { position: LogPosition };

/**
 * The events of a local archived file, read one header at a time (a log file may be a gigabyte:
 * never held in memory); `body` reads an event's bytes when they are wanted (statements).
 */
function* fileEvents(file: string): Generator<BinlogEvent & { body(): Buffer }> {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const head = Buffer.alloc(HEADER);
    let at = 4;
    while (at + HEADER <= size && readSync(fd, head, 0, HEADER, at) === HEADER) {
      const h = readHeader(head);
      if (h.size < HEADER || at + h.size > size) {
        return;
      }
      const start = at;
      yield {
        ...h,
        start,
        bytes: head,
        body: () => {
          const b = Buffer.alloc(h.size);
          readSync(fd, b, 0, h.size, start);
          return b;
        },
      };
      at += h.size;
    }
  } finally {
    closeSync(fd);
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Statements between the start and the stop that a filtered, rewritten replay would get wrong,
 * in words (empty: none). Row changes are safe (their table map names the database, which
 * --rewrite-db rewrites); statements (DDL) are rewritten only in their default database, so one
 * that names `database` explicitly would act on the live database, and one whose default is
 * another database would be left out by --database although it changes this one.
 */
export function unsafeStatements(log: ArchivedLog, stop: ReplayStop, database: string): string[] {
  const name = `(?:\`${escapeRe(database)}\`|\\b${escapeRe(database)}\\b)`;
  const qualified = new RegExp(
    `${name}\\s*\\.|\\b(?:DATABASE|SCHEMA)\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?${name}`,
    'i'
  );
  const stopAt = 'at' in stop ? Math.floor(stop.at.getTime() / 1000) : null;
  const found: string[] = [];
  files: for (const [i, file] of log.files.entries()) {
    const base = path.basename(file);
    let crc = true;
    for (const e of fileEvents(file)) {
      if (e.type === EVENT.FORMAT_DESCRIPTION) {
        crc = checksummed(e.body());
        continue;
      }
      if (i === 0 && e.start < log.start.position) {
        continue;
      }
      if (stopAt !== null && e.timestamp > stopAt) {
        break files;
      }
      if ('position' in stop && base === stop.position.file && e.start >= stop.position.position) {
        break files;
      }
      if (e.type !== EVENT.QUERY) {
        continue;
      }
      const { query } = queryOf({ ...e, bytes: e.body() }, crc);
      if (/^\s*(BEGIN|COMMIT|ROLLBACK|XA\b|SAVEPOINT|RELEASE SAVEPOINT)/i.test(query)) {
        continue;
      }
      if (qualified.test(query)) {
        found.push(
          `${new Date(e.timestamp * 1000).toISOString()} ${base}:${e.start} "${query.slice(0, 120).replace(/\s+/g, ' ')}"`
        );
      }
    }
  }
  return found;
}

/**
 * Drops from mariadb-binlog's output the lines that would give the replayed transactions their
 * original identity (`SET @@session.gtid_domain_id / server_id / gtid_seq_no`): written again
 * into the live server's own binary log under their old GTIDs they would repeat GTIDs the log
 * already holds (a replica would skip them, strict readers refuse the log). Without those lines
 * the server gives them new ones, as to any other write.
 */
export class ReplayedIdentity extends Transform {
  private rest = '';
  private static readonly LINE = /^\/\*M!\d+ SET @@session\.(gtid_domain_id|server_id|gtid_seq_no)=\d+\*\/\/\*!\*\/;$/;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.rest + chunk.toString('latin1');
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      this.rest = text;
      return done();
    }
    this.rest = text.slice(cut + 1);
    const kept = text
      .slice(0, cut + 1)
      .split('\n')
      .filter((line) => !ReplayedIdentity.LINE.test(line))
      .join('\n');
    done(null, Buffer.from(kept, 'latin1'));
  }

  override _flush(done: TransformCallback): void {
    done(null, ReplayedIdentity.LINE.test(this.rest) ? Buffer.alloc(0) : Buffer.from(this.rest, 'latin1'));
  }
}

/** Replays the archived log into `into` (a staging or scratch database), for `database` only. */
export async function replay(
  ctx: DriverContext<MysqlSettings>,
  into: string,
  log: ArchivedLog,
  stop: ReplayStop
): Promise<void> {
  const database = ctx.target.settings.connection.database;
  const unsafe = unsafeStatements(log, stop, database);
  if (unsafe.length) {
    throw new Error(
      `the binary log holds ${unsafe.length === 1 ? 'a statement' : `${unsafe.length} statements`} naming database ${database} explicitly, which a replay into a staging database cannot carry out safely: ${unsafe.slice(0, 2).join('; ')}`
    );
  }
  // The server's own GTID checks (gtid_strict_mode) are off by default: a log may hold GTIDs out
  // of order (a replica promoted, an old replay), which mariadb-binlog's strict reading refuses.
  const args = ['--no-defaults', '--skip-gtid-strict-mode', `--start-position=${log.start.position}`];
  if ('at' in stop) {
    // mariadb-binlog reads the time in its own time zone: UTC here. Events of the second `at` are
    // included, so it stops at the first event one second later.
    const next = new Date(Math.floor(stop.at.getTime() / 1000) * 1000 + 1000);
    args.push(`--stop-datetime=${next.toISOString().slice(0, 19).replace('T', ' ')}`);
  } else {
    args.push(`--stop-position=${stop.position.position}`);
  }
  args.push(`--database=${database}`, `--rewrite-db=${database}->${into}`, ...log.files);
  // The archive may end before the stop (the server wrote nothing after the last archived event:
  // the window says the archive holds the time all the same): mariadb-binlog then read everything
  // and says so with a warning and a non-zero exit. Any other complaint is a failure.
  const ranOut = (e: unknown) =>
    e instanceof CommandError &&
    /Did not reach stop (datetime|position)/.test(e.stderr) &&
    !/ERROR/i.test(e.stderr.replace(/WARNING: Did not reach stop[^\n]*/g, ''));
  const producer = start(
    { command: findProgram(['mariadb-binlog', 'mysqlbinlog']), args, env: { ...process.env, TZ: 'UTC' } },
    { signal: ctx.signal }
  );
  const client = clientCommand(ctx, into);
  const consumer = start(
    { ...client, args: [...client.args.slice(0, 1), '--binary-mode', ...client.args.slice(1)] },
    {
      stdin: 'pipe',
      signal: ctx.signal,
    }
  );
  consumer.child.stdin!.on('error', () => undefined);
  const filter = new ReplayedIdentity();
  filter.on('error', () => undefined);
  producer.child.stdout!.pipe(filter).pipe(consumer.child.stdin!);
  producer.done.catch((e) => !ranOut(e) && consumer.child.kill('SIGTERM'));
  const [p, c] = await Promise.allSettled([producer.done, consumer.done]);
  if (p.status === 'rejected' && !ranOut(p.reason)) {
    throw new Error(`the archived binary log could not be read: ${(p.reason as Error).message}`);
  }
  if (c.status === 'rejected') {
    throw new Error(`the binary log does not replay: ${(c.reason as Error).message}`);
  }
}

// --- a mark for verification --------------------------------------------------------------------

/** Per table: rows and an order-independent hash of them (the same SQL on the live and the restored). */
export type TableHashes = Record<string, { rows: number; hash: string }>;

async function hashes(conn: mysql.Connection, database: string): Promise<TableHashes> {
  const [cols] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    [database]
  );
  const byTable = new Map<string, string[]>();
  for (const r of cols) {
    byTable.set(r.t, [...(byTable.get(r.t) ?? []), r.c]);
  }
  const out: TableHashes = {};
  for (const [table, columns] of [...byTable].sort(([a], [b]) => a.localeCompare(b))) {
    // One 64-bit hash per row over every value and whether it is NULL; their XOR is the table's.
    const values = columns.map((c) => q(c)).join(', ');
    const nulls = columns.map((c) => `ISNULL(${q(c)})`).join(', ');
    const [[r]] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT COUNT(*) AS n, LPAD(HEX(BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT_WS(0x1f, ${values}, CONCAT(${nulls}))), 16), 16, 10) AS UNSIGNED))), 16, '0') AS h
         FROM ${q(database)}.${q(table)}`
    );
    out[table] = { rows: Number(r.n), hash: String(r.h ?? '0') };
  }
  return out;
}

/** The state of `database` (a scratch copy) to compare with a mark. */
export async function tableHashes(conn: mysql.Connection, database: string): Promise<TableHashes> {
  return hashes(conn, database);
}

/**
 * A mark on the live server: in one consistent snapshot, where the log is (binlog_snapshot_file
 * and _position: MariaDB's position of that very snapshot) and what every table holds.
 */
export async function logMark(s: MysqlSettings): Promise<{ position: LogPosition; tables: TableHashes }> {
  const conn = await connect(s);
  try {
    await conn.query(`SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    await conn.query(`START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`);
    const [rows] = await conn.query<mysql.RowDataPacket[]>(`SHOW STATUS LIKE 'binlog_snapshot_%'`);
    const v = Object.fromEntries(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
    if (!v.binlog_snapshot_file) {
      throw new Error(`${where(s)} writes no binary log (binlog_snapshot_file is empty)`);
    }
    const tables = await hashes(conn, s.connection.database);
    await conn.query(`COMMIT`);
    return { position: { file: v.binlog_snapshot_file, position: Number(v.binlog_snapshot_position) }, tables };
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** Differences between a mark and what a replay gave, in words. */
export function compareHashes(expected: TableHashes, actual: TableHashes): string[] {
  const problems: string[] = [];
  for (const [t, want] of Object.entries(expected)) {
    const got = actual[t];
    if (!got) {
      problems.push(`table ${t} missing after the replay`);
    } else if (got.rows !== want.rows) {
      problems.push(`table ${t}: ${got.rows} rows after the replay, ${want.rows} at the mark`);
    } else if (got.hash !== want.hash) {
      problems.push(`table ${t}: its rows differ from the mark's (same count ${got.rows})`);
    }
  }
  for (const t of Object.keys(actual)) {
    if (!(t in expected)) {
      problems.push(`unexpected table ${t} after the replay`);
    }
  }
  return problems;
}

/** mariadb-binlog's version line (doctor). */
export async function binlogToolVersion(): Promise<string> {
  const out = await run({
    command: findProgram(['mariadb-binlog', 'mysqlbinlog']),
    args: ['--version'],
    timeoutMs: 10_000,
  });
  return out.trim().split('\n')[0];
}

/**
 * Where a dump is in the log, as the backup recorded it (metadata.binlog); null when not recorded.
 * The engine asks this of every snapshot for the window, retention and the archive's start: a
 * position that does not parse is no position there (that dump cannot start a point-in-time
 * restore), while the verification of that snapshot parses its whole record and fails with it.
 */
export function snapshotPosition(meta: Metadata | null): SnapshotLogPosition | null {
  const b = binlogPosition.safeParse(meta?.binlog);
  return b.success ? b.data : null;
}
