/**
 * Grafana's app plugin proxy over HTTP: `/api/plugin-proxy/<app id>/<path>` through the built
 * plugin.json's routes (route selection in ../proxy.mjs), with the headers Grafana adds and
 * Go's ReverseProxy behaviour (502 with an empty body when the upstream does not answer).
 */
import http from 'node:http';
import https from 'node:https';
import { parseProxyUrl, selectRoute, upstreamFor } from '../proxy.mjs';
import { readBody, sendJson } from './http.mjs';
import { USERS } from './users.mjs';

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
];

/**
 * @param {{plugins: object, sendUserHeader: boolean, log: (s: string) => void}} deps
 */
export function createPluginProxy({ plugins, sendUserHeader, log }) {
  /** What went through the proxy, for tests: {method, path, role, status, route, upstream}. */
  const proxyLog = [];

  async function handle(req, res, url, role) {
    const parsed = parseProxyUrl(url.pathname);
    const entry = { method: req.method, path: parsed?.proxyPath, role, status: 0, route: null, upstream: null };
    proxyLog.push(entry);
    const answer = (status, body) => {
      entry.status = status;
      sendJson(res, status, body);
    };
    if (!parsed || parsed.pluginId !== plugins.app.id) {
      answer(404, { message: 'Plugin not found, no installed plugin with that id' });
      return;
    }
    const routes = plugins.appJson().routes ?? [];
    const choice = selectRoute(routes, req.method, parsed.proxyPath, role);
    entry.route = choice.index ?? null;
    if (choice.kind === 'notFound') {
      answer(404, { message: 'plugin route match not found' });
      return;
    }
    if (choice.kind === 'forbidden') {
      answer(403, { message: 'plugin proxy route access denied' });
      return;
    }
    let upstream;
    try {
      upstream = upstreamFor(choice.route, choice.rest, url.search, plugins.settings);
    } catch (err) {
      answer(500, {
        message: 'Could not interpolate plugin route url',
        traceID: '',
        error: String(err.message ?? err),
      });
      return;
    }
    entry.upstream = upstream.url.href;
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (
        !HOP_BY_HOP.includes(k) &&
        !['cookie', 'set-cookie', 'host', 'origin', 'referer', 'content-length'].includes(k)
      ) {
        headers[k] = v;
      }
    }
    const user = USERS[role];
    headers['x-grafana-context'] = JSON.stringify({ UserID: user.id, Login: user.login, OrgID: 1, OrgRole: role });
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
    // Grafana drops any incoming X-Grafana-User and sets its own only with send_user_header.
    delete headers['x-grafana-user'];
    if (sendUserHeader) {
      headers['x-grafana-user'] = user.login;
    }
    // Route headers last: they win over anything the browser sent (Authorization in particular).
    for (const [k, v] of Object.entries(upstream.headers)) {
      headers[k.toLowerCase()] = v;
    }
    let body = await readBody(req);
    if (upstream.body !== undefined) {
      body = Buffer.from(upstream.body);
    }
    if (body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(req.method)) {
      headers['content-length'] = String(body.length);
    }
    const client = upstream.url.protocol === 'https:' ? https : http;
    await new Promise((resolve) => {
      const out = client.request(upstream.url, { method: req.method, headers, timeout: 60_000 }, (up) => {
        entry.status = up.statusCode ?? 0;
        const responseHeaders = {};
        for (const [k, v] of Object.entries(up.headers)) {
          if (!HOP_BY_HOP.includes(k) && k !== 'set-cookie') {
            responseHeaders[k] = v;
          }
        }
        res.writeHead(up.statusCode ?? 502, responseHeaders);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', resolve);
      });
      out.on('timeout', () => out.destroy(new Error('upstream timeout')));
      out.on('error', (err) => {
        // Go's ReverseProxy default error handler: 502 with an empty body.
        entry.status = 502;
        entry.error = String(err.message ?? err);
        log(`harness: proxy ${req.method} ${entry.upstream}: ${entry.error}`);
        if (!res.headersSent) {
          res.writeHead(502);
        }
        res.end();
        resolve();
      });
      out.end(body);
    });
  }

  return { handle, proxyLog };
}
