/**
 * What Grafana's plugin loader checks of a plugins directory, as its source says (read in
 * grafana/grafana, pkg/plugins): Grafana cannot be installed here, so the install tests check the
 * installed tree against these rules instead.
 *
 * - discovery: every plugin.json below the plugins directory is a plugin; a nested one
 *   (panels/<name>/plugin.json) is a child of the plugin whose folder holds it;
 * - plugin.json (ReadPluginJSON / validatePluginJSON): valid JSON with an `id` and a valid `type`
 *   (app, datasource, panel, renderer, secretsmanager);
 * - signature (signature.UnsignedPluginAuthorizer.CanLoadPlugin): a plugin without MANIFEST.txt is
 *   unsigned and loads only when its own id is in [plugins] allow_loading_unsigned_plugins (or in
 *   development mode), child plugins included: each id is checked on its own;
 * - module.js (validation.ModuleJSValidationStep): beside each plugin.json;
 * - Angular (angularinspector's static detectors): module.js must not contain PanelCtrl,
 *   ConfigCtrl, QueryCtrl, app/plugins/sdk, angular.isNumber(, editor.html, ctrl.annotation,
 *   getLegacyAngularInjector, nor "QueryCtrl" in quotes; Grafana 11+ refuses Angular plugins;
 * - assets named by plugin.json (logos, includes' dashboards) exist.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const TYPES = ['app', 'datasource', 'panel', 'renderer', 'secretsmanager'];
const ANGULAR = [
  'PanelCtrl',
  'ConfigCtrl',
  'QueryCtrl',
  'app/plugins/sdk',
  'angular.isNumber(',
  'editor.html',
  'ctrl.annotation',
  'getLegacyAngularInjector',
];

function pluginJsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      return name === 'node_modules' ? [] : pluginJsonFiles(p);
    }
    return name === 'plugin.json' ? [p] : [];
  });
}

export interface LoaderSettings {
  /** [plugins] allow_loading_unsigned_plugins, split at commas. */
  allowUnsigned: string[];
}

/** Why Grafana would not load a plugin of this directory; empty when it loads them all. */
export function grafanaLoaderProblems(pluginsDir: string, settings: LoaderSettings): string[] {
  const problems: string[] = [];
  const files = pluginJsonFiles(pluginsDir);
  if (!files.length) {
    return [`${pluginsDir}: no plugin.json`];
  }
  for (const file of files) {
    const dir = path.dirname(file);
    let json: any;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push(`${file}: not valid JSON (${(e as Error).message})`);
      continue;
    }
    const id = json.id ?? file;
    if (!json.id || !TYPES.includes(json.type)) {
      problems.push(`${id}: plugin.json needs an id and a type of ${TYPES.join(', ')}`);
      continue;
    }
    // The root plugin's MANIFEST.txt signs its children too; none here: unsigned.
    const signed = existsSync(path.join(dir, 'MANIFEST.txt'));
    if (!signed && !settings.allowUnsigned.includes(json.id)) {
      problems.push(`${id}: unsigned and not in [plugins] allow_loading_unsigned_plugins`);
    }
    const module = path.join(dir, 'module.js');
    if (!existsSync(module)) {
      problems.push(`${id}: no module.js beside plugin.json`);
    } else {
      const text = readFileSync(module, 'utf8');
      const angular = ANGULAR.filter((p) => text.includes(p));
      if (angular.length || /["']QueryCtrl["']/.test(text)) {
        problems.push(`${id}: module.js looks like an Angular plugin (${angular.join(', ')}), which Grafana refuses`);
      }
    }
    const assets = [
      json.info?.logos?.small,
      json.info?.logos?.large,
      ...(json.includes ?? [])
        .filter((i: { type: string }) => i.type === 'dashboard')
        .map((i: { path: string }) => i.path),
    ].filter(Boolean) as string[];
    for (const a of assets) {
      if (!existsSync(path.join(dir, a))) {
        problems.push(`${id}: ${a} is named in plugin.json but missing`);
      }
    }
  }
  return problems;
}

/** The Environment= assignments of a systemd unit or drop-in (quoted or not). */
export function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(.+)$/gm)) {
    const value = m[1].trim().replace(/^"(.*)"$/, '$1');
    const i = value.indexOf('=');
    env[value.slice(0, i)] = value.slice(i + 1);
  }
  return env;
}
