/**
 * A minimal OpenAPI 3.1 document generated from the route table (JSON Schema 2020-12 is what
 * 3.1 uses, so the route schemas go in as they are). Shared schemas become named components.
 */
import type { RouteDef } from './routes';
import * as S from './schemas';

const COMPONENTS: Record<string, unknown> = {
  ApiError: S.apiErrorSchema,
  StatusResponse: S.statusResponseSchema,
  TargetStatus: S.targetStatusSchema,
  TargetPolicy: S.policySchema,
  Retention: S.retentionSchema,
  SlaCheck: S.checkSchema,
  CoveredService: S.coveredServiceSchema,
  Run: S.runSchema,
  Snapshot: S.snapshotSchema,
  AuditEntry: S.auditEntrySchema,
  Restore: S.restoreSchema,
  GetSnapshots: S.getSnapshotsSchema,
  GetRuns: S.getRunsSchema,
  GetAudit: S.getAuditSchema,
  GetRestores: S.getRestoresSchema,
  Accepted: S.acceptedSchema,
  WhoAmI: S.whoAmISchema,
  RestoreRequest: S.restoreBodySchema,
  VerifyRequest: S.verifyBodySchema,
  DoctorReport: S.doctorReportSchema,
};

const DESCRIPTIONS: Record<number, string> = {
  200: 'OK',
  202: 'Accepted: the run is recorded and running; follow it with GET /api/runs/{id}',
  400: 'A field is wrong (the message names it)',
  401: 'No token or an unknown token',
  403: 'The token is valid but its role is too weak',
  404: 'Unknown target, snapshot, run or route',
  409: 'The target is busy with another operation',
  413: 'The body is larger than api.bodyLimit',
};

/** Replaces every occurrence of a component schema (by identity) with a $ref, except its own definition. */
function withRefs(schema: unknown, self?: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map((s) => withRefs(s));
  }
  if (!schema || typeof schema !== 'object') {
    return schema;
  }
  if (schema !== self) {
    for (const [name, component] of Object.entries(COMPONENTS)) {
      if (component === schema) {
        return { $ref: `#/components/schemas/${name}` };
      }
    }
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withRefs(v)]));
}

function parameters(where: 'path' | 'query' | 'header', schema: S.JsonSchema | undefined): unknown[] {
  const props = (schema?.properties ?? {}) as Record<string, S.JsonSchema>;
  const required = (schema?.required ?? []) as string[];
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s as { description?: string } & S.JsonSchema;
    return {
      name,
      in: where,
      required: where === 'path' || required.includes(name),
      ...(description ? { description } : {}),
      schema: withRefs(rest),
    };
  });
}

export function openApiDocument(
  routes: RouteDef[],
  info: { version: string; metricsAuth: boolean }
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [code, schema] of Object.entries(r.schema.response)) {
      const type = Number(code) < 300 && r.produces ? r.produces : 'application/json';
      responses[code] = {
        description: DESCRIPTIONS[Number(code)] ?? 'Answer',
        content: { [type]: { schema: withRefs(schema) } },
      };
    }
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/(^|[/._-])([a-z])/g, (_m, _s, c: string) => c.toUpperCase())}`,
      summary: r.summary,
      tags: [r.tag],
      ...(r.role ? { 'x-required-role': r.role, security: [{ bearer: [] }] } : { security: [] }),
      parameters: [
        ...parameters('path', r.schema.params),
        ...parameters('query', r.schema.querystring),
        ...parameters('header', r.schema.headers),
      ],
      ...(r.schema.body
        ? {
            requestBody: {
              required: !r.optionalBody,
              content: { 'application/json': { schema: withRefs(r.schema.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Backup SLA service',
      version: info.version,
      description:
        'Backups kept to the SLA: state, history, backups, verifications and restores. ' +
        'Bearer tokens per role (viewer < operator < admin); each operation names its least role in x-required-role. ' +
        `/metrics ${info.metricsAuth ? 'needs the viewer token' : 'needs no token'}.`,
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, withRefs(schema, schema)])),
    },
  };
}
