/**
 * Contact points, by uid, else by name and type. Grafana shows secure settings as [REDACTED]: a
 * created one needs a person to enter them again; an update that sends [REDACTED] keeps the
 * secret Grafana holds.
 */
import type { JsonObject } from '../client';
import { redactedKeys, sameJson } from '../export';
import type { PlanContext } from './context';
import { byProvenance, decide, enc, NO_PROVENANCE, PlanItem, without } from './decide';

function body(c: JsonObject): JsonObject {
  return {
    ...(c.uid ? { uid: c.uid } : {}),
    name: c.name,
    type: c.type,
    settings: c.settings ?? {},
    disableResolveMessage: c.disableResolveMessage ?? false,
  };
}

export function planContactPoint(ctx: PlanContext, c: JsonObject, current: JsonObject | null): PlanItem {
  const secrets = redactedKeys(c.settings);
  const client = ctx.client;
  const liveUid = String(current?.uid ?? c.uid);
  return decide(
    { kind: 'contact point', key: String(c.uid || c.name), name: String(c.name) },
    {
      exists: current !== null,
      same: current !== null && sameJson(without(body(current), ['uid']), without(body(c), ['uid'])),
      provisioned: byProvenance(current),
      force: ctx.force,
    },
    current
      ? {
          apply: async () =>
            void (await client.request(
              'PUT',
              `/api/v1/provisioning/contact-points/${enc(liveUid)}`,
              { ...body(c), uid: liveUid },
              NO_PROVENANCE
            )),
        }
      : {
          human: secrets.length
            ? `re-enter its secure settings (${secrets.join(', ')}): Grafana never exports them`
            : undefined,
          apply: async () =>
            void (await client.request('POST', '/api/v1/provisioning/contact-points', body(c), NO_PROVENANCE)),
        }
  );
}

/** The live contact point a backed-up one is: the same uid, else the same name and type. */
export function liveContactPoint(ctx: PlanContext, c: JsonObject): JsonObject | null {
  const live = ctx.live.contactPoints;
  return (
    live.find((x) => c.uid && String(x.uid) === String(c.uid)) ??
    live.find((x) => String(x.name) === String(c.name) && String(x.type) === String(c.type)) ??
    null
  );
}

export function planContactPoints(ctx: PlanContext): PlanItem[] {
  return ctx.backup.contactPoints.map((c) => planContactPoint(ctx, c, liveContactPoint(ctx, c)));
}

/** Contact point names a policy tree may name after the restore: the live ones and the restored ones. */
export function knownReceivers(ctx: PlanContext): Set<string> {
  return new Set([...ctx.live.contactPoints, ...ctx.backup.contactPoints].map((c) => String(c.name)));
}
