import { PLUGIN_BASE_URL, ROUTES } from '../constants';

/** Prefixes an app route with the app's base URL. */
export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}

export function targetUrl(target: string): string {
  return prefixRoute(`${ROUTES.Target}/${encodeURIComponent(target)}`);
}
