/**
 * The three kinds of Grafana page the harness serves, chosen by the server from the URL like
 * Grafana's routes:
 *   /a/<app id>/...      AppRootPage: plugin.root with AppRootProps
 *   /plugins/<app id>    the configuration tab of the plugin details page (plugin.configPages)
 *   /d/<uid>             a dashboard (GET /api/dashboards/uid/<uid>) with its backup-age panel in a PanelChrome, with the
 *                        dashboard's time range and refresh picker (a refresh gives the panel a new
 *                        time range, as Grafana does for panels that skip the data query)
 */
export function createModes({ shared, frame, pluginJson, pushError, harness }) {
  const React = shared.react;
  const h = React.createElement;
  const data = shared['@grafana/data'];
  const ui = shared['@grafana/ui'];
  const { useLocation } = shared['react-router'];
  const { Frame, styles } = frame;

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

  const parseQuery = (search) => Object.fromEntries(new URLSearchParams(search));

  function AppRootPage({ plugin }) {
    const location = useLocation();
    const [nav, setNav] = React.useState(null);
    const section = frame.sectionFor(location.pathname);
    const Root = plugin.root;
    harness.nav = nav;
    return h(
      Frame,
      {
        crumbs: [
          { text: 'Apps' },
          { text: pluginJson.name, url: `/a/${pluginJson.id}` },
          ...(section ? [{ text: section.name, url: frame.includePath(section) }] : []),
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

  function relativeRange(raw) {
    const to = data.dateTime();
    const from = data.dateMath.parse(raw.from, false) ?? data.dateTime(to).subtract(6, 'hours');
    return { from, to, raw };
  }

  /** The dashboard (GET /api/dashboards/uid/<uid>) and its first panel of the app's panel type. */
  function useDashboardPanel(uid, panelType) {
    const [state, setState] = React.useState({ loading: true });
    React.useEffect(() => {
      let live = true;
      shared['@grafana/runtime']
        .getBackendSrv()
        .get(`/api/dashboards/uid/${encodeURIComponent(uid)}`)
        .then(
          (r) =>
            live &&
            setState({ dashboard: r.dashboard, panel: (r.dashboard.panels ?? []).find((p) => p.type === panelType) }),
          (err) => live && setState({ error: err })
        );
      return () => {
        live = false;
      };
    }, [uid, panelType]);
    return state;
  }

  function PanelPage({ plugin }) {
    const location = useLocation();
    const query = parseQuery(location.search);
    const uid = location.pathname.split('/')[2] ?? 'harness';
    const { dashboard, panel, error } = useDashboardPanel(uid, plugin.meta.id);
    if (error || (dashboard && !panel)) {
      return h(
        Frame,
        { crumbs: [{ text: 'Dashboards' }, { text: uid }] },
        h(ui.Alert, {
          severity: 'error',
          title: error ? 'Dashboard not found' : `No ${plugin.meta.id} panel on this dashboard`,
        })
      );
    }
    if (!panel) {
      return h(Frame, { crumbs: [{ text: 'Dashboards' }] }, h(ui.LoadingPlaceholder, { text: 'Loading dashboard…' }));
    }
    return h(PanelView, { plugin, dashboard, panel, query });
  }

  function PanelView({ plugin, dashboard, panel, query }) {
    const width = Number(query.width ?? 560);
    const height = Number(query.height ?? 320);
    const [timeRange, setTimeRange] = React.useState(() => relativeRange({ from: 'now-6h', to: 'now' }));
    const [options, setOptions] = React.useState(() => ({
      ...plugin.defaults,
      ...(panel.options ?? {}),
      ...(query.options ? JSON.parse(query.options) : {}),
    }));
    const [fieldConfig, setFieldConfig] = React.useState(
      () => plugin.fieldConfigDefaults ?? { defaults: {}, overrides: [] }
    );
    const eventBus = React.useMemo(() => new data.EventBusSrv(), []);
    const panelData = React.useMemo(() => ({ state: data.LoadingState.Done, series: [], timeRange }), [timeRange]);
    const refresh = () => {
      harness.refreshes = (harness.refreshes ?? 0) + 1;
      setTimeRange((r) => relativeRange(r.raw));
    };
    const Panel = plugin.panel;
    const title = query.title ?? panel.title ?? 'Backup age';
    return h(
      Frame,
      { crumbs: [{ text: 'Dashboards' }, { text: dashboard.title }] },
      h(
        'div',
        { className: styles.header },
        h('h1', { className: styles.title, style: { flex: 1 } }, dashboard.title),
        h(ui.RefreshPicker, {
          value: '',
          onRefresh: refresh,
          onIntervalChanged: () => undefined,
          tooltip: 'Refresh dashboard',
        })
      ),
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
                id: panel.id ?? 1,
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

  return { AppRootPage, ConfigPage, PanelPage, LoadError };
}
