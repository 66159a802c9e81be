/**
 * The plugins the harness "installed" (the built dist/ and its nested panel) and the app's stored
 * settings, with Grafana's plugin settings API over them:
 *   GET  /api/plugins/<id>/settings   {enabled, pinned, jsonData, secureJsonFields, ...}
 *   POST /api/plugins/<id>/settings   Admin only; secureJsonData is write-only, merged key by key
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readJsonBody, sendJson } from './http.mjs';
import { USERS } from './users.mjs';

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * @param {string} distDir
 * @param {{configured?: boolean, serviceUrl?: string, tokens?: object, prometheusUid?: string}} options
 */
export function loadPlugins(distDir, options) {
  if (!existsSync(path.join(distDir, 'plugin.json'))) {
    throw new Error(`${distDir}/plugin.json is missing: build the plugin first (npm run build)`);
  }
  // Read again on every use: a rebuild while the harness runs is picked up.
  const appJson = () => readJson(path.join(distDir, 'plugin.json'));
  const app = appJson();
  /** Nested plugins (dist/panels/<name>/plugin.json), by id → their folder. */
  const nested = {};
  for (const inc of [['panels', 'backup-age']]) {
    const dir = path.join(distDir, ...inc);
    if (existsSync(path.join(dir, 'plugin.json'))) {
      nested[readJson(path.join(dir, 'plugin.json')).id] = dir;
    }
  }
  const panelId = Object.keys(nested)[0];
  const panelJson = () => (panelId ? readJson(path.join(nested[panelId], 'plugin.json')) : null);

  const tokens = options.tokens ?? {};
  /** The app's stored plugin settings, as Grafana keeps them (secureJsonData stays server-side). */
  const settings =
    options.configured === false
      ? { enabled: false, pinned: false, jsonData: {}, secureJsonData: {} }
      : {
          enabled: true,
          pinned: true,
          jsonData: {
            serviceUrl: options.serviceUrl,
            ...(options.prometheusUid ? { prometheusDatasourceUid: options.prometheusUid } : {}),
          },
          secureJsonData: Object.fromEntries(
            [
              ['viewerToken', tokens.viewer],
              ['operatorToken', tokens.operator],
              ['adminToken', tokens.admin],
            ].filter(([, v]) => v !== undefined)
          ),
        };

  function dto(id) {
    const isApp = id === app.id;
    const json = isApp ? appJson() : readJson(path.join(nested[id], 'plugin.json'));
    const baseUrl = `public/plugins/${id}`;
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

  async function settingsApi(req, res, id, role, log) {
    if (id !== app.id && !nested[id]) {
      sendJson(res, 404, { message: 'Plugin not found, no installed plugin with that id' });
      return;
    }
    if (req.method === 'GET') {
      sendJson(res, 200, dto(id));
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
    const body = await readJsonBody(req);
    if (body === undefined) {
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

  return { app, appJson, nested, panelId, panelJson, settings, dto, settingsApi };
}
