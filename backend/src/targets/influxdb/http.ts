/**
 * Reaching InfluxDB 1.x: its HTTP API (InfluxQL over the kit's one HTTP client, with basic auth
 * when the target names a user) and its backup (RPC) port. A server that cannot be reached, or
 * refuses the credentials, is an UnavailableError: nothing was learned about the data.
 */
import net from 'node:net';
import { readSecret } from '../../config/secret';
import { UnavailableError } from '../../util/errors';
import { HttpClient, networkReason, serverMessage } from '../kit/http';
import type { Json } from '../types';

export interface InfluxSettings {
  connection: {
    /** HTTP API, e.g. http://127.0.0.1:8086 */
    url: string;
    /** RPC (backup/restore) address, host:port, e.g. 127.0.0.1:8088 */
    rpcAddress: string;
    /** Default: every database but _internal. */
    databases?: string[];
    username?: string;
    passwordFile?: string;
    passwordEnv?: string;
  };
  verify: Record<string, never>;
}

/** A statement may read a whole database (`SELECT count(*)`): minutes, not seconds. */
const HTTP_TIMEOUT_MS = 10 * 60 * 1000;

export interface InfluxSeries {
  name: string;
  columns: string[];
  values?: Json[][];
}
export interface InfluxStatement {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** InfluxDB ran the statement and refused it (vs. not reachable at all). */
export class InfluxStatementError extends Error {}

export class InfluxHttp {
  private readonly http: HttpClient;

  constructor(s: InfluxSettings, signal?: AbortSignal) {
    const c = s.connection;
    const headers: Record<string, string> = {};
    if (c.username) {
      const pw =
        c.passwordFile || c.passwordEnv
          ? readSecret({ file: c.passwordFile, env: c.passwordEnv }, 'influxdb connection')
          : '';
      headers.authorization = `Basic ${Buffer.from(`${c.username}:${pw}`).toString('base64')}`;
    }
    this.http = new HttpClient('InfluxDB', c.url, { timeoutMs: HTTP_TIMEOUT_MS, signal, headers });
  }

  get url(): string {
    return this.http.base;
  }

  /** Runs one InfluxQL statement (POST: also right for CREATE/DROP) and returns its result. */
  async query(q: string, db?: string): Promise<InfluxStatement> {
    const body = new URLSearchParams({ q, epoch: 'ns' });
    if (db !== undefined) {
      body.set('db', db);
    }
    const r = await this.http.request('/query', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    if (r.status === 401 || r.status === 403) {
      // A wrong or missing password: nothing can be learned until it is fixed.
      throw new UnavailableError(
        `InfluxDB at ${this.url} refused the credentials (${r.status}): ${r.json?.error ?? 'check connection.username and the password'}`
      );
    }
    if (!r.ok || r.json?.error) {
      throw new Error(`InfluxDB at ${this.url} answered ${r.status}: ${serverMessage(r, ['error'])}`);
    }
    const first: InfluxStatement = r.json?.results?.[0] ?? {};
    if (first.error) {
      throw new InfluxStatementError(`InfluxDB: ${first.error} (in: ${q.slice(0, 120)})`);
    }
    return first;
  }

  /** The first column of a SHOW statement's answer. */
  async names(q: string, db?: string): Promise<string[]> {
    const r = await this.query(q, db);
    return (r.series ?? []).flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
  }

  databases(): Promise<string[]> {
    return this.names('SHOW DATABASES');
  }

  async dropDatabase(db: string): Promise<void> {
    await this.query(`DROP DATABASE ${quoteIdent(db)}`);
  }
}

/** influxd backup/restore retry an unreachable RPC port for minutes: find out in seconds first. */
export function checkRpc(address: string, timeoutMs = 5000): Promise<void> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const fail = (why: string) => {
      sock.destroy();
      reject(
        new UnavailableError(
          `cannot reach InfluxDB's backup (RPC) port at ${address}: ${why} (is bind-address set in influxdb.conf?)`
        )
      );
    };
    sock.setTimeout(timeoutMs, () => fail('timed out'));
    sock.once('error', (e: NodeJS.ErrnoException) => fail(e.code ? networkReason(e.code, e.message) : e.message));
    sock.once('connect', () => {
      sock.end();
      resolve();
    });
  });
}
