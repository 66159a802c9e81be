import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;
/** Every call to the service goes through Grafana's plugin proxy; see the `routes` in plugin.json. */
export const PROXY_BASE_URL = `/api/plugin-proxy/${PLUGIN_ID}`;
export const CONFIG_PAGE_URL = `/plugins/${PLUGIN_ID}`;

export enum ROUTES {
  Overview = 'overview',
  Target = 'target',
  Activity = 'activity',
  History = 'history',
}

/** How often a running operation is polled (GET api/runs/:id). */
export const RUN_POLL_INTERVAL_MS = 1000;
