/**
 * The configuration of a lab of several machines (issue 14): this instance's name, its peers (the
 * services on the other machines, with the tokens to ask them), and what a repository shared with
 * them needs (S3 credentials, a CA file, which instance prunes it). Kept apart from load.ts, which
 * calls in here, so that the single-machine configuration stays as it was.
 *
 * ```yaml
 * instance: app1                       # default: the host name
 * peers:
 *   mon1:
 *     url: http://10.0.0.12:8470
 *     tokens: { viewer: ./secrets/mon1-viewer.token, operator: ./secrets/mon1-operator.token, admin: ./secrets/mon1-admin.token }
 * repositories:
 *   shared:
 *     url: s3:https://s3.lab:9000/backups/lab
 *     passwordFile: ./secrets/repo.pass
 *     s3: { accessKeyFile: ./secrets/s3.key, secretKeyFile: ./secrets/s3.secret }
 *     caFile: ./secrets/s3-ca.pem      # restic --cacert (a private certificate authority)
 *     pruneBy: mon1                    # only mon1 prunes; the others forget without --prune
 * ```
 */
import os from 'node:os';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { cronField, doc, durationField, roleTokens, TOP_DESCRIPTIONS } from './schema';
import { parseDuration } from './duration';
import type { PeerConfig, RepositoryConfig, Role, SecretRef } from './types';
import type { SchemaHelpers } from '../targets/types';

/** Instance names go into URLs (`/api/targets/<instance>/<target>`), snapshot tags and metrics. */
export const INSTANCE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const INSTANCE_HINT = 'instance names: lower-case letters, digits, ., - and _ (at most 63)';

/** Peers answer within this bound or count as unreachable (status must answer within 2 s). */
export const DEFAULT_PEER_TIMEOUT_MS = 1500;

/** The pruning instance prunes a shared repository weekly unless told otherwise. */
export const DEFAULT_PRUNE_SCHEDULE = '0 5 * * 0';

/** This machine's name when the configuration gives none: the host name, as an instance name. */
export function defaultInstance(): string {
  return os.hostname().toLowerCase();
}

const existingFile = (h: SchemaHelpers) => h.path().refine((p) => existsSync(p), { message: 'file does not exist' });
const envName = () => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const instanceField = () =>
  doc(z.string().regex(INSTANCE_NAME, INSTANCE_HINT), TOP_DESCRIPTIONS.instance, 'app1');

/** The fields a repository may have beyond url/password/options. */
export function sharedRepositoryShape(h: SchemaHelpers) {
  return {
    s3: doc(
      z
        .strictObject({
          accessKeyFile: doc(existingFile(h), 'a file holding the access key', './secrets/s3.key').optional(),
          accessKeyEnv: doc(envName(), 'or the environment variable holding it', 'AWS_ACCESS_KEY_ID').optional(),
          secretKeyFile: doc(existingFile(h), 'a file holding the secret key', './secrets/s3.secret').optional(),
          secretKeyEnv: doc(envName(), 'or the environment variable holding it', 'AWS_SECRET_ACCESS_KEY').optional(),
        })
        .refine((s) => !!(s.accessKeyFile || s.accessKeyEnv) !== !!(s.accessKeyFile && s.accessKeyEnv), {
          message: 'give the access key once: accessKeyFile or accessKeyEnv',
        })
        .refine((s) => !!(s.secretKeyFile || s.secretKeyEnv) !== !!(s.secretKeyFile && s.secretKeyEnv), {
          message: 'give the secret key once: secretKeyFile or secretKeyEnv',
        }),
      's3: repositories: the key pair (never in the URL)',
      { accessKeyFile: './secrets/s3.key', secretKeyFile: './secrets/s3.secret' }
    ).optional(),
    caFile: doc(
      existingFile(h),
      'the certificate authority of a private certificate (restic --cacert)',
      './secrets/s3-ca.pem'
    ).optional(),
    pruneBy: doc(
      instanceField(),
      'a repository shared by the lab is pruned by this instance only; the others forget without pruning',
      'mon1'
    ).optional(),
    pruneSchedule: doc(
      z.union([cronField(), z.null()]),
      'when the pruning instance prunes it besides after its own forgets (cron); default weekly, Sunday 05:00; null: never on a schedule',
      '0 5 * * 0'
    ).optional(),
  };
}

export interface SharedRepositoryFields {
  url: string;
  s3?: { accessKeyFile?: string; accessKeyEnv?: string; secretKeyFile?: string; secretKeyEnv?: string };
  caFile?: string;
  pruneBy?: string;
  pruneSchedule?: string | null;
}

/** The S3 / CA / prune part of one repository, checked against the instance and its peers. */
export function sharedRepository(
  name: string,
  r: SharedRepositoryFields,
  instance: string,
  peers: string[],
  problems: string[]
): Pick<RepositoryConfig, 's3' | 'caFile' | 'prune' | 'pruneBy' | 'pruneSchedule'> {
  const prefix = `repositories.${name}`;
  const isS3 = r.url.startsWith('s3:');
  if (isS3 && !r.s3) {
    problems.push(
      `${prefix}.s3: is required for an s3: repository ({accessKeyFile or accessKeyEnv, secretKeyFile or secretKeyEnv}; never in the URL)`
    );
  }
  if (!isS3 && r.s3) {
    problems.push(`${prefix}.s3: only for s3: repositories (the url is not one)`);
  }
  if (isS3 && /^s3:[a-z]+:\/\/[^/]*@/.test(r.url)) {
    problems.push(`${prefix}.url: must not contain credentials: put them in s3.accessKeyFile / s3.secretKeyFile`);
  }
  if (r.pruneBy !== undefined && r.pruneBy !== instance && !peers.includes(r.pruneBy)) {
    problems.push(
      `${prefix}.pruneBy: unknown instance '${r.pruneBy}' (this instance: ${instance}; peers: ${peers.join(', ') || 'none'})`
    );
  }
  const prune = r.pruneBy === undefined || r.pruneBy === instance;
  const s3 = r.s3
    ? {
        accessKey: { file: r.s3.accessKeyFile, env: r.s3.accessKeyEnv } satisfies SecretRef,
        secretKey: { file: r.s3.secretKeyFile, env: r.s3.secretKeyEnv } satisfies SecretRef,
      }
    : null;
  // A shared repository is pruned on a schedule by its pruning instance: the others' forgets leave
  // data behind that only a prune gives back.
  const pruneSchedule =
    r.pruneSchedule !== undefined ? r.pruneSchedule : r.pruneBy === instance ? DEFAULT_PRUNE_SCHEDULE : null;
  return {
    s3,
    caFile: r.caFile ?? null,
    prune,
    pruneBy: r.pruneBy ?? null,
    pruneSchedule: prune ? pruneSchedule : null,
  };
}

export function peerSchema(h: SchemaHelpers) {
  return z.strictObject({
    url: doc(
      z
        .string()
        .regex(/^https?:\/\/[^\s/]+\/?$/, 'must be the base URL of the peer service, e.g. http://10.0.0.12:8470')
        .refine((u) => !/^https?:\/\/[^/]*@/.test(u), {
          message: 'must not contain credentials: the tokens are files',
        }),
      "the base URL of the peer's service",
      'http://10.0.0.12:8470'
    ),
    tokens: doc(
      roleTokens(() => existingFile(h), "the file of the peer's"),
      "the peer's own role tokens: a caller's request goes on with the token of the caller's role",
      {
        viewer: './secrets/mon1-viewer.token',
        operator: './secrets/mon1-operator.token',
        admin: './secrets/mon1-admin.token',
      }
    ),
    caFile: doc(
      existingFile(h),
      'the certificate authority of an https peer with a private certificate',
      './secrets/lab-ca.pem'
    ).optional(),
    timeout: doc(
      durationField(),
      'how long the peer may take to answer before it counts as unreachable; default 1.5 s',
      '2s'
    ).optional(),
  });
}

/** `peers:` validated: each peer's URL, its three role tokens (files), an optional CA and timeout. */
export function parsePeers(
  raw: Record<string, unknown> | undefined,
  instance: string,
  h: SchemaHelpers,
  validate: <T>(schema: z.ZodType<T>, value: unknown, prefix: string) => T | undefined,
  problems: string[]
): Record<string, PeerConfig> {
  const peers: Record<string, PeerConfig> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const prefix = `peers.${name}`;
    if (!INSTANCE_NAME.test(name)) {
      problems.push(`${prefix}: ${INSTANCE_HINT}`);
      continue;
    }
    if (name === instance) {
      problems.push(`${prefix}: '${name}' is this instance's own name (instance: ${instance})`);
      continue;
    }
    const p = validate(peerSchema(h), value, prefix);
    if (!p) {
      continue;
    }
    const tokens = Object.fromEntries(
      (['viewer', 'operator', 'admin'] as Role[]).map((role) => [role, { file: p.tokens[role] }])
    ) as Record<Role, SecretRef>;
    peers[name] = {
      name,
      url: p.url.replace(/\/$/, ''),
      tokens,
      caFile: p.caFile ?? null,
      timeoutMs: p.timeout ? parseDuration(p.timeout)! * 1000 : DEFAULT_PEER_TIMEOUT_MS,
    };
  }
  return peers;
}

/**
 * Target names address targets in `/api/targets/<target>` and `/api/targets/<instance>/<target>`:
 * a target named like an instance would make `/api/targets/<x>/snapshots` ambiguous.
 */
export function checkNames(targets: string[], instance: string, peers: string[], problems: string[]): void {
  for (const t of targets) {
    if (t === instance || peers.includes(t)) {
      problems.push(
        `targets.${t}: a target must not be named like an instance ('${t}' is ${t === instance ? 'this instance' : 'a peer'}): rename the target`
      );
    }
  }
}
