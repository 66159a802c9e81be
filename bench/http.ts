/**
 * What the HTTP API benchmarks share (api-status.ts, api-peers.ts): a free port, a lab directory
 * with role tokens and N mysql targets that never run, `backup-sla serve` as a child process, and
 * a load loop that records each request's latency.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT, sleep } from './lib';

const CLI = path.join(ROOT, 'backend/bin/backup-sla.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Sampler {
  latenciesMs: number[];
  errors: number;
  lastBody: string;
}

export const sampler = (): Sampler => ({ latenciesMs: [], errors: 0, lastBody: '' });

export function get(
  agent: http.Agent,
  port: number,
  url: string,
  token: string
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: url,
        method: 'GET',
        agent,
        headers: { authorization: `Bearer ${token}`, 'x-grafana-user': 'bench' },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      }
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** `count` requests with `concurrency` workers; stops early at `deadline`. */
export async function load(
  agent: http.Agent,
  port: number,
  url: string,
  token: string,
  count: number,
  concurrency: number,
  deadline: number,
  into: Sampler
): Promise<void> {
  let issued = 0;
  const worker = async () => {
    while (issued < count && Date.now() < deadline) {
      issued++;
      const t0 = process.hrtime.bigint();
      try {
        const r = await get(agent, port, url, token);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.status === 200) {
          into.latenciesMs.push(ms);
        } else {
          into.errors++;
        }
        into.lastBody = r.body;
      } catch {
        into.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export type Tokens = Record<'viewer' | 'operator' | 'admin', string>;

/** Role tokens written as files in `dir` (prefix: one set per instance). */
export function writeTokens(dir: string, prefix = ''): Tokens {
  const tokens = {} as Tokens;
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    tokens[role] =
      `${prefix}${role}-${createHash('sha256').update(`${prefix}${role}${Math.random()}`).digest('hex').slice(0, 32)}`;
    writeFileSync(path.join(dir, `${prefix}${role}.token`), `${tokens[role]}\n`, { mode: 0o600 });
  }
  return tokens;
}

/**
 * `count` mysql targets that never run: the schedule fires once a year, verifications are
 * unscheduled, and the database does not exist (an accidental backup fails at once).
 */
export function idleMysqlTargets(names: string[]): Record<string, unknown> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      {
        kind: 'mysql',
        connection: {
          host: '127.0.0.1',
          port: Number(process.env.BSLA_MYSQL_PORT ?? 13306),
          user: 'backup',
          passwordFile: './mysql.pass',
          database: 'bench_api_absent',
        },
        schedule: '0 2 1 1 *',
        rpo: '1d',
        retention: { keepLast: 10 },
        verify: { schedule: null },
      },
    ])
  );
}

/** Writes a service's config into `dir` (repo.pass and mysql.pass beside it). */
export function writeConfig(dir: string, config: Record<string, unknown>): string {
  writeFileSync(path.join(dir, 'repo.pass'), 'bench-api\n', { mode: 0o600 });
  writeFileSync(path.join(dir, 'mysql.pass'), 'not-used\n', { mode: 0o600 });
  const file = path.join(dir, 'backup-sla.yaml');
  writeFileSync(file, YAML.stringify(config));
  return file;
}

export interface Daemon {
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** `backup-sla --config FILE serve`, ready once GET /api/whoami answers 200 (60 s at most). */
export async function startDaemon(configFile: string, port: number, viewerToken: string): Promise<Daemon> {
  let stderr = '';
  let exited: number | null | undefined;
  const child = spawn(process.execPath, [CLI, '--config', configFile, 'serve'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BACKUP_SLA_SHUTDOWN_GRACE: '5s' },
  });
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
  child.on('exit', (code) => (exited = code));
  const daemon: Daemon = {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.on('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, sleep(10_000)]);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
        }
      }
    },
  };
  const agent = new http.Agent({ keepAlive: false });
  const ready = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) {
      const e = new Error(`backup-sla serve exited ${exited}: ${stderr.trim().split('\n').pop() ?? ''}`);
      (e as Error & { stderr: string }).stderr = stderr;
      throw e;
    }
    try {
      const r = await get(agent, port, '/api/whoami', viewerToken);
      if (r.status === 200) {
        return daemon;
      }
      throw new Error(`GET /api/whoami answered ${r.status}: ${r.body.slice(0, 200)}`);
    } catch (e) {
      if (Date.now() > ready) {
        await daemon.stop();
        throw new Error(
          `backup-sla serve did not answer within 60 s: ${(e as Error).message}; stderr: ${stderr.slice(-500)}`
        );
      }
      await sleep(100);
    }
  }
}
