/**
 * Who is signed in, as Grafana decides it: a session from POST /login (cookie grafana_session), or
 * the harness's own shortcut `?role=Viewer|Editor|Admin` on a page (remembered in the
 * grafana_harness_role cookie). The theme comes from `?theme=light|dark` as in Grafana, remembered.
 */
import { randomBytes } from 'node:crypto';
import { parseCookies, readJsonBody, sendJson } from './http.mjs';

export const ROLES = ['Viewer', 'Editor', 'Admin'];
export const ROLE_COOKIE = 'grafana_harness_role';
export const THEME_COOKIE = 'grafana_harness_theme';
export const SESSION_COOKIE = 'grafana_session';

/** The users of the harness's one organisation; the password of each is its login. */
export const USERS = {
  Viewer: { id: 3, uid: 'harness-viewer', login: 'viewer', name: 'Vera Viewer', email: 'viewer@lab.local' },
  Editor: { id: 2, uid: 'harness-editor', login: 'editor', name: 'Ed Editor', email: 'editor@lab.local' },
  Admin: { id: 1, uid: 'harness-admin', login: 'admin', name: 'Ada Admin', email: 'admin@lab.local' },
};

export function userByLogin(login) {
  const role = ROLES.find((r) => USERS[r].login === login);
  return role ? { role, ...USERS[role] } : null;
}

export function createSessions(defaultRole) {
  /** session id → role */
  const sessions = new Map();
  return {
    /** POST /login {user, password}: Grafana's form login. */
    login(user, password) {
      const u = userByLogin(user);
      if (!u || password !== u.login) {
        return null;
      }
      const id = randomBytes(16).toString('hex');
      sessions.set(id, u.role);
      return { id, role: u.role };
    },
    /**
     * The request's user role: basic auth (API clients), the page's ?role=, then the role cookie,
     * then the session, then the default.
     */
    roleOf(req, url) {
      const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (basic) {
        const [login, ...rest] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
        const u = userByLogin(login);
        return u && rest.join(':') === u.login ? u.role : 'None';
      }
      const fromQuery = url.searchParams.get('role');
      if (fromQuery && ROLES.includes(fromQuery)) {
        return fromQuery;
      }
      const cookies = parseCookies(req.headers.cookie);
      if (ROLES.includes(cookies[ROLE_COOKIE])) {
        return cookies[ROLE_COOKIE];
      }
      const session = sessions.get(cookies[SESSION_COOKIE]);
      return session ?? defaultRole;
    },
  };
}

export function themeOf(req, url) {
  const fromQuery = url.searchParams.get('theme');
  if (fromQuery === 'light' || fromQuery === 'dark') {
    return fromQuery;
  }
  const cookie = parseCookies(req.headers.cookie)[THEME_COOKIE];
  return cookie === 'light' ? 'light' : 'dark';
}

/** Cookies that remember a ?role= or ?theme= given on a page. */
export function rememberCookies(url) {
  const cookies = [];
  const role = url.searchParams.get('role');
  if (role && ROLES.includes(role)) {
    cookies.push(`${ROLE_COOKIE}=${role}; Path=/; SameSite=Lax`);
  }
  const theme = url.searchParams.get('theme');
  if (theme === 'light' || theme === 'dark') {
    cookies.push(`${THEME_COOKIE}=${theme}; Path=/; SameSite=Lax`);
  }
  return cookies.length ? { 'Set-Cookie': cookies } : {};
}

/**
 * The part of Grafana's user admin API a test set-up uses to find its users. The harness's users are
 * fixed: creating one that exists answers 412 as Grafana does, and an org role can only be "set" to
 * the one the user has.
 *   POST  /api/admin/users                 {name, login, password}
 *   GET   /api/users/lookup?loginOrEmail=
 *   PATCH /api/org/users/<id>              {role}
 */
export async function usersApi(req, res, url, role) {
  const p = url.pathname;
  if (p === '/api/users/lookup' && req.method === 'GET') {
    const u = userByLogin(url.searchParams.get('loginOrEmail') ?? '');
    if (!u) {
      sendJson(res, 404, { message: 'user not found' });
    } else {
      sendJson(res, 200, { id: u.id, uid: u.uid, login: u.login, name: u.name, email: u.email, isGrafanaAdmin: false });
    }
    return true;
  }
  if (p === '/api/admin/users' && req.method === 'POST') {
    if (role !== 'Admin') {
      sendJson(res, 403, { message: 'Permission denied' });
      return true;
    }
    const body = await readJsonBody(req);
    const u = userByLogin(String(body?.login ?? ''));
    if (u) {
      sendJson(res, 412, { message: 'User with same login already exists' });
    } else {
      sendJson(res, 400, { message: 'the harness has only the users viewer, editor and admin' });
    }
    return true;
  }
  const patch = /^\/api\/org\/users\/(\d+)$/.exec(p);
  if (patch && req.method === 'PATCH') {
    const body = await readJsonBody(req);
    const u = ROLES.map((r) => ({ role: r, ...USERS[r] })).find((x) => x.id === Number(patch[1]));
    if (role !== 'Admin') {
      sendJson(res, 403, { message: 'Permission denied' });
    } else if (!u) {
      sendJson(res, 404, { message: 'user not found' });
    } else if (body?.role !== u.role) {
      sendJson(res, 400, { message: `the harness's ${u.login} is an org ${u.role}` });
    } else {
      sendJson(res, 200, { message: 'Organization user updated' });
    }
    return true;
  }
  return false;
}
