/**
 * JSON schemas of the HTTP API. Every shape of the contract (`packages/contract/index.d.ts`, shared
 * with the app) comes from `contract.schema.json`, which `npm run contract:schemas` derives from that
 * file (its types, descriptions and JSDoc annotations: @format, @pattern, @minLength...);
 * contract.test.ts fails when it is stale. Fastify validates requests with these schemas and
 * serializes answers through them, so an answer carries exactly the contract's fields; the OpenAPI
 * document is built from the same definitions. Written here by hand: only what the contract does
 * not describe (paths, query strings, headers) and what the TypeScript types cannot say.
 */
import contract from './contract.schema.json';

export type JsonSchema = Record<string, unknown>;

const REF = '#/definitions/';

/**
 * The contract's definitions, plus what its types cannot say. safetyBackup has no `type` on purpose:
 * fastify coerces typed values ("false", 0, null would all become a boolean), and declining the
 * safety backup must be an explicit JSON `false`.
 */
export const definitions = structuredClone(contract.definitions) as Record<string, JsonSchema>;
const restoreFields = definitions.RestoreRequest.properties as Record<string, JsonSchema>;
restoreFields.safetyBackup = { enum: [true, false], description: restoreFields.safetyBackup.description };

const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean']);

/**
 * A schema with every `$ref` replaced by its definition (the fields beside a `$ref`, its description,
 * win), so that each route's schema stands alone. `X | null` of a primitive becomes one schema with a
 * type list (`["string", "null"]`), as fast-json-stringify serializes it directly, where `anyOf`
 * would validate each value first; nullable objects stay `anyOf`.
 */
function inline(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(inline);
  }
  if (!schema || typeof schema !== 'object') {
    return schema;
  }
  const { $ref, ...rest } = schema as JsonSchema;
  if (typeof $ref === 'string') {
    return inline({ ...definitions[$ref.slice(REF.length)], ...rest });
  }
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, inline(v)])) as JsonSchema;
  const branches = out.anyOf as JsonSchema[] | undefined;
  const value = branches?.length === 2 ? branches.find((b) => b.type !== 'null') : undefined;
  if (value && PRIMITIVES.has(value.type as string) && branches!.some((b) => b.type === 'null')) {
    const { anyOf: _, ...outer } = out;
    const nullable = { ...value, ...outer, type: [value.type, 'null'] };
    return Array.isArray(value.enum) ? { ...nullable, enum: [...value.enum, null] } : nullable;
  }
  return out;
}

const names = new WeakMap<object, string>();

/** The contract's definition `name`, self-contained; the OpenAPI document refers to it by name. */
function of(name: string): JsonSchema {
  if (!definitions[name]) {
    throw new Error(`the contract has no type ${name}: run npm run contract:schemas`);
  }
  const schema = inline(definitions[name]) as JsonSchema;
  names.set(schema, name);
  return schema;
}

/** The contract's name of a schema exported here, if it is one. */
export function contractName(schema: unknown): string | undefined {
  return schema && typeof schema === 'object' ? names.get(schema) : undefined;
}

// --- answers ------------------------------------------------------------------------------------

export const statusResponseSchema = of('StatusResponse');
export const targetStatusSchema = of('TargetStatus');
export const policySchema = of('TargetPolicy');
export const runSchema = of('Run');
export const snapshotSchema = of('Snapshot');
export const auditEntrySchema = of('AuditEntry');
export const restoreSchema = of('Restore');
export const asideItemSchema = of('AsideItem');
export const doctorReportSchema = of('DoctorReport');
export const getSnapshotsSchema = of('GetSnapshots');
export const getRunsSchema = of('GetRuns');
export const getAuditSchema = of('GetAudit');
export const getRestoresSchema = of('GetRestores');
export const getAsideSchema = of('GetAside');
export const acceptedSchema = of('Accepted');
export const whoAmISchema = of('WhoAmI');
export const apiErrorSchema = of('ApiError');

// --- requests -----------------------------------------------------------------------------------

export const emptyBodySchema: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };
export const verifyBodySchema = of('VerifyRequest');
export const restoreBodySchema = of('RestoreRequest');
export const removeAsideBodySchema = of('RemoveAsideRequest');
/** Test-connection calls send `{}`; anything else is accepted and ignored. */
export const anyBodySchema = { type: 'object' } as const;

const nameParam = { type: 'string', minLength: 1, maxLength: 64 } as const;

function params(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, required: Object.keys(properties) };
}

export const targetParamsSchema = params({ target: nameParam });
export const instanceTargetParamsSchema = params({ instance: nameParam, target: nameParam });
export const runParamsSchema = params({ id: { type: 'integer', minimum: 1 } });
export const instanceRunParamsSchema = params({ instance: nameParam, id: { type: 'integer', minimum: 1 } });

/** `local=1`: this instance only, not the whole lab. */
const localParam = {
  type: 'string',
  enum: ['1', '0', 'true', 'false'],
  description: '1: answer for this instance only (default: the whole lab, peers included)',
} as const;

export const localQuerySchema = { type: 'object', properties: { local: localParam } } as const;

export const limitSchema = { type: 'integer', minimum: 1, maximum: 1000, default: 100 } as const;

/** One value or several of a contract's enum, comma-separated: `success,unchanged`. */
function commaList(values: unknown, description: string): JsonSchema {
  const one = `(${(values as string[]).join('|')})`;
  return { type: 'string', pattern: `^${one}(,${one})*$`, description };
}

/** `since`: an ISO-8601 time (with its zone), compared as a point in time. */
const sinceParam = {
  ...of('Timestamp'),
  description: 'an ISO-8601 time with its zone, e.g. 2026-03-10T12:00:00Z: only what started at or after it',
};

export const runsQuerySchema = {
  type: 'object',
  properties: {
    target: of('TargetAddress'),
    operation: of('Operation'),
    status: commaList(definitions.RunStatus.enum, 'run statuses, comma-separated (e.g. success,unchanged)'),
    since: sinceParam,
    limit: limitSchema,
    local: localParam,
  },
} as const;

export const limitQuerySchema = { type: 'object', properties: { limit: limitSchema, local: localParam } } as const;

const auditResults = (definitions.AuditEntry.properties as Record<string, JsonSchema>).result.enum;

export const auditQuerySchema = {
  type: 'object',
  properties: {
    status: commaList(auditResults, 'results, comma-separated (started: still running)'),
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
