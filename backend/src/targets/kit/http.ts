/**
 * The one HTTP client of the drivers that speak to their source over HTTP (InfluxDB, Prometheus,
 * Grafana): every request has a timeout and follows the run's abort signal; a server that cannot
 * be reached is one clear line in an UnavailableError (nothing was learned about the data, so a
 * verification "could not verify", never "failed"); an answer comes back with its text, its JSON
 * when it is JSON, and the server's own error text. What an answer means (a refused password, a
 * disabled admin API, a version conflict) stays with each driver.
 */
import { UnavailableError } from '../../util/errors';

/** System error codes of a failed connection, in words. */
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed TLS certificate in chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
};

/** Text on one line, cut to `max` characters. */
export function oneLine(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** A system error code of a failed connection in words, with the code: "connection refused (ECONNREFUSED)". */
export function networkReason(code: string, message?: string): string {
  return `${NETWORK_CODES[code] ?? oneLine(message ?? code, 120)} (${code})`;
}

/**
 * One short reason for a failed fetch(): "connection refused (ECONNREFUSED)", "no answer within
 * 30 s", "aborted". `timeoutMs` names the bound a timeout reached.
 */
export function describeFetchError(e: unknown, timeoutMs?: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
  if (err.name === 'TimeoutError') {
    return timeoutMs === undefined ? 'timed out' : `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  if (err.name === 'AbortError') {
    return 'aborted';
  }
  // A host name with several addresses fails with an AggregateError: the first one's code says it.
  const code = err.cause?.code ?? err.cause?.errors?.find((x) => x.code)?.code;
  if (code) {
    return networkReason(code, err.cause?.message);
  }
  return oneLine(err.cause?.message ?? err.message ?? String(e), 120);
}

/** An answer of the server, whatever its status. */
export interface HttpAnswer {
  status: number;
  /** The status line's words ("Unauthorized"). */
  statusText: string;
  ok: boolean;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; null when it is empty or not JSON (a proxy's error page, /metrics). */
  json: any;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as it is (a form, text). */
  body?: string | URLSearchParams;
  /** Sent as JSON (content-type set). */
  json?: unknown;
  /** Query parameters appended to the path. */
  query?: Record<string, string>;
  /** This request's bound instead of the client's. */
  timeoutMs?: number;
  redirect?: 'follow' | 'manual' | 'error';
}

export interface HttpClientOptions {
  /** Bound of every request unless it names its own. */
  timeoutMs: number;
  /** The run's abort signal. */
  signal?: AbortSignal;
  /** Sent with every request (authorization, accept). */
  headers?: Record<string, string>;
}

/** The server's own words for a failed answer: its JSON error field, else the start of its text. */
export function serverMessage(a: HttpAnswer, fields: string[] = ['error', 'message', 'msg']): string {
  const obj = a.json && typeof a.json === 'object' ? (a.json as Record<string, unknown>) : {};
  for (const f of fields) {
    if (obj[f] !== undefined && obj[f] !== null && obj[f] !== '') {
      return oneLine(String(obj[f]));
    }
  }
  return a.text ? oneLine(a.text, 200) : a.statusText || `HTTP ${a.status}`;
}

export class HttpClient {
  /** The base URL without a trailing slash. */
  readonly base: string;

  constructor(
    /** The server's name in messages: "InfluxDB", "Prometheus", "Grafana". */
    readonly service: string,
    url: string,
    private readonly options: HttpClientOptions
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /**
   * Sends one request to `path` (below the base URL) and answers whatever the server said. A
   * server that cannot be reached, does not answer in time, or a run that is aborted: an
   * UnavailableError "cannot reach <service> at <base>: <why>".
   */
  async request(path: string, req: HttpRequest = {}): Promise<HttpAnswer> {
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    const query = req.query && Object.keys(req.query).length ? `?${new URLSearchParams(req.query)}` : '';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}${query}`, {
        method: req.method ?? 'GET',
        headers: {
          ...this.options.headers,
          ...(req.json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...req.headers,
        },
        body: req.json !== undefined ? JSON.stringify(req.json) : req.body,
        signal,
        redirect: req.redirect,
      });
    } catch (e) {
      const why = this.options.signal?.aborted
        ? 'aborted'
        : timeout.aborted
          ? describeFetchError(Object.assign(new Error('timeout'), { name: 'TimeoutError' }), timeoutMs)
          : describeFetchError(e, timeoutMs);
      throw new UnavailableError(`cannot reach ${this.service} at ${this.base}: ${why}`);
    }
    const text = await res.text().catch(() => '');
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: res.status, statusText: res.statusText, ok: res.ok, headers: res.headers, text, json };
  }

  /** Whether anything answers at `path` within `timeoutMs` (any status); never throws. */
  async answers(path: string, timeoutMs = 2000): Promise<number | null> {
    try {
      return (await this.request(path, { timeoutMs })).status;
    } catch {
      return null;
    }
  }
}
