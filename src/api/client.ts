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

const seg = encodeURIComponent;

export interface RunsQuery {
  target?: string;
  operation?: Operation;
  limit?: number;
}

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

  getTarget(target: string): Promise<GetTarget> {
    return this.request('GET', `api/targets/${seg(target)}`);
  }

  getSnapshots(target: string): Promise<GetSnapshots> {
    return this.request('GET', `api/targets/${seg(target)}/snapshots`);
  }

  getRuns(query: RunsQuery = {}): Promise<GetRuns> {
    return this.request('GET', 'api/runs', { query: { ...query } });
  }

  getRun(id: number): Promise<GetRun> {
    return this.request('GET', `api/runs/${seg(String(id))}`);
  }

  getAudit(limit?: number): Promise<GetAudit> {
    return this.request('GET', 'api/audit', { query: { limit } });
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

  /** Editor and above (route `api/*`, POST, operator token). */
  startBackup(target: string): Promise<Accepted> {
    return this.request('POST', `api/targets/${seg(target)}/backup`, { body: {} });
  }

  /** Editor and above. Without a snapshot the service verifies the latest one. */
  startVerify(target: string, snapshot?: string): Promise<Accepted> {
    return this.request('POST', `api/targets/${seg(target)}/verify`, { body: snapshot ? { snapshot } : {} });
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
