/**
 * The configuration schema (zod). Built per load so that paths resolve against the config file's
 * folder. Every field documents itself: its error message says what is wrong, and its metadata
 * (doc()) what it means with an example, from which `backup-sla config schema` makes a JSON Schema
 * and `backup-sla config example` the commented example configuration (config/document.ts).
 */
import net from 'node:net';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import cron from 'node-cron';
import { parseDuration } from './duration';
import { secretFileProblem } from './secret';
import type { SchemaHelpers, TargetDriver } from '../targets/types';

/**
 * A field's documentation, as zod metadata: what it means and one example. The JSON Schema carries
 * both (description, examples); the example configuration writes the description as the field's
 * comment and the example where it sets nothing else.
 */
export function doc<T extends z.ZodType>(schema: T, description: string, example: unknown): T {
  return schema.meta({ description, examples: [example] }) as T;
}

/** A file holding a secret: it must exist and be private to its owner (secret.ts says what that means). */
export function secretFileField(baseDir: string) {
  return z
    .string()
    .min(1, 'must not be empty')
    .transform((p) => path.resolve(baseDir, p))
    .superRefine((p, ctx) => {
      const problem = secretFileProblem(p);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
      }
    });
}

/**
 * An http(s) URL of a service the target reads. Credentials in it would reach logs, error messages
 * and the process table; they belong in a password or token file.
 */
export function serviceUrlField(example: string, hint: string) {
  return z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, `must be an http:// or https:// URL, e.g. ${example}`)
    .refine((u) => !/^https?:\/\/[^/]*@/.test(u), {
      message: `must not contain credentials: ${hint}`,
    });
}

/** `workDir`: the configured work dir (absolute), for the restore area below it. */
export function helpers(baseDir: string, workDir = path.join(baseDir, 'data', 'work')): SchemaHelpers {
  const pathField = () =>
    z
      .string()
      .min(1, 'must not be empty')
      .transform((p) => path.resolve(baseDir, p));
  const passwordFields = () => ({
    passwordFile: doc(
      secretFileField(baseDir),
      'a file holding the password, private to the service user (mode 0600 or 0640); relative to this file',
      './secrets/password'
    ).optional(),
    passwordEnv: doc(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
      'or the environment variable holding the password (instead of passwordFile)',
      'BACKUP_SLA_PASSWORD'
    ).optional(),
  });
  return {
    path: pathField,
    passwordFields,
    secretFile: () => secretFileField(baseDir),
    restoreArea: () => path.join(workDir, 'restores'),
  };
}

/** A duration as people write it (config/duration.ts); the pattern lets editors check it too. */
const DURATION = /^\s*(\d+[smhdw])+\s*$/;
export const durationField = () =>
  z
    .string()
    .regex(DURATION, 'not a duration (use e.g. 90s, 30m, 24h, 1d, 4w)')
    // The pattern allows 0s, which is no duration; said once (a string the pattern refused is not checked again).
    .refine((s) => !DURATION.test(s) || parseDuration(s) !== null, {
      message: 'not a duration (use e.g. 90s, 30m, 24h, 1d, 4w)',
    });

export const cronField = () =>
  z.string().refine((s) => cron.validate(s), {
    message: 'not a valid cron expression (e.g. "0 2 * * *" = daily at 02:00)',
  });

const count = (what: string, example: number) =>
  doc(z.number().int('must be a whole number').min(1, 'must be at least 1'), what, example);

export const retentionSchema = doc(
  z
    .strictObject({
      keepLast: count('keep the newest N versions', 3).optional(),
      keepDaily: count('keep the newest version of each of the last N days that have one', 30).optional(),
      keepWeekly: count('keep the newest version of each of the last N weeks that have one', 4).optional(),
      keepMonthly: count('keep the newest version of each of the last N months that have one', 12).optional(),
      keepWithin: doc(durationField(), 'keep every version younger than this', '30d').optional(),
    })
    .refine((r) => Object.keys(r).length > 0, { message: 'retention must keep something (e.g. keepWeekly: 4)' }),
  "which versions are kept, by restic's forget policy (the rules add up): keepLast N, keepDaily / keepWeekly / keepMonthly N (the newest version of each of the last N days, weeks, months), keepWithin (every version younger than a duration); a version that failed verification never counts",
  { keepWeekly: 4 }
);

/** The SLA's fields of every target: when, how fresh, how fast, how many versions, where. */
export const POLICY_FIELDS = ['schedule', 'rpo', 'rto', 'retention', 'verify.schedule'] as const;

/** The fields every target has, whatever its kind. */
function commonTargetShape() {
  return {
    schedule: doc(cronField(), 'when the backup runs (cron, local time)', '0 2 * * *').optional(),
    rpo: doc(
      z.union([durationField(), z.null()]),
      'recovery point objective: how old the last good backup may be before the target is critical; null: none (the version in use must be held)',
      '1d'
    ).optional(),
    rto: doc(
      durationField(),
      'recovery time objective: how long a restore may take (every restore and test restore is measured against it)',
      '20m'
    ).optional(),
    retention: retentionSchema.optional(),
    safetyRetention: doc(
      durationField(),
      'how long the safety snapshots taken before restores are kept (they are not versions); default 30d',
      '30d'
    ).optional(),
    repository: doc(
      z.string(),
      'the repository (by name) that holds this target; default: the first one',
      'main'
    ).optional(),
    copies: doc(z.array(z.string()), 'further repositories (by name) that must hold every snapshot too', [
      'flash',
    ]).optional(),
    coverage: doc(
      z.string(),
      "what the backup captures, in words (default: the kind's)",
      'the database and everything in it'
    ).optional(),
    usability: doc(
      z.string(),
      "how verification proves a snapshot usable, in words (default: the kind's)",
      'a test restore answers as the source did'
    ).optional(),
    timeout: doc(durationField(), 'upper bound of one backup, verification or restore; default 6h', '6h').optional(),
  };
}

/** The verification's schedule, beside the kind's own verification fields. */
const verifyScheduleField = () =>
  doc(
    z.union([cronField(), z.null()]),
    'when the newest snapshot is verified by a test restore (cron); null: only on demand',
    '0 4 * * 0'
  ).optional();

export function targetSchema(driver: TargetDriver, h: SchemaHelpers) {
  return z.strictObject({
    kind: doc(z.literal(driver.kind), `the kind of target: ${driver.kind}`, driver.kind),
    ...commonTargetShape(),
    ...driver.settingsShape(h),
    verify: doc(
      z.strictObject({
        schedule: verifyScheduleField(),
        ...(driver.verifyShape ? driver.verifyShape(h) : {}),
      }),
      'verification: its schedule and how this kind proves a snapshot usable',
      { schedule: '0 4 * * 0' }
    ).optional(),
  });
}

/** `extra`: the fields of a repository shared by a lab (config/lab.ts: s3, caFile, pruneBy…). */
export function repositorySchema(h: SchemaHelpers, extra: z.ZodRawShape = {}) {
  return z
    .strictObject({
      url: doc(
        z.string().min(1, 'must not be empty'),
        'the restic repository: a path (relative to this file), sftp:user@host:/path, rest:http://host:port/name/ or s3:https://host/bucket/name',
        '/var/backups/backup-sla'
      ),
      ...h.passwordFields(),
      options: doc(z.record(z.string(), z.string()), 'extra restic options (-o key=value), e.g. sftp.command', {
        'sftp.command': 'ssh -i /etc/backup-sla/id_ed25519 backup@admin.lab -s sftp',
      }).optional(),
      ...extra,
    })
    .refine((r) => r.passwordFile || r.passwordEnv, {
      message: 'needs passwordFile or passwordEnv (restic repositories are encrypted)',
    });
}

/** host:port; host an IPv4 address, [IPv6] or a host name; port 0 (any free port) to 65535. */
export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):(\d{1,5})$/.exec(text);
  if (!m) {
    return null;
  }
  const port = Number(m[2]);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  if (port > 65535 || (/^[\d.]+$/.test(host) && !net.isIPv4(host)) || (m[1].startsWith('[') && !net.isIPv6(host))) {
    return null;
  }
  return { host, port };
}

/** Whether clients on other machines can reach an address (a warning at start says so). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const listenField = () =>
  z.string().refine((s) => parseListen(s) !== null, {
    message: 'must be host:port with a port up to 65535, e.g. 127.0.0.1:8470',
  });

/** The three role tokens (files): the API's, and a peer's (config/lab.ts). */
export function roleTokens(token: () => z.ZodType<string>, whose: string) {
  return z.strictObject({
    viewer: doc(token(), `${whose} viewer token (reads)`, './secrets/viewer.token'),
    operator: doc(token(), `${whose} operator token (backs up and verifies)`, './secrets/operator.token'),
    admin: doc(token(), `${whose} admin token (restores, removes what restores moved aside)`, './secrets/admin.token'),
  });
}

export function apiSchema(h: SchemaHelpers, baseDir: string) {
  const token = () => secretFileField(baseDir);
  return z.strictObject({
    listen: doc(
      listenField(),
      'host:port the API and /metrics listen on (IPv6 as [::1]:8470); a warning in the log beyond loopback; default 127.0.0.1:8470',
      '127.0.0.1:8470'
    ).optional(),
    tokens: doc(
      roleTokens(token, 'the file of the'),
      "the three tokens Grafana's plugin proxy holds (32 characters or more, all different)",
      { viewer: './secrets/viewer.token', operator: './secrets/operator.token', admin: './secrets/admin.token' }
    ),
    clients: doc(
      z.array(
        z.strictObject({
          name: doc(
            z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'client names: lower-case letters, digits, - and _'),
            'the name the audit log records',
            'nightly'
          ),
          role: doc(z.enum(['viewer', 'operator', 'admin']), "the client's role", 'operator'),
          tokenFile: doc(token(), "the file of the client's own token", './secrets/nightly.token'),
        })
      ),
      'other clients than Grafana (scripts, a Prometheus with metricsAuth), each with its own token',
      [{ name: 'nightly', role: 'operator', tokenFile: './secrets/nightly.token' }]
    ).optional(),
    tls: doc(
      z.strictObject({
        cert: doc(
          h.path().refine((p) => existsSync(p), { message: 'file does not exist' }),
          'the PEM certificate chain',
          './tls.crt'
        ),
        key: doc(token(), 'the PEM private key (private to the service user)', './secrets/tls.key'),
      }),
      'HTTPS with these files (docs/operations.md, TLS); default: plain HTTP',
      { cert: './tls.crt', key: './secrets/tls.key' }
    ).optional(),
    metricsAuth: doc(
      z.boolean(),
      '/metrics needs a token too (default: open, Prometheus scrapes it)',
      false
    ).optional(),
    bodyLimit: doc(
      z
        .number()
        .int()
        .min(1024)
        .max(10 * 1024 * 1024),
      'the largest request body in bytes (default 65536)',
      65536
    ).optional(),
  });
}

const repositoryName = () =>
  z.string().regex(/^[a-z][a-z0-9_-]*$/, 'repository names: lower-case letters, digits, - and _');
const targetName = () => z.string().regex(/^[a-z][a-z0-9_-]*$/, 'target names: lower-case letters, digits, - and _');

export const TOP_DESCRIPTIONS = {
  catalog:
    'the SQLite catalog: runs, snapshots, verifications, restores, audit log (created 0600); default: data/catalog.db beside this file',
  workDir:
    'private scratch space for exports that must pass through disk (InfluxDB, Prometheus, Grafana); default: data/work beside this file',
  cacheDir: "restic's cache; default: cache/ beside the catalog",
  repositories: "restic repositories by name; the first one is every target's primary",
  targets: 'what is backed up, by name: each of one kind, with the SLA of its kind unless a field says otherwise',
  covered:
    "services the SLA covers through another target's backup (shown as such in Grafana); default: Nginx, uWSGI, Telegraf and DNS by the ansible target, where there is one",
  api: 'the HTTP API and /metrics, only needed by `backup-sla serve`',
  instance:
    "this machine's service in the lab (docs/lab.md): tags its snapshots, names it to its peers; default: the host name",
  peers: 'the services on the other machines of the lab, by instance name: this one then answers for the whole lab',
} as const;

export function topSchema(h: SchemaHelpers) {
  return z.strictObject({
    catalog: doc(h.path(), TOP_DESCRIPTIONS.catalog, './data/catalog.db').optional(),
    workDir: doc(h.path(), TOP_DESCRIPTIONS.workDir, './data/work').optional(),
    cacheDir: doc(h.path(), TOP_DESCRIPTIONS.cacheDir, '/var/cache/backup-sla').optional(),
    repositories: z.record(repositoryName(), z.unknown()),
    targets: z.record(targetName(), z.unknown()),
    covered: doc(
      z.array(
        z.strictObject({
          name: doc(z.string().min(1), 'the service', 'nginx'),
          coveredBy: doc(z.string().min(1), 'the target whose backup covers it', 'ansible'),
          note: doc(z.string(), 'how, in words', 'configuration is built by Ansible; no manual changes').optional(),
        })
      ),
      TOP_DESCRIPTIONS.covered,
      [{ name: 'nginx', coveredBy: 'ansible', note: 'configuration is built by Ansible; no manual changes' }]
    ).optional(),
    api: z.unknown().optional(),
    instance: z.unknown().optional(),
    peers: z.record(z.string(), z.unknown()).optional(),
  });
}

/** The names of repositories and targets (the keys of their maps). */
export const names = { repository: repositoryName, target: targetName };
