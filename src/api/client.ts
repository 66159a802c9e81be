/**
 * The one typed client of the Backup SLA service. Every call goes through Grafana's plugin proxy
 * (`/api/plugin-proxy/<plugin id>/<route path>/...`), so the browser never sees a service token and
 * Grafana enforces the role of each route (see `routes` in plugin.json).
 */
import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import { PROXY_BASE_URL } from '../constants';
import { toServiceError } from './errors';
import type {
  Accepted,
  AuditEntry,
  GetAside,
  GetAudit,
  GetRestores,
  GetRun,
  GetRuns,
  GetSnapshots,
  GetStatus,
  GetTarget,
  Operation,
  RemoveAsideRequest,
  RestoreRequest,
  RunStatus,
  WhoAmI,
} from './types';

type Method = 'GET' | 'POST';
type Query = Record<string, string | number | undefined>;

function queryString(query?: Query): string {
  if (!query) {
    return '';
  }
  const parts = Object.entries(query)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * A target address in a path: `mysql` or `mon1/prometheus`, each part encoded but the slash kept
 * (Grafana's proxy unescapes the path it forwards: a `%2F` would reach the service as a slash
 * anyway, or not at all).
 */
export function targetPath(address: string): string {
  return address.split('/').map(encodeURIComponent).join('/');
}

export interface RunsQuery {
  /** A target address: `mysql` or `mon1/prometheus`. */
  target?: string;
  operation?: Operation;
  /** Any of these statuses. */
  status?: RunStatus[];
  /** Started at or after this time (ISO-8601). */
  since?: string;
  limit?: number;
}

export interface AuditQuery {
  /** Any of these results ('started': still running). */
  status?: Array<AuditEntry['result']>;
  /** Recorded at or after this time (ISO-8601). */
  since?: string;
  limit?: number;
}

const list = (values: string[] | undefined) => (values?.length ? values.join(',') : undefined);

export class BackupSlaClient {
  constructor(private readonly baseUrl: string = PROXY_BASE_URL) {}

  async request<T>(method: Method, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<T>({
          url: `${this.baseUrl}/${path}${queryString(options.query)}`,
          method,
          data: options.body,
          // The pages show errors in place, in plain words; no toast on top.
          showErrorAlert: false,
          showSuccessAlert: false,
        })
      );
      return response.data;
    } catch (err) {
      throw toServiceError(err);
    }
  }

  getStatus(): Promise<GetStatus> {
    return this.request('GET', 'api/status');
  }

  /** One target of the lab, by its address (`mysql`, or `mon1/prometheus` for a peer's). */
  getTarget(address: string): Promise<GetTarget> {
    return this.request('GET', `api/targets/${targetPath(address)}`);
  }

  getSnapshots(address: string): Promise<GetSnapshots> {
    return this.request('GET', `api/targets/${targetPath(address)}/snapshots`);
  }

  /** The whole lab's runs (or one target's), newest first, filtered by the service. */
  getRuns({ status, ...query }: RunsQuery = {}): Promise<GetRuns> {
    return this.request('GET', 'api/runs', { query: { ...query, status: list(status) } });
  }

  /** One run: run ids are numbered per instance. */
  getRun(run: { instance: string; id: number }): Promise<GetRun> {
    return this.request('GET', `api/runs/${encodeURIComponent(run.instance)}/${run.id}`);
  }

  getAudit({ status, ...query }: AuditQuery = {}): Promise<GetAudit> {
    return this.request('GET', 'api/audit', { query: { ...query, status: list(status) } });
  }

  getRestores(): Promise<GetRestores> {
    return this.request('GET', 'api/restores');
  }

  /** What restores moved aside and is still there (route `api/restores/*`, GET, viewer token). */
  getAside(): Promise<GetAside> {
    return this.request('GET', 'api/restores/aside');
  }

  /** Admin only (route `api/restores/*`, POST, admin token): deletes one item for good. */
  removeAside(request: RemoveAsideRequest): Promise<void> {
    return this.request('POST', 'api/restores/aside/remove', { body: request });
  }

  /** Editor and above (route `api/*`, POST, operator token). A peer's target is backed up by the peer. */
  startBackup(address: string): Promise<Accepted> {
    return this.request('POST', `api/targets/${targetPath(address)}/backup`, { body: {} });
  }

  /** Editor and above. Without a snapshot the service verifies the latest one. */
  startVerify(address: string, snapshot?: string): Promise<Accepted> {
    return this.request('POST', `api/targets/${targetPath(address)}/verify`, {
      body: snapshot ? { snapshot } : {},
    });
  }

  /** Admin only (route `api/restores`, POST, admin token). */
  startRestore(request: RestoreRequest): Promise<Accepted> {
    return this.request('POST', 'api/restores', { body: request });
  }

  /** Which service role the token behind a route has: GET api/whoami, POST api/whoami, POST api/restores/whoami. */
  whoami(method: Method, path: 'api/whoami' | 'api/restores/whoami'): Promise<WhoAmI> {
    return this.request(method, path, method === 'POST' ? { body: {} } : {});
  }
}

export const backupSla = new BackupSlaClient();
