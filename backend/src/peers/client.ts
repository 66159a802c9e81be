/**
 * The HTTP client for one peer (another machine's backup-sla service). A request carries the
 * peer's token of one role, chosen by the caller (peers.ts: the role of whoever asked, never a
 * stronger one), and the acting Grafana user when there is one. Everything a peer says comes back
 * as {status, body}; a peer that cannot be reached (refused, no answer within the timeout, not
 * HTTP) is a PeerUnreachableError.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { PeerConfig, Role } from '../config/types';
import { readSecret } from '../config/secret';
import { redact } from '../util/redact';

/** A peer's answers are status lists and run records: this bounds a misbehaving one. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export class PeerUnreachableError extends Error {
  constructor(
    readonly peer: string,
    message: string
  ) {
    super(message);
    this.name = 'PeerUnreachableError';
  }
}

/** The peer closed a kept-alive connection before this request went out on it. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: PeerUnreachableError) {
    super(cause.message);
  }
}

export interface PeerAnswer {
  status: number;
  body: any;
}

export interface PeerRequest {
  method: 'GET' | 'POST';
  /** Path and query on the peer, e.g. /api/status?local=1 */
  path: string;
  role: Role;
  /** The acting Grafana user (X-Grafana-User), forwarded so that the peer audits them too. */
  user?: string | null;
  body?: unknown;
  timeoutMs?: number;
}

export class PeerClient {
  private readonly tokens: Record<Role, string>;
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    readonly config: PeerConfig,
    /** This instance's name, sent along so that the peer's log says who forwarded. */
    private readonly from: string
  ) {
    // Read (and registered for redaction) at start: a missing token file is a start-up error.
    this.tokens = {
      viewer: readSecret(config.tokens.viewer, `peers.${config.name}.tokens.viewer`),
      operator: readSecret(config.tokens.operator, `peers.${config.name}.tokens.operator`),
      admin: readSecret(config.tokens.admin, `peers.${config.name}.tokens.admin`),
    };
    this.url = new URL(config.url);
    const options = { keepAlive: true, maxSockets: 8 };
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ ...options, ...(config.caFile ? { ca: readFileSync(config.caFile) } : {}) })
        : new http.Agent(options);
  }

  get name(): string {
    return this.config.name;
  }

  async request(req: PeerRequest): Promise<PeerAnswer> {
    try {
      return await this.once(req);
    } catch (e) {
      // A kept-alive connection the peer closed meanwhile (it restarted): a read goes again on a
      // fresh one. An operation does not: the peer may have started it.
      if (e instanceof StaleConnectionError && req.method === 'GET') {
        return this.once(req);
      }
      throw e instanceof StaleConnectionError ? e.cause : e;
    }
  }

  private once(req: PeerRequest): Promise<PeerAnswer> {
    const timeoutMs = req.timeoutMs ?? this.config.timeoutMs;
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.tokens[req.role]}`,
      accept: 'application/json',
      'x-backup-sla-instance': this.from,
    };
    if (req.user) {
      // Node sends header values as latin1: the user's UTF-8 bytes go as they came (auth.ts decodes them).
      headers['x-grafana-user'] = Buffer.from(req.user, 'utf8').toString('latin1');
    }
    if (payload) {
      headers['content-type'] = 'application/json';
    }
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise<PeerAnswer>((resolve, reject) => {
      const unreachable = (why: string) =>
        reject(new PeerUnreachableError(this.name, redact(`instance ${this.name} unreachable: ${why}`)));
      const r = lib.request(
        new URL(req.path, this.url),
        { method: req.method, headers, agent: this.agent, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) {
              r.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            clearTimeout(deadline);
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : null;
            } catch {
              unreachable(
                `it answered ${res.statusCode} with something that is not JSON (is ${this.config.url} a backup-sla service?)`
              );
              return;
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
          res.on('error', (e) => unreachable(e.message));
        }
      );
      // The socket timeout covers silence; this covers a peer that trickles: the whole answer is bounded.
      const deadline = setTimeout(
        () => r.destroy(new Error(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`)),
        timeoutMs
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`)));
      r.on('error', (e: Error & { code?: string }) => {
        clearTimeout(deadline);
        if (r.reusedSocket && e.code === 'ECONNRESET') {
          reject(
            new StaleConnectionError(
              new PeerUnreachableError(this.name, `instance ${this.name} unreachable: ${describeNetworkError(e)}`)
            )
          );
          return;
        }
        unreachable(describeNetworkError(e));
      });
      r.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function describeNetworkError(e: Error & { code?: string }): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is backup-sla serve running there?)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      return e.message;
  }
}
