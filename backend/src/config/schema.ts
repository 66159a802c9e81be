/**
 * The configuration schema (zod). Built per load so that paths resolve against the config file's
 * folder. Every field documents itself through its error message.
 */
import net from 'node:net';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import cron from 'node-cron';
import { parseDuration } from './duration';
import { secretFileProblem } from './secret';
import type { SchemaHelpers, TargetDriver } from '../targets/types';

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
    passwordFile: secretFileField(baseDir).optional(),
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
  });
  return {
    path: pathField,
    passwordFields,
    secretFile: () => secretFileField(baseDir),
    restoreArea: () => path.join(workDir, 'restores'),
  };
}

export const durationField = () =>
  z.string().refine((s) => parseDuration(s) !== null, {
    message: 'not a duration (use e.g. 90s, 30m, 24h, 1d, 4w)',
  });

export const cronField = () =>
  z.string().refine((s) => cron.validate(s), {
    message: 'not a valid cron expression (e.g. "0 2 * * *" = daily at 02:00)',
  });

const count = () => z.number().int('must be a whole number').min(1, 'must be at least 1');

export const retentionSchema = z
  .strictObject({
    keepLast: count().optional(),
    keepDaily: count().optional(),
    keepWeekly: count().optional(),
    keepMonthly: count().optional(),
    keepWithin: durationField().optional(),
  })
  .refine((r) => Object.keys(r).length > 0, { message: 'retention must keep something (e.g. keepWeekly: 4)' });

/** The fields every target has, whatever its kind. */
function commonTargetShape() {
  return {
    schedule: cronField().optional(),
    rpo: z.union([durationField(), z.null()]).optional(),
    rto: durationField().optional(),
    retention: retentionSchema.optional(),
    safetyRetention: durationField().optional(),
    repository: z.string().optional(),
    copies: z.array(z.string()).optional(),
    coverage: z.string().optional(),
    usability: z.string().optional(),
    timeout: durationField().optional(),
  };
}

export function targetSchema(driver: TargetDriver, h: SchemaHelpers) {
  return z.strictObject({
    kind: z.literal(driver.kind),
    ...commonTargetShape(),
    ...driver.settingsShape(h),
    verify: z
      .strictObject({
        schedule: z.union([cronField(), z.null()]).optional(),
        ...(driver.verifyShape ? driver.verifyShape(h) : {}),
      })
      .optional(),
  });
}

/** `extra`: the fields of a repository shared by a lab (config/lab.ts: s3, caFile, pruneBy…). */
export function repositorySchema(h: SchemaHelpers, extra: z.ZodRawShape = {}) {
  return z
    .strictObject({
      url: z.string().min(1, 'must not be empty'),
      ...h.passwordFields(),
      options: z.record(z.string(), z.string()).optional(),
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

export function apiSchema(h: SchemaHelpers, baseDir: string) {
  const token = secretFileField(baseDir);
  return z.strictObject({
    listen: listenField().optional(),
    tokens: z.strictObject({ viewer: token, operator: token, admin: token }),
    clients: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'client names: lower-case letters, digits, - and _'),
          role: z.enum(['viewer', 'operator', 'admin']),
          tokenFile: token,
        })
      )
      .optional(),
    tls: z
      .strictObject({ cert: h.path().refine((p) => existsSync(p), { message: 'file does not exist' }), key: token })
      .optional(),
    metricsAuth: z.boolean().optional(),
    bodyLimit: z
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .optional(),
  });
}

export function topSchema(h: SchemaHelpers) {
  return z.strictObject({
    catalog: h.path().optional(),
    workDir: h.path().optional(),
    cacheDir: h.path().optional(),
    repositories: z.record(
      z.string().regex(/^[a-z][a-z0-9_-]*$/, 'repository names: lower-case letters, digits, - and _'),
      z.unknown()
    ),
    targets: z.record(
      z.string().regex(/^[a-z][a-z0-9_-]*$/, 'target names: lower-case letters, digits, - and _'),
      z.unknown()
    ),
    covered: z
      .array(z.strictObject({ name: z.string().min(1), coveredBy: z.string().min(1), note: z.string().optional() }))
      .optional(),
    api: z.unknown().optional(),
    instance: z.unknown().optional(),
    peers: z.record(z.string(), z.unknown()).optional(),
  });
}
