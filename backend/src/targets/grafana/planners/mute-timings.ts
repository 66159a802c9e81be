/** Mute timings, by name. */
import type { JsonObject } from '../client';
import { sameJson } from '../export';
import type { PlanContext } from './context';
import { byProvenance, decide, enc, NO_PROVENANCE, PlanItem } from './decide';

export function planMuteTiming(ctx: PlanContext, m: JsonObject, current: JsonObject | null): PlanItem {
  const name = String(m.name);
  const body = { name, time_intervals: m.time_intervals ?? [] };
  const client = ctx.client;
  return decide(
    { kind: 'mute timing', key: name, name },
    {
      exists: current !== null,
      same: current !== null && sameJson(current.time_intervals ?? [], body.time_intervals),
      provisioned: byProvenance(current),
      force: ctx.force,
    },
    {
      apply: async () =>
        void (await (current
          ? client.request('PUT', `/api/v1/provisioning/mute-timings/${enc(name)}`, body, NO_PROVENANCE)
          : client.request('POST', '/api/v1/provisioning/mute-timings', body, NO_PROVENANCE))),
    }
  );
}

export function planMuteTimings(ctx: PlanContext): PlanItem[] {
  return ctx.backup.muteTimings.map((m) => planMuteTiming(ctx, m, ctx.live.muteTimings.get(String(m.name)) ?? null));
}

/** Mute timing names a policy tree may name after the restore: the live ones and the restored ones. */
export function knownMuteTimings(ctx: PlanContext): Set<string> {
  return new Set([...ctx.live.muteTimings.keys(), ...ctx.backup.muteTimings.map((m) => String(m.name))]);
}
