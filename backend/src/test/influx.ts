/** Test helpers for the real InfluxDB 1.x started by scripts/services.sh (HTTP API, no auth). */
import { services } from './services';

export function influxEnv() {
  return services().influx;
}

/** Runs one InfluxQL statement and returns its result (throws on any error). */
export async function influx(q: string, db?: string): Promise<any> {
  const body = new URLSearchParams({ q });
  if (db) {
    body.set('db', db);
  }
  const res = await fetch(`${influxEnv().url}/query`, { method: 'POST', body });
  const json: any = await res.json();
  if (!res.ok || json.error || json.results?.[0]?.error) {
    throw new Error(`influx ${q}: ${JSON.stringify(json)}`);
  }
  return json.results[0];
}

/** Writes line protocol (millisecond timestamps) into a database (and retention policy). */
export async function write(db: string, lines: string[], rp?: string): Promise<void> {
  const params = new URLSearchParams({ db, precision: 'ms', ...(rp ? { rp } : {}) });
  const res = await fetch(`${influxEnv().url}/write?${params}`, { method: 'POST', body: lines.join('\n') });
  if (res.status !== 204) {
    throw new Error(`write to ${db}: ${res.status} ${await res.text()}`);
  }
}

export async function databases(): Promise<string[]> {
  const r = await influx('SHOW DATABASES');
  return (r.series?.[0]?.values ?? []).map((v: string[]) => v[0]);
}

/** Field counts per measurement of one retention policy, as the tests see them. */
export async function counts(db: string, rp = 'autogen'): Promise<Record<string, Record<string, number>>> {
  const r = await influx(`SELECT count(*) FROM "${db}"."${rp}"./.*/`, db);
  const out: Record<string, Record<string, number>> = {};
  for (const s of r.series ?? []) {
    out[s.name] = {};
    s.columns.forEach((c: string, i: number) => {
      if (c !== 'time' && s.values[0][i]) {
        out[s.name][c.replace(/^count_/, '')] = s.values[0][i];
      }
    });
  }
  return out;
}

/**
 * Everything a database holds, as counts: per retention policy, measurement and field; null when
 * the database does not exist. Restored shards load asynchronously: the driver waits for them
 * before it reports success, so a read after a restore sees them.
 */
export async function readInflux(db: string): Promise<Record<string, unknown> | null> {
  if (!(await databases()).includes(db)) {
    return null;
  }
  const r = await influx(`SHOW RETENTION POLICIES ON "${db}"`);
  const out: Record<string, unknown> = {};
  for (const [rp] of r.series?.[0]?.values ?? []) {
    out[rp] = await counts(db, rp);
  }
  return out;
}
