/**
 * The notification policy tree (one object), applied last: it names contact points and mute
 * timings, which must be in Grafana or restored before it.
 */
import type { Json } from '../../types';
import type { JsonObject } from '../client';
import { sameJson } from '../export';
import type { PlanContext } from './context';
import { knownReceivers } from './contact-points';
import { byProvenance, decide, errorItem, NO_PROVENANCE, PlanItem, without } from './decide';
import { knownMuteTimings } from './mute-timings';

/** Every name a route and its children give under `key`. */
export function namedIn(route: JsonObject, key: 'receiver' | 'mute_time_intervals'): string[] {
  const value = route[key];
  const own = key === 'receiver' ? (value ? [String(value)] : []) : Array.isArray(value) ? value.map(String) : [];
  const children = Array.isArray(route.routes) ? (route.routes as JsonObject[]).flatMap((r) => namedIn(r, key)) : [];
  return [...own, ...children];
}

export function planPolicies(
  ctx: PlanContext,
  receivers = knownReceivers(ctx),
  mutes = knownMuteTimings(ctx)
): PlanItem[] {
  if (!ctx.backup.policies) {
    return [];
  }
  const tree = without(ctx.backup.policies, ['provenance']);
  const base = { kind: 'policies' as const, key: 'policies', name: 'notification policy tree' };
  const missingReceivers = [...new Set(namedIn(tree, 'receiver'))].filter((r) => !receivers.has(r));
  const missingMutes = [...new Set(namedIn(tree, 'mute_time_intervals'))].filter((m) => !mutes.has(m));
  if (missingReceivers.length || missingMutes.length) {
    const named = [
      missingReceivers.length ? `names contact points ${missingReceivers.join(', ')}` : '',
      missingMutes.length ? `names mute timings ${missingMutes.join(', ')}` : '',
    ].filter(Boolean);
    return [errorItem(base, `${named.join(' and ')}, which are neither in the backup nor in Grafana`)];
  }
  const live = ctx.live.policies;
  const client = ctx.client;
  return [
    decide(
      base,
      // Grafana always has a tree (its default one): a restore replaces it.
      {
        exists: true,
        same: live !== null && sameJson(without(live, ['provenance']), tree),
        provisioned: byProvenance(live),
        force: ctx.force,
      },
      {
        apply: async () =>
          void (await client.request('PUT', '/api/v1/provisioning/policies', tree as Json, NO_PROVENANCE)),
      }
    ),
  ];
}
