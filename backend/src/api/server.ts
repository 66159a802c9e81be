/**
 * The HTTP server: the route table registered with fastify, one auth hook for the roles, the
 * error shape of the contract, /metrics and /api/openapi.json.
 */
import { readFileSync } from 'node:fs';
import Fastify, { FastifyBaseLogger, FastifyInstance, FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config/types';
import type { Engine } from '../engine/engine';
import type { Metrics } from '../metrics/metrics';
import { Peers } from '../peers/peers';
import { silentLogger } from '../util/log';
import { atLeast, bearerToken, grafanaUser, TokenAuth } from './auth';
import { errorBody, errorHandler, formatValidation, HttpError, notFoundHandler } from './errors';
import { openApiDocument } from './openapi';
import { apiRoutes, Caller, RouteDef } from './routes';
import * as S from './schemas';

export interface ApiOptions {
  engine: Engine;
  api: ApiConfig;
  auth: TokenAuth;
  metrics: Metrics;
  log?: Logger;
  version?: string;
  /** The other machines' services (default: from the engine's config). */
  peers?: Peers;
  /** HTTP timeouts (tests shorten them). */
  timeouts?: Partial<HttpTimeouts>;
}

/**
 * How long a client may take: the headers of a request within 10 s and the whole request within
 * 30 s (bodies are small: 64 KiB by default), or the connection is closed, so that slow or idle
 * clients cannot hold the service's sockets. Kept-alive connections idle for 5 s are closed.
 */
export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

export const HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 };

/** Node's http(s) server options for these timeouts (checked every second, not every 30 s). */
function serverOptions(t: HttpTimeouts) {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: Math.min(1000, t.headersMs),
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    role?: import('../config/types').Role | null;
  }
}

/** The whole route table: the API, its OpenAPI document and /metrics. */
export function routeTable(options: Pick<ApiOptions, 'api' | 'metrics' | 'version'>): RouteDef[] {
  const routes = apiRoutes();
  const all: RouteDef[] = [
    ...routes,
    {
      method: 'GET',
      url: '/api/openapi.json',
      role: null,
      tag: 'meta',
      summary: 'This document (OpenAPI 3.1), generated from the route table',
      schema: { response: { 200: { type: 'object', additionalProperties: true } } },
      handler: () => document,
    },
    {
      method: 'GET',
      url: '/metrics',
      role: options.api.metricsAuth ? 'viewer' : null,
      tag: 'meta',
      summary: 'Prometheus metrics (backup_sla_*, label target) computed from the SLA state at scrape time',
      produces: 'text/plain',
      schema: {
        response: options.api.metricsAuth
          ? { 200: { type: 'string' }, 401: S.apiErrorSchema, 403: S.apiErrorSchema }
          : { 200: { type: 'string' } },
      },
      handler: async (_req, reply) => {
        const text = await options.metrics.render();
        reply.type(options.metrics.contentType).send(text);
        return reply;
      },
    },
  ];
  const document = openApiDocument(all, { version: options.version ?? '0.0.0', metricsAuth: options.api.metricsAuth });
  return all;
}

function hasJsonType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

/**
 * fastify's validator coerces types (5 where a string is declared becomes "5", ["latest"] becomes
 * "latest"): right for query strings and paths, which are text, wrong for a JSON body, whose
 * sender chose its types. A body field of another JSON type than declared is refused first.
 */
function bodyTypeProblem(schema: S.JsonSchema | undefined, body: unknown): string | null {
  const properties = schema?.properties as Record<string, S.JsonSchema> | undefined;
  if (!properties || typeof body !== 'object' || body === null || Array.isArray(body)) {
    return null;
  }
  for (const [key, value] of Object.entries(body)) {
    const declared = Object.hasOwn(properties, key) ? properties[key].type : undefined;
    if (declared === undefined) {
      continue;
    }
    const types = Array.isArray(declared) ? declared : [declared];
    if (!types.some((t) => hasJsonType(value, t))) {
      return `body/${key} must be ${types.join(',')}`;
    }
  }
  return null;
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const log = (options.log ?? silentLogger).child({ component: 'api' });
  const timeouts = { ...HTTP_TIMEOUTS, ...(options.timeouts ?? {}) };
  const tls = options.api.tls;
  const app = Fastify({
    ...(tls
      ? {
          https: {
            ...serverOptions(timeouts),
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            minVersion: 'TLSv1.2' as const,
          },
        }
      : { http: serverOptions(timeouts) }),
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    loggerInstance: log as unknown as FastifyBaseLogger,
    // Grafana polls every few seconds: requests are logged by the onResponse hook below, POSTs only.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.api.bodyLimitBytes,
    // Unknown body fields are errors that name the field, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    schemaErrorFormatter: (errors, dataVar) => formatValidation(errors as never, dataVar),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.decorateRequest('caller', null);
  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler(notFoundHandler);

  // Roles first (before the body is read): no token or a wrong one 401, a weaker one 403.
  app.addHook('onRequest', async (req, reply) => {
    const role = req.routeOptions.config.role;
    if (!role) {
      return;
    }
    const holder = options.auth.holderOf(bearerToken(req.headers.authorization));
    if (!holder) {
      log.warn({ method: req.method, url: req.routeOptions.url }, 'request without a valid token refused');
      reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="backup-sla"')
        .send(errorBody(401, 'a valid token is needed: Authorization: Bearer <token>'));
      return reply;
    }
    const granted = holder.role;
    if (!atLeast(granted, role)) {
      log.warn(
        { method: req.method, url: req.routeOptions.url, role: granted, client: holder.client ?? undefined },
        'request with too weak a role refused'
      );
      reply.code(403).send(errorBody(403, `this needs the ${role} role; the token used has the ${granted} role`));
      return reply;
    }
    const header = req.headers['x-grafana-user'];
    if (holder.client !== null && header !== undefined) {
      // Only Grafana's proxy (which removes any incoming X-Grafana-User and sets its own) may
      // name a user; from anyone else the header would put a false name in the audit log.
      log.warn(
        { method: req.method, url: req.routeOptions.url, client: holder.client },
        'X-Grafana-User from a client refused'
      );
      reply
        .code(400)
        .send(
          errorBody(
            400,
            "headers/x-grafana-user is accepted only with Grafana's tokens (api.tokens), not from a client"
          )
        );
      return reply;
    }
    const user = grafanaUser(header);
    if (user.problem) {
      reply.code(400).send(errorBody(400, user.problem));
      return reply;
    }
    req.caller = {
      role: granted,
      actor: holder.client ?? user.user ?? granted,
      user: user.user,
      client: holder.client,
    };
  });

  app.addHook('onResponse', async (req, reply) => {
    if (req.method !== 'GET' && req.routeOptions.url) {
      log.info(
        {
          method: req.method,
          url: req.routeOptions.url,
          status: reply.statusCode,
          actor: req.caller?.actor,
          ms: Math.round(reply.elapsedTime),
        },
        'request'
      );
    }
  });

  const peers = options.peers ?? new Peers(options.engine.config, () => options.engine.now());
  app.addHook('onClose', async () => peers.close());
  const ctx = { engine: options.engine, peers };
  for (const r of routeTable(options)) {
    const schema = structuredClone(r.schema) as unknown as Record<string, unknown>;
    app.route({
      method: r.method,
      url: r.url,
      schema,
      config: { role: r.role },
      preValidation: async (req: FastifyRequest) => {
        if (r.optionalBody && (req.body === undefined || req.body === null)) {
          req.body = {};
        }
        const problem = bodyTypeProblem(r.schema.body, req.body);
        if (problem) {
          throw new HttpError(400, problem);
        }
      },
      handler: async (req, reply) => {
        const result = await r.handler(req, reply, req.caller, ctx);
        if (result === reply) {
          return reply;
        }
        if (r.status && reply.statusCode === 200) {
          reply.code(r.status);
        }
        return result;
      },
    });
  }
  return app;
}
