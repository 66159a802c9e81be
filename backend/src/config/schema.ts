/**
 * The configuration schema (zod). Built per load so that paths resolve against the config file's
 * folder. Every field documents itself through its error message.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import cron from 'node-cron';
import { parseDuration } from './duration';
import type { SchemaHelpers, TargetDriver } from '../targets/types';

export function helpers(baseDir: string): SchemaHelpers {
  const pathField = () =>
    z
      .string()
      .min(1, 'must not be empty')
      .transform((p) => path.resolve(baseDir, p));
  const passwordFields = () => ({
    passwordFile: pathField()
      .refine((p) => existsSync(p), { message: 'file does not exist' })
      .optional(),
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
  });
  return { path: pathField, passwordFields };
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

const listenField = () => z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8470');

export function apiSchema(h: SchemaHelpers) {
  const token = h.path().refine((p) => existsSync(p), { message: 'token file does not exist' });
  return z.strictObject({
    listen: listenField().optional(),
    tokens: z.strictObject({ viewer: token, operator: token, admin: token }),
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
