/**
 * The HTML page Grafana serves for every frontend route, reduced: `window.grafanaBootData` (the
 * user with their org role, the settings, the data sources, the plugins) set before the vendor
 * bundle runs, then the bundle, which plays Grafana's frontend (client/app.js).
 */
import { USERS } from './users.mjs';

export function bootData({ role, theme, baseUrl, plugins, dataSources }) {
  const user = USERS[role];
  const { app, panelId, panelJson } = plugins;
  const panel = panelJson();
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
      theme,
      lightTheme: theme === 'light',
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
      datasources: dataSources.bootList(),
      defaultDatasource: Object.values(dataSources.bootList()).find((d) => d.isDefault)?.name ?? '',
      minRefreshInterval: '5s',
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
      panels: panel
        ? {
            [panelId]: {
              id: panelId,
              name: panel.name,
              module: `public/plugins/${panelId}/module.js`,
              baseUrl: `public/plugins/${panelId}`,
              info: panel.info,
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

/** @param {'app'|'config'|'panel'} mode */
export function pageHtml({ mode, role, theme, baseUrl, plugins, dataSources }) {
  const boot = bootData({ role, theme, baseUrl, plugins, dataSources });
  const { app, panelId } = plugins;
  const harness = { mode, role, theme, pluginJson: plugins.appJson(), panelId };
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
<body class="theme-${theme} app-grafana">
<div id="reactRoot"></div>
<script src="/public/harness/vendor.js"></script>
</body>
</html>
`;
}
