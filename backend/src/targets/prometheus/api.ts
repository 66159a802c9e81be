/** Prometheus's HTTP API as the prometheus kind uses it, over the kit's one HTTP client. */
import { HttpClient, serverMessage } from '../kit/http';

export const ADMIN_API_DISABLED = 'Prometheus admin API is disabled: start it with --web.enable-admin-api';
const SNAPSHOT_TIMEOUT_MS = 30 * 60 * 1000;
const HTTP_TIMEOUT_MS = 5 * 60 * 1000;
const API_TIMEOUT_MS = 60_000;

/** A client of the Prometheus at `url`; unreachable: "cannot reach Prometheus at <url>: <why>". */
export function prometheusClient(url: string, signal?: AbortSignal): HttpClient {
  return new HttpClient('Prometheus', url, { timeoutMs: HTTP_TIMEOUT_MS, signal });
}

/** GET an API endpoint and return its `data`, with Prometheus' own error text on failure. */
export async function apiGet(
  url: string,
  endpoint: string,
  params: Record<string, string> = {},
  signal?: AbortSignal
): Promise<any> {
  const r = await prometheusClient(url, signal).request(endpoint, { query: params, timeoutMs: API_TIMEOUT_MS });
  if (r.status !== 200 || r.json?.status !== 'success') {
    throw new Error(`Prometheus at ${url}: ${endpoint} answered ${r.status}: ${serverMessage(r, ['error'])}`);
  }
  return r.json.data;
}

/**
 * POST /api/v1/admin/tsdb/snapshot (with the head: skip_head on a young server is empty). Answers
 * the snapshot's name; Prometheus writes it to `<tsdb path>/snapshots/<name>` and never deletes it.
 */
export async function takeSnapshot(url: string, signal?: AbortSignal): Promise<string> {
  const r = await prometheusClient(url, signal).request('/api/v1/admin/tsdb/snapshot', {
    method: 'POST',
    timeoutMs: SNAPSHOT_TIMEOUT_MS,
  });
  const error = serverMessage(r, ['error']);
  // 2.x answers "admin APIs disabled" (status 500/503 by version); a proxy may hide the route (404).
  if (r.status === 404 || /admin APIs? (are )?disabled/i.test(error)) {
    throw new Error(ADMIN_API_DISABLED);
  }
  const name: unknown = r.json?.data?.name;
  if (r.status !== 200 || r.json?.status !== 'success' || typeof name !== 'string') {
    throw new Error(`Prometheus at ${url} could not take a snapshot: ${r.status} ${error}`);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) {
    throw new Error(`Prometheus at ${url} named its snapshot '${name}': not a plain directory name`);
  }
  return name;
}

/** Whether a Prometheus answers at `url` at all. */
export async function answers(url: string): Promise<boolean> {
  return (await prometheusClient(url).answers('/-/healthy')) !== null;
}

/** Whether a Prometheus at `url` is ready to answer queries (a scratch server that just started). */
export async function ready(url: string): Promise<boolean> {
  return (await prometheusClient(url).answers('/-/ready')) === 200;
}

export async function waitUntilDown(url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await answers(url))) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return !(await answers(url));
}
