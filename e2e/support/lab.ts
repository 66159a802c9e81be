/**
 * A throw-away lab for the browser tests: an AGAMA-like database in the real MariaDB, a local
 * restic repository, three token files, a service config (YAML) and the REAL service started as
 * `node backend/bin/backup-sla.js --config FILE serve` in a child process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import YAML from 'yaml';
import { need } from './env';
import {
  freePort,
  newTokens,
  RoleTokens,
  startService,
  waitFor,
  waitForCatchUp,
  writeServiceConfig,
  writeTokenFiles,
} from './service';

export { freePort } from './service';

/** Another instance this lab's service names as its peer (`peers:` in its configuration). */
export interface PeerOfLab {
  name: string;
  url: string;
  /** The peer's own role tokens: copied into this lab's directory as `<name>-<role>.token` (0600). */
  tokens: RoleTokens;
}

export interface LabOptions {
  rows?: number;
  /** `instance:` of the service's configuration (default: none, the host name). */
  instance?: string;
  peers?: PeerOfLab[];
}

export interface TableState {
  rows: number;
  checksum: number;
}

export interface Lab {
  dir: string;
  /** `instance:` of its configuration, when the lab names one. */
  instance?: string;
  /** Targets of the lab's service: mysql and agama back up; reports always fails (no such database). */
  targets: string[];
  /** A real Prometheus scraping the service's /metrics every second (the history charts read it). */
  prometheusUrl: string;
  configFile: string;
  database: string;
  serviceUrl: string;
  tokens: { viewer: string; operator: string; admin: string };
  tokenFiles: { viewer: string; operator: string; admin: string };
  /** The service's stdout+stderr so far (for failure messages). */
  serviceLog(): string;
  /** GET/POST straight to the service (not through the proxy), with a role's token. */
  api<T = unknown>(
    role: 'viewer' | 'operator' | 'admin',
    method: 'GET' | 'POST',
    url: string,
    body?: unknown
  ): Promise<{ status: number; body: T }>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  tableState(): Promise<TableState>;
  stop(): Promise<void>;
}

async function rootQuery<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await mysql.createConnection({
    socketPath: need('BSLA_MYSQL_SOCKET'),
    user: 'root',
    multipleStatements: true,
  });
  try {
    const [rows] = await c.query(sql, params);
    return rows as T[];
  } finally {
    await c.end();
  }
}

/** A MySQL target of the lab's MariaDB (the services' account), daily dumps as the SLA has them. */
function mysqlTarget(database: string, schedule: string) {
  return {
    kind: 'mysql',
    connection: {
      host: need('BSLA_MYSQL_HOST'),
      port: Number(need('BSLA_MYSQL_PORT')),
      user: need('BSLA_MYSQL_USER'),
      passwordFile: need('BSLA_MYSQL_PASSWORD_FILE'),
      database,
    },
    schedule,
    rpo: '1d',
    rto: '5m',
    retention: { keepWeekly: 4 },
    verify: { schedule: null },
  };
}

/**
 * A real Prometheus (Debian's /usr/bin/prometheus) of the lab's own, scraping the service every
 * second, so that the charts have data within seconds.
 */
async function startPrometheus(dir: string, serviceUrl: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const promDir = path.join(dir, 'prometheus');
  mkdirSync(path.join(promDir, 'data'), { recursive: true });
  writeFileSync(
    path.join(promDir, 'prometheus.yml'),
    YAML.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '15s' },
      scrape_configs: [{ job_name: 'backup-sla', static_configs: [{ targets: [new URL(serviceUrl).host] }] }],
    })
  );
  let output = '';
  let exited = false;
  const child = spawn(
    process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus',
    [
      `--config.file=${path.join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: promDir, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (!exited && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!exited) {
        child.kill('SIGKILL');
      }
    }
  };
  try {
    await waitFor(
      'Prometheus to be ready',
      async () => {
        if (exited) {
          throw new Error('prometheus exited');
        }
        const r = await fetch(`${url}/-/ready`);
        return r.ok ? true : undefined;
      },
      30_000,
      () => `prometheus output:\n${output}`
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-e2e-'));
  const database = `agama_e2e_${process.pid}`;
  const rows = options.rows ?? 500;

  // The AGAMA database: table `item`, as the SLA describes it.
  await rootQuery(`DROP DATABASE IF EXISTS \`${database}\`; CREATE DATABASE \`${database}\``);
  await rootQuery(
    `CREATE TABLE \`${database}\`.item (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, done TINYINT NOT NULL DEFAULT 0, note TEXT)`
  );
  const values = Array.from({ length: rows }, (_, i) => [`task ${i}`, i % 2, `note ${i} `.repeat(8)]);
  await rootQuery(`INSERT INTO \`${database}\`.item (name, done, note) VALUES ?`, [values]);

  // A small application directory for a second target (kind files), so the overview shows more than one.
  const appDir = path.join(dir, 'agama-app');
  mkdirSync(appDir);
  writeFileSync(path.join(appDir, 'VERSION'), 'AGAMA v1.4.2\n');
  writeFileSync(
    path.join(appDir, 'app.py'),
    'def application(env, start_response):\n    start_response("200 OK", [])\n    return [b"ok"]\n'
  );

  const tokens = newTokens();
  const tokenFiles = writeTokenFiles(dir, tokens);
  const peers = Object.fromEntries(
    (options.peers ?? []).map((peer) => {
      const files = writeTokenFiles(dir, peer.tokens, `${peer.name}-`);
      const relative = (role: keyof RoleTokens) => `./${path.basename(files[role])}`;
      return [
        peer.name,
        {
          url: peer.url,
          tokens: { viewer: relative('viewer'), operator: relative('operator'), admin: relative('admin') },
        },
      ];
    })
  );
  const port = await freePort();
  const configFile = writeServiceConfig(dir, port, {
    ...(options.instance ? { instance: options.instance } : {}),
    ...(options.peers?.length ? { peers } : {}),
    targets: {
      mysql: mysqlTarget(database, '0 2 * * *'),
      agama: {
        kind: 'files',
        source: { paths: ['./agama-app'], versionFrom: { file: './agama-app/VERSION', pattern: 'AGAMA (v[0-9.]+)' } },
        schedule: '15 3 * * *',
        rto: '5m',
        retention: { keepLast: 2 },
        verify: { schedule: null },
      },
      // A target whose source is missing: its backups fail, so the pages show a critical target,
      // worst first, with the tool's own error behind the sentence.
      reports: mysqlTarget(`${database}_reports`, '30 2 * * *'),
    },
    covered: [],
  });

  const service = await startService(dir, configFile, port, tokens).catch(async (err) => {
    await rootQuery(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const serviceUrl = service.url;
  const api = service.api;

  let prometheus: { url: string; stop: () => Promise<void> } | undefined;
  const stop = async () => {
    await prometheus?.stop();
    await service.stop();
    await rootQuery(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // This instance's own targets (a peer's are its own business: it caught up before).
    await waitForCatchUp(service, options.peers?.length ? '/api/status?local=1' : '/api/status');
    prometheus = await startPrometheus(dir, serviceUrl);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    dir,
    instance: options.instance,
    targets: ['mysql', 'agama', 'reports'],
    prometheusUrl: prometheus.url,
    configFile,
    database,
    serviceUrl,
    tokens,
    tokenFiles,
    serviceLog: service.log,
    api,
    query: (sql, params) => rootQuery(sql, params),
    async tableState() {
      const [count] = await rootQuery<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${database}\`.item`);
      const [sum] = await rootQuery<{ Checksum: number }>(`CHECKSUM TABLE \`${database}\`.item`);
      return { rows: Number(count.n), checksum: Number(sum.Checksum) };
    },
    stop,
  };
}

/** Waits until fn() gives a value (not undefined), polling every 250 ms. */
export function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  detail: () => string = () => ''
): Promise<T> {
  return waitFor(what, fn, timeoutMs, detail);
}
