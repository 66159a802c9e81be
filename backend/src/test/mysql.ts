/** Test helpers for the real MariaDB started by scripts/services.sh (root over its socket). */
import mysql from 'mysql2/promise';

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
