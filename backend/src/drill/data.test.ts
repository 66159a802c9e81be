/**
 * Disaster drill of the data stores (framework.ts says how a drill runs): the AGAMA database
 * (MySQL, as the least-privilege account) with its table dropped, then the whole database dropped;
 * the monitoring database of InfluxDB deleted; Grafana's dashboards deleted.
 */
import { drill } from './framework';
import { databasesLike, grantDocumented, leastPrivilegeTarget, query, rootConnection } from '../test/mysql';
import { databases, influx, influxEnv, readInflux, write } from '../test/influx';
import { GrafanaFake, startGrafanaFake } from '../test/grafana-fake/server';
import { seededState } from '../test/grafana-fake/seed';
import { GRAFANA_TOKEN, grafanaApi, readGrafana } from '../test/grafana';

const AGAMA = 'drill_agama';
const TELEGRAF = 'drill_telegraf';
const NAMES = ['Réparer le vélo', 'naïve ✓', '日本語のメモ', 'Ærø – ½', 'plain item'];

let fake: GrafanaFake;
let agama: unknown;
let telegraf: unknown;
let dashboards: unknown;

/** The AGAMA database as the real one keeps it: utf8mb4 on a latin1 server, one `item` table. */
async function createAgama(): Promise<void> {
  const c = await rootConnection();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${AGAMA}`);
    await c.query(`CREATE DATABASE ${AGAMA} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await c.query(
      `CREATE TABLE ${AGAMA}.item (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, done TINYINT NOT NULL DEFAULT 0)`
    );
    const rows = Array.from({ length: 5000 }, (_, i) => [`${NAMES[i % NAMES.length]} ${i}`, i % 2]);
    await c.query(`INSERT INTO ${AGAMA}.item (name, done) VALUES ?`, [rows]);
  } finally {
    await c.end();
  }
}

/** The database's definition and data, as the application sees them. */
async function readAgama(): Promise<unknown> {
  const [schema] = await query(
    `SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS coll FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
    [AGAMA]
  );
  const [table] = await query(`SHOW CREATE TABLE ${AGAMA}.item`);
  const [sum] = await query(`CHECKSUM TABLE ${AGAMA}.item`);
  const [n] = await query(`SELECT COUNT(*) AS n FROM ${AGAMA}.item`);
  return { schema, table: table['Create Table'], checksum: Number(sum.Checksum), rows: Number(n.n) };
}

/**
 * What the application does with it: list the items and add one with non-ASCII text (a latin1
 * table, as a restore without the database's character set makes, refuses exactly that).
 */
async function agamaWorks(): Promise<void> {
  const [third] = await query(`SELECT name FROM ${AGAMA}.item WHERE id = 3`);
  expect(third.name).toBe('日本語のメモ 2');
  await query(`INSERT INTO ${AGAMA}.item (name) VALUES (?)`, ['Nouvelle tâche ✓ 新しい']);
  const [added] = await query(`SELECT name FROM ${AGAMA}.item ORDER BY id DESC LIMIT 1`);
  expect(added.name).toBe('Nouvelle tâche ✓ 新しい');
  await query(`DELETE FROM ${AGAMA}.item WHERE name = ?`, ['Nouvelle tâche ✓ 新しい']);
}

async function createTelegraf(): Promise<void> {
  if ((await databases()).includes(TELEGRAF)) {
    await influx(`DROP DATABASE "${TELEGRAF}"`);
  }
  await influx(`CREATE DATABASE "${TELEGRAF}"`);
  const t0 = Date.UTC(2025, 2, 1);
  await write(TELEGRAF, [
    ...Array.from({ length: 2000 }, (_, i) => `cpu,host=lab${i % 2} usage_idle=${90 + (i % 10)} ${t0 + i * 10_000}`),
    ...Array.from(
      { length: 500 },
      (_, i) => `ping,url=agama result_code=0i,average_response_ms=${i % 30} ${t0 + i * 60_000}`
    ),
    ...Array.from(
      { length: 300 },
      (_, i) => `syslog,host=lab1 message="line ${i}",severity_code=${i % 8}i ${t0 + i * 1000}`
    ),
  ]);
}

drill('data stores', {
  setup: async () => {
    await createAgama();
    await grantDocumented(AGAMA);
    agama = await readAgama();
    await createTelegraf();
    telegraf = await readInflux(TELEGRAF);
    fake = await startGrafanaFake({ state: seededState(GRAFANA_TOKEN, 'demo') });
    dashboards = await readGrafana(fake);
  },
  lab: () => {
    const { url, rpc } = influxEnv();
    return {
      targets: {
        mysql: leastPrivilegeTarget(AGAMA),
        influxdb: { kind: 'influxdb', connection: { url, rpcAddress: rpc, databases: [TELEGRAF] } },
        grafana: { kind: 'grafana', connection: { url: fake.url, tokenFile: './grafana.token' } },
      },
      files: { 'grafana.token': GRAFANA_TOKEN },
    };
  },
  teardown: async () => {
    for (const db of await databasesLike(AGAMA)) {
      await query(`DROP DATABASE \`${db}\``);
    }
    if ((await databases()).includes(TELEGRAF)) {
      await influx(`DROP DATABASE "${TELEGRAF}"`);
    }
    await fake?.close();
  },
  scenarios: [
    {
      target: 'mysql',
      disaster: 'table dropped',
      damage: () => query(`DROP TABLE ${AGAMA}.item`).then(() => undefined),
      check: async () => {
        expect(await readAgama()).toEqual(agama);
        await agamaWorks();
      },
    },
    {
      target: 'mysql',
      disaster: 'whole database dropped',
      damage: () => query(`DROP DATABASE ${AGAMA}`).then(() => undefined),
      check: async () => {
        expect(await readAgama()).toEqual(agama);
        await agamaWorks();
      },
    },
    {
      target: 'influxdb',
      disaster: 'database deleted',
      damage: () => influx(`DROP DATABASE "${TELEGRAF}"`).then(() => undefined),
      check: async () => {
        expect(await readInflux(TELEGRAF)).toEqual(telegraf);
        // Telegraf writes on: the database takes new points again.
        await write(TELEGRAF, [`cpu,host=lab0 usage_idle=99 ${Date.now()}`]);
      },
    },
    {
      target: 'grafana',
      disaster: 'dashboards deleted',
      damage: async () => {
        const hits = (await grafanaApi(fake, 'GET', '/api/search?type=dash-db&limit=1000')).body;
        for (const hit of hits) {
          // Provisioned dashboards come back from their files; everything made by hand is gone.
          await grafanaApi(fake, 'DELETE', `/api/dashboards/uid/${hit.uid}`);
        }
      },
      check: async () => {
        expect(await readGrafana(fake)).toEqual(dashboards);
        // The dashboards open: each answers with its panels.
        for (const uid of ['lab-home', 'agama-app', 'mysql-overview', 'node-overview']) {
          expect((await grafanaApi(fake, 'GET', `/api/dashboards/uid/${uid}`)).status).toBe(200);
        }
      },
    },
  ],
});
