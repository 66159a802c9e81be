/** Test helpers for the daemon: role tokens in a lab, a started service over the lab's engine, waiting for runs. */
import http from 'node:http';
import type { Role } from '../config/types';
import type { RunRecord } from '../catalog/catalog';
import { Lab, LabOptions, makeLab } from './harness';
import { startService, Service } from '../serve';
import { waitFor } from './process';

export const TOKENS: Record<Role, string> = {
  viewer: 'viewer-token-5f0c2d9a41b7e3c8a06d4f19',
  operator: 'operator-token-9d3e7a1c52f4b860e7a2',
  admin: 'admin-token-2b8f6e0d93c1a7f4c85e1b37',
};

/** makeLab options with an `api` section: token files for each role, a free port. */
export function apiLabOptions(options: LabOptions, api: Record<string, unknown> = {}): LabOptions {
  return {
    ...options,
    files: {
      ...(options.files ?? {}),
      'viewer.token': TOKENS.viewer,
      'operator.token': TOKENS.operator,
      'admin.token': TOKENS.admin,
    },
    api: {
      listen: '127.0.0.1:0',
      tokens: { viewer: './viewer.token', operator: './operator.token', admin: './admin.token' },
      ...api,
    },
  };
}

export interface ServiceLab {
  lab: Lab;
  service: Service;
}

/** A lab and a service over its engine (its injected clock), without the scheduler unless asked. */
export async function makeServiceLab(
  options: LabOptions,
  api: Record<string, unknown> = {},
  service: { listen?: boolean; scheduler?: boolean } = {}
): Promise<ServiceLab> {
  const lab = makeLab(apiLabOptions(options, api));
  const svc = await startService(lab.engine.config, {
    engine: lab.engine,
    now: () => lab.clock.now,
    listen: service.listen ?? true,
    scheduler: service.scheduler ?? false,
    shutdownGraceMs: 10_000,
  });
  return { lab, service: svc };
}

export function auth(role: Role, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${TOKENS[role]}`, ...extra };
}

/** Waits until the run is no longer running and returns it. */
export async function finished(lab: Lab, runId: number, timeoutMs = 60_000): Promise<RunRecord> {
  await waitFor(() => lab.engine.catalog.run(runId)?.status !== 'running', timeoutMs, `run ${runId} to finish`);
  return lab.engine.catalog.run(runId)!;
}

export interface HttpResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is (set content-type yourself). */
  payload?: unknown;
}

/**
 * One request over a real socket. (fastify's inject needs light-my-request, whose `cookie`
 * dependency is ESM-only and does not load under Jest; a real socket tests more anyway.)
 */
export function request(base: string, req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let body: string | undefined;
  if (typeof req.payload === 'string') {
    body = req.payload;
  } else if (req.payload !== undefined) {
    body = JSON.stringify(req.payload);
    headers['content-type'] ??= 'application/json';
  }
  return new Promise((resolve, reject) => {
    const r = http.request(`${base}${req.url}`, { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ statusCode: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })
      );
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

export function json<T = any>(res: HttpResponse): T {
  return JSON.parse(res.body) as T;
}
