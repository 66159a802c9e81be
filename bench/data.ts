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
