/**
 * JSON schemas of the HTTP API, one per shape of the contract (`packages/contract/index.d.ts`, shared
 * with the app). Fastify validates requests with them and serializes answers through them, so an answer
 * carries exactly the contract's fields; the OpenAPI document is generated from them too.
 * contract.test.ts checks that these schemas and the TypeScript contract name the same fields.
 */

export type JsonSchema = Record<string, unknown>;

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const num = { type: 'number' } as const;
const nullableNum = { type: ['number', 'null'] } as const;
const int = { type: 'integer' } as const;
const nullableInt = { type: ['integer', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** An object schema whose every listed property is required unless named in `optional`. */
function object(properties: Record<string, JsonSchema>, optional: string[] = [], extra: JsonSchema = {}): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    ...extra,
  };
}

function nullable(schema: JsonSchema): JsonSchema {
  return { anyOf: [schema, { type: 'null' }] };
}

export const levelSchema = { type: 'string', enum: ['ok', 'warning', 'critical', 'unknown'] } as const;
export const roleSchema = { type: 'string', enum: ['viewer', 'operator', 'admin'] } as const;
export const operationSchema = { type: 'string', enum: ['backup', 'verify', 'restore', 'forget'] } as const;
export const runStatusSchema = { type: 'string', enum: ['running', 'success', 'failed', 'unchanged'] } as const;

export const checkSchema = object({ level: levelSchema, reason: str, cause: nullableStr }, ['cause']);

export const retentionSchema = object(
  { keepLast: int, keepDaily: int, keepWeekly: int, keepMonthly: int, keepWithin: str },
  ['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepWithin']
);

export const policySchema = object({
  coverage: str,
  usability: str,
  schedule: str,
  verifySchedule: nullableStr,
  rpoSeconds: nullableNum,
  rtoSeconds: num,
  retention: retentionSchema,
  retentionText: str,
  safetyRetentionSeconds: num,
  repository: str,
  copies: { type: 'array', items: str },
});

const strArray = { type: 'array', items: str } as const;
const outcomeSchema = { type: 'string', enum: ['passed', 'failed', 'unknown'] } as const;

export const runPhaseSchema = object({ name: str, startedAt: time, bytesDone: nullableNum });

export const plannedChangeSchema = object({ host: str, task: str, diff: nullableStr });

export const verificationOutcomeSchema = object(
  {
    outcome: outcomeSchema,
    detail: str,
    changes: { type: 'array', items: plannedChangeSchema },
    changeKind: { type: ['string', 'null'], enum: ['unapplied', 'drift', null] },
  },
  ['changes', 'changeKind']
);

export const restoreOutcomeSchema = object({
  location: str,
  counts: { type: 'object', additionalProperties: num },
  movedAside: strArray,
  next: strArray,
  detail: str,
});

export const safetyBackupSchema = { type: 'string', enum: ['saved', 'nothing', 'declined', 'not-needed'] } as const;

export const runSchema = object({
  id: int,
  instance: str,
  target: str,
  operation: operationSchema,
  status: runStatusSchema,
  phase: nullableStr,
  phases: { type: 'array', items: runPhaseSchema },
  startedAt: time,
  finishedAt: nullableTime,
  durationSeconds: nullableNum,
  bytesDone: nullableNum,
  snapshotId: nullableStr,
  snapshotHeld: { type: ['boolean', 'null'] },
  error: nullableStr,
  actor: str,
  verification: nullable(verificationOutcomeSchema),
  restore: nullable(restoreOutcomeSchema),
  restoredTo: nullableStr,
});

export const verificationSummarySchema = object({
  at: time,
  success: { type: 'boolean' },
  outcome: outcomeSchema,
  durationSeconds: nullableNum,
  snapshotId: nullableStr,
});

export const destinationsSchema = object({
  inPlace: nullable(object({ replaces: str, movedAsideAs: str, note: nullableStr, unavailable: nullableStr })),
  elsewhere: nullable(object({ kind: { type: 'string', enum: ['database', 'directory'] }, hint: str, example: str })),
});

export const pitrRangeSchema = object({ start: time, end: time });
export const pitrGapSchema = object({
  start: time,
  end: time,
  reason: str,
  kind: { type: 'string', enum: ['archive', 'restore', 'base'] },
});

export const pitrStatusSchema = object({
  windowStart: nullableTime,
  windowEnd: nullableTime,
  ranges: { type: 'array', items: pitrRangeSchema },
  gaps: { type: 'array', items: pitrGapSchema },
  lagSeconds: nullableNum,
  archiver: { type: 'string', enum: ['following', 'retrying', 'stopped'] },
  archiverDetail: nullableStr,
  archiverRestarts: int,
  stalled: nullableStr,
  files: int,
  bytes: num,
});

export const targetStatusSchema = object(
  {
    name: str,
    instance: str,
    kind: str,
    policy: policySchema,
    destinations: destinationsSchema,
    level: levelSchema,
    reasons: { type: 'array', items: str },
    checks: object({
      fresh: checkSchema,
      versions: checkSchema,
      verified: checkSchema,
      copies: checkSchema,
      recovery: checkSchema,
    }),
    lastSuccessAt: nullableTime,
    ageSeconds: nullableNum,
    lastRun: nullable(runSchema),
    versionsHeld: int,
    versionsRequired: int,
    versionsExpected: int,
    versionsCompleteAt: nullableTime,
    lastVerification: nullable(verificationSummarySchema),
    copiesHeld: int,
    copiesRequired: int,
    recoverySeconds: nullableNum,
    nextRunAt: nullableTime,
    nextVerifyAt: nullableTime,
    running: nullable(runSchema),
    pitr: nullable(pitrStatusSchema),
  },
  ['pitr']
);

export const coveredServiceSchema = object({
  name: str,
  instance: str,
  coveredBy: str,
  note: str,
  level: levelSchema,
});

export const instanceStateSchema = object({
  name: str,
  self: { type: 'boolean' },
  reachable: { type: 'boolean' },
  unreachableSince: nullableTime,
  lastSeenAt: nullableTime,
  error: nullableStr,
  level: levelSchema,
});

const instancesSchema = { type: 'array', items: instanceStateSchema } as const;

export const statusResponseSchema = object({
  generatedAt: time,
  instance: str,
  instances: instancesSchema,
  level: levelSchema,
  targets: { type: 'array', items: targetStatusSchema },
  covered: { type: 'array', items: coveredServiceSchema },
});

export const verificationStateSchema = { type: 'string', enum: ['passed', 'failed', 'unverified'] } as const;

export const snapshotItemSchema = object({ name: str, count: nullableNum, unit: str });

export const snapshotContentsSchema = object({ summary: str, items: { type: 'array', items: snapshotItemSchema } });

export const snapshotSchema = object({
  id: str,
  shortId: str,
  instance: str,
  target: str,
  time: time,
  bytes: nullableNum,
  version: nullableStr,
  verification: verificationStateSchema,
  verifiedAt: nullableTime,
  verificationDetail: nullableStr,
  heldBy: { type: 'array', items: str },
  safety: { type: 'boolean' },
  contents: nullable(snapshotContentsSchema),
  // Driver metadata: free-form by design (row counts, checksums, series, ...).
  metadata: { type: 'object', additionalProperties: true },
});

export const auditEntrySchema = object({
  id: int,
  instance: str,
  at: time,
  actor: str,
  role: { type: ['string', 'null'], enum: ['viewer', 'operator', 'admin', null] },
  action: str,
  target: nullableStr,
  detail: str,
  result: { type: 'string', enum: ['ok', 'failed', 'started'] },
  runId: nullableInt,
  finishedAt: nullableTime,
});

export const restoreSchema = object(
  {
    runId: int,
    instance: str,
    target: str,
    snapshotId: str,
    to: nullableStr,
    at: nullableTime,
    safetySnapshotId: nullableStr,
    safetyBackup: { type: ['string', 'null'], enum: ['saved', 'nothing', 'declined', 'not-needed', null] },
    status: runStatusSchema,
    startedAt: time,
    finishedAt: nullableTime,
    durationSeconds: nullableNum,
    actor: str,
    error: nullableStr,
    outcome: nullable(restoreOutcomeSchema),
  },
  ['at']
);

export const asideItemSchema = object({
  instance: str,
  target: str,
  kind: { type: 'string', enum: ['database', 'directory'] },
  name: str,
  was: str,
  createdAt: time,
  runId: nullableInt,
  bytes: nullableNum,
});

const doctorVerdictSchema = { type: 'string', enum: ['ok', 'warning', 'failed'] } as const;

export const doctorCheckSchema = object({
  name: str,
  level: { type: 'string', enum: ['ok', 'warning', 'failed', 'skipped'] },
  detail: str,
});

export const doctorSectionSchema = object({
  target: nullableStr,
  kind: nullableStr,
  level: doctorVerdictSchema,
  checks: { type: 'array', items: doctorCheckSchema },
});

export const doctorReportSchema = object({
  generatedAt: time,
  level: doctorVerdictSchema,
  sections: { type: 'array', items: doctorSectionSchema },
});

export const getSnapshotsSchema = object({ snapshots: { type: 'array', items: snapshotSchema } });
export const getRunsSchema = object({ runs: { type: 'array', items: runSchema }, unreachable: instancesSchema });
export const getAuditSchema = object({
  entries: { type: 'array', items: auditEntrySchema },
  unreachable: instancesSchema,
});
export const getRestoresSchema = object({
  restores: { type: 'array', items: restoreSchema },
  unreachable: instancesSchema,
});
export const getAsideSchema = object({
  items: { type: 'array', items: asideItemSchema },
  unreachable: instancesSchema,
});
export const acceptedSchema = object({ runId: int, instance: str });
export const whoAmISchema = object({ role: roleSchema });
export const apiErrorSchema = object({ statusCode: int, error: str, message: str });

// --- requests -----------------------------------------------------------------------------------

/** A snapshot reference: a full or short restic id, or "latest". */
export const snapshotRefSchema = {
  type: 'string',
  pattern: '^(latest|[0-9a-f]{4,64})$',
  description: 'snapshot id (full or at least 4 hex characters) or "latest"',
} as const;

const nameParam = { type: 'string', minLength: 1, maxLength: 64 } as const;
/** A target address in a body or a query: `<target>` or `<instance>/<target>`. */
const targetAddress = {
  type: 'string',
  minLength: 1,
  maxLength: 129,
  description: 'a target: its name, or <instance>/<name> for a target of another instance of the lab',
} as const;

export const targetParamsSchema = object({ target: nameParam });
export const instanceTargetParamsSchema = object({ instance: nameParam, target: nameParam });
export const runParamsSchema = object({ id: { type: 'integer', minimum: 1 } });
export const instanceRunParamsSchema = object({ instance: nameParam, id: { type: 'integer', minimum: 1 } });

/** `local=1`: this instance only, not the whole lab. */
const localParam = {
  type: 'string',
  enum: ['1', '0', 'true', 'false'],
  description: '1: answer for this instance only (default: the whole lab, peers included)',
} as const;

export const localQuerySchema = { type: 'object', properties: { local: localParam } } as const;

export const limitSchema = { type: 'integer', minimum: 1, maximum: 1000, default: 100 } as const;

/** One value or several, comma-separated: `success,unchanged`. */
function commaList(values: readonly string[], description: string): JsonSchema {
  const one = `(${values.join('|')})`;
  return { type: 'string', pattern: `^${one}(,${one})*$`, description };
}

/** `since`: an ISO-8601 time (with its zone), compared as a point in time. */
const sinceParam = {
  type: 'string',
  format: 'date-time',
  description: 'an ISO-8601 time with its zone, e.g. 2026-03-10T12:00:00Z: only what started at or after it',
} as const;

export const runsQuerySchema = {
  type: 'object',
  properties: {
    target: targetAddress,
    operation: operationSchema,
    status: commaList(runStatusSchema.enum, 'run statuses, comma-separated (e.g. success,unchanged)'),
    since: sinceParam,
    limit: limitSchema,
    local: localParam,
  },
} as const;

export const limitQuerySchema = { type: 'object', properties: { limit: limitSchema, local: localParam } } as const;

export const auditQuerySchema = {
  type: 'object',
  properties: {
    status: commaList(['ok', 'failed', 'started'], 'results, comma-separated (started: still running)'),
    since: sinceParam,
    limit: limitSchema,
    local: localParam,
  },
} as const;

/** The Grafana user, forwarded by Grafana's data proxy when `send_user_header` is on. */
export const grafanaUserHeaderSchema = {
  type: 'object',
  properties: {
    'x-grafana-user': {
      // Checked in code (auth.ts): header bytes arrive as latin1, a UTF-8 name must be decoded first.
      type: 'string',
      description: 'the acting Grafana user (printable, at most 100 characters), recorded as the actor',
    },
  },
} as const;

export const emptyBodySchema = object({});

export const verifyBodySchema = object({ snapshot: snapshotRefSchema }, ['snapshot']);

/**
 * safetyBackup has no `type` on purpose: fastify coerces typed values ("false", 0, null would all
 * become a boolean), and declining the safety backup must be an explicit JSON `false`.
 */
export const restoreBodySchema = object(
  {
    target: targetAddress,
    snapshot: snapshotRefSchema,
    to: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$',
      description: 'another database / directory name; omitted = the same place',
    },
    at: {
      type: 'string',
      format: 'date-time',
      description:
        'restore the state of this second (targets with pitr), ISO 8601 with an offset or Z; instead of `snapshot`',
    },
    safetyBackup: { enum: [true, false], description: 'boolean: take a safety backup of the current state first' },
    confirm: { type: 'string', description: 'must equal `target`' },
  },
  ['to', 'snapshot', 'at']
);

export const removeAsideBodySchema = object({
  target: targetAddress,
  name: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$' },
  confirm: { type: 'string', description: 'must equal `name`' },
});

/** Test-connection calls send `{}`; anything else is accepted and ignored. */
export const anyBodySchema = { type: 'object' } as const;
