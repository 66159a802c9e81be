/**
 * The driver conformance suite for kind influxdb, on the real InfluxDB 1.x: one database with two
 * retention policies, fields of several types. InfluxDB 1.x cannot rename a database: what an
 * in-place restore replaces is kept in the engine's safety snapshot.
 */
import { conformance } from './testing/conformance';
import { databases, influx, influxEnv, readInflux, write } from '../test/influx';
import { freePort } from './tools';

const DB = 'conf_influx';
const PASSWORD = 'influx-conformance-secret-7c1e93';
const T0 = Date.UTC(2025, 0, 6, 0, 0, 0);
let closed = 0;
let extra = 0;

conformance<Record<string, unknown> | null>({
  kind: 'influxdb',
  create: async () => {
    closed = await freePort();
    for (const db of (await databases()).filter((d) => d.startsWith(DB))) {
      await influx(`DROP DATABASE "${db}"`);
    }
    await influx(`CREATE DATABASE "${DB}"`);
    await influx(`CREATE RETENTION POLICY "long" ON "${DB}" DURATION INF REPLICATION 1`);
    await write(DB, [
      ...Array.from(
        { length: 400 },
        (_, i) => `cpu,host=h${i % 4} usage=${i / 10},idle=${100 - i / 10} ${T0 + i * 10_000}`
      ),
      ...Array.from({ length: 100 }, (_, i) => `syslog,host=h1 msg="line ${i} ✓",level=${i % 5}i ${T0 + i * 1000}`),
    ]);
    await write(
      DB,
      Array.from({ length: 60 }, (_, i) => `disk,path=/ used=${i},ok=true ${T0 + i * 60_000}`),
      'long'
    );
  },
  destroy: async () => {
    for (const db of (await databases()).filter((d) => d.startsWith(DB))) {
      await influx(`DROP DATABASE "${db}"`);
    }
  },
  target: () => {
    const { url, rpc } = influxEnv();
    // Auth is off on the test server: the credentials are sent and must never leak.
    return {
      kind: 'influxdb',
      connection: { url, rpcAddress: rpc, databases: [DB], username: 'backup', passwordFile: './influx.pass' },
    };
  },
  files: { 'influx.pass': PASSWORD },
  unreachable: (t) => ({
    ...t,
    connection: {
      ...(t.connection as object),
      url: `http://127.0.0.1:${closed}`,
      rpcAddress: `127.0.0.1:${closed}`,
    },
  }),
  secrets: [PASSWORD],
  read: (place) => readInflux(place ?? DB),
  change: async () => {
    extra += 1;
    await write(
      DB,
      Array.from({ length: 10 * extra }, (_, i) => `cpu,host=late usage=${i} ${T0 + 5_000_000 + i * 1000}`)
    );
  },
  elsewhere: { to: `${DB}_restored` },
  tamper: (m) => {
    const state = JSON.parse(JSON.stringify(m.state));
    state[DB].autogen.cpu.fields.idle -= 1;
    return { ...m, state };
  },
  aside: { kind: 'safety-snapshot' },
  scratchLeft: async () => (await databases()).filter((d) => d.startsWith('bsla_')),
});
