/**
 * The service's own second wall behind Grafana's route roles (DESIGN §2): one bearer token per
 * role, read from files, compared in constant time. Roles are ordered viewer < operator < admin.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiConfig, Role } from '../config/types';
import { readSecret } from '../config/secret';

export const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function atLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class TokenAuth {
  private readonly digests: Array<{ role: Role; digest: Buffer }>;

  constructor(tokens: Record<Role, string>) {
    const seen = new Map<string, Role>();
    for (const role of ROLES) {
      const other = seen.get(tokens[role]);
      if (other) {
        // The same token for two roles would make the weaker one as strong as the other.
        throw new Error(`api.tokens: the ${other} and ${role} tokens are the same; each role needs its own token`);
      }
      seen.set(tokens[role], role);
    }
    this.digests = ROLES.map((role) => ({ role, digest: digest(tokens[role]) }));
  }

  static fromConfig(api: ApiConfig): TokenAuth {
    const tokens = Object.fromEntries(ROLES.map((r) => [r, readSecret(api.tokens[r], `api.tokens.${r}`)])) as Record<
      Role,
      string
    >;
    return new TokenAuth(tokens);
  }

  /**
   * The role a presented token grants, or null. Every role's digest is compared (equal-length
   * SHA-256 digests, timingSafeEqual), so the time taken says nothing about which one matched.
   */
  roleOf(token: string | undefined): Role | null {
    if (!token) {
      return null;
    }
    const presented = digest(token);
    let found: Role | null = null;
    for (const d of this.digests) {
      if (timingSafeEqual(presented, d.digest)) {
        found = d.role;
      }
    }
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what was sent. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i);
  return m?.[1];
}

/**
 * The Grafana user forwarded in X-Grafana-User, if it is acceptable (printable, at most 100
 * characters); Node hands header bytes over as latin1, so UTF-8 names are decoded here.
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
  // eslint-disable-next-line no-control-regex
  if (!value || [...value].length > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    return { user: null, problem: 'headers/x-grafana-user must be printable text of 1 to 100 characters' };
  }
  return { user: value, problem: null };
}
