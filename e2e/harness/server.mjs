#!/usr/bin/env node
/**
 * The harness server: plays Grafana for the BUILT plugin in dist/.
 *
 *   GET  /a/<app id>/...                       app pages (plugin.root)
 *   GET  /plugins/<app id>                     the app's configuration page
 *   GET  /d/harness/backup-age                 a dashboard holding the backup-age panel
 *   GET  /public/plugins/<id>/...              dist/ (the app) and dist/panels/backup-age/ (the panel)
 *   GET  /public/build/img/icons/...           @grafana/ui's icons, where Grafana serves them
 *   GET  /public/harness/...                   the vendor bundle (build.mjs)
 *   *    /api/plugin-proxy/<app id>/<path>     Grafana's plugin proxy over dist/plugin.json `routes`
 *   GET  /api/plugins/<id>/settings            {enabled, pinned, jsonData, secureJsonFields, ...}
 *   POST /api/plugins/<id>/settings            Admin only; secureJsonData is write-only
 *
 * The signed-in user's role comes from `?role=Viewer|Editor|Admin` on a page (remembered in the
 * `grafana_harness_role` cookie) or from that cookie; default Admin. Users: viewer, editor, admin.
 *
 *   node e2e/harness/server.mjs --port 3000 --service http://127.0.0.1:8470 \
 *     --viewer-token-file F --operator-token-file F --admin-token-file F [--role Admin] [--unconfigured]
 */
import http from 'node:http';
import https from 'node:https';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVendorBundle } from './build.mjs';
import { parseProxyUrl, selectRoute, upstreamFor } from './proxy.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const ROLES = ['Viewer', 'Editor', 'Admin'];
const ROLE_COOKIE = 'grafana_harness_role';

const USERS = {
  Viewer: { id: 3, uid: 'harness-viewer', login: 'viewer', name: 'Vera Viewer', email: 'viewer@lab.local' },
  Editor: { id: 2, uid: 'harness-editor', login: 'editor', name: 'Ed Editor', email: 'editor@lab.local' },
  Admin: { id: 1, uid: 'harness-admin', login: 'admin', name: 'Ada Admin', email: 'admin@lab.local' },
};

const MIME = {
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

const SPINNER_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2a10 10 0 1 0 10 10h-2a8 8 0 1 1-8-8V2z"/></svg>';

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

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function parseCookies(header) {
  const out = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    }
  }
  return out;
}

function readBody(req, limit = 10 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Serves one file below `base`, refusing paths that climb out of it. */
function serveFile(res, base, rel, { cache = false } = {}) {
  const file = path.resolve(base, `.${path.posix.normalize(`/${rel}`)}`);
  if (!file.startsWith(path.resolve(base) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
    sendJson(res, 404, { message: 'Not found' });
    return;
  }
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': statSync(file).size,
    'Cache-Control': cache ? 'public, max-age=3600' : 'no-cache',
  });
  createReadStream(file).pipe(res);
}

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
 * @param {(line: string) => void} [options.log]
 */
export async function startHarness(options) {
  const distDir = path.resolve(options.distDir ?? path.join(ROOT, 'dist'));
  const host = options.host ?? '127.0.0.1';
  const defaultRole = options.defaultRole ?? 'Admin';
  const sendUserHeader = options.sendUserHeader ?? true;
  const log = options.log ?? (() => undefined);
  if (!existsSync(path.join(distDir, 'plugin.json'))) {
    throw new Error(`${distDir}/plugin.json is missing: build the plugin first (npm run build)`);
  }
  await ensureVendorBundle({ log });

  const appJson = () => readJson(path.join(distDir, 'plugin.json'));
  const app = appJson();
  /** Nested plugins (dist/**\/plugin.json), by id → their folder. */
  const nested = {};
  for (const inc of [['panels', 'backup-age']]) {
    const dir = path.join(distDir, ...inc);
    if (existsSync(path.join(dir, 'plugin.json'))) {
      nested[readJson(path.join(dir, 'plugin.json')).id] = dir;
    }
  }
  const panelId = Object.keys(nested)[0];

  const tokens = options.tokens ?? {};
  /** The app's stored plugin settings, as Grafana keeps them (secureJsonData stays server-side). */
  const settings =
    options.configured === false
      ? { enabled: false, pinned: false, jsonData: {}, secureJsonData: {} }
      : {
          enabled: true,
          pinned: true,
          jsonData: { serviceUrl: options.serviceUrl },
          secureJsonData: Object.fromEntries(
            [
              ['viewerToken', tokens.viewer],
              ['operatorToken', tokens.operator],
              ['adminToken', tokens.admin],
            ].filter(([, v]) => v !== undefined)
          ),
        };
  /** What went through the proxy, for tests: {method, path, role, status, route, upstream}. */
  const proxyLog = [];

  function roleOf(req, url) {
    const fromQuery = url.searchParams.get('role');
    if (fromQuery && ROLES.includes(fromQuery)) {
      return fromQuery;
    }
    const fromCookie = parseCookies(req.headers.cookie)[ROLE_COOKIE];
    return ROLES.includes(fromCookie) ? fromCookie : defaultRole;
  }

  function pluginDto(id) {
    const isApp = id === app.id;
    const json = isApp ? appJson() : readJson(path.join(nested[id], 'plugin.json'));
    const baseUrl = isApp ? `public/plugins/${app.id}` : `public/plugins/${id}`;
    const defaultNav = (json.includes ?? []).find((i) => i.defaultNav);
    const info = {
      ...json.info,
      logos: Object.fromEntries(Object.entries(json.info?.logos ?? {}).map(([k, v]) => [k, `${baseUrl}/${v}`])),
    };
    return {
      name: json.name,
      type: json.type,
      id: json.id,
      enabled: isApp ? settings.enabled : true,
      pinned: isApp ? settings.pinned : false,
      autoEnabled: false,
      module: `${baseUrl}/module.js`,
      baseUrl,
      info,
      includes: json.includes ?? [],
      dependencies: json.dependencies,
      jsonData: isApp ? settings.jsonData : {},
      // Which secrets are set: never their values (Grafana: keys whose stored value is non-empty).
      secureJsonFields: isApp
        ? Object.fromEntries(
            Object.entries(settings.secureJsonData)
              .filter(([, v]) => v)
              .map(([k]) => [k, true])
          )
        : {},
      defaultNavUrl: defaultNav ? defaultNav.path.replace('%PLUGIN_ID%', json.id) : `/plugins/${json.id}/`,
      latestVersion: '',
      hasUpdate: false,
      state: '',
      signature: 'unsigned',
      signatureType: '',
      signatureOrg: '',
      angularDetected: false,
      loadingStrategy: 'script',
      extensions: {
        addedLinks: [],
        addedComponents: [],
        exposedComponents: [],
        extensionPoints: [],
        addedFunctions: [],
      },
      moduleHash: '',
    };
  }

  function bootData(role, baseUrl) {
    const user = USERS[role];
    return {
      user: {
        ...user,
        isSignedIn: true,
        orgId: 1,
        orgName: 'Main Org.',
        orgRole: role,
        orgCount: 1,
        isGrafanaAdmin: false,
        gravatarUrl: '',
        timezone: 'browser',
        weekStart: 'browser',
        locale: 'en-US',
        language: 'en-US',
        regionalFormat: 'en-US',
        theme: 'dark',
        lightTheme: false,
        helpFlags1: 0,
        hasEditPermissionInFolders: role !== 'Viewer',
        externalUserId: '',
        permissions: {},
        analytics: { identifier: user.login },
      },
      settings: {
        appUrl: `${baseUrl}/`,
        appSubUrl: '',
        buildInfo: {
          version: '12.4.10',
          commit: 'harness',
          env: 'production',
          edition: 'Open Source',
          latestVersion: '',
          hasUpdate: false,
          hideVersion: false,
        },
        datasources: {},
        defaultDatasource: '',
        featureToggles: {},
        apps: {
          [app.id]: {
            id: app.id,
            path: `public/plugins/${app.id}/module.js`,
            version: app.info?.version ?? '',
            preload: false,
            angular: { detected: false, hideDeprecation: false },
            loadingStrategy: 'script',
            extensions: {
              addedLinks: [],
              addedComponents: [],
              exposedComponents: [],
              extensionPoints: [],
              addedFunctions: [],
            },
            dependencies: app.dependencies ?? {},
          },
        },
        panels: panelId
          ? {
              [panelId]: {
                id: panelId,
                name: readJson(path.join(nested[panelId], 'plugin.json')).name,
                module: `public/plugins/${panelId}/module.js`,
                baseUrl: `public/plugins/${panelId}`,
                info: readJson(path.join(nested[panelId], 'plugin.json')).info,
                sort: 100,
                skipDataQuery: true,
                hideFromList: false,
                angular: { detected: false },
                loadingStrategy: 'script',
              },
            }
          : {},
        unifiedAlertingEnabled: true,
        liveEnabled: false,
        rendererAvailable: false,
        anonymousEnabled: false,
        bootData: undefined,
      },
      navTree: [],
      assets: { dark: '', light: '' },
    };
  }

  function pageHtml(mode, role, baseUrl) {
    const boot = bootData(role, baseUrl);
    const harness = { mode, role, pluginJson: appJson(), panelId };
    // `<` escaped so a value can never close the script element.
    const json = (v) => JSON.stringify(v).replace(/</g, '\\u003c');
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="/">
<title>${mode === 'panel' ? 'Harness dashboard' : app.name} - Grafana (harness)</title>
<style>html, body { margin: 0; }</style>
<link rel="icon" href="/public/plugins/${app.id}/img/logo.svg">
<script>
  // Set before the vendor bundle runs: @grafana/runtime reads it when first evaluated.
  window.grafanaBootData = ${json(boot)};
  window.__grafana_public_path__ = '/public/';
  window.__harness = ${json(harness)};
</script>
</head>
<body class="theme-dark app-grafana">
<div id="reactRoot"></div>
<script src="/public/harness/vendor.js"></script>
</body>
</html>
`;
  }

  async function proxy(req, res, url, role) {
    const parsed = parseProxyUrl(url.pathname);
    const entry = { method: req.method, path: parsed?.proxyPath, role, status: 0, route: null, upstream: null };
    proxyLog.push(entry);
    const answer = (status, body) => {
      entry.status = status;
      sendJson(res, status, body);
    };
    if (!parsed || parsed.pluginId !== app.id) {
      answer(404, { message: 'Plugin not found, no installed plugin with that id' });
      return;
    }
    const routes = appJson().routes ?? [];
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
      upstream = upstreamFor(choice.route, choice.rest, url.search, settings);
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

  async function settingsApi(req, res, id, role) {
    if (id !== app.id && !nested[id]) {
      sendJson(res, 404, { message: 'Plugin not found, no installed plugin with that id' });
      return;
    }
    if (req.method === 'GET') {
      sendJson(res, 200, pluginDto(id));
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { message: 'Method not allowed' });
      return;
    }
    if (role !== 'Admin') {
      sendJson(res, 403, {
        accessErrorId: 'ACE0000000001',
        message: "You'll need additional permissions to perform this action. Permissions needed: plugins:write",
        title: 'Access denied',
      });
      return;
    }
    if (id !== app.id) {
      sendJson(res, 400, { message: 'Only the app has settings in the harness' });
      return;
    }
    let body;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
    } catch {
      sendJson(res, 400, { message: 'bad request data' });
      return;
    }
    // Grafana's UpdatePluginSetting: enabled/pinned/jsonData replaced, secureJsonData merged key by key.
    if (typeof body.enabled === 'boolean') {
      settings.enabled = body.enabled;
    }
    if (typeof body.pinned === 'boolean') {
      settings.pinned = body.pinned;
    }
    if (body.jsonData && typeof body.jsonData === 'object') {
      settings.jsonData = body.jsonData;
    }
    for (const [k, v] of Object.entries(body.secureJsonData ?? {})) {
      settings.secureJsonData[k] = String(v);
    }
    log(`harness: plugin settings updated by ${USERS[role].login}`);
    sendJson(res, 200, { message: 'Plugin settings updated' });
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const role = roleOf(req, url);
      const p = url.pathname;
      const cookie =
        url.searchParams.get('role') && ROLES.includes(url.searchParams.get('role'))
          ? { 'Set-Cookie': `${ROLE_COOKIE}=${role}; Path=/; SameSite=Lax` }
          : {};
      const page = (mode) => {
        const html = pageHtml(mode, role, `http://${req.headers.host}`);
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...cookie });
        res.end(html);
      };

      if (p.startsWith('/api/plugin-proxy/')) {
        await proxy(req, res, url, role);
        return;
      }
      let m = /^\/api\/plugins\/([\w-]+)\/settings\/?$/.exec(p);
      if (m) {
        await settingsApi(req, res, m[1], role);
        return;
      }
      if (p === '/api/user') {
        sendJson(res, 200, { ...USERS[role], orgId: 1, isGrafanaAdmin: false, theme: 'dark' });
        return;
      }
      if (p === '/api/health') {
        sendJson(res, 200, { database: 'ok', version: '12.4.10 (harness)' });
        return;
      }
      if (p === '/api/harness/proxy-log') {
        sendJson(res, 200, proxyLog);
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
      if (p.startsWith('/public/build/img/icons/')) {
        serveFile(
          res,
          path.join(ROOT, 'node_modules/@grafana/ui/dist/public/img/icons'),
          p.slice('/public/build/img/icons/'.length),
          { cache: true }
        );
        return;
      }
      m = /^\/public\/plugins\/([\w-]+)\/(.*)$/.exec(p);
      if (m) {
        const base = m[1] === app.id ? distDir : nested[m[1]];
        if (!base) {
          sendJson(res, 404, { message: 'Plugin not found' });
          return;
        }
        serveFile(res, base, m[2]);
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
      if (p === '/' || p === `/a/${app.id}/`) {
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
    panelId,
    settings,
    proxyLog,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      throw new Error(`unexpected argument: ${a}`);
    }
    const key = a.slice(2);
    if (key === 'unconfigured' || key === 'help' || key === 'no-user-header') {
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
         [--role Viewer|Editor|Admin] [--dist DIR] [--unconfigured] [--no-user-header]`;

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
    log: (line) => console.error(line),
  });
  console.log(`Grafana harness for ${harness.pluginId}: ${harness.appUrl}/overview`);
  console.log(
    `  configuration: ${harness.url}/plugins/${harness.pluginId}   panel: ${harness.url}/d/harness/backup-age`
  );
  console.log(`  role: add ?role=Viewer|Editor|Admin to any page (default ${args.role ?? 'Admin'})`);
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
