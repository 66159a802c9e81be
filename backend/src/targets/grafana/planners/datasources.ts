/**
 * Data sources, by uid. Grafana never exports their secure fields: a restored one needs a person
 * to enter them again (said as `human`). A live data source of the same name but another uid
 * would make the create fail (names are unique): an error. Provisioned ones are read-only.
 */
import type { JsonObject } from '../client';
import { sameJson, secureKeys } from '../export';
import type { PlanContext } from './context';
import { decide, enc, errorItem, newerVersion, PlanItem } from './decide';

/** What a restore writes of a data source (the rest is Grafana's own bookkeeping). */
const FIELDS = [
  'name',
  'type',
  'access',
  'url',
  'user',
  'database',
  'basicAuth',
  'basicAuthUser',
  'withCredentials',
  'isDefault',
  'jsonData',
];

export function datasourceBody(d: JsonObject): JsonObject {
  const out: JsonObject = { uid: d.uid };
  for (const k of FIELDS) {
    if (d[k] !== undefined) {
      out[k] = d[k];
    }
  }
  return out;
}

function reenter(fields: string[]): string | undefined {
  return fields.length ? `re-enter its secure fields (${fields.join(', ')}): Grafana never exports them` : undefined;
}

/** One data source against its live counterpart (read in full: the list lacks version and secure fields). */
export function planDatasource(ctx: PlanContext, d: JsonObject, current: JsonObject | null): PlanItem {
  const uid = String(d.uid);
  const base = { kind: 'datasource' as const, key: uid, name: String(d.name) };
  const secure = secureKeys(d.secureJsonFields);
  const client = ctx.client;
  if (!current) {
    const clash = ctx.live.datasources.find((x) => String(x.name) === String(d.name));
    if (clash) {
      return errorItem(base, `a data source named '${d.name}' exists with another uid (${clash.uid})`);
    }
    return decide(
      base,
      { exists: false, same: false, force: ctx.force },
      {
        human: reenter(secure),
        apply: async () => void (await client.request('POST', '/api/datasources', datasourceBody(d))),
      }
    );
  }
  const liveSecure = secureKeys(current.secureJsonFields);
  const liveVersion = Number(current.version ?? 0);
  return decide(
    base,
    {
      exists: true,
      same: sameJson(datasourceBody(current), datasourceBody(d)),
      provisioned:
        current.readOnly === true
          ? { reason: 'provisioned (read-only) data source', human: 'restore its provisioning file (Ansible)' }
          : null,
      newer: newerVersion(liveVersion, Number(d.version ?? 0)),
      force: ctx.force,
    },
    {
      human: reenter(secure.filter((k) => !liveSecure.includes(k))),
      apply: async () =>
        void (await client.request('PUT', `/api/datasources/uid/${enc(uid)}`, {
          ...datasourceBody(d),
          version: liveVersion,
        })),
    }
  );
}

export async function planDatasources(ctx: PlanContext): Promise<PlanItem[]> {
  const liveUids = new Set(ctx.live.datasources.map((d) => String(d.uid)));
  const items: PlanItem[] = [];
  for (const d of ctx.backup.datasources) {
    const uid = String(d.uid);
    const current = liveUids.has(uid)
      ? await ctx.client.getOptional<JsonObject>(`/api/datasources/uid/${enc(uid)}`)
      : null;
    items.push(planDatasource(ctx, d, current));
  }
  return items;
}

/** Data source uids an alert rule may query after the restore: the live ones and the restored ones. */
export function knownDatasources(ctx: PlanContext): Set<string> {
  return new Set([...ctx.live.datasources, ...ctx.backup.datasources].map((d) => String(d.uid)));
}
