#!/usr/bin/env node
/**
 * The harness server: plays Grafana for the BUILT plugin in dist/. One module per concern:
 *
 *   server/users.mjs        who is signed in (POST /login sessions, ?role= shortcut), theme
 *   server/plugins.mjs      the installed plugins, the app's settings, /api/plugins/<id>/settings
 *   server/pluginProxy.mjs  /api/plugin-proxy/<app id>/<path> over dist/plugin.json's routes (proxy.mjs)
 *   server/dataSources.mjs  /api/datasources, /api/ds/query to a real Prometheus
 *   server/dashboards.mjs   /api/dashboards (the panel's dashboards)
 *   server/page.mjs         the page with grafanaBootData; client/ is what runs in it (vendor bundle)
 *   server/http.mjs         JSON answers, bodies, cookies, static files
 *
 * Routes:
 *   GET  /a/<app id>/...                       app pages (plugin.root)
 *   GET  /plugins/<app id>                     the app's configuration page
 *   GET  /d/harness/backup-age                 a dashboard holding the backup-age panel
 *   GET  /public/plugins/<id>/...              dist/ (the app) and dist/panels/backup-age/ (the panel)
 *   GET  /public/build/img/icons/...           @grafana/ui's icons, where Grafana serves them
 *   GET  /public/harness/...                   the vendor bundle (build.mjs)
 *   POST /login                                {user, password}: a session (users viewer, editor, admin; password = login)
 *   *    /api/plugin-proxy/<app id>/<path>     Grafana's plugin proxy
 *   *    /api/plugins/<id>/settings            plugin settings
 *   *    /api/datasources..., POST /api/ds/query, /api/dashboards..., /api/admin/users, /api/org/users
 *
 *   node e2e/harness/server.mjs --port 3000 --service http://127.0.0.1:8470 \
 *     --viewer-token-file F --operator-token-file F --admin-token-file F [--role Admin] [--unconfigured] \
 *     [--prometheus http://127.0.0.1:9090 [--prometheus-uid backup-sla-prometheus] [--scrape-interval 15s]]
 */
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVendorBundle } from './build.mjs';
import { createDashboards } from './server/dashboards.mjs';
import { createDataSources, PROMETHEUS_LOGO } from './server/dataSources.mjs';
import { readJsonBody, sendJson, serveFile } from './server/http.mjs';
import { pageHtml } from './server/page.mjs';
import { createPluginProxy } from './server/pluginProxy.mjs';
import { loadPlugins } from './server/plugins.mjs';
import { createSessions, rememberCookies, ROLES, SESSION_COOKIE, themeOf, USERS, usersApi } from './server/users.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

const SPINNER_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2a10 10 0 1 0 10 10h-2a8 8 0 1 1-8-8V2z"/></svg>';

/**
 * @param {object} options
 * @param {number} [options.port]          0 (default) = a free port
 * @param {string} [options.host]          default 127.0.0.1
 * @param {string} options.serviceUrl      jsonData.serviceUrl, e.g. http://127.0.0.1:8470
 * @param {{viewer?: string, operator?: string, admin?: string}} [options.tokens]  token values
 * @param {string} [options.distDir]       default <repo>/dist
 * @param {string} [options.defaultRole]   Viewer | Editor | Admin (default Admin)
 * @param {boolean} [options.sendUserHeader]  [dataproxy] send_user_header (default true)
 * @param {boolean} [options.configured]   false: start with no settings at all (first install)
 * @param {string} [options.prometheusUrl] a Prometheus to offer as a data source (the history charts)
 * @param {string} [options.prometheusUid] its uid (default backup-sla-prometheus)
 * @param {string} [options.scrapeInterval] its scrape interval, e.g. "1s" (default 15s)
 * @param {(line: string) => void} [options.log]
 */
export async function startHarness(options) {
  const distDir = path.resolve(options.distDir ?? path.join(ROOT, 'dist'));
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const plugins = loadPlugins(distDir, options);
  await ensureVendorBundle({ log });
  const sessions = createSessions(options.defaultRole ?? 'Admin');
  const dataSources = createDataSources({ ...options, log });
  const pluginProxy = createPluginProxy({ plugins, sendUserHeader: options.sendUserHeader ?? true, log });
  const dashboards = createDashboards({ panelId: plugins.panelId });
  const { app, nested } = plugins;

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const role = sessions.roleOf(req, url);
      const p = url.pathname;
      const page = (mode) => {
        const html = pageHtml({
          mode,
          role,
          theme: themeOf(req, url),
          baseUrl: `http://${req.headers.host}`,
          plugins,
          dataSources,
        });
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          ...rememberCookies(url),
        });
        res.end(html);
      };

      if (p.startsWith('/api/plugin-proxy/')) {
        await pluginProxy.handle(req, res, url, role);
        return;
      }
      const settings = /^\/api\/plugins\/([\w-]+)\/settings\/?$/.exec(p);
      if (settings) {
        await plugins.settingsApi(req, res, settings[1], role, log);
        return;
      }
      if ((await dataSources.api(req, res, p, role)) || (await dashboards.api(req, res, p, role))) {
        return;
      }
      if (await usersApi(req, res, url, role)) {
        return;
      }
      if (p === '/login' && req.method === 'POST') {
        const body = await readJsonBody(req);
        const session = body && sessions.login(String(body.user ?? ''), String(body.password ?? ''));
        if (!session) {
          sendJson(res, 401, { message: 'Invalid username or password' });
          return;
        }
        sendJson(
          res,
          200,
          { message: 'Logged in' },
          { 'Set-Cookie': `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Lax` }
        );
        return;
      }
      if (p === '/api/user') {
        sendJson(res, 200, { ...USERS[role], orgId: 1, isGrafanaAdmin: false, theme: themeOf(req, url) });
        return;
      }
      if (p === '/api/health') {
        sendJson(res, 200, { database: 'ok', version: '12.4.10 (harness)' });
        return;
      }
      if (p === '/api/harness/proxy-log') {
        sendJson(res, 200, pluginProxy.proxyLog);
        return;
      }
      if (p.startsWith('/api/')) {
        log(`harness: no such Grafana API in the harness: ${req.method} ${p}`);
        sendJson(res, 404, { message: 'Not found' });
        return;
      }
      if (p.startsWith('/public/harness/')) {
        serveFile(res, path.join(HERE, 'build'), p.slice('/public/harness/'.length), { cache: true });
        return;
      }
      if (p === '/public/build/img/icons/unicons/spinner.svg') {
        // Grafana ships this one itself (the npm @grafana/ui has no spinner.svg): a plain arc.
        res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=3600' });
        res.end(SPINNER_SVG);
        return;
      }
      if (p === '/public/app/plugins/datasource/prometheus/img/prometheus_logo.svg') {
        res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=3600' });
        res.end(PROMETHEUS_LOGO);
        return;
      }
      if (p.startsWith('/public/build/img/icons/')) {
        const icons = path.join(ROOT, 'node_modules/@grafana/ui/dist/public/img/icons');
        const rel = p.slice('/public/build/img/icons/'.length);
        if (/^unicons\/[\w-]+\.svg$/.test(rel) && !existsSync(path.join(icons, rel))) {
          // Grafana ships every unicon; the npm @grafana/ui only those it draws itself. A "-left" one
          // is its "-right" one mirrored (the time picker's angle-double-left); any other a blank.
          const right = path.join(icons, rel.replace(/-left\.svg$/, '-right.svg'));
          const svg =
            rel.endsWith('-left.svg') && existsSync(right)
              ? readFileSync(right, 'utf8')
                  .replace(/<svg([^>]*)>/, '<svg$1><g transform="matrix(-1 0 0 1 24 0)">')
                  .replace('</svg>', '</g></svg>')
              : '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"></svg>';
          res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'X-Harness-Placeholder': '1' });
          res.end(svg);
          return;
        }
        serveFile(res, icons, rel, { cache: true });
        return;
      }
      const file = /^\/public\/plugins\/([\w-]+)\/(.*)$/.exec(p);
      if (file) {
        const base = file[1] === app.id ? distDir : nested[file[1]];
        if (!base) {
          sendJson(res, 404, { message: 'Plugin not found' });
          return;
        }
        serveFile(res, base, file[2]);
        return;
      }
      if (p === `/a/${app.id}` || p.startsWith(`/a/${app.id}/`)) {
        page('app');
        return;
      }
      if (p === `/plugins/${app.id}` || p === `/plugins/${app.id}/`) {
        page('config');
        return;
      }
      if (p.startsWith('/d/')) {
        page('panel');
        return;
      }
      if (p === '/') {
        res.writeHead(302, { Location: `/a/${app.id}/overview${url.search}` });
        res.end();
        return;
      }
      sendJson(res, 404, { message: 'Not found' });
    } catch (err) {
      log(`harness: ${req.method} ${req.url}: ${err.stack ?? err}`);
      if (!res.headersSent) {
        sendJson(res, 500, { message: 'Internal Server Error' });
      } else {
        res.end();
      }
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const address = server.address();
  const baseUrl = `http://${host}:${address.port}`;
  return {
    url: baseUrl,
    port: address.port,
    appUrl: `${baseUrl}/a/${app.id}`,
    pluginId: app.id,
    panelId: plugins.panelId,
    settings: plugins.settings,
    proxyLog: pluginProxy.proxyLog,
    dataSources: dataSources.byUid,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

const FLAGS = ['unconfigured', 'help', 'no-user-header'];

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      throw new Error(`unexpected argument: ${a}`);
    }
    const key = a.slice(2);
    if (FLAGS.includes(key)) {
      out[key] = true;
      continue;
    }
    if (i + 1 >= argv.length) {
      throw new Error(`${a} needs a value`);
    }
    out[key] = argv[++i];
  }
  return out;
}

const USAGE = `usage: node e2e/harness/server.mjs [--port 3000] [--host 127.0.0.1] --service http://127.0.0.1:8470
         --viewer-token-file F --operator-token-file F --admin-token-file F
         [--role Viewer|Editor|Admin] [--dist DIR] [--unconfigured] [--no-user-header]
         [--prometheus URL [--prometheus-uid UID] [--scrape-interval 15s]]`;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const readToken = (flag) => (args[flag] ? readFileSync(args[flag], 'utf8').trim() : undefined);
  if (!args.unconfigured && !args.service) {
    throw new Error(`--service is required (or --unconfigured)\n${USAGE}`);
  }
  if (args.role && !ROLES.includes(args.role)) {
    throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  }
  const harness = await startHarness({
    port: args.port ? Number(args.port) : 3000,
    host: args.host,
    serviceUrl: args.service,
    tokens: {
      viewer: readToken('viewer-token-file'),
      operator: readToken('operator-token-file'),
      admin: readToken('admin-token-file'),
    },
    distDir: args.dist,
    defaultRole: args.role,
    configured: !args.unconfigured,
    sendUserHeader: !args['no-user-header'],
    prometheusUrl: args.prometheus,
    prometheusUid: args['prometheus-uid'],
    scrapeInterval: args['scrape-interval'],
    log: (line) => console.error(line),
  });
  console.log(`Grafana harness for ${harness.pluginId}: ${harness.appUrl}/overview`);
  console.log(
    `  configuration: ${harness.url}/plugins/${harness.pluginId}   panel: ${harness.url}/d/harness/backup-age`
  );
  console.log(
    `  role: add ?role=Viewer|Editor|Admin to any page (default ${args.role ?? 'Admin'}); theme: ?theme=light|dark`
  );
  const stop = () => harness.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`harness: ${err.message ?? err}`);
    process.exit(1);
  });
}
