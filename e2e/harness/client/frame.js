/**
 * Grafana's page chrome around a plugin page, reduced: the top bar with breadcrumbs (built from the
 * plugin's pageNav and its parentItem chain, as Grafana's buildBreadcrumbs does), the app's nav
 * (docked from 1200 px wide as Grafana's mega menu, a toggle below), the page header that
 * PluginPage draws (title, subtitle, actions), toasts, and the harness's role and theme switches.
 */
export function createFrame({ shared, theme, pluginJson, alertListeners }) {
  const React = shared.react;
  const h = React.createElement;
  const ui = shared['@grafana/ui'];
  const runtime = shared['@grafana/runtime'];
  const { useLocation } = shared['react-router'];
  const { css } = shared['@emotion/css'];
  const config = runtime.config;

  const navIncludes = (pluginJson.includes ?? []).filter((i) => i.type === 'page' && i.addToNav);
  const roleRank = { Viewer: 1, Editor: 2, Admin: 3 };
  const userRole = config.bootData.user.orgRole;
  const visibleNav = navIncludes.filter((i) => !i.role || (roleRank[userRole] ?? 0) >= (roleRank[i.role] ?? 0));
  const includePath = (i) => i.path.replace('%PLUGIN_ID%', pluginJson.id);
  const DOCKED = theme.breakpoints.up('xl');

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
      flexWrap: 'wrap',
    }),
    crumbs: css({
      display: 'flex',
      gap: theme.spacing(1),
      color: theme.colors.text.secondary,
      flex: 1,
      minWidth: 0,
      '& a': { color: theme.colors.text.secondary },
      '& [aria-current="page"]': { color: theme.colors.text.primary },
    }),
    body: css({ display: 'flex', flex: 1, minHeight: 0 }),
    sidenav: css({
      width: 200,
      flexShrink: 0,
      padding: theme.spacing(2, 1),
      borderRight: `1px solid ${theme.colors.border.weak}`,
      background: theme.colors.background.primary,
      display: 'none',
      [DOCKED]: { display: 'block' },
      '&[data-open="true"]': { display: 'block', position: 'absolute', zIndex: theme.zIndex.sidemenu, height: '100%' },
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
    menuToggle: css({ [DOCKED]: { display: 'none' } }),
    navTitle: css({
      padding: theme.spacing(0, 1.5, 1),
      color: theme.colors.text.secondary,
      fontSize: theme.typography.bodySmall.fontSize,
    }),
    main: css({
      flex: 1,
      minWidth: 0,
      padding: theme.spacing(2, 2),
      [theme.breakpoints.up('md')]: { padding: theme.spacing(3, 4) },
    }),
    header: css({
      display: 'flex',
      alignItems: 'center',
      gap: theme.spacing(2),
      marginBottom: theme.spacing(3),
      flexWrap: 'wrap',
    }),
    title: css({ margin: 0, fontSize: theme.typography.h2.fontSize }),
    subTitle: css({ color: theme.colors.text.secondary, marginTop: theme.spacing(0.5) }),
    switches: css({
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

  function Switches() {
    const strip = (name) => window.location.search.replace(new RegExp(`[?&]${name}=[^&]*`, 'g'), '');
    const link = (name, value) => {
      const rest = strip(name);
      return `${window.location.pathname}${rest}${rest ? '&' : '?'}${name}=${value}`;
    };
    return h(
      'div',
      { className: styles.switches, 'aria-label': 'Harness switches' },
      h('span', null, `Signed in as ${config.bootData.user.login} (${userRole}) · role:`),
      ['Viewer', 'Editor', 'Admin'].map((r) =>
        h('a', { key: r, href: link('role', r), 'aria-current': r === userRole ? 'true' : undefined }, r)
      ),
      h('span', null, '· theme:'),
      ['dark', 'light'].map((t) =>
        h('a', { key: t, href: link('theme', t), 'aria-current': t === theme.colors.mode ? 'true' : undefined }, t)
      )
    );
  }

  /** Breadcrumbs: Home › Apps › app › section (› pageNav's parents › pageNav). */
  function Crumbs({ crumbs }) {
    return h(
      'nav',
      { className: styles.crumbs, 'aria-label': 'Breadcrumbs' },
      h('span', null, 'Home'),
      crumbs.flatMap((c, i) => [
        h('span', { key: `s${i}`, 'aria-hidden': true }, '›'),
        c.url && i < crumbs.length - 1
          ? h(
              'a',
              {
                key: i,
                href: c.url,
                onClick: (e) => {
                  if (c.url.startsWith('/a/')) {
                    e.preventDefault();
                    runtime.locationService.push(c.url);
                  }
                },
              },
              c.text
            )
          : h('span', { key: i, 'aria-current': i === crumbs.length - 1 ? 'page' : undefined }, c.text),
      ])
    );
  }

  /** The plugin's pageNav, set by PluginPage, feeds the breadcrumbs. */
  const PageNavContext = React.createContext({ setPageNav: () => undefined });

  function Frame({ crumbs, children }) {
    const location = useLocation();
    const [pageNav, setPageNav] = React.useState(null);
    const [menuOpen, setMenuOpen] = React.useState(false);
    const all = [...crumbs];
    if (pageNav) {
      const chain = [];
      for (let n = pageNav; n; n = n.parentItem) {
        chain.unshift({ text: n.text, url: n.url });
      }
      // Grafana drops a parent that is the section itself.
      const last = all[all.length - 1];
      all.push(...chain.filter((c, i) => !(i === 0 && last && c.url === last.url)));
    }
    return h(
      PageNavContext.Provider,
      { value: { setPageNav } },
      h(
        'div',
        { className: styles.shell },
        h(
          'div',
          { className: styles.topbar },
          h(ui.IconButton, {
            name: 'bars',
            'aria-label': 'Open menu',
            className: styles.menuToggle,
            onClick: () => setMenuOpen((o) => !o),
          }),
          h(Crumbs, { crumbs: all }),
          h(Switches)
        ),
        h(
          'div',
          { className: styles.body },
          h(
            'nav',
            { className: styles.sidenav, 'aria-label': 'App navigation', 'data-open': String(menuOpen) },
            h('div', { className: styles.navTitle }, pluginJson.name),
            visibleNav.map((i) =>
              h(
                'a',
                {
                  key: i.name,
                  href: includePath(i),
                  'aria-current': location.pathname.startsWith(includePath(i)) ? 'page' : undefined,
                  onClick: (e) => {
                    setMenuOpen(false);
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
      )
    );
  }

  /** PluginPage: the page header Grafana draws for app pages (title from the nav, pageNav on top). */
  function HarnessPluginPage({ pageNav, actions, subTitle, info, renderTitle, children }) {
    const location = useLocation();
    const { setPageNav } = React.useContext(PageNavContext);
    React.useEffect(() => {
      setPageNav(pageNav ?? null);
      return () => setPageNav(null);
    }, [pageNav?.text, pageNav?.parentItem?.text, pageNav?.parentItem?.url]);
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
          { style: { flex: 1, minWidth: 0 } },
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

  return { Frame, HarnessPluginPage, sectionFor, includePath, styles };
}
