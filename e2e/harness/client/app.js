/**
 * The harness page: what Grafana's frontend does around a plugin, reduced to what this app uses.
 *
 *  amd.js              AMD define() for the plugin's module.js
 *  backendSrv.js       setBackendSrv(): a fetch-based BackendSrv
 *  grafanaServices.js  template, data source, runRequest, core panels, app events
 *  frame.js            page chrome, PluginPage (setPluginPage), breadcrumbs, role and theme switches
 *  modes.js            the app root, configuration and dashboard pages
 *
 * Everything the tests may want to look at is on window.__harness (errors, alerts, requests).
 */
import { installAmd } from './amd';
import { HarnessBackendSrv } from './backendSrv';
import { createFrame } from './frame';
import { installGrafanaServices } from './grafanaServices';
import { createModes } from './modes';
import { standardFieldConfigs } from './standardFieldConfigs';

export function startHarness(shared, internals) {
  const React = shared.react;
  const h = React.createElement;
  const { createRoot } = shared['react-dom/client'];
  const { Router, Routes, Route } = shared['react-router'];
  const data = shared['@grafana/data'];
  const ui = shared['@grafana/ui'];
  const runtime = shared['@grafana/runtime'];

  const harness = window.__harness;
  harness.errors = [];
  harness.alerts = [];
  const pushError = (where, err) => {
    const text = err && err.stack ? String(err.stack) : String(err && err.message ? err.message : err);
    harness.errors.push({ where, message: text });
    console.error(`[harness] ${where}:`, err);
  };
  window.addEventListener('error', (e) => pushError('window.onerror', e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => pushError('unhandledrejection', e.reason));

  const importAmd = installAmd(shared);

  // Services Grafana sets at start.
  const config = runtime.config;
  const alertListeners = new Set();
  const backendSrv = new HarnessBackendSrv({
    appSubUrl: config.appSubUrl ?? '',
    orgId: config.bootData.user.orgId ?? 1,
    onAlert: (alert) => {
      harness.alerts.push({ ...alert, at: Date.now() });
      alertListeners.forEach((fn) => fn(harness.alerts.slice(-3)));
    },
  });
  runtime.setBackendSrv(backendSrv);
  harness.requests = backendSrv.log;
  installGrafanaServices(shared);
  data.locationUtil.initialize({
    config,
    getTimeRangeForUrl: () => ({ from: 'now-6h', to: 'now' }),
    getVariablesUrlParams: () => ({}),
  });

  // Grafana core fills the options-editor registry at start (PanelOptionsEditorBuilder looks the
  // editors up by id when a panel's options are built). The harness draws no options pane, so each
  // editor is a placeholder; the ids are the ones @grafana/data's builders ask for.
  const editorIds = [
    'text',
    'number',
    'slider',
    'boolean',
    'radio',
    'select',
    'multi-select',
    'unit',
    'color',
    'field-name',
    'dashboard-uid',
    'strings',
    'timezone',
    'links',
    'stats-picker',
    'interval',
  ];
  data.standardEditorsRegistry.setInit(() => editorIds.map((id) => ({ id, name: id, editor: () => null })));
  // Grafana's standard field options (unit, min, max, decimals, ...), which panels' useFieldConfig lists.
  data.standardFieldConfigEditorRegistry.setInit(() => standardFieldConfigs(data));

  // The user's theme, as Grafana picks it from the boot data (or ?theme=).
  const theme = data.createTheme({ colors: { mode: harness.theme === 'light' ? 'light' : 'dark' } });
  config.theme2 = theme;
  config.theme = theme;
  config.bootData.user.lightTheme = theme.isLight;
  const history = runtime.locationService.getHistory();

  const frame = createFrame({ shared, theme, pluginJson: harness.pluginJson, alertListeners });
  internals.setPluginPage(frame.HarnessPluginPage);
  const modes = createModes({ shared, frame, pluginJson: harness.pluginJson, pushError, harness });

  function HarnessRouter({ children }) {
    const [location, setLocation] = React.useState(history.location);
    React.useLayoutEffect(() => history.listen(() => setLocation(history.location)), []);
    return h(Router, { location, navigator: history }, children);
  }

  function Shell({ children }) {
    return h(
      data.ThemeContext.Provider,
      { value: theme },
      h(ui.GlobalStyles),
      h(runtime.LocationServiceProvider, { service: runtime.locationService }, h(HarnessRouter, null, children))
    );
  }

  async function loadPlugin(id, Kind, what) {
    const meta = await backendSrv.get(`/api/plugins/${id}/settings`);
    const exports = await importAmd(`/${meta.module}`);
    const plugin = exports.plugin;
    if (!plugin || !(plugin instanceof Kind)) {
      throw new Error(`the module does not export \`plugin\` as ${what} (from the shared @grafana/data)`);
    }
    plugin.meta = meta;
    return plugin;
  }

  async function main() {
    harness.marks = { start: performance.now() };
    // As Grafana's app.ts: i18next set up before anything renders (no translations: en-US only).
    await internals.initializeI18n({ language: 'en-US', ns: ['grafana'] }, 'en-US');
    const root = createRoot(document.getElementById('reactRoot'));
    const id = harness.pluginJson.id;
    let page;
    try {
      if (harness.mode === 'panel') {
        const plugin = await loadPlugin(harness.panelId, data.PanelPlugin, 'a PanelPlugin');
        page = h(Routes, null, h(Route, { path: '/d/:uid/*', element: h(modes.PanelPage, { plugin }) }));
      } else {
        const plugin = await loadPlugin(id, data.AppPlugin, 'an AppPlugin');
        // As Grafana's importAppPlugin: meta first, then init.
        plugin.init(plugin.meta);
        harness.marks.pluginLoaded = performance.now();
        page =
          harness.mode === 'config'
            ? h(Routes, null, h(Route, { path: '/plugins/:pluginId', element: h(modes.ConfigPage, { plugin }) }))
            : h(Routes, null, h(Route, { path: `/a/${id}/*`, element: h(modes.AppRootPage, { plugin }) }));
      }
    } catch (err) {
      pushError('load', err);
      page = h(modes.LoadError, { error: err });
    }
    root.render(h(Shell, null, page));
    harness.marks.rendered = performance.now();
    harness.ready = true;
  }

  main();
}
