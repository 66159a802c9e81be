/**
 * InfluxDB data for the benchmarks, as Telegraf writes it: 4 measurements × `hosts` hosts, 3–5
 * fields each, one point every `step` seconds per series, values a bounded random walk with two
 * decimals, written as line protocol over HTTP in batches.
 */
export const MEASUREMENTS: Array<{ name: string; fields: string[] }> = [
  { name: 'cpu', fields: ['usage_user', 'usage_system', 'usage_idle', 'usage_iowait', 'usage_steal'] },
  { name: 'mem', fields: ['used_percent', 'available', 'cached', 'buffered'] },
  { name: 'disk', fields: ['used_percent', 'inodes_used', 'free'] },
  { name: 'net', fields: ['bytes_recv', 'bytes_sent', 'drop_in', 'err_in'] },
];

export const DAY = 86400;

export function influxEnv(name: 'BSLA_INFLUX_URL' | 'BSLA_INFLUX_RPC'): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: eval "$(bash scripts/services.sh env)"`);
  }
  return v;
}

/** One InfluxQL statement (POST /query); throws on an error in the answer. */
export async function influx(q: string): Promise<void> {
  const res = await fetch(`${influxEnv('BSLA_INFLUX_URL')}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q }),
  });
  const body = await res.text();
  if (!res.ok || body.includes('"error"')) {
    throw new Error(`influx ${q}: ${res.status} ${body}`);
  }
}

/** Writes every series' points in [from, to) (seconds) into `db`; returns how many points. */
export async function writeRange(
  db: string,
  range: { from: number; to: number; step: number },
  hosts: number,
  rand: () => number,
  walk: Map<string, number>
): Promise<number> {
  let lines: string[] = [];
  let points = 0;
  const flush = async () => {
    if (!lines.length) {
      return;
    }
    const res = await fetch(`${influxEnv('BSLA_INFLUX_URL')}/write?db=${encodeURIComponent(db)}&precision=s`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    if (res.status !== 204) {
      throw new Error(`write: ${res.status} ${await res.text()}`);
    }
    lines = [];
  };
  for (let t = range.from; t < range.to; t += range.step) {
    for (let h = 0; h < hosts; h++) {
      for (const m of MEASUREMENTS) {
        const fields = m.fields.map((f) => {
          const key = `${h}/${m.name}/${f}`;
          const v = Math.min(100, Math.max(0, (walk.get(key) ?? 50) + (rand() - 0.5) * 2));
          walk.set(key, v);
          return `${f}=${v.toFixed(2)}`;
        });
        lines.push(`${m.name},host=host${h} ${fields.join(',')} ${t}`);
        points++;
      }
    }
    if (lines.length >= 20_000) {
      await flush();
    }
  }
  await flush();
  return points;
}
