/**
 * A minimal OpenAPI 3.1 document generated from the route table. Its components are the contract's
 * definitions (schemas.ts, derived from packages/contract/index.d.ts, descriptions included), with
 * their references pointed at components; a route's schema that is one of them becomes a $ref.
 * JSON Schema 2020-12 is what 3.1 uses, so the schemas go in as they are.
 */
import type { RouteDef } from './routes';
import * as S from './schemas';

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

/** The contract's definitions as components: `#/definitions/X` becomes `#/components/schemas/X`. */
function components(): Record<string, unknown> {
  const text = JSON.stringify(S.definitions).replaceAll('"#/definitions/', '"#/components/schemas/');
  return JSON.parse(text) as Record<string, unknown>;
}

/** Replaces a schema that is a contract definition (schemas.ts) with a $ref to its component. */
function withRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map((s) => withRefs(s));
  }
  if (!schema || typeof schema !== 'object') {
    return schema;
  }
  const name = S.contractName(schema);
  if (name) {
    return { $ref: `#/components/schemas/${name}` };
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
      schemas: components(),
    },
  };
}
