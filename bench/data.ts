/**
 * Benchmark data in the real MariaDB: AGAMA-like databases (the `item` table of
 * backend/src/test/mysql.ts createAgama), filled server-side from MariaDB's SEQUENCE engine
 * (`seq_1_to_N`), which is far faster than sending rows from Node.
 *
 * A row's note is half incompressible (a SHA-256 in hex, as ids, hashes and user text are) and
 * half repetitive text, so that gzip and restic's zstd both have realistic work to do:
 *   note = 'note <id> <sha256(id/variant)> ' + 'lorem ipsum dolor sit amet ' × repeat
 * A dump row is then about 110 + 27 × repeat bytes.
 *
 * Each table remembers how it was made in its COMMENT, so a database is reused when present.
 */
import type { Connection } from 'mysql2/promise';
import { createAgama, rootConnection } from '../backend/src/test/mysql';
import { DUMP_FLAGS, mysqlClientArgs, pipeline } from './lib';

export const ROW_OVERHEAD_BYTES = 110;
export const REPEAT_BYTES = 27;

export function noteExpr(idExpr: string, variant: string, repeat: number): string {
  return `CONCAT('note ', ${idExpr}, ' ', SHA2(CONCAT(${idExpr}, '/', ${variant}), 256), ' ', REPEAT('lorem ipsum dolor sit amet ', ${repeat}))`;
}

/** Estimated size of one row in a mariadb-dump extended INSERT. */
export function rowDumpBytes(repeat: number): number {
  return ROW_OVERHEAD_BYTES + REPEAT_BYTES * repeat;
}

async function withRoot<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = await rootConnection();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function tableComment(database: string): Promise<string | null> {
  return withRoot(async (c) => {
    const [rows] = await c.query<any[]>(
      `SELECT TABLE_COMMENT AS comment FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'item'`,
      [database]
    );
    return rows.length ? String(rows[0].comment) : null;
  });
}

/** Inserts rows with ids first..last (inclusive) in batches, server-side. */
export async function insertRange(
  c: Connection,
  database: string,
  first: number,
  last: number,
  repeat: number,
  variant = "'0'",
  onBatch?: (done: number) => void
): Promise<void> {
  const batch = 100_000;
  for (let a = first; a <= last; a += batch) {
    const b = Math.min(last, a + batch - 1);
    await c.query(
      `INSERT INTO \`${database}\`.item (id, name, done, note)
       SELECT seq, CONCAT('task ', seq), seq % 2, ${noteExpr('seq', variant, repeat)} FROM \`${database}\`.seq_${a}_to_${b}`
    );
    onBatch?.(b - first + 1);
  }
}

/**
 * An AGAMA-like database `database` with `rows` rows whose notes repeat the text `repeat` times.
 * Reused as is when a previous run made it with the same parameters (and `reuse` is set);
 * otherwise recreated.
 */
export async function agamaDatabase(
  database: string,
  rows: number,
  repeat: number,
  opts: { reuse: boolean; log?: (msg: string) => void }
): Promise<{ reused: boolean; seconds: number }> {
  const stamp = `bench rows=${rows} repeat=${repeat} v1`;
  if (opts.reuse && (await tableComment(database)) === stamp) {
    return { reused: true, seconds: 0 };
  }
  const t0 = Date.now();
  opts.log?.(`creating ${database}: ${rows} rows, ~${((rows * rowDumpBytes(repeat)) / 1e6).toFixed(0)} MB of dump`);
  await createAgama(database, 0);
  await withRoot(async (c) => {
    let lastLog = Date.now();
    await insertRange(c, database, 1, rows, repeat, "'0'", (done) => {
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        opts.log?.(`  ${done} / ${rows} rows`);
      }
    });
    await c.query(`ALTER TABLE \`${database}\`.item COMMENT = ?`, [stamp]);
  });
  return { reused: false, seconds: (Date.now() - t0) / 1000 };
}

export async function dropDatabase(database: string): Promise<void> {
  await withRoot((c) => c.query(`DROP DATABASE IF EXISTS \`${database}\``));
}

export async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  return withRoot(async (c) => {
    const [rows] = await c.query(text, params);
    return rows as T[];
  });
}

/** A small deterministic PRNG (mulberry32), so every run changes the same rows. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct ids in [lo, hi], picked uniformly. */
export function pick(rand: () => number, n: number, lo: number, hi: number): number[] {
  const ids = new Set<number>();
  while (ids.size < Math.min(n, hi - lo + 1)) {
    ids.add(lo + Math.floor(rand() * (hi - lo + 1)));
  }
  return [...ids];
}

/**
 * Changes the rows `ids` as a day's work does (done flips, the note is rewritten for `day`), in
 * statements of at most `batch` rows: one statement is one transaction, one set of row events in
 * the binary log.
 */
export async function updateRows(
  c: Connection,
  database: string,
  ids: number[],
  day: number,
  repeat: number,
  batch = 5000
): Promise<void> {
  for (let i = 0; i < ids.length; i += batch) {
    await c.query(
      `UPDATE \`${database}\`.item SET done = 1 - done, note = ${noteExpr('id', `'${day}'`, repeat)} WHERE id IN (?)`,
      [ids.slice(i, i + batch)]
    );
  }
}

/** `mariadb-dump <database> | gzip` as the baseline makes it: the bytes, or the file when `to` is given. */
export async function gzippedDumpBytes(database: string, to?: string): Promise<number> {
  const r = await pipeline(
    [
      { command: 'mariadb-dump', args: [...mysqlClientArgs(), ...DUMP_FLAGS, database] },
      { command: 'gzip', args: ['-c'] },
    ],
    { timeoutMs: 600_000, stdoutFile: to }
  );
  return r.bytesOut;
}

/** The restore baseline: a new database `database` loaded from a gzip'd dump (`gunzip -c file | mariadb`). */
export async function loadGzippedDump(file: string, database: string): Promise<void> {
  await sql(`CREATE DATABASE \`${database}\``);
  await pipeline(
    [
      { command: 'gunzip', args: ['-c'] },
      { command: 'mariadb', args: [...mysqlClientArgs(), '--batch', database] },
    ],
    { stdinFile: file, timeoutMs: 2 * 3600_000 }
  );
}
