/**
 * A fetch-based BackendSrv with Grafana's observable shapes: fetch() emits
 * {data, status, statusText, ok, headers, redirected, type, url, config} once and completes, or
 * errors with a FetchError {status, statusText, data, config} for a non-2xx answer.
 */
import { Observable, lastValueFrom } from 'rxjs';

function serializeParams(params) {
  const parts = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) {
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      parts.push(
        `${encodeURIComponent(key)}=${encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v))}`
      );
    }
  }
  return parts.join('&');
}

function isBodyInit(data) {
  return (
    typeof data === 'string' ||
    data instanceof FormData ||
    data instanceof Blob ||
    data instanceof ArrayBuffer ||
    data instanceof URLSearchParams
  );
}

async function parseBody(response, responseType) {
  switch (responseType) {
    case 'blob':
      return response.blob();
    case 'arraybuffer':
      return response.arrayBuffer();
    case 'text':
      return response.text();
    default: {
      // Grafana parses JSON when it can and falls back to the text (e.g. an HTML 502 page).
      const text = await response.text();
      if (text === '') {
        return responseType === 'json' ? undefined : text;
      }
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
  }
}

export class HarnessBackendSrv {
  /**
   * @param {object} deps
   * @param {string} deps.appSubUrl
   * @param {number} deps.orgId
   * @param {(alert: {type: 'error'|'success', title: string, text?: string}) => void} deps.onAlert
   */
  constructor({ appSubUrl = '', orgId = 1, onAlert = () => undefined } = {}) {
    this.appSubUrl = appSubUrl;
    this.orgId = orgId;
    this.onAlert = onAlert;
    /** Every request made, for tests: {method, url, status}. */
    this.log = [];
  }

  resolveUrl(options) {
    let url = options.url;
    // Grafana resolves "api/..." against appSubUrl; absolute paths stay as they are.
    if (!/^[a-z]+:\/\//i.test(url) && !url.startsWith('/')) {
      url = `${this.appSubUrl}/${url}`;
    }
    if (options.params && Object.keys(options.params).length > 0) {
      const qs = serializeParams(options.params);
      if (qs) {
        url += (url.includes('?') ? '&' : '?') + qs;
      }
    }
    return url;
  }

  fetch(options) {
    return new Observable((subscriber) => {
      const controller = new AbortController();
      const method = (options.method ?? 'GET').toUpperCase();
      const url = this.resolveUrl(options);
      const headers = new Headers(options.headers ?? {});
      headers.set('X-Grafana-Org-Id', String(this.orgId));
      if (!headers.has('Accept')) {
        headers.set('Accept', 'application/json, text/plain, */*');
      }
      let body;
      if (options.data !== undefined && method !== 'GET' && method !== 'HEAD') {
        if (isBodyInit(options.data)) {
          body = options.data;
        } else {
          body = JSON.stringify(options.data);
          if (!headers.has('Content-Type')) {
            headers.set('Content-Type', 'application/json');
          }
        }
      }
      if (options.abortSignal) {
        options.abortSignal.addEventListener('abort', () => controller.abort());
      }
      const entry = { method, url, status: null };
      this.log.push(entry);
      fetch(url, {
        method,
        headers,
        body,
        signal: controller.signal,
        credentials: options.credentials ?? (options.withCredentials ? 'include' : 'same-origin'),
      })
        .then(async (response) => {
          const data = await parseBody(response, options.responseType);
          entry.status = response.status;
          if (response.ok) {
            if (
              method !== 'GET' &&
              options.showSuccessAlert !== false &&
              data &&
              typeof data === 'object' &&
              data.message
            ) {
              this.onAlert({ type: 'success', title: data.message });
            }
            subscriber.next({
              data,
              status: response.status,
              statusText: response.statusText,
              ok: true,
              headers: response.headers,
              redirected: response.redirected,
              type: response.type,
              url: response.url,
              config: options,
            });
            subscriber.complete();
            return;
          }
          const error = {
            status: response.status,
            statusText: response.statusText,
            data,
            config: options,
            message: data && typeof data === 'object' && typeof data.message === 'string' ? data.message : undefined,
          };
          if (options.showErrorAlert !== false) {
            this.onAlert({
              type: 'error',
              title: error.message ?? `${response.status} ${response.statusText}`,
              text: url,
            });
          }
          subscriber.error(error);
        })
        .catch((err) => {
          if (subscriber.closed) {
            return;
          }
          if (controller.signal.aborted) {
            entry.status = -1;
            subscriber.error({
              status: -1,
              statusText: 'Request was aborted',
              data: null,
              cancelled: true,
              config: options,
            });
            return;
          }
          // The browser got no answer at all (Grafana itself down): no HTTP status.
          entry.status = 0;
          const message = err instanceof Error ? err.message : String(err);
          if (options.showErrorAlert !== false) {
            this.onAlert({ type: 'error', title: message, text: url });
          }
          subscriber.error({ status: 0, statusText: message, data: { message }, config: options });
        });
      return () => controller.abort();
    });
  }

  request(options) {
    return lastValueFrom(this.fetch(options)).then((response) => response.data);
  }

  datasourceRequest(options) {
    return lastValueFrom(this.fetch(options));
  }

  get(url, params, requestId, options = {}) {
    return this.request({ ...options, url, params, requestId, method: 'GET' });
  }

  delete(url, data, options = {}) {
    return this.request({ ...options, url, data, method: 'DELETE' });
  }

  post(url, data, options = {}) {
    return this.request({ ...options, url, data, method: 'POST' });
  }

  patch(url, data, options = {}) {
    return this.request({ ...options, url, data, method: 'PATCH' });
  }

  put(url, data, options = {}) {
    return this.request({ ...options, url, data, method: 'PUT' });
  }

  chunked(options) {
    return new Observable((subscriber) => {
      subscriber.error({
        status: 501,
        statusText: 'chunked() is not provided by the harness',
        data: null,
        config: options,
      });
    });
  }
}
