/**
 * Grafana's data sources, for the Prometheus one the app's history charts use:
 *
 *   GET  /api/datasources, /api/datasources/uid/<uid>      what Grafana lists (admins)
 *   POST /api/datasources, PUT /api/datasources/uid/<uid>   add or change one (Admin)
 *   POST /api/ds/query                                      run queries, as Grafana's backend does
 *
 * /api/ds/query does what Grafana's Prometheus backend (pkg/promlib) does for a range query: the
 * step from the query's interval, the data source's scrape interval and the range (at most 11 000
 * points), start and end aligned to the step, `$__interval`, `$__rate_interval` and `$__range`
 * interpolated, then GET <prometheus>/api/v1/query_range, and one data frame per series (Time, Value
 * with the series' labels; the legend format as displayNameFromDS). A real Prometheus answers.
 */
import { readJsonBody, sendJson } from './http.mjs';

const PROMETHEUS_META = {
  id: 'prometheus',
  name: 'Prometheus',
  type: 'datasource',
  module: 'core:plugin/prometheus',
  baseUrl: 'public/app/plugins/datasource/prometheus',
  info: {
    author: { name: 'Grafana Labs' },
    description: 'Open source time series database & alerting',
    logos: {
      small: 'public/app/plugins/datasource/prometheus/img/prometheus_logo.svg',
      large: 'public/app/plugins/datasource/prometheus/img/prometheus_logo.svg',
    },
    version: '',
  },
  metrics: true,
  alerting: true,
  annotations: true,
  backend: true,
  builtIn: false,
};

export const PROMETHEUS_LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="#e6522c"/></svg>';

/** Go-style durations as Grafana writes them: "15s", "1m", "2h". */
export function parseDurationMs(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(String(text ?? '').trim());
  if (!m) {
    return null;
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 }[m[2]];
  return Math.round(Number(m[1]) * unit);
}

/** Prometheus's duration syntax for a step or range: whole seconds or milliseconds. */
function promDuration(ms) {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The range query Grafana's Prometheus backend sends for one query of /api/ds/query. */
export function rangeQuery(query, fromMs, toMs, scrapeMs) {
  const rangeMs = Math.max(1, toMs - fromMs);
  const minMs = parseDurationMs(query.interval) ?? scrapeMs;
  const safeMs = Math.ceil(rangeMs / 11000);
  const stepMs = Math.max(query.intervalMs ?? 0, minMs, safeMs, 1);
  const step = Math.max(1, Math.ceil(stepMs / 1000) * 1000);
  const start = Math.floor(fromMs / step) * step;
  const end = Math.floor(toMs / step) * step;
  const rateMs = Math.max(step + scrapeMs, 4 * scrapeMs);
  const vars = {
    __interval: promDuration(step),
    __interval_ms: String(step),
    __rate_interval: promDuration(rateMs),
    __rate_interval_ms: String(rateMs),
    __range: `${Math.round(rangeMs / 1000)}s`,
    __range_s: String(Math.round(rangeMs / 1000)),
    __range_ms: String(rangeMs),
  };
  const expr = String(query.expr ?? '').replace(/\$\{?(__[a-z_]+)\}?/g, (whole, name) => vars[name] ?? whole);
  return { expr, start: start / 1000, end: end / 1000, step: step / 1000 };
}

/** `{{target}} RTO` → "mysql RTO"; "__auto" or empty → null (Grafana names the series by its labels). */
export function legendName(format, labels) {
  if (!format || format === '__auto') {
    return null;
  }
  return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name) => labels[name] ?? '');
}

/** Prometheus's matrix result as Grafana's data frames (DataFrameJSON). */
export function matrixToFrames(query, result, q) {
  return result.map((series) => {
    const { __name__, ...labels } = series.metric ?? {};
    const legend = legendName(query.legendFormat, series.metric ?? {});
    return {
      schema: {
        name: legend ?? undefined,
        refId: query.refId,
        meta: {
          type: 'timeseries-multi',
          typeVersion: [0, 1],
          custom: { resultType: 'matrix' },
          executedQueryString: `Expr: ${q.expr}\nStep: ${q.step}s`,
        },
        fields: [
          { name: 'Time', type: 'time', typeInfo: { frame: 'time.Time' }, config: { interval: q.step * 1000 } },
          {
            name: 'Value',
            type: 'number',
            typeInfo: { frame: 'float64' },
            labels: __name__ ? { __name__, ...labels } : labels,
            config: legend ? { displayNameFromDS: legend } : {},
          },
        ],
      },
      data: {
        values: [series.values.map(([t]) => Math.round(Number(t) * 1000)), series.values.map(([, v]) => Number(v))],
      },
    };
  });
}

/**
 * @param {{prometheusUrl?: string, prometheusUid?: string, scrapeInterval?: string, log: (s: string) => void}} options
 */
export function createDataSources(options) {
  /** uid → Grafana's data source model */
  const byUid = new Map();
  let nextId = 1;
  const add = (ds) => {
    const model = {
      id: nextId++,
      orgId: 1,
      typeName: ds.type === 'prometheus' ? 'Prometheus' : ds.type,
      access: 'proxy',
      isDefault: false,
      readOnly: false,
      basicAuth: false,
      jsonData: {},
      ...ds,
    };
    byUid.set(model.uid, model);
    return model;
  };
  if (options.prometheusUrl) {
    add({
      uid: options.prometheusUid ?? 'backup-sla-prometheus',
      name: 'Backup SLA Prometheus',
      type: 'prometheus',
      url: options.prometheusUrl,
      jsonData: { timeInterval: options.scrapeInterval ?? '15s', httpMethod: 'GET' },
      isDefault: true,
    });
  }

  /** The data sources as boot data lists them (config.datasources: DataSourceInstanceSettings by name). */
  function bootList() {
    return Object.fromEntries(
      [...byUid.values()].map((ds) => [
        ds.name,
        {
          id: ds.id,
          uid: ds.uid,
          type: ds.type,
          name: ds.name,
          meta:
            ds.type === 'prometheus'
              ? PROMETHEUS_META
              : { id: ds.type, name: ds.type, type: 'datasource', info: { logos: {} } },
          url: `/api/datasources/proxy/uid/${ds.uid}`,
          jsonData: ds.jsonData,
          access: 'proxy',
          isDefault: ds.isDefault,
          readOnly: ds.readOnly,
        },
      ])
    );
  }

  async function query(req, res) {
    const body = await readJsonBody(req);
    if (!body || !Array.isArray(body.queries)) {
      sendJson(res, 400, { message: 'bad request data' });
      return;
    }
    const from = Number(body.from);
    const to = Number(body.to);
    const results = {};
    let status = 200;
    for (const q of body.queries) {
      const ds = byUid.get(q.datasource?.uid);
      if (!ds) {
        results[q.refId] = { status: 404, error: `data source ${q.datasource?.uid} not found` };
        status = 207;
        continue;
      }
      if (ds.type !== 'prometheus') {
        results[q.refId] = { status: 400, error: `the harness runs Prometheus queries only, not ${ds.type}` };
        status = 207;
        continue;
      }
      const scrapeMs = parseDurationMs(ds.jsonData?.timeInterval) ?? 15_000;
      const rq = rangeQuery(q, from, to, scrapeMs);
      const url = new URL('api/v1/query_range', ds.url.endsWith('/') ? ds.url : `${ds.url}/`);
      url.searchParams.set('query', rq.expr);
      url.searchParams.set('start', String(rq.start));
      url.searchParams.set('end', String(rq.end));
      url.searchParams.set('step', String(rq.step));
      try {
        const answer = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        const json = await answer.json();
        if (json.status !== 'success') {
          results[q.refId] = { status: 400, error: json.error ?? `Prometheus answered ${answer.status}` };
          status = 207;
          continue;
        }
        results[q.refId] = { status: 200, frames: matrixToFrames(q, json.data.result ?? [], rq) };
      } catch (err) {
        options.log(`harness: ds/query ${url}: ${err.message ?? err}`);
        results[q.refId] = { status: 502, error: `Post "${url}": ${err.message ?? err}` };
        status = 207;
      }
    }
    // Grafana answers 207 Multi-Status when some queries failed.
    sendJson(res, status === 207 && Object.values(results).every((r) => r.error) ? 400 : status, { results });
  }

  /** /api/datasources...; returns false when the path is not one of these. */
  async function api(req, res, p, role) {
    if (p === '/api/ds/query' && req.method === 'POST') {
      await query(req, res);
      return true;
    }
    if (p === '/api/datasources' || p.startsWith('/api/datasources/uid/')) {
      const uid = p.startsWith('/api/datasources/uid/')
        ? decodeURIComponent(p.slice('/api/datasources/uid/'.length))
        : null;
      if (req.method === 'GET') {
        if (uid === null) {
          sendJson(res, 200, [...byUid.values()]);
        } else if (byUid.has(uid)) {
          sendJson(res, 200, byUid.get(uid));
        } else {
          sendJson(res, 404, { message: 'Data source not found' });
        }
        return true;
      }
      if (role !== 'Admin') {
        sendJson(res, 403, { message: 'Permission denied' });
        return true;
      }
      const body = await readJsonBody(req);
      if (!body || !body.type || !body.name) {
        sendJson(res, 400, { message: 'bad request data' });
        return true;
      }
      if (req.method === 'POST' && uid === null) {
        if (body.uid && byUid.has(body.uid)) {
          sendJson(res, 409, { message: 'data source with the same uid already exists' });
          return true;
        }
        const model = add({ ...body, uid: body.uid ?? `ds${nextId}` });
        sendJson(res, 200, { datasource: model, id: model.id, message: 'Datasource added', name: model.name });
        return true;
      }
      if (req.method === 'PUT' && uid !== null && byUid.has(uid)) {
        const model = { ...byUid.get(uid), ...body, uid };
        byUid.set(uid, model);
        sendJson(res, 200, { datasource: model, id: model.id, message: 'Datasource updated', name: model.name });
        return true;
      }
      sendJson(res, 404, { message: 'Data source not found' });
      return true;
    }
    return false;
  }

  return { bootList, api, byUid };
}
