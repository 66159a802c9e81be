/**
 * The REAL service as a child process (`node backend/bin/backup-sla.js --config FILE serve`), for
 * the browser tests' labs: started, asked with a role's token, stopped and started again on the
 * same configuration, port and catalog (a machine that goes away and comes back).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');

export type ApiRole = 'viewer' | 'operator' | 'admin';
export type RoleTokens = Record<ApiRole, string>;
export const API_ROLES: ApiRole[] = ['viewer', 'operator', 'admin'];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  detail: () => string
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) {
        return v;
      }
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${detail()}`);
}

/** Fresh role tokens (32 random hex digits each, prefixed with the role), never shared between instances. */
export function newTokens(): RoleTokens {
  const token = (role: ApiRole) => `${role}-${randomBytes(16).toString('hex')}`;
  return { viewer: token('viewer'), operator: token('operator'), admin: token('admin') };
}

/** Writes one token file per role (`<prefix><role>.token`, mode 0600) into dir; returns their paths. */
export function writeTokenFiles(dir: string, tokens: RoleTokens, prefix = ''): RoleTokens {
  const files = {} as RoleTokens;
  for (const role of API_ROLES) {
    files[role] = path.join(dir, `${prefix}${role}.token`);
    writeFileSync(files[role], `${tokens[role]}\n`, { mode: 0o600 });
  }
  return files;
}

/**
 * Writes the service's configuration into `dir`: the catalog, work dir and a local repository
 * there (its password written beside it), the API on `port` with the role token files of
 * writeTokenFiles, and what `config` adds (instance, peers, targets, covered). Returns its path.
 */
export function writeServiceConfig(dir: string, port: number, config: Record<string, unknown>): string {
  writeFileSync(path.join(dir, 'repo.pass'), `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  const file = path.join(dir, 'backup-sla.yaml');
  const full = {
    ...config,
    catalog: './catalog.db',
    workDir: './work',
    repositories: { main: { url: './repo', passwordFile: './repo.pass' } },
    api: {
      listen: `127.0.0.1:${port}`,
      tokens: { viewer: './viewer.token', operator: './operator.token', admin: './admin.token' },
    },
  };
  writeFileSync(file, YAML.stringify(full));
  return file;
}

export interface ServiceProcess {
  url: string;
  /** stdout+stderr of every start so far (for failure messages). */
  log(): string;
  running(): boolean;
  /** GET/POST straight to the service (not through any proxy), with a role's token. */
  api<T = unknown>(
    role: ApiRole,
    method: 'GET' | 'POST',
    url: string,
    body?: unknown
  ): Promise<{ status: number; body: T }>;
  /** SIGTERM (SIGKILL after 15 s); resolves once the process is gone. */
  stop(): Promise<void>;
  /** Starts it again (same configuration, port and catalog) and waits until GET /api/status answers. */
  start(): Promise<void>;
}

/**
 * Starts `backup-sla serve` on configFile (which listens on port), in dir, and waits until its
 * GET /api/status answers 200 with the viewer token.
 */
export async function startService(
  dir: string,
  configFile: string,
  port: number,
  tokens: RoleTokens
): Promise<ServiceProcess> {
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | null = null;
  let exited: number | null = null;

  const api = async <T>(role: ApiRole, method: 'GET' | 'POST', apiUrl: string, body?: unknown) => {
    const res = await fetch(`${url}${apiUrl}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[role]}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  const stop = async () => {
    if (child && exited === null) {
      child.kill('SIGTERM');
      const deadline = Date.now() + 15_000;
      while (exited === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (exited === null) {
        child.kill('SIGKILL');
        while (exited === null) {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  };

  const start = async () => {
    exited = null;
    const proc = spawn(
      process.execPath,
      [path.join(ROOT, 'backend/bin/backup-sla.js'), '--config', configFile, 'serve'],
      {
        cwd: dir,
        env: { ...process.env, BACKUP_SLA_SHUTDOWN_GRACE: '10s' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    );
    child = proc;
    proc.stdout!.on('data', (c) => (output += c));
    proc.stderr!.on('data', (c) => (output += c));
    proc.on('exit', (code, signal) => (exited = code ?? (signal ? 128 : 0)));
    try {
      await waitFor(
        `the service at ${url} to answer GET /api/status`,
        async () => {
          if (exited !== null) {
            throw new Error(`backup-sla serve exited with ${exited}`);
          }
          const r = await api('viewer', 'GET', '/api/status');
          return r.status === 200 ? true : undefined;
        },
        30_000,
        () => `service output:\n${output}`
      );
    } catch (err) {
      await stop();
      throw err;
    }
  };

  await start();
  return { url, log: () => output, running: () => child !== null && exited === null, api, stop, start };
}

/**
 * A fresh service catches up at start (no good backup yet: back up now). Waits until that is done
 * for every target of `/api/status` (its own, with local), so that what the tests start is never
 * refused as busy.
 */
export async function waitForCatchUp(service: ServiceProcess, statusPath = '/api/status'): Promise<void> {
  await waitFor(
    "the service's start-up catch-up backups to finish",
    async () => {
      const r = await service.api<{ targets: Array<{ running: unknown; lastRun: { status: string } | null }> }>(
        'viewer',
        'GET',
        statusPath
      );
      return r.body.targets.every((t) => t.running === null && t.lastRun !== null) ? true : undefined;
    },
    120_000,
    () => `service output:\n${service.log()}`
  );
}
