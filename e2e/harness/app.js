/**
 * The harness page: what Grafana does around a plugin, reduced to what this app uses.
 *
 *  - an AMD `define()` that hands the shared modules to the plugin's module.js, with `module`
 *    giving the script's URL (the scaffold sets webpack's public path from it);
 *  - setBackendSrv() with a fetch-based BackendSrv, setPluginPage() with a page frame;
 *  - a ThemeContext.Provider with createTheme() (dark) and Grafana's GlobalStyles;
 *  - a Router on locationService's history, as Grafana's;
 *  - page modes, chosen by the server from the URL like Grafana's routes:
 *      /a/<app id>/...      the app's root page (plugin.root, with AppRootProps)
 *      /plugins/<app id>    the app's configuration page (plugin.configPages)
 *      /d/harness/<panel>   the backup-age panel in a panel frame (PanelPlugin.panel)
 *
 * Everything the tests may want to look at is on window.__harness (errors, alerts, requests).
 */
import { HarnessBackendSrv } from './backendSrv';

export function startHarness(shared, internals) {
  const React = shared.react;
  const h = React.createElement;
  const { createRoot } = shared['react-dom/client'];
  const { Router, Routes, Route, useLocation } = shared['react-router'];
  const data = shared['@grafana/data'];
  const ui = shared['@grafana/ui'];
  const runtime = shared['@grafana/runtime'];
  const { css } = shared['@emotion/css'];

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

  // ---------------------------------------------------------------------------------------------
  // AMD define(): module.js is `define([...deps], factory)`.

  const definitions = new Map(); // script URL → module exports
  function define(name, deps, factory) {
    if (typeof name !== 'string') {
      factory = deps;
      deps = name;
    }
    if (!Array.isArray(deps)) {
      factory = deps;
      deps = [];
    }
    const script = document.currentScript;
    const uri = script && script.src ? script.src : window.location.href;
    const exportsObject = {};
    const resolved = deps.map((dep) => {
      if (dep === 'module') {
        return { id: uri, uri };
      }
      if (dep === 'exports') {
        return exportsObject;
      }
      if (dep === 'require') {
        return (id) => {
          if (!(id in shared)) {
            throw new Error(`harness: require("${id}") is not a shared module`);
          }
          return shared[id];
        };
      }
      if (!(dep in shared)) {
        throw new Error(
          `harness: ${uri} needs "${dep}" from define(), which Grafana shares but this harness does not provide`
        );
      }
      return shared[dep];
    });
    const result = typeof factory === 'function' ? factory(...resolved) : factory;
    definitions.set(uri, result !== undefined ? result : exportsObject);
  }
  define.amd = {};
  window.define = define;

  function importAmd(url) {
    const absolute = new URL(url, document.baseURI).href;
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = absolute;
      script.async = true;
      script.onload = () => {
        if (definitions.has(absolute)) {
          resolve(definitions.get(absolute));
        } else {
          reject(new Error(`harness: ${absolute} loaded but did not call define()`));
        }
      };
      script.onerror = () => reject(new Error(`harness: cannot load ${absolute}`));
      document.head.appendChild(script);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Services Grafana sets at start.

  const config = runtime.config;
  const alertListeners = new Set();
  const onAlert = (alert) => {
    const entry = { ...alert, at: Date.now() };
    harness.alerts.push(entry);
    alertListeners.forEach((fn) => fn(harness.alerts.slice(-3)));
  };
  const backendSrv = new HarnessBackendSrv({
    appSubUrl: config.appSubUrl ?? '',
    orgId: config.bootData.user.orgId ?? 1,
    onAlert,
  });
  runtime.setBackendSrv(backendSrv);
  harness.requests = backendSrv.log;
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

  const theme = data.createTheme({ colors: { mode: 'dark' } });
  const history = runtime.locationService.getHistory();

  // ---------------------------------------------------------------------------------------------
  // Page frame (Grafana's PluginPage, much reduced): breadcrumbs, title, actions, body.

  const pluginJson = harness.pluginJson;
  const navIncludes = (pluginJson.includes ?? []).filter((i) => i.type === 'page' && i.addToNav);
  const roleRank = { Viewer: 1, Editor: 2, Admin: 3 };
  const userRole = config.bootData.user.orgRole;
  const visibleNav = navIncludes.filter((i) => !i.role || (roleRank[userRole] ?? 0) >= (roleRank[i.role] ?? 0));
  const includePath = (i) => i.path.replace('%PLUGIN_ID%', pluginJson.id);

  const styles = {
    shell: css({
      display: 'flex',
      flexDirection: 'column',
      minHeight: '100vh',
      background: theme.colors.background.canvas,
    }),
    topbar: css({
      display: 'flex',
      alignItems: 'center',
      gap: theme.spacing(2),
      padding: theme.spacing(1, 2),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      background: theme.colors.background.primary,
      fontSize: theme.typography.bodySmall.fontSize,
    }),
    crumbs: css({
      display: 'flex',
      gap: theme.spacing(1),
      color: theme.colors.text.secondary,
      flex: 1,
      '& a': { color: theme.colors.text.secondary },
    }),
    body: css({ display: 'flex', flex: 1, minHeight: 0 }),
    sidenav: css({
      width: 200,
      flexShrink: 0,
      padding: theme.spacing(2, 1),
      borderRight: `1px solid ${theme.colors.border.weak}`,
      background: theme.colors.background.primary,
      '& a': {
        display: 'block',
        padding: theme.spacing(0.75, 1.5),
        borderRadius: theme.shape.radius.default,
        color: theme.colors.text.primary,
      },
      '& a[aria-current="page"]': {
        background: theme.colors.action.selected,
        fontWeight: theme.typography.fontWeightMedium,
      },
    }),
    navTitle: css({
      padding: theme.spacing(0, 1.5, 1),
      color: theme.colors.text.secondary,
      fontSize: theme.typography.bodySmall.fontSize,
    }),
    main: css({ flex: 1, minWidth: 0, padding: theme.spacing(3, 4), overflow: 'auto' }),
    header: css({
      display: 'flex',
      alignItems: 'center',
      gap: theme.spacing(2),
      marginBottom: theme.spacing(3),
      flexWrap: 'wrap',
    }),
    title: css({ margin: 0, fontSize: theme.typography.h2.fontSize }),
    subTitle: css({ color: theme.colors.text.secondary, marginTop: theme.spacing(0.5) }),
    role: css({
      display: 'flex',
      gap: theme.spacing(1),
      alignItems: 'center',
      '& a[aria-current="true"]': { fontWeight: theme.typography.fontWeightBold, textDecoration: 'underline' },
    }),
    toasts: css({
      position: 'fixed',
      right: theme.spacing(2),
      top: theme.spacing(7),
      width: 400,
      zIndex: theme.zIndex.portal + 1,
    }),
  };

  function sectionFor(pathname) {
    return navIncludes.find((i) => pathname === includePath(i) || pathname.startsWith(`${includePath(i)}/`));
  }

  function Toasts() {
    const [alerts, setAlerts] = React.useState([]);
    React.useEffect(() => {
      alertListeners.add(setAlerts);
      return () => alertListeners.delete(setAlerts);
    }, []);
    if (alerts.length === 0) {
      return null;
    }
    return h(
      'div',
      { className: styles.toasts, 'data-testid': 'harness-toasts' },
      alerts.map((a) =>
        h(
          ui.Alert,
          { key: a.at + a.title, severity: a.type === 'error' ? 'error' : 'success', title: a.title },
          a.text ?? null
        )
      )
    );
  }

  function RoleSwitch() {
    const here = window.location.pathname + window.location.search.replace(/[?&]role=[^&]*/g, '');
    const join = here.includes('?') ? '&' : '?';
    return h(
      'div',
      { className: styles.role, 'aria-label': 'Harness role' },
      h('span', null, `Signed in as ${config.bootData.user.login} (${userRole}) · switch:`),
      ['Viewer', 'Editor', 'Admin'].map((r) =>
        h('a', { key: r, href: `${here}${join}role=${r}`, 'aria-current': r === userRole ? 'true' : undefined }, r)
      )
    );
  }

  function Frame({ crumbs, children }) {
    const location = useLocation();
    return h(
      'div',
      { className: styles.shell },
      h(
        'div',
        { className: styles.topbar },
        h(
          'nav',
          { className: styles.crumbs, 'aria-label': 'Breadcrumbs' },
          h('span', null, 'Home'),
          crumbs.flatMap((c, i) => [
            h('span', { key: `s${i}` }, '›'),
            c.url ? h('a', { key: i, href: c.url }, c.text) : h('span', { key: i }, c.text),
          ])
        ),
        h(RoleSwitch)
      ),
      h(
        'div',
        { className: styles.body },
        h(
          'nav',
          { className: styles.sidenav, 'aria-label': 'App navigation' },
          h('div', { className: styles.navTitle }, pluginJson.name),
          visibleNav.map((i) =>
            h(
              'a',
              {
                key: i.name,
                href: includePath(i),
                'aria-current': location.pathname.startsWith(includePath(i)) ? 'page' : undefined,
                onClick: (e) => {
                  if (includePath(i).startsWith('/a/')) {
                    e.preventDefault();
                    runtime.locationService.push(includePath(i));
                  }
                },
              },
              i.name
            )
          )
        ),
        h('main', { className: styles.main }, children)
      ),
      h(Toasts)
    );
  }

  /** PluginPage: the page header Grafana draws for app pages (title from nav, pageNav on top). */
  function HarnessPluginPage({ pageNav, actions, subTitle, info, renderTitle, children }) {
    const location = useLocation();
    const section = sectionFor(location.pathname);
    const title = pageNav?.text ?? section?.name ?? pluginJson.name;
    return h(
      React.Fragment,
      null,
      h(
        'div',
        { className: styles.header },
        h(
          'div',
          { style: { flex: 1 } },
          renderTitle ? renderTitle(title) : h('h1', { className: styles.title }, title),
          subTitle ? h('div', { className: styles.subTitle }, subTitle) : null
        ),
        info
          ? h(
              'div',
              null,
              info.map((i) => h('span', { key: i.label, style: { marginRight: 16 } }, `${i.label}: `, i.value))
            )
          : null,
        actions ?? null
      ),
      children
    );
  }
  internals.setPluginPage(HarnessPluginPage);

  // ---------------------------------------------------------------------------------------------
  // Error boundary, so a crash is visible in the page (and to the tests).

  class Boundary extends React.Component {
    constructor(props) {
      super(props);
      this.state = { error: null };
    }
    static getDerivedStateFromError(error) {
      return { error };
    }
    componentDidCatch(error, info) {
      pushError(`render (${this.props.name})`, error);
      harness.errors[harness.errors.length - 1].componentStack = info?.componentStack;
    }
    render() {
      if (this.state.error) {
        return h(
          ui.Alert,
          { severity: 'error', title: `${this.props.name} crashed`, 'data-testid': 'harness-crash' },
          h('pre', null, String(this.state.error.stack ?? this.state.error))
        );
      }
      return this.props.children;
    }
  }

  function HarnessRouter({ children }) {
    const [location, setLocation] = React.useState(history.location);
    React.useLayoutEffect(() => history.listen(() => setLocation(history.location)), []);
    return h(Router, { location, navigator: history }, children);
  }

  function Shell({ children }) {
    return h(data.ThemeContext.Provider, { value: theme }, h(ui.GlobalStyles), h(HarnessRouter, null, children));
  }

  // ---------------------------------------------------------------------------------------------
  // Page modes.

  async function getSettings(pluginId) {
    return backendSrv.get(`/api/plugins/${pluginId}/settings`);
  }

  async function loadAppPlugin() {
    const meta = await getSettings(pluginJson.id);
    const exports = await importAmd(`/${meta.module}`);
    const plugin = exports.plugin;
    if (!plugin || !(plugin instanceof data.AppPlugin)) {
      throw new Error('module.js does not export `plugin` as an AppPlugin (from the shared @grafana/data)');
    }
    // As Grafana's importAppPlugin: meta first, then init.
    plugin.meta = meta;
    plugin.setComponentsFromLegacyExports?.(exports);
    plugin.init(meta);
    return plugin;
  }

  function parseQuery(search) {
    return Object.fromEntries(new URLSearchParams(search));
  }

  /** /a/:pluginId/* — Grafana's AppRootPage: plugin.root with AppRootProps. */
  function AppRootPage({ plugin }) {
    const location = useLocation();
    const [nav, setNav] = React.useState(null);
    const section = sectionFor(location.pathname);
    const Root = plugin.root;
    harness.nav = nav;
    return h(
      Frame,
      {
        crumbs: [
          { text: 'Apps' },
          { text: pluginJson.name, url: `/a/${pluginJson.id}` },
          ...(section ? [{ text: section.name, url: includePath(section) }] : []),
        ],
      },
      Root
        ? h(
            Boundary,
            { name: 'plugin.root' },
            h(Root, {
              meta: plugin.meta,
              basename: `/a/${plugin.meta.id}`,
              onNavChanged: setNav,
              query: parseQuery(location.search),
              path: location.pathname,
            })
          )
        : h(ui.Alert, { severity: 'error', title: 'The app has no root page' })
    );
  }

  /** /plugins/:pluginId — the configuration tab of Grafana's plugin details page. */
  function ConfigPage({ plugin }) {
    const location = useLocation();
    const pages = plugin.configPages ?? [];
    const query = parseQuery(location.search);
    const page = pages.find((p) => p.id === query.page) ?? pages[0];
    return h(
      Frame,
      {
        crumbs: [
          { text: 'Administration' },
          { text: 'Plugins' },
          { text: pluginJson.name, url: `/plugins/${pluginJson.id}` },
        ],
      },
      h(
        'div',
        { className: styles.header },
        h('img', { src: `/${plugin.meta.baseUrl}/${pluginJson.info.logos.small}`, width: 40, height: 40, alt: '' }),
        h('h1', { className: styles.title }, pluginJson.name)
      ),
      h(
        ui.TabsBar,
        null,
        pages.map((p) =>
          h(ui.Tab, {
            key: p.id,
            label: p.title,
            icon: p.icon,
            active: p === page,
            href: `/plugins/${pluginJson.id}?page=${p.id}`,
          })
        )
      ),
      h(
        ui.TabContent,
        { style: { paddingTop: 16 } },
        page
          ? h(Boundary, { name: `config page ${page.id}` }, h(page.body, { plugin, query }))
          : h(ui.Alert, { severity: 'warning', title: 'The app has no configuration page' })
      )
    );
  }

  /** /d/harness/:panel — the panel in a panel frame, with Grafana's PanelProps. */
  function PanelPage({ plugin }) {
    const location = useLocation();
    const query = parseQuery(location.search);
    const width = Number(query.width ?? 560);
    const height = Number(query.height ?? 320);
    const timeRange = React.useMemo(() => {
      const to = data.dateTime();
      const from = data.dateTime(to).subtract(6, 'hours');
      return { from, to, raw: { from: 'now-6h', to: 'now' } };
    }, []);
    const [options, setOptions] = React.useState(() => ({
      ...plugin.defaults,
      ...(query.options ? JSON.parse(query.options) : {}),
    }));
    const [fieldConfig, setFieldConfig] = React.useState(
      () => plugin.fieldConfigDefaults ?? { defaults: {}, overrides: [] }
    );
    const eventBus = React.useMemo(() => new data.EventBusSrv(), []);
    const panelData = React.useMemo(() => ({ state: data.LoadingState.Done, series: [], timeRange }), [timeRange]);
    const Panel = plugin.panel;
    const title = query.title ?? 'Backup age';
    return h(
      Frame,
      { crumbs: [{ text: 'Dashboards' }, { text: 'Harness' }, { text: title }] },
      h('h1', { className: styles.title, style: { marginBottom: 16 } }, 'Backup SLA harness dashboard'),
      h(
        'div',
        { style: { width, height }, 'data-testid': 'harness-panel' },
        h(
          ui.PanelChrome,
          { width, height, title, padding: plugin.noPadding ? 'none' : 'md' },
          (innerWidth, innerHeight) =>
            h(
              Boundary,
              { name: `panel ${plugin.meta.id}` },
              h(Panel, {
                id: 1,
                data: panelData,
                timeRange,
                timeZone: 'browser',
                options,
                fieldConfig,
                transparent: false,
                width: innerWidth,
                height: innerHeight,
                renderCounter: 0,
                title,
                eventBus,
                replaceVariables: (s) => s,
                onOptionsChange: setOptions,
                onFieldConfigChange: setFieldConfig,
                onChangeTimeRange: () => undefined,
              })
            )
        )
      )
    );
  }

  async function loadPanelPlugin() {
    const meta = await getSettings(harness.panelId);
    const exports = await importAmd(`/${meta.module}`);
    const plugin = exports.plugin;
    if (!plugin || !(plugin instanceof data.PanelPlugin)) {
      throw new Error('the panel module does not export `plugin` as a PanelPlugin (from the shared @grafana/data)');
    }
    plugin.meta = meta;
    return plugin;
  }

  function LoadError({ error }) {
    return h(
      Frame,
      { crumbs: [{ text: 'Harness' }] },
      h(
        ui.Alert,
        { severity: 'error', title: 'The harness could not load the plugin', 'data-testid': 'harness-load-error' },
        h('pre', null, String(error.stack ?? error))
      )
    );
  }

  async function main() {
    harness.marks = { start: performance.now() };
    const root = createRoot(document.getElementById('reactRoot'));
    let page;
    try {
      if (harness.mode === 'panel') {
        const plugin = await loadPanelPlugin();
        page = h(Routes, null, h(Route, { path: '/d/:uid/*', element: h(PanelPage, { plugin }) }));
      } else {
        const plugin = await loadAppPlugin();
        harness.marks.pluginLoaded = performance.now();
        page =
          harness.mode === 'config'
            ? h(Routes, null, h(Route, { path: '/plugins/:pluginId', element: h(ConfigPage, { plugin }) }))
            : h(Routes, null, h(Route, { path: `/a/${pluginJson.id}/*`, element: h(AppRootPage, { plugin }) }));
      }
    } catch (err) {
      pushError('load', err);
      page = h(LoadError, { error: err });
    }
    root.render(h(Shell, null, page));
    harness.marks.rendered = performance.now();
    harness.ready = true;
  }

  main();
}
