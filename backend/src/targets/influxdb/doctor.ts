/** `backup-sla doctor` for an influxdb target: influxd, the HTTP API, the backup (RPC) port, the databases. */
import type { DoctorCheck } from '../types';
import { checkRpc, InfluxHttp, InfluxSettings } from './http';
import { reserved } from './names';
import { influxdVersion } from './portable';

export async function influxDoctor(s: InfluxSettings): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    checks.push({ name: 'influxd', level: 'ok', detail: await influxdVersion() });
  } catch (e) {
    checks.push({
      name: 'influxd',
      level: 'failed',
      detail: `${(e as Error).message}: install influxdb (influxd backs up and restores)`,
    });
  }
  const http = new InfluxHttp(s);
  let all: string[] | null = null;
  try {
    all = await http.databases();
    checks.push({ name: 'HTTP API', level: 'ok', detail: `InfluxDB at ${http.url} answers` });
  } catch (e) {
    checks.push({ name: 'HTTP API', level: 'failed', detail: (e as Error).message });
  }
  try {
    await checkRpc(s.connection.rpcAddress);
    checks.push({ name: 'backup (RPC) port', level: 'ok', detail: `${s.connection.rpcAddress} accepts connections` });
  } catch (e) {
    checks.push({ name: 'backup (RPC) port', level: 'failed', detail: (e as Error).message });
  }
  if (all === null) {
    checks.push({
      name: 'databases',
      level: 'failed',
      detail: 'cannot list the databases: the HTTP API does not answer',
    });
  } else {
    const wanted = s.connection.databases ?? all.filter((d) => !reserved(d));
    const missing = wanted.filter((d) => !all!.includes(d));
    checks.push(
      missing.length
        ? {
            name: 'databases',
            level: 'failed',
            detail: `no database ${missing.join(', ')} (it has: ${all.join(', ') || 'none'})`,
          }
        : { name: 'databases', level: 'ok', detail: `backs up ${wanted.join(', ') || 'nothing yet'}` }
    );
  }
  return checks;
}
