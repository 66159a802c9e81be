/**
 * The lab in the API: where a target address leads (this instance or a peer), and requests
 * forwarded to a peer. A target is `<name>` (this instance) or `<instance>/<name>`; an instance
 * answers for its own targets and forwards the rest to the peer that has them:
 *
 * - with the token of the caller's own role (a viewer's request only ever carries the viewer token),
 * - with the caller's Grafana user (X-Grafana-User), so that the peer audits the same person,
 * - operations (backup, verify, restore, removal of what a restore moved aside) audited here too,
 *   as `<peer>/<target>`, with what the peer answered;
 * - a peer that does not answer, or refuses this instance's token, is a 502 that says so; any other
 *   refusal (404, 409, 400) comes back as the peer said it, naming the peer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as Api from './contract';
import { HttpError } from './errors';
import type { Caller, RouteContext } from './caller';
import type { Engine } from '../engine/engine';
import { PeerAnswer, PeerUnreachableError } from '../peers/client';
import { peerRefusal } from '../peers/peers';

/** A forwarded read or operation may take longer than the status (the peer records a run first). */
const FORWARD_TIMEOUT_MS = 10_000;

/** The configuration's rule for target names (config/schema.ts). */
const TARGET_NAME = /^[a-z][a-z0-9_-]*$/;

export type Located = { peer: null; target: string } | { peer: string; target: string };

export function knownTarget(engine: Engine, name: string) {
  return engine.target(name); // NotFoundError → 404
}

/** `?local=1`: this instance only. */
export function isLocal(req: FastifyRequest): boolean {
  const local = (req.query as { local?: string } | undefined)?.local;
  return local === '1' || local === 'true';
}

function instances(ctx: RouteContext): string {
  const peers = ctx.peers.names();
  return `this instance: ${ctx.engine.config.instance}; peers: ${peers.length ? peers.join(', ') : 'none'}`;
}

/** A peer by name (404 naming the instances there are). */
export function knownPeer(ctx: RouteContext, instance: string): string {
  if (!ctx.peers.has(instance)) {
    throw new HttpError(404, `unknown instance '${instance}' (${instances(ctx)})`);
  }
  return instance;
}

/** A target of an instance (null: this one). A target of this instance must exist (404). */
export function locate(ctx: RouteContext, instance: string | null, target: string): Located {
  if (instance === null || instance === ctx.engine.config.instance) {
    return { peer: null, target: knownTarget(ctx.engine, target).name };
  }
  knownPeer(ctx, instance);
  // Only what can be a target's name goes into a path to the peer (never `.` or `..`).
  if (!TARGET_NAME.test(target)) {
    throw new HttpError(
      404,
      `unknown target '${target}' of instance ${instance} (target names: lower-case letters, digits, - and _)`
    );
  }
  return { peer: instance, target };
}

/** A target address as bodies and queries give it: `<name>` or `<instance>/<name>`. */
export function locateAddress(ctx: RouteContext, address: string): Located {
  const slash = address.indexOf('/');
  return slash < 0 ? locate(ctx, null, address) : locate(ctx, address.slice(0, slash), address.slice(slash + 1));
}

/** One request to a peer for the caller; what the peer refused becomes an HttpError saying so. */
export async function forward(
  ctx: RouteContext,
  peer: string,
  caller: Caller,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown
): Promise<PeerAnswer> {
  let a: PeerAnswer;
  try {
    a = await ctx.peers.call(peer, {
      method,
      path,
      role: caller.role,
      user: caller.user ?? null,
      body,
      timeoutMs: FORWARD_TIMEOUT_MS,
    });
  } catch (e) {
    if (e instanceof PeerUnreachableError) {
      throw new HttpError(502, e.message);
    }
    throw e;
  }
  if (a.status >= 200 && a.status < 300) {
    return a;
  }
  if (a.status === 401 || a.status === 403 || a.status >= 500) {
    // Not the caller's fault: this instance's token for the peer is wrong, or the peer failed.
    throw new HttpError(502, peerRefusal(peer, caller.role, a));
  }
  const said = typeof a.body?.message === 'string' ? a.body.message : `HTTP ${a.status}`;
  throw new HttpError(a.status, `instance ${peer}: ${said}`);
}

/**
 * An operation on a peer's target: forwarded, audited here as `<peer>/<target>` with the peer's
 * answer (the peer audits it too, under the same Grafana user), the peer's kept status refreshed.
 */
export async function forwardOperation(
  ctx: RouteContext,
  reply: FastifyReply,
  caller: Caller,
  where: Located,
  action: string,
  path: string,
  body: unknown
): Promise<Record<string, unknown>> {
  const peer = where.peer!;
  // An accepted operation names the peer's run: the app joins this entry with the peer's own.
  const audit = (detail: string, result: 'started' | 'failed' | 'ok', runId: number | null = null) =>
    ctx.engine.catalog.audit(
      { actor: caller.actor, role: caller.role, action, target: `${peer}/${where.target}`, detail, result, runId },
      ctx.engine.now()
    );
  let a: PeerAnswer;
  try {
    a = await forward(ctx, peer, caller, 'POST', path, body);
  } catch (e) {
    audit(`forwarded to ${peer}: ${(e as Error).message}`, 'failed');
    throw e;
  } finally {
    ctx.peers.changed(peer);
  }
  reply.code(a.status);
  if (typeof a.body?.runId === 'number') {
    audit(`forwarded to ${peer}: run ${a.body.runId}`, 'started', a.body.runId);
    return { runId: a.body.runId, instance: a.body.instance ?? peer } satisfies Api.Accepted;
  }
  audit(`forwarded to ${peer}: done`, 'ok');
  return { ...a.body, instance: a.body?.instance ?? peer };
}

/**
 * A whole-lab list: the same request (with `local=1`) to every peer at once, each within its
 * timeout; the items of those that answered, and the states of those that did not.
 */
export async function gather<T extends { instance: string }>(
  ctx: RouteContext,
  caller: Caller,
  path: string,
  key: string
): Promise<{ items: T[]; unreachable: Api.InstanceState[] }> {
  const names = ctx.peers.names();
  const lists = await Promise.all(
    names.map(async (peer): Promise<T[]> => {
      try {
        const a = await ctx.peers.call(peer, { method: 'GET', path, role: caller.role, user: caller.user ?? null });
        if (a.status === 200 && Array.isArray(a.body?.[key])) {
          return (a.body[key] as T[]).map((x) => ({ ...x, instance: x.instance ?? peer }));
        }
        ctx.peers.failedAnswer(peer, caller.role, a);
      } catch {
        // not answering: recorded by Peers.call
      }
      return [];
    })
  );
  return { items: lists.flat(), unreachable: ctx.peers.unreachable(names) };
}

/** Lists of instances merged newest first (stable: this instance's first among equal times). */
export function mergeNewestFirst<T>(lists: T[][], time: (x: T) => string, limit?: number): T[] {
  const all = lists.flat();
  const merged = all
    .map((x, i) => ({ x, i, t: Date.parse(time(x)) }))
    .sort((a, b) => b.t - a.t || a.i - b.i)
    .map((e) => e.x);
  return limit === undefined ? merged : merged.slice(0, limit);
}
