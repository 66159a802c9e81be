/** Prometheus's HTTP API as the prometheus kind uses it: one client, with timeouts and abort. */
import { UnavailableError } from '../../util/errors';
import { describeFetchError } from '../tools';

export const ADMIN_API_DISABLED = 'Prometheus admin API is disabled: start it with --web.enable-admin-api';
const SNAPSHOT_TIMEOUT_MS = 30 * 60 * 1000;
const HTTP_TIMEOUT_MS = 5 * 60 * 1000;

export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

export async function http(
  url: string,
  init: RequestInit & { timeoutMs?: number; signal?: AbortSignal } = {}
): Promise<{ status: number; text: string; json: any }> {
  const signals = [AbortSignal.timeout(init.timeoutMs ?? HTTP_TIMEOUT_MS), ...(init.signal ? [init.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.any(signals) });
  } catch (e) {
    // Nothing was learned about any data: "could not", never "failed" (a verification's verdict).
    throw new UnavailableError(`cannot reach Prometheus at ${new URL(url).origin}: ${describeFetchError(e)}`);
  }
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (e.g. /metrics or a proxy's error page)
  }
  return { status: res.status, text, json };
}

/** GET an API endpoint and return its `data`, with Prometheus' own error text on failure. */
export async function apiGet(
  url: string,
  endpoint: string,
  params: Record<string, string> = {},
  signal?: AbortSignal
): Promise<any> {
  const query = Object.keys(params).length ? `?${new URLSearchParams(params)}` : '';
  const r = await http(`${baseUrl(url)}${endpoint}${query}`, { signal, timeoutMs: 60_000 });
  if (r.status !== 200 || r.json?.status !== 'success') {
    throw new Error(
      `Prometheus at ${url}: ${endpoint} answered ${r.status}: ${r.json?.error ?? r.text.slice(0, 200).trim()}`
    );
  }
  return r.json.data;
}

/**
 * POST /api/v1/admin/tsdb/snapshot (with the head: skip_head on a young server is empty). Answers
 * the snapshot's name; Prometheus writes it to `<tsdb path>/snapshots/<name>` and never deletes it.
 */
export async function takeSnapshot(url: string, signal?: AbortSignal): Promise<string> {
  const r = await http(`${baseUrl(url)}/api/v1/admin/tsdb/snapshot`, {
    method: 'POST',
    timeoutMs: SNAPSHOT_TIMEOUT_MS,
    signal,
  });
  const error: string = r.json?.error ?? '';
  // 2.x answers "admin APIs disabled" (status 500/503 by version); a proxy may hide the route (404).
  if (r.status === 404 || /admin APIs? (are )?disabled/i.test(error || r.text)) {
    throw new Error(ADMIN_API_DISABLED);
  }
  const name: unknown = r.json?.data?.name;
  if (r.status !== 200 || r.json?.status !== 'success' || typeof name !== 'string') {
    throw new Error(
      `Prometheus at ${url} could not take a snapshot: ${r.status} ${error || r.text.slice(0, 200).trim()}`
    );
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) {
    throw new Error(`Prometheus at ${url} named its snapshot '${name}': not a plain directory name`);
  }
  return name;
}

/** Whether a Prometheus answers at `url` at all. */
export async function answers(url: string): Promise<boolean> {
  return fetch(`${baseUrl(url)}/-/healthy`, { signal: AbortSignal.timeout(2000) })
    .then(() => true)
    .catch(() => false);
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
