/**
 * A small client for Grafana's HTTP API, authenticated with a service account token
 * (`Authorization: Bearer …`). Every failure becomes one line that says what to do: Grafana not
 * reachable, token refused, permission missing, or Grafana's own message. The token is never put
 * into a message (and is registered for redaction anyway, see config/secret.ts).
 *
 * Endpoints and shapes: docs/sources/developers/http_api/{dashboard,folder,folder_dashboard_search,
 * data_source,library_element,alerting_provisioning,other}.md and public/api-merged.json in
 * grafana/grafana.
 */
import { HttpClient, oneLine, serverMessage } from '../kit/http';
import type { Json } from '../types';

export type JsonObject = { [k: string]: Json };

export class GrafanaError extends Error {
  constructor(
    message: string,
    /** HTTP status of Grafana's answer. (Grafana not reached at all is the kit's UnavailableError.) */
    readonly status: number,
    /** Grafana's `status` field (e.g. "version-mismatch", "name-exists") when it sent one. */
    readonly grafanaStatus: string | null = null
  ) {
    super(message);
    this.name = 'GrafanaError';
  }
}

export interface ClientOptions {
  signal?: AbortSignal;
  /** Per request; a hung Grafana must not hold the target's lock for the whole run timeout. */
  timeoutMs?: number;
  /** Page size for the paginated listings (search, folders, library elements). */
  pageSize?: number;
}

export class GrafanaClient {
  readonly pageSize: number;
  private readonly http: HttpClient;

  constructor(url: string, token: string, options: ClientOptions = {}) {
    this.http = new HttpClient('Grafana', url, {
      timeoutMs: options.timeoutMs ?? 30_000,
      signal: options.signal,
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
    });
    this.pageSize = options.pageSize ?? 1000;
  }

  get base(): string {
    return this.http.base;
  }

  /**
   * Sends one request; answers the parsed JSON body (null for an empty body). Grafana not reached:
   * the kit's UnavailableError; any other failure: a GrafanaError that says what to do.
   */
  async request<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {}
  ): Promise<{ status: number; body: T }> {
    const res = await this.http.request(path, { method, json: body, headers, redirect: 'manual' });
    if (res.status >= 200 && res.status < 300) {
      if (res.text && res.json === null && res.text.trim() !== 'null') {
        throw new GrafanaError(
          `Grafana ${method} ${path} answered ${res.status} with something that is not JSON (is ${this.base} really Grafana?)`,
          res.status
        );
      }
      return { status: res.status, body: res.json as T };
    }
    const grafanaMessage = serverMessage(res, ['message', 'msg', 'error']);
    const grafanaStatus = typeof res.json?.status === 'string' ? (res.json.status as string) : null;
    if (res.status === 401) {
      throw new GrafanaError(
        `Grafana at ${this.base} refused the service account token (401 ${oneLine(grafanaMessage, 80)}): check connection.tokenFile`,
        401
      );
    }
    if (res.status === 403) {
      throw new GrafanaError(
        `Grafana at ${this.base} denied ${method} ${path} (403 ${oneLine(grafanaMessage, 80)}): the service account needs the Admin role`,
        403
      );
    }
    if (res.status >= 300 && res.status < 400) {
      throw new GrafanaError(
        `Grafana ${method} ${path} redirected (${res.status}) to ${res.headers.get('location') ?? '?'}: check connection.url`,
        res.status
      );
    }
    throw new GrafanaError(
      `Grafana ${method} ${path} answered ${res.status}: ${oneLine(grafanaMessage)}`,
      res.status,
      grafanaStatus
    );
  }

  async get<T = Json>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }

  /** GET that answers null on 404 (object absent). */
  async getOptional<T = Json>(path: string): Promise<T | null> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof GrafanaError && e.status === 404) {
        return null;
      }
      throw e;
    }
  }

  // --- listings ---------------------------------------------------------------------------------

  /** `GET /api/health` needs no token: it tells "not reachable" apart from "token refused". */
  async health(): Promise<{ version: string; commit: string; database: string }> {
    const h = await this.get<{ version?: string; commit?: string; database?: string }>('/api/health');
    if (!h || typeof h !== 'object') {
      throw new GrafanaError(`Grafana at ${this.base} gave no health information (is it really Grafana?)`, 200);
    }
    return {
      version: String(h.version ?? 'unknown'),
      commit: String(h.commit ?? ''),
      database: String(h.database ?? ''),
    };
  }

  /** Every dashboard hit of `GET /api/search?type=dash-db`, page by page (folder_dashboard_search.md). */
  async searchDashboards(): Promise<JsonObject[]> {
    const all: JsonObject[] = [];
    for (let page = 1; page <= 10_000; page++) {
      const hits = await this.get<JsonObject[]>(`/api/search?type=dash-db&limit=${this.pageSize}&page=${page}`);
      if (!Array.isArray(hits)) {
        throw new GrafanaError('Grafana /api/search did not answer a list', 200);
      }
      all.push(...hits);
      if (hits.length < this.pageSize) {
        break;
      }
    }
    // Search may list one dashboard twice when pages shift under concurrent edits.
    const seen = new Set<string>();
    return all.filter((h) => (seen.has(String(h.uid)) ? false : (seen.add(String(h.uid)), true)));
  }

  /**
   * Every folder, parents before children: `GET /api/folders?parentUid=` lists the immediate
   * subfolders when nested folders are on (folder.md); without nesting, every call lists all
   * folders, which the visited set turns into one flat level.
   */
  async allFolders(): Promise<JsonObject[]> {
    const ordered: JsonObject[] = [];
    const seen = new Set<string>();
    const queue: Array<string | null> = [null];
    while (queue.length) {
      const parent = queue.shift()!;
      for (let page = 1; page <= 10_000; page++) {
        const q = `limit=${this.pageSize}&page=${page}${parent ? `&parentUid=${encodeURIComponent(parent)}` : ''}`;
        const list = await this.get<JsonObject[]>(`/api/folders?${q}`);
        if (!Array.isArray(list)) {
          throw new GrafanaError('Grafana /api/folders did not answer a list', 200);
        }
        for (const f of list) {
          const uid = String(f.uid);
          if (seen.has(uid)) {
            continue;
          }
          seen.add(uid);
          const full = (await this.getOptional<JsonObject>(`/api/folders/${encodeURIComponent(uid)}`)) ?? f;
          ordered.push(full);
          queue.push(uid);
        }
        if (list.length < this.pageSize) {
          break;
        }
      }
    }
    return ordered;
  }

  /** Library panels (kind 1), page by page: `{result: {totalCount, page, perPage, elements}}`. */
  async libraryPanels(): Promise<JsonObject[]> {
    const all: JsonObject[] = [];
    const perPage = Math.min(this.pageSize, 100);
    for (let page = 1; page <= 10_000; page++) {
      const r = await this.get<{ result?: { totalCount?: number; elements?: JsonObject[] } }>(
        `/api/library-elements?kind=1&perPage=${perPage}&page=${page}`
      );
      const elements = r?.result?.elements ?? [];
      all.push(...elements);
      if (elements.length < perPage || all.length >= (r?.result?.totalCount ?? 0)) {
        break;
      }
    }
    return all;
  }

  /** `GET /api/v1/provisioning/templates` answers 404 when there is none (alerting_provisioning.md). */
  async templates(): Promise<JsonObject[]> {
    return (await this.getOptional<JsonObject[]>('/api/v1/provisioning/templates')) ?? [];
  }
}
