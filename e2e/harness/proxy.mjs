/**
 * Grafana's app plugin proxy (`/api/plugin-proxy/<plugin id>/<path>`), as Grafana 10+ implements
 * it in pkg/api/plugin_proxy.go and pkg/api/pluginproxy/pluginproxy.go:
 *
 *  - the proxy path is the request path after the plugin id, cleaned (Go's path.Join("/", ...));
 *  - routes are walked in order; a route whose method is set (and not "*") and differs from the
 *    request's is skipped; a route whose `path` pattern (Macaron's router tree: static segments,
 *    `*` catch-all, `:name` holders) does not match is skipped;
 *  - the first route left is taken: if the user's org role does not include its `reqRole`, the
 *    answer is 403 {"message":"plugin proxy route access denied"} and no later route is tried;
 *  - the part matched by `*` becomes the new proxy path (no `*`: empty), appended to the route's
 *    url (util.JoinURLFragments); the request's query string is kept;
 *  - the url and the route headers are Go templates over {JsonData, SecureJsonData}; a missing key
 *    renders as "<no value>", as text/template does;
 *  - no route: 404 {"message":"plugin route match not found"}.
 *
 * Pure functions here; server.mjs does the HTTP.
 */
import path from 'node:path';

const ROLE_RANK = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

/** Go's org role Includes(): Admin ⊇ Editor ⊇ Viewer. */
export function roleIncludes(userRole, required) {
  return (ROLE_RANK[userRole] ?? 0) >= (ROLE_RANK[required] ?? Infinity);
}

/** Go's path.Join("/", p) for the proxy path: cleans "//", ".", ".." and drops a trailing "/". */
export function cleanProxyPath(rawPath) {
  const joined = path.posix.join('/', rawPath);
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

const PROXY_PREFIX = /^\/api\/plugin-proxy\/([\w-]+)\/?/;

/** Splits `/api/plugin-proxy/<id>/<rest>` into the plugin id and the cleaned proxy path. */
export function parseProxyUrl(pathname) {
  const m = PROXY_PREFIX.exec(pathname);
  if (!m) {
    return null;
  }
  return { pluginId: m[1], proxyPath: cleanProxyPath(pathname.replace(PROXY_PREFIX, '')) };
}

function unescapePath(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** One segment's pattern type, as web.checkPattern. */
function segmentType(pattern) {
  const p = pattern.replace(/^\?+/, '');
  if (p === '*') {
    return { type: 'all' };
  }
  if (p === '*.*') {
    return { type: 'ext' };
  }
  if (p.includes(':')) {
    // ":name" alone is a holder; anything else with ":" is a regexp segment.
    if (/^:[a-zA-Z0-9]+$/.test(p)) {
      return { type: 'holder', name: p };
    }
    const names = [];
    const source = p.replace(/:[a-zA-Z0-9]+(\([^)]*\))?/g, (whole, group) => {
      names.push(whole.replace(/\(.*$/, ''));
      if (group) {
        return group;
      }
      return '(.+)';
    });
    return { type: 'regexp', names, reg: new RegExp(source) };
  }
  return { type: 'static', value: p };
}

/**
 * Matches one route pattern against a proxy path the way a web.Tree holding only that pattern
 * does (pkg/web/tree.go). Returns the params ({"*": rest} for a catch-all) or null.
 */
export function matchRoutePattern(pattern, proxyPath) {
  const segments = pattern.replace(/\/+$/, '').replace(/^\/+/, '').split('/');
  const leaf = segments.length - 1;
  let url = proxyPath.replace(/^\//, '').replace(/\/$/, '');
  const params = {};

  const matchLeaf = (value) => {
    const u = unescapePath(value);
    if (u === null) {
      return false;
    }
    const t = segmentType(segments[leaf]);
    switch (t.type) {
      case 'static':
        return t.value === u;
      case 'regexp': {
        const r = t.reg.exec(u);
        if (!r || r.length - 1 !== t.names.length) {
          return false;
        }
        t.names.forEach((n, i) => (params[n] = r[i + 1]));
        return true;
      }
      case 'ext': {
        const j = u.lastIndexOf('.');
        params[':path'] = j > -1 ? u.slice(0, j) : u;
        if (j > -1) {
          params[':ext'] = u.slice(j + 1);
        }
        return true;
      }
      case 'holder':
        params[t.name] = u;
        return true;
      case 'all':
        params['*'] = u;
        return true;
    }
    return false;
  };

  // depth = how many segments of the pattern are consumed as subtrees.
  const matchNext = (depth, rest) => {
    const slash = rest.indexOf('/');
    if (slash === -1) {
      return depth === leaf ? matchLeaf(rest) : false;
    }
    const segment = rest.slice(0, slash);
    const after = rest.slice(slash + 1);
    if (depth < leaf) {
      const seg = unescapePath(segment);
      if (seg === null) {
        return false;
      }
      const t = segmentType(segments[depth]);
      if (t.type === 'static' && t.value === seg && matchNext(depth + 1, after)) {
        return true;
      }
      if (t.type === 'regexp') {
        const r = t.reg.exec(seg);
        if (r && r.length - 1 === t.names.length) {
          t.names.forEach((n, i) => (params[n] = r[i + 1]));
          if (matchNext(depth + 1, after)) {
            return true;
          }
        }
      }
      if (t.type === 'holder' && matchNext(depth + 1, after)) {
        params[t.name] = seg;
        return true;
      }
      if (t.type === 'all' && matchNext(depth + 1, after)) {
        return true;
      }
      return false;
    }
    // At the leaf level with more segments left: only a catch-all leaf takes the rest.
    const t = segmentType(segments[leaf]);
    const whole = unescapePath(`${segment}/${after}`);
    if (whole === null) {
      return false;
    }
    if (t.type === 'all') {
      params['*'] = whole;
      return true;
    }
    if (t.type === 'ext') {
      const j = whole.lastIndexOf('.');
      params[':path'] = j > -1 ? whole.slice(0, j) : whole;
      if (j > -1) {
        params[':ext'] = whole.slice(j + 1);
      }
      return true;
    }
    return false;
  };

  return matchNext(0, url) ? params : null;
}

/** Go's util.JoinURLFragments. */
export function joinUrlFragments(a, b) {
  if (b.length === 0) {
    return a;
  }
  const aslash = a.endsWith('/');
  const bslash = b.startsWith('/');
  if (aslash && bslash) {
    return a + b.slice(1);
  }
  if (!aslash && !bslash) {
    return `${a}/${b}`;
  }
  return a + b;
}

/**
 * The subset of Go's text/template that plugin routes use: `{{ .JsonData.key }}`,
 * `{{ .SecureJsonData.key }}`, optionally piped to `orEmpty`. Anything else throws, as a template
 * Grafana cannot parse or execute makes the proxy answer 500.
 */
export function interpolate(template, data) {
  return template.replace(/\{\{(.*?)\}\}/g, (_, expr) => {
    const m = /^\s*\.(JsonData|SecureJsonData)\.([A-Za-z0-9_]+)\s*(\|\s*orEmpty\s*)?$/.exec(expr);
    if (!m) {
      throw new Error(`template expression not supported by the harness: {{${expr}}}`);
    }
    const [, section, key, orEmpty] = m;
    const value = data[section]?.[key];
    if (value === undefined || value === null) {
      return orEmpty ? '' : '<no value>';
    }
    return String(value);
  });
}

/**
 * Picks the route for a request. Returns one of
 *   {kind: 'notFound'}                        → 404 plugin route match not found
 *   {kind: 'forbidden', route, index}         → 403 plugin proxy route access denied
 *   {kind: 'route', route, index, rest}       → proxy to the route (rest: the new proxy path)
 */
export function selectRoute(routes, method, proxyPath, userRole) {
  for (let index = 0; index < (routes ?? []).length; index++) {
    const route = routes[index];
    if (route.method && route.method !== '*' && route.method !== method) {
      continue;
    }
    const params = matchRoutePattern(route.path ?? '', proxyPath);
    if (!params) {
      continue;
    }
    if (route.reqAction) {
      // RBAC actions need Grafana's access control; the harness knows roles only.
      return { kind: 'forbidden', route, index, why: 'reqAction is not supported by the harness' };
    }
    if (route.reqRole && ROLE_RANK[route.reqRole] !== undefined && !roleIncludes(userRole, route.reqRole)) {
      return { kind: 'forbidden', route, index };
    }
    return { kind: 'route', route, index, rest: '*' in params ? params['*'] : '' };
  }
  return { kind: 'notFound' };
}

/** Escapes a cleaned path for a URL, segment by segment (Go's URL.EscapedPath). */
export function escapePath(p) {
  return p
    .split('/')
    .map((s) =>
      encodeURIComponent(s)
        .replace(/%3A/gi, ':')
        .replace(/%40/g, '@')
        .replace(/%2C/gi, ',')
        .replace(/%3D/gi, '=')
        .replace(/%2B/gi, '+')
        .replace(/%24/g, '$')
        .replace(/%26/g, '&')
    )
    .join('/');
}

/**
 * The upstream request for a selected route: URL (with the request's query) and the headers the
 * route adds. Throws when a template cannot be rendered.
 */
export function upstreamFor(route, rest, search, settings) {
  const data = { JsonData: settings.jsonData ?? {}, SecureJsonData: settings.secureJsonData ?? {} };
  const target = new URL(interpolate(route.url, data));
  const pathname = joinUrlFragments(
    target.pathname === '/' && !route.url.replace(/^[a-z]+:\/\/[^/]*/i, '').startsWith('/') ? '' : target.pathname,
    rest
  );
  const url = new URL(target.origin);
  url.pathname = escapePath(pathname.startsWith('/') ? pathname : `/${pathname}`);
  url.search = search;
  const headers = {};
  for (const header of route.headers ?? []) {
    headers[header.name] = interpolate(header.content, data);
  }
  let body;
  if (route.body !== undefined) {
    body = interpolate(JSON.stringify(route.body), data);
  }
  return { url, headers, body };
}
