/**
 * Who is signed in, as Grafana decides it: a session from POST /login (cookie grafana_session), or
 * the harness's own shortcut `?role=Viewer|Editor|Admin` on a page (remembered in the
 * grafana_harness_role cookie). The theme comes from `?theme=light|dark` as in Grafana, remembered.
 */
import { randomBytes } from 'node:crypto';
import { parseCookies } from './http.mjs';

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
    /** The request's user role: the page's ?role=, then the role cookie, then the session, then the default. */
    roleOf(req, url) {
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
