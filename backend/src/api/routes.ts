/**
 * The route table: every route of the HTTP API with its role, its schemas and its handler. The
 * server registers it with fastify and the OpenAPI document is generated from it, so the two
 * cannot disagree. Handlers answer from the catalog and start work through the engine; they know
 * nothing of restic or of drivers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditRecord, Operation, RunStatus } from '../catalog/catalog';
import type { Role } from '../config/types';
import type { Engine } from '../engine/engine';
import { targetState } from '../engine/sla';
import { doctor } from '../doctor/doctor';
import { labStatus } from '../peers/peers';
import { HttpError } from './errors';
import {
  forward,
  forwardOperation,
  gather,
  isLocal,
  knownPeer,
  knownTarget,
  locate,
  locateAddress,
  mergeNewestFirst,
} from './lab';
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
import type { Caller, RouteContext } from './caller';

export type { Caller, RouteContext } from './caller';

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
type InstanceParams = { instance: string; target: string };

const self = (engine: Engine) => engine.config.instance;

/** One target's state, of this instance or (forwarded) of a peer. */
async function targetStatus(
  ctx: RouteContext,
  caller: Caller,
  instance: string | null,
  name: string
): Promise<Api.GetTarget> {
  const where = locate(ctx, instance, name);
  if (where.peer) {
    return (await forward(ctx, where.peer, caller, 'GET', `/api/targets/${encodeURIComponent(where.target)}`)).body;
  }
  const { engine } = ctx;
  const t = knownTarget(engine, where.target);
  return toTargetStatus(targetState(t, engine.catalog, engine.now()), engine.destinations(t.name), self(engine));
}

/** One target's snapshots, of this instance or (forwarded) of a peer. */
async function targetSnapshots(
  ctx: RouteContext,
  caller: Caller,
  instance: string | null,
  name: string
): Promise<Api.GetSnapshots> {
  const where = locate(ctx, instance, name);
  if (where.peer) {
    const path = `/api/targets/${encodeURIComponent(where.target)}/snapshots`;
    return (await forward(ctx, where.peer, caller, 'GET', path)).body;
  }
  const { engine } = ctx;
  return {
    snapshots: engine.snapshots(where.target).map((s) => toSnapshot(s, engine.contents(s), self(engine))),
  };
}

/** Backs up a target of this instance, or forwards the request to its peer (audited on both sides). */
function backupTarget(ctx: RouteContext, reply: FastifyReply, caller: Caller, instance: string | null, name: string) {
  const where = locate(ctx, instance, name);
  if (where.peer) {
    return forwardOperation(
      ctx,
      reply,
      caller,
      where,
      'backup',
      `/api/targets/${encodeURIComponent(where.target)}/backup`,
      {}
    );
  }
  const { engine } = ctx;
  return accepted(
    engine,
    reply,
    engine.start((started) => engine.backup(where.target, who(caller), started))
  );
}

function verifyTarget(
  ctx: RouteContext,
  req: FastifyRequest,
  reply: FastifyReply,
  caller: Caller,
  instance: string | null,
  name: string
) {
  const where = locate(ctx, instance, name);
  const body = req.body as { snapshot?: string };
  if (where.peer) {
    const path = `/api/targets/${encodeURIComponent(where.target)}/verify`;
    return forwardOperation(ctx, reply, caller, where, 'verify', path, body);
  }
  const { engine } = ctx;
  return accepted(
    engine,
    reply,
    engine.start((started) => engine.verify(where.target, body.snapshot ?? 'latest', who(caller), started))
  );
}

function whoami(_req: FastifyRequest, _reply: FastifyReply, caller: Caller | null): Api.WhoAmI {
  return { role: caller!.role };
}

/** Starts an operation in the background; answers 202 with the run id once it is recorded. */
async function accepted(engine: Engine, reply: FastifyReply, start: Promise<number>): Promise<Api.Accepted> {
  const runId = await start;
  reply.code(202);
  return { runId, instance: self(engine) };
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

/** Errors of a route that may forward to a peer: 502 when the peer does not answer or refuses. */
const FORWARD_ERRORS = [...AUTH_ERRORS, 404, 502];

/** GET /api/runs's query, as validated (runsQuerySchema). */
interface RunsQuery {
  target?: string;
  operation?: Operation;
  /** Comma-separated statuses. */
  status?: string;
  since?: string;
  limit: number;
}

/** `success,unchanged` → the list (the schema has checked each word). */
const statusList = <T extends string>(status: string | undefined): T[] | undefined =>
  status === undefined ? undefined : (status.split(',') as T[]);

/** This instance's runs, as the contract shows them (snapshotHeld from one catalog query). */
function localRuns(engine: Engine, q: RunsQuery): Api.Run[] {
  const runs = engine.catalog.runs({
    target: q.target,
    operation: q.operation,
    statuses: statusList<RunStatus>(q.status),
    since: q.since,
    limit: q.limit,
  });
  const held = heldSnapshots(runs, (ids) => engine.catalog.held(ids));
  return runs.map((r) => toRun(r, self(engine), held));
}

const query = (params: Record<string, string | number | undefined>) =>
  Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');

export function apiRoutes(): RouteDef[] {
  return [
    {
      method: 'GET',
      url: '/api/status',
      role: 'viewer',
      tag: 'state',
      summary:
        'SLA state of every target of the lab (this instance and its peers; local=1: this instance only) and the services covered by another target',
      schema: {
        querystring: S.localQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.statusResponseSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: async (req, _reply, _caller, ctx): Promise<Api.GetStatus> => {
        const { engine } = ctx;
        const own = toStatus(engine.slaState(), (t) => engine.destinations(t.name), self(engine));
        if (isLocal(req) || !ctx.peers.names().length) {
          return own;
        }
        return labStatus(own, await ctx.peers.statuses());
      },
    },
    {
      method: 'GET',
      url: '/api/targets/:target',
      role: 'viewer',
      tag: 'state',
      summary: 'SLA state of one target of this instance',
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.targetStatusSchema, ...errors(...AUTH_ERRORS, 404) },
      },
      handler: (req, _reply, caller, ctx) => targetStatus(ctx, caller!, null, (req.params as Params).target),
    },
    {
      method: 'GET',
      url: '/api/targets/:instance/:target',
      role: 'viewer',
      tag: 'state',
      summary: "SLA state of one target of an instance of the lab (a peer's is asked of the peer)",
      schema: {
        params: S.instanceTargetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.targetStatusSchema, ...errors(...FORWARD_ERRORS) },
      },
      handler: (req, _reply, caller, ctx) => {
        const p = req.params as InstanceParams;
        return targetStatus(ctx, caller!, p.instance, p.target);
      },
    },
    {
      method: 'GET',
      url: '/api/targets/:target/snapshots',
      role: 'viewer',
      tag: 'state',
      summary: 'Snapshots held for a target of this instance, newest first',
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getSnapshotsSchema, ...errors(...FORWARD_ERRORS) },
      },
      handler: (req, _reply, caller, ctx) => {
        const name = (req.params as Params).target;
        // `/api/targets/mon1/snapshots` is the state of mon1's target "snapshots" (target names
        // never equal instance names: config/lab.ts checkNames); it reached this route by its shape.
        if (name === self(ctx.engine) || ctx.peers.has(name)) {
          return targetStatus(ctx, caller!, name, 'snapshots');
        }
        return targetSnapshots(ctx, caller!, null, name);
      },
    },
    {
      method: 'GET',
      url: '/api/targets/:instance/:target/snapshots',
      role: 'viewer',
      tag: 'state',
      summary: 'Snapshots held for a target of an instance of the lab, newest first',
      schema: {
        params: S.instanceTargetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getSnapshotsSchema, ...errors(...FORWARD_ERRORS) },
      },
      handler: (req, _reply, caller, ctx) => {
        const p = req.params as InstanceParams;
        return targetSnapshots(ctx, caller!, p.instance, p.target);
      },
    },
    {
      method: 'GET',
      url: '/api/runs',
      role: 'viewer',
      tag: 'history',
      summary:
        "Runs (backups, verifications, restores, retention), newest first: every instance's (local=1: this one's), or one target's (target=<instance>/<target>); status and since filter them",
      schema: {
        querystring: S.runsQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getRunsSchema, ...errors(...FORWARD_ERRORS) },
      },
      handler: async (req, _reply, caller, ctx): Promise<Api.GetRuns> => {
        const { engine } = ctx;
        const q = req.query as RunsQuery;
        // The same filters, asked of a peer for its own runs.
        const filters = { operation: q.operation, status: q.status, since: q.since, limit: q.limit, local: 1 };
        if (q.target !== undefined) {
          const where = locateAddress(ctx, q.target);
          if (where.peer) {
            const path = `/api/runs?${query({ target: where.target, ...filters })}`;
            return (await forward(ctx, where.peer, caller!, 'GET', path)).body;
          }
          return { runs: localRuns(engine, { ...q, target: where.target }), unreachable: [] };
        }
        const own = localRuns(engine, q);
        if (isLocal(req)) {
          return { runs: own, unreachable: [] };
        }
        const path = `/api/runs?${query(filters)}`;
        const peers = await gather<Api.Run>(ctx, caller!, path, 'runs');
        return {
          runs: mergeNewestFirst([own, peers.items], (r) => r.startedAt, q.limit),
          unreachable: peers.unreachable,
        };
      },
    },
    {
      method: 'GET',
      url: '/api/runs/:id',
      role: 'viewer',
      tag: 'history',
      summary: 'One run of this instance (poll it after a 202 to follow a backup, verification or restore)',
      schema: {
        params: S.runParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.runSchema, ...errors(...AUTH_ERRORS, 404) },
      },
      handler: (req, _reply, _caller, { engine }): Api.GetRun => localRun(engine, (req.params as { id: number }).id),
    },
    {
      method: 'GET',
      url: '/api/runs/:instance/:id',
      role: 'viewer',
      tag: 'history',
      summary: 'One run of an instance of the lab (run ids are numbered per instance)',
      schema: {
        params: S.instanceRunParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.runSchema, ...errors(...FORWARD_ERRORS) },
      },
      handler: async (req, _reply, caller, ctx): Promise<Api.GetRun> => {
        const p = req.params as { instance: string; id: number };
        if (p.instance === self(ctx.engine)) {
          return localRun(ctx.engine, p.id);
        }
        return (await forward(ctx, knownPeer(ctx, p.instance), caller!, 'GET', `/api/runs/${p.id}`)).body;
      },
    },
    {
      method: 'GET',
      url: '/api/audit',
      role: 'viewer',
      tag: 'history',
      summary:
        "Audit log (who did what, when, with which result; one entry per action), newest first: every instance's (local=1: this one's); status and since filter it",
      schema: {
        querystring: S.auditQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getAuditSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: async (req, _reply, caller, ctx): Promise<Api.GetAudit> => {
        const { engine } = ctx;
        const { limit, status, since } = req.query as { limit: number; status?: string; since?: string };
        const own = engine.catalog
          .auditEntries({ limit, since, results: statusList<AuditRecord['result']>(status) })
          .map((a) => toAuditEntry(a, self(engine)));
        if (isLocal(req)) {
          return { entries: own, unreachable: [] };
        }
        const path = `/api/audit?${query({ status, since, limit, local: 1 })}`;
        const peers = await gather<Api.AuditEntry>(ctx, caller!, path, 'entries');
        return { entries: mergeNewestFirst([own, peers.items], (a) => a.at, limit), unreachable: peers.unreachable };
      },
    },
    {
      method: 'GET',
      url: '/api/restores',
      role: 'viewer',
      tag: 'restores',
      summary: "Restores, newest first: every instance's (local=1: this one's)",
      schema: {
        querystring: S.limitQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getRestoresSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: async (req, _reply, caller, ctx): Promise<Api.GetRestores> => {
        const { engine } = ctx;
        const limit = (req.query as { limit: number }).limit;
        const own = engine.catalog.runs({ operation: 'restore', limit }).map((r) => toRestore(r, self(engine)));
        if (isLocal(req)) {
          return { restores: own, unreachable: [] };
        }
        const path = `/api/restores?${query({ limit, local: 1 })}`;
        const peers = await gather<Api.Restore>(ctx, caller!, path, 'restores');
        return {
          restores: mergeNewestFirst([own, peers.items], (r) => r.startedAt, limit),
          unreachable: peers.unreachable,
        };
      },
    },
    {
      method: 'GET',
      url: '/api/restores/aside',
      role: 'viewer',
      tag: 'restores',
      summary:
        "What restores moved aside (the data they replaced, kept) and is still there, newest first: every instance's (local=1: this one's)",
      schema: {
        querystring: S.localQuerySchema,
        headers: S.grafanaUserHeaderSchema,
        response: { 200: S.getAsideSchema, ...errors(...AUTH_ERRORS) },
      },
      handler: async (req, _reply, caller, ctx): Promise<Api.GetAside> => {
        const { engine } = ctx;
        const own = (await engine.aside()).map((a) => toAside(a, self(engine)));
        if (isLocal(req)) {
          return { items: own, unreachable: [] };
        }
        const peers = await gather<Api.AsideItem>(ctx, caller!, '/api/restores/aside?local=1', 'items');
        return { items: mergeNewestFirst([own, peers.items], (a) => a.createdAt), unreachable: peers.unreachable };
      },
    },
    {
      method: 'POST',
      url: '/api/restores/aside/remove',
      role: 'admin',
      tag: 'restores',
      summary: 'Delete one thing a restore moved aside, for good (confirm = its name; target may name an instance)',
      schema: {
        headers: S.grafanaUserHeaderSchema,
        body: S.removeAsideBodySchema,
        response: { 200: S.asideItemSchema, ...errors(...FORWARD_ERRORS, 409, 413) },
      },
      handler: async (req, reply, caller, ctx): Promise<Api.AsideItem> => {
        const body = req.body as Api.RemoveAsideRequest;
        const where = locateAddress(ctx, body.target);
        if (body.confirm !== body.name) {
          throw new HttpError(400, `body/confirm must equal the name '${body.name}' to confirm its removal`);
        }
        if (where.peer) {
          const a = await forwardOperation(ctx, reply, caller!, where, 'remove aside', '/api/restores/aside/remove', {
            ...body,
            target: where.target,
          });
          return a as unknown as Api.AsideItem;
        }
        const { engine } = ctx;
        return toAside(await engine.removeAside(where.target, body.name, who(caller)), self(engine));
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
      summary: 'Back up a target of this instance now; 202 with the run id, 409 while the target is busy',
      optionalBody: true,
      status: 202,
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        body: S.emptyBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...AUTH_ERRORS, 404, 409, 413) },
      },
      handler: (req, reply, caller, ctx) => backupTarget(ctx, reply, caller!, null, (req.params as Params).target),
    },
    {
      method: 'POST',
      url: '/api/targets/:instance/:target/backup',
      role: 'operator',
      tag: 'operations',
      summary:
        "Back up a target of an instance of the lab now (a peer's: forwarded with the operator token, audited on both); 202 with the run id",
      optionalBody: true,
      status: 202,
      schema: {
        params: S.instanceTargetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        body: S.emptyBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...FORWARD_ERRORS, 409, 413) },
      },
      handler: (req, reply, caller, ctx) => {
        const p = req.params as InstanceParams;
        return backupTarget(ctx, reply, caller!, p.instance, p.target);
      },
    },
    {
      method: 'POST',
      url: '/api/targets/:target/verify',
      role: 'operator',
      tag: 'operations',
      summary:
        'Verify a snapshot (default: the latest) of a target of this instance by a test restore; 202 with the run id',
      optionalBody: true,
      status: 202,
      schema: {
        params: S.targetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        body: S.verifyBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...AUTH_ERRORS, 404, 409, 413) },
      },
      handler: (req, reply, caller, ctx) => verifyTarget(ctx, req, reply, caller!, null, (req.params as Params).target),
    },
    {
      method: 'POST',
      url: '/api/targets/:instance/:target/verify',
      role: 'operator',
      tag: 'operations',
      summary: 'Verify a snapshot of a target of an instance of the lab by a test restore; 202 with the run id',
      optionalBody: true,
      status: 202,
      schema: {
        params: S.instanceTargetParamsSchema,
        headers: S.grafanaUserHeaderSchema,
        body: S.verifyBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...FORWARD_ERRORS, 409, 413) },
      },
      handler: (req, reply, caller, ctx) => {
        const p = req.params as InstanceParams;
        return verifyTarget(ctx, req, reply, caller!, p.instance, p.target);
      },
    },
    {
      method: 'POST',
      url: '/api/restores',
      role: 'admin',
      tag: 'restores',
      summary:
        "Restore a snapshot, or a point in time (`at`, targets with pitr) (confirm = target as given; a peer's target as <instance>/<target> is forwarded with the admin token); a safety backup first unless declined",
      status: 202,
      schema: {
        headers: S.grafanaUserHeaderSchema,
        body: S.restoreBodySchema,
        response: { 202: S.acceptedSchema, ...errors(...FORWARD_ERRORS, 409, 413) },
      },
      handler: (req, reply, caller, ctx) => {
        const body = req.body as Api.RestoreRequest;
        const where = locateAddress(ctx, body.target);
        if (body.confirm !== body.target) {
          throw new HttpError(400, `body/confirm must equal the target name '${body.target}' to confirm the restore`);
        }
        if (body.to !== undefined && body.to.split(/[\\/]/).some((part) => part === '..')) {
          throw new HttpError(400, `body/to must not contain '..' (no path traversal)`);
        }
        if ((body.snapshot === undefined) === (body.at === undefined)) {
          throw new HttpError(400, 'body must name either a snapshot or a point in time (at)');
        }
        if (where.peer) {
          return forwardOperation(ctx, reply, caller!, where, 'restore', '/api/restores', {
            ...body,
            target: where.target,
            confirm: where.target,
          });
        }
        const { engine } = ctx;
        const at = body.at === undefined ? undefined : new Date(body.at);
        return accepted(
          engine,
          reply,
          engine.start((started) =>
            engine.restore(
              where.target,
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

/** One run of this instance. */
function localRun(engine: Engine, id: number): Api.Run {
  const run = engine.catalog.run(id);
  if (!run) {
    throw new HttpError(404, `no run ${id}`);
  }
  return toRun(
    run,
    self(engine),
    heldSnapshots([run], (ids) => engine.catalog.held(ids))
  );
}
