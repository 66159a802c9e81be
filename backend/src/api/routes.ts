/**
 * The route table: every route of the HTTP API with its role, its schemas and its handler. The
 * server registers it with fastify and the OpenAPI document is generated from it, so the two
 * cannot disagree. Handlers answer from the catalog and start work through the engine; they know
 * nothing of restic or of drivers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Operation } from '../catalog/catalog';
import type { Role } from '../config/types';
import type { Engine } from '../engine/engine';
import { targetState } from '../engine/sla';
import { doctor } from '../doctor/doctor';
import { HttpError } from './errors';
import {
  heldSnapshots,
  toAside,
  toAuditEntry,
  toRestore,
  toRun,
  toSnapshot,
  toStatus,
  toTargetStatus,
} from './mapping';
import * as S from './schemas';
import type * as Api from './contract';

export interface RouteContext {
  engine: Engine;
}

/** What the auth hook found out about the caller. */
export interface Caller {
  role: Role;
  /** The client's name (api.clients), else the Grafana user if forwarded, else the role. */
  actor: string;
  /** The Grafana user Grafana's proxy forwarded (X-Grafana-User), or null. */
  user: string | null;
  /** The client (api.clients) whose token was used; null for Grafana's tokens. */
  client: string | null;
}

/** The caller as the engine records it: the name for the run and the audit log, and the token's role. */
function who(caller: Caller | null) {
  return { name: caller!.actor, role: caller!.role };
}

export interface RouteSchema {
  params?: S.JsonSchema;
  querystring?: S.JsonSchema;
  headers?: S.JsonSchema;
  body?: S.JsonSchema;
  response: Record<number, S.JsonSchema>;
}

export interface RouteDef {
  method: 'GET' | 'POST';
  url: string;
  /** Least role allowed; null: no token needed. */
  role: Role | null;
  summary: string;
  tag: string;
  schema: RouteSchema;
  /** The body may be left out entirely (it is then taken as {}). */
  optionalBody?: boolean;
  /** Success status (200 unless said). */
  status?: number;
  /** Answers something other than JSON (metrics): the handler sends it itself. */
  produces?: string;
  handler: (req: FastifyRequest, reply: FastifyReply, caller: Caller | null, ctx: RouteContext) => unknown;
}

const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, S.apiErrorSchema]));
/** Every authenticated route can answer 400 (bad X-Grafana-User), 401 and 403. */
const AUTH_ERRORS = [400, 401, 403];

type Params = { target: string };

function knownTarget(engine: Engine, name: string) {
  return engine.target(name); // NotFoundError → 404
}

function whoami(_req: FastifyRequest, _reply: FastifyReply, caller: Caller | null): Api.WhoAmI {
  return { role: caller!.role };
}

/** Starts an operation in the background; answers 202 with the run id once it is recorded. */
async function accepted(reply: FastifyReply, start: Promise<number>): Promise<Api.Accepted> {
  const runId = await start;
  reply.code(202);
  return { runId };
}

/**
 * The doctor report for the API: one run at a time (concurrent requests share it), kept for 10 s,
 * since each run asks every repository (≈ 0.7 s of restic's key derivation each) and every tool.
 */
const doctorRuns = new WeakMap<Engine, { at: number; report: Promise<Api.GetDoctor> }>();

function doctorReport(engine: Engine): Promise<Api.GetDoctor> {
  const last = doctorRuns.get(engine);
  if (last && Date.now() - last.at < 10_000) {
    return last.report;
  }
  const report = doctor(engine.config, { catalog: engine.catalog, log: engine.log, now: engine.now });
  doctorRuns.set(engine, { at: Date.now(), report });
  report.catch(() => doctorRuns.delete(engine));
  return report;
}

/**
 * POST twins of GET /api/whoami: Grafana's config page tests its operator and admin proxy routes,
 * which only take POST, and any valid token may ask which role it has.
 */
function postWhoami(url: string, summary: string): RouteDef {
  return {
    method: 'POST',
    url,
    role: 'viewer',
    tag: 'connection',
    summary,
    optionalBody: true,
    schema: {
      headers: S.grafanaUserHeaderSchema,
      body: S.anyBodySchema,
      response: { 200: S.whoAmISchema, ...errors(...AUTH_ERRORS, 413) },
    },
    handler: whoami,
  };
}

export function apiRoutes(): RouteDef[] {
  return [
    {
      method: 'GET',
      url: '/api/status',
      role: 'viewer',
      tag: 'state',
      summary: 'SLA state of every target and the services covered by another target',
      schema: {
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.statusResponseSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: (_req, _reply, _caller, { engine }): Api.GetStatus =>
        toStatus(engine.slaState(), (t) => engine.destinations(t.name)),
    },
    {
      method: 'GET',
      url: '/api/targets/:target',
      role: 'viewer',
      tag: 'state',
      summary: 'SLA state of one target',
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.targetStatusSchema, ...errors(...AUTH_ERRORS, 404) },
      },
      handler: (req, _reply, _caller, { engine }): Api.GetTarget => {
        const t = knownTarget(engine, (req.params as Params).target);
        return toTargetStatus(targetState(t, engine.catalog, engine.now()), engine.destinations(t.name));
      },
    },
    {
      method: 'GET',
      url: '/api/targets/:target/snapshots',
      role: 'viewer',
      tag: 'state',
      summary: 'Snapshots held for a target, newest first',
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getSnapshotsSchema, ...errors(...AUTH_ERRORS, 404) },
      },
      handler: (req, _reply, _caller, { engine }): Api.GetSnapshots => ({
        snapshots: engine.snapshots((req.params as Params).target).map((s) => toSnapshot(s, engine.contents(s))),
      }),
    },
    {
      method: 'GET',
      url: '/api/runs',
      role: 'viewer',
      tag: 'history',
      summary: 'Runs (backups, verifications, restores, retention), newest first',
      schema: {
        querystring: S.runsQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getRunsSchema, ...errors(...AUTH_ERRORS, 404) },
      },
      handler: (req, _reply, _caller, { engine }): Api.GetRuns => {
        const q = req.query as { target?: string; operation?: Operation; limit: number };
        if (q.target !== undefined) {
          knownTarget(engine, q.target);
        }
        const runs = engine.catalog.runs({ target: q.target, operation: q.operation, limit: q.limit });
        const held = heldSnapshots(runs, (ids) => engine.catalog.held(ids));
        return { runs: runs.map((r) => toRun(r, held)) };
      },
    },
    {
      method: 'GET',
      url: '/api/runs/:id',
      role: 'viewer',
      tag: 'history',
      summary: 'One run (poll it after a 202 to follow a backup, verification or restore)',
      schema: {
        params: S.runParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.runSchema, ...errors(...AUTH_ERRORS, 404) },
      },
      handler: (req, _reply, _caller, { engine }): Api.GetRun => {
        const id = (req.params as { id: number }).id;
        const run = engine.catalog.run(id);
        if (!run) {
          throw new HttpError(404, `no run ${id}`);
        }
        return toRun(
          run,
          heldSnapshots([run], (ids) => engine.catalog.held(ids))
        );
      },
    },
    {
      method: 'GET',
      url: '/api/audit',
      role: 'viewer',
      tag: 'history',
      summary: 'Audit log (who did what, when, with which result), newest first',
      schema: {
        querystring: S.limitQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getAuditSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: (req, _reply, _caller, { engine }): Api.GetAudit => ({
        entries: engine.catalog.auditEntries((req.query as { limit: number }).limit).map(toAuditEntry),
      }),
    },
    {
      method: 'GET',
      url: '/api/restores',
      role: 'viewer',
      tag: 'restores',
      summary: 'Restores, newest first',
      schema: {
        querystring: S.limitQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getRestoresSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: (req, _reply, _caller, { engine }): Api.GetRestores => ({
        restores: engine.catalog
          .runs({ operation: 'restore', limit: (req.query as { limit: number }).limit })
          .map(toRestore),
      }),
    },
    {
      method: 'GET',
      url: '/api/restores/aside',
      role: 'viewer',
      tag: 'restores',
      summary: 'What restores moved aside (the data they replaced, kept) and is still there, newest first',
      schema: {
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getAsideSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: async (_req, _reply, _caller, { engine }): Promise<Api.GetAside> => ({
        items: (await engine.aside()).map(toAside),
      }),
    },
    {
      method: 'POST',
      url: '/api/restores/aside/remove',
      role: 'admin',
      tag: 'restores',
      summary: 'Delete one thing a restore moved aside, for good (confirm = its name)',
      schema: {
        headers: S.grafanaUserHeaderSchema,
        body: S.removeAsideBodySchema,
        response: { 200: S.asideItemSchema, ...errors(...AUTH_ERRORS, 404, 409, 413) },
      },
      handler: async (req, _reply, caller, { engine }): Promise<Api.AsideItem> => {
        const body = req.body as Api.RemoveAsideRequest;
        const target = knownTarget(engine, body.target).name;
        if (body.confirm !== body.name) {
          throw new HttpError(400, `body/confirm must equal the name '${body.name}' to confirm its removal`);
        }
        return toAside(await engine.removeAside(target, body.name, who(caller)));
      },
    },
    {
      method: 'GET',
      url: '/api/whoami',
      role: 'viewer',
      tag: 'connection',
      summary: 'The role of the token used (Grafana: test of the viewer route)',
      schema: { headers: S.grafanaUserHeaderSchema, response: { 200: S.whoAmISchema, ...errors(...AUTH_ERRORS) } },
      handler: whoami,
    },
    {
      method: 'GET',
      url: '/api/doctor',
      role: 'admin',
      tag: 'connection',
      summary:
        "What backup-sla doctor reports: per target, one line per check (tools, repositories, free space, secrets, tokens). Admin: it runs restic and the kinds' tools, and names paths",
      schema: {
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.doctorReportSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: (_req, _reply, _caller, { engine }): Promise<Api.GetDoctor> => doctorReport(engine),
    },
    postWhoami('/api/whoami', 'The role of the token used (Grafana: test of the operator route)'),
    postWhoami('/api/restores/whoami', 'The role of the token used (Grafana: test of the admin route)'),
    {
      method: 'POST',
      url: '/api/targets/:target/backup',
      role: 'operator',
      tag: 'operations',
      summary: 'Back up a target now; 202 with the run id, 409 while the target is busy',
      optionalBody: true,
      status: 202,
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        body: S.emptyBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...AUTH_ERRORS, 404, 409, 413) },
      },
      handler: (req, reply, caller, { engine }) => {
        const target = knownTarget(engine, (req.params as Params).target).name;
        return accepted(
          reply,
          engine.start((started) => engine.backup(target, who(caller), started))
        );
      },
    },
    {
      method: 'POST',
      url: '/api/targets/:target/verify',
      role: 'operator',
      tag: 'operations',
      summary: 'Verify a snapshot (default: the latest) by a test restore; 202 with the run id',
      optionalBody: true,
      status: 202,
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        body: S.verifyBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...AUTH_ERRORS, 404, 409, 413) },
      },
      handler: (req, reply, caller, { engine }) => {
        const target = knownTarget(engine, (req.params as Params).target).name;
        const snapshot = (req.body as { snapshot?: string }).snapshot ?? 'latest';
        return accepted(
          reply,
          engine.start((started) => engine.verify(target, snapshot, who(caller), started))
        );
      },
    },
    {
      method: 'POST',
      url: '/api/restores',
      role: 'admin',
      tag: 'restores',
      summary:
        'Restore a snapshot, or a point in time (`at`, targets with pitr) (confirm = the target name); a safety backup first unless declined',
      status: 202,
      schema: {
        headers: S.grafanaUserHeaderSchema,
        body: S.restoreBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...AUTH_ERRORS, 404, 409, 413) },
      },
      handler: (req, reply, caller, { engine }) => {
        const body = req.body as Api.RestoreRequest;
        const target = knownTarget(engine, body.target).name;
        if (body.confirm !== target) {
          throw new HttpError(400, `body/confirm must equal the target name '${target}' to confirm the restore`);
        }
        if (body.to !== undefined && body.to.split(/[\\/]/).some((part) => part === '..')) {
          throw new HttpError(400, `body/to must not contain '..' (no path traversal)`);
        }
        if ((body.snapshot === undefined) === (body.at === undefined)) {
          throw new HttpError(400, 'body must name either a snapshot or a point in time (at)');
        }
        const at = body.at === undefined ? undefined : new Date(body.at);
        return accepted(
          reply,
          engine.start((started) =>
            engine.restore(
              target,
              { snapshot: body.snapshot, at, to: body.to, safetyBackup: body.safetyBackup },
              who(caller),
              started
            )
          )
        );
      },
    },
  ];
}
