/** Notification templates, by name. */
import type { JsonObject } from '../client';
import type { PlanContext } from './context';
import { byProvenance, decide, enc, NO_PROVENANCE, PlanItem } from './decide';

export function planTemplate(ctx: PlanContext, t: JsonObject, current: JsonObject | null): PlanItem {
  const name = String(t.name);
  const client = ctx.client;
  return decide(
    { kind: 'template', key: name, name },
    {
      exists: current !== null,
      same: current !== null && String(current.template) === String(t.template),
      provisioned: byProvenance(current),
      force: ctx.force,
    },
    {
      apply: async () =>
        void (await client.request(
          'PUT',
          `/api/v1/provisioning/templates/${enc(name)}`,
          { template: t.template },
          NO_PROVENANCE
        )),
    }
  );
}

export function planTemplates(ctx: PlanContext): PlanItem[] {
  return ctx.backup.templates.map((t) => planTemplate(ctx, t, ctx.live.templates.get(String(t.name)) ?? null));
}
