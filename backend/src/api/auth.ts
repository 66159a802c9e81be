/**
 * The service's own second wall behind Grafana's route roles (docs/design.md §2): one bearer token per
 * role, read from files, compared in constant time. Roles are ordered viewer < operator < admin.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiConfig, Role } from '../config/types';
import { readSecret, tokenProblem } from '../config/secret';

export const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function atLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whom a presented token belongs to: Grafana (one of api.tokens) or another client (api.clients). */
export interface TokenHolder {
  role: Role;
  /** The client's name (api.clients); null for the tokens Grafana holds. */
  client: string | null;
}

interface Entry extends TokenHolder {
  digest: Buffer;
}

export class TokenAuth {
  private entries: Entry[];

  constructor(tokens: Record<Role, string>, clients: Array<{ name: string; role: Role; token: string }> = []) {
    const seen = new Map<string, string>();
    const all = [
      ...ROLES.map((role) => ({ what: `the ${role} token`, role, client: null, token: tokens[role] })),
      ...clients.map((c) => ({ what: `client ${c.name}'s token`, role: c.role, client: c.name, token: c.token })),
    ];
    for (const e of all) {
      const problem = tokenProblem(e.token);
      if (problem) {
        throw new Error(`api: ${e.what}: ${problem}`);
      }
      const other = seen.get(e.token);
      if (other) {
        // The same token for two roles would make the weaker one as strong as the other.
        throw new Error(`api: ${other} and ${e.what} are the same; each role and client needs its own token`);
      }
      seen.set(e.token, e.what);
    }
    this.entries = all.map((e) => ({ role: e.role, client: e.client, digest: digest(e.token) }));
  }

  static fromConfig(api: ApiConfig): TokenAuth {
    const tokens = Object.fromEntries(ROLES.map((r) => [r, readSecret(api.tokens[r], `api.tokens.${r}`)])) as Record<
      Role,
      string
    >;
    const clients = api.clients.map((c) => ({
      name: c.name,
      role: c.role,
      token: readSecret(c.token, `api.clients ${c.name}`),
    }));
    return new TokenAuth(tokens, clients);
  }

  /**
   * Who a presented token belongs to, or null. Every digest is compared (equal-length SHA-256
   * digests, timingSafeEqual), so the time taken says nothing about which one matched.
   */
  holderOf(token: string | undefined): TokenHolder | null {
    if (!token) {
      return null;
    }
    const presented = digest(token);
    let found: TokenHolder | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(presented, e.digest)) {
        found = { role: e.role, client: e.client };
      }
    }
    return found;
  }

  /** Takes the tokens of another TokenAuth (tokens rotated, read again on reload). */
  update(from: TokenAuth): void {
    this.entries = from.entries;
  }

  /** The role a presented token grants, or null. */
  roleOf(token: string | undefined): Role | null {
    return this.holderOf(token)?.role ?? null;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what was sent. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i);
  return m?.[1];
}

/** The longest Grafana user name accepted (Grafana's logins and e-mail addresses are shorter). */
export const MAX_USER_LENGTH = 100;

/**
 * Characters a name must not hold: control characters, and the bidirectional overrides and
 * isolates that make a name read differently from what it is (CVE-2021-42574, "Trojan Source").
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The Grafana user forwarded in X-Grafana-User, if it is acceptable (printable, at most 100
 * characters, no bidirectional overrides); Node hands header bytes over as latin1, so UTF-8
 * names are decoded here.
 */
export function grafanaUser(header: string | string[] | undefined): { user: string | null; problem: string | null } {
  if (header === undefined) {
    return { user: null, problem: null };
  }
  if (Array.isArray(header)) {
    return { user: null, problem: 'headers/x-grafana-user must be given once' };
  }
  let value = header.trim();
  const utf8 = Buffer.from(value, 'latin1').toString('utf8');
  if (!utf8.includes('\uFFFD')) {
    value = utf8;
  }
  if (!value || [...value].length > MAX_USER_LENGTH || FORBIDDEN.test(value)) {
    return {
      user: null,
      problem: `headers/x-grafana-user must be printable text of 1 to ${MAX_USER_LENGTH} characters, without control or bidirectional-override characters`,
    };
  }
  return { user: value, problem: null };
}
