/**
 * A stand-in for Grafana's backend service in Jest: answers `getBackendSrv().fetch` from a table of
 * "METHOD path" → answer, where path is the part after the plugin proxy prefix (e.g. "GET api/status").
 * Test files must mock @grafana/runtime first:
 *   jest.mock('@grafana/runtime', () => ({ ...jest.requireActual('@grafana/runtime'), getBackendSrv: jest.fn() }));
 */
import { Observable, of, throwError } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import { PROXY_BASE_URL } from '../constants';

export interface MockRequest {
  method: string;
  /** After the proxy prefix, without the query: "api/targets/mysql/backup". Absolute URLs stay as they are. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** An HTTP error answer. `fromService` gives the contract's ApiError body; otherwise Grafana's `{message}`. */
export class HttpError {
  constructor(
    readonly status: number,
    readonly message = '',
    readonly fromService = true
  ) {}

  toFetchError() {
    const data = this.fromService
      ? { statusCode: this.status, error: String(this.status), message: this.message }
      : { message: this.message };
    return { status: this.status, statusText: '', data, config: {} };
  }
}

export type Answer = unknown | ((req: MockRequest) => unknown);

export function mockBackend(routes: Record<string, Answer>) {
  const requests: MockRequest[] = [];
  const fetch = jest.fn((options: { url: string; method?: string; data?: unknown }): Observable<unknown> => {
    const [rawPath, rawQuery = ''] = options.url.split('?');
    const path = rawPath.startsWith(`${PROXY_BASE_URL}/`) ? rawPath.slice(PROXY_BASE_URL.length + 1) : rawPath;
    const method = options.method ?? 'GET';
    const req: MockRequest = {
      method,
      path,
      query: Object.fromEntries(new URLSearchParams(rawQuery)),
      body: options.data,
    };
    requests.push(req);
    const key = `${method} ${path}`;
    if (!(key in routes)) {
      return throwError(() => new HttpError(404, `no mock answer for ${key}`, false).toFetchError());
    }
    const answer = routes[key];
    let result: unknown;
    try {
      result = typeof answer === 'function' ? (answer as (r: MockRequest) => unknown)(req) : answer;
    } catch (err) {
      return throwError(() => err);
    }
    if (result instanceof HttpError) {
      return throwError(() => result.toFetchError());
    }
    return of({ data: result, status: 200, ok: true, statusText: 'OK', headers: {}, config: options });
  });
  jest.mocked(getBackendSrv).mockReturnValue({ fetch } as unknown as ReturnType<typeof getBackendSrv>);
  return {
    fetch,
    requests,
    /** The requests made for one "METHOD path". */
    calls: (key: string) => requests.filter((r) => `${r.method} ${r.path}` === key),
  };
}

/** Answers one after another; the last one repeats. */
export function sequence(...answers: unknown[]) {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)];
}
