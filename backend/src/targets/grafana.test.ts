import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { changeRecordedMetadata, makeLab, Lab } from '../test/harness';
import { FAKE_GRAFANA_VERSION, GrafanaFake, startGrafanaFake } from '../test/grafana-fake/server';
import { seededState } from '../test/grafana-fake/seed';
import { Engine } from '../engine/engine';
import { ConfigError, parseConfig } from '../config/load';
import { createLogger } from '../util/log';
import { redact } from '../util/redact';
import { GrafanaClient } from './grafana/client';
import { backupOf } from './grafana/planners/testing/context';
import { readExport } from './grafana/export';
import { planRestore, renderPlan } from './grafana/plan';
import { grafanaDriver } from './grafana';

const TOKEN = 'glsa_backupSlaTest_5c81e0f2a9d4b7361e0c';
const DAY = 86400;

async function api(fake: GrafanaFake, method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(fake.url + p, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function startFake(): Promise<GrafanaFake> {
  return startGrafanaFake({ state: seededState(TOKEN, 'demo') });
}

function grafanaLab(fake: GrafanaFake, start?: Date): Lab {
  return makeLab({
    files: { 'grafana.token': TOKEN },
    targets: { grafana: { kind: 'grafana', connection: { url: fake.url, tokenFile: './grafana.token' } } },
    start,
  });
}

async function resticSnapshotIds(lab: Lab): Promise<string[]> {
  return (await lab.engine.repository('main').snapshots(['target=grafana'])).map((s) => s.id);
}

/** The snapshot's files, restored into a fresh directory. */
async function snapshotFiles(lab: Lab, id: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-grafana-snap-'));
  await lab.engine.repository('main').restore(id, dir);
  return dir;
}

function readJson(dir: string, rel: string): any {
  return JSON.parse(readFileSync(path.join(dir, rel), 'utf8'));
}

function allText(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      e.isDirectory() ? walk(p) : out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}

describe('grafana target: export, versions, verification', () => {
  let fake: GrafanaFake;
  let lab: Lab;
  let firstId: string;
  let firstVersion: string;

  beforeAll(async () => {
    fake = await startFake();
    // The first backup is taken "31 days ago": the monthly save is then due.
    lab = grafanaLab(fake, new Date(Date.now() - 31 * DAY * 1000));
  });
  afterAll(async () => {
    lab.cleanup();
    await fake.close();
  });

  test('exports one JSON file per object with a manifest, and no secret', async () => {
    const out = await lab.engine.backup('grafana', 'test');
    expect(out.error).toBeNull();
    expect(out.status).toBe('success');
    firstId = out.snapshotId!;
    firstVersion = String(out.detail.version);
    expect(firstVersion).toMatch(/^[0-9a-f]{16}$/);

    const dir = await snapshotFiles(lab, firstId);
    try {
      const manifest = readJson(dir, 'manifest.json');
      expect(manifest.counts).toEqual({
        folders: 3,
        dashboards: 5,
        datasources: 2,
        libraryPanels: 1,
        alertRules: 2,
        alertRuleGroups: 2,
        contactPoints: 2,
        muteTimings: 1,
        templates: 1,
        policies: 1,
      });
      expect(manifest.contentHash).toBe(firstVersion);
      expect(manifest.provisionedDashboards).toEqual(['backup-sla-overview']);
      expect(manifest.secureFields).toEqual({
        datasources: { influxdb: ['password'] },
        contactPoints: { 'ops-slack': ['url'] },
      });
      expect(readdirSync(path.join(dir, 'dashboards')).sort()).toEqual([
        'agama-app.json',
        'backup-sla-overview.json',
        'lab-home.json',
        'mysql-overview.json',
        'node-overview.json',
      ]);
      expect(readJson(dir, 'dashboards/node-overview.json').meta).toMatchObject({
        folderUid: 'infra',
        version: 1,
        provisioned: false,
      });
      expect(readJson(dir, 'folders/infra-db.json')).toMatchObject({
        uid: 'infra-db',
        parentUid: 'infra',
        title: 'Databases',
      });
      expect(readJson(dir, 'datasources/influxdb.json').secureJsonFields).toEqual({ password: true });
      expect(readJson(dir, 'alert-rule-groups/infra-db--databases.json')).toEqual({
        folderUid: 'infra-db',
        title: 'databases',
        interval: 120,
      });
      expect(readJson(dir, 'policies.json').routes[0].receiver).toBe('ops-slack');
      const text = allText(dir);
      expect(text).not.toContain('influx-demo-secret');
      expect(text).not.toContain('demo-secret');
      expect(text).not.toContain(TOKEN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const snap = lab.engine.snapshots('grafana')[0];
    expect(snap.version).toBe(firstVersion);
    expect(snap.metadata).toMatchObject({
      grafanaVersion: FAKE_GRAFANA_VERSION,
      counts: { dashboards: 5, folders: 3 },
    });
  });

  test('verification: files parse, counts match, the re-import plan has no errors', async () => {
    const out = await lab.engine.verify('grafana', 'latest', 'test');
    expect(out.error).toBeNull();
    expect(out.status).toBe('success');
    expect(String(out.detail.result)).toMatch(
      /files parse; counts and content hash match the manifest \(3 folders, 5 dashboards, 2 data sources/
    );
    expect(String(out.detail.result)).toMatch(/re-import plan: .*unchanged; 0 errors/);
    // A dry run: nothing was written to Grafana.
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  test('no change but the newest snapshot is older than 30 days: the monthly version is saved', async () => {
    lab.clock.now = new Date();
    const out = await lab.engine.backup('grafana', 'test');
    expect(out.status).toBe('success');
    expect(out.detail.version).toBe(firstVersion);
    expect(await resticSnapshotIds(lab)).toHaveLength(2);
  });

  test('no change: unchanged, no new snapshot', async () => {
    const out = await lab.engine.backup('grafana', 'test');
    expect(out.status).toBe('unchanged');
    expect(out.detail.version).toBe(firstVersion);
    expect(out.snapshotId).toBeNull();
    expect(await resticSnapshotIds(lab)).toHaveLength(2);
  });

  test('a changed dashboard makes a new version', async () => {
    const { body: cur } = await api(fake, 'GET', '/api/dashboards/uid/mysql-overview');
    const saved = await api(fake, 'POST', '/api/dashboards/db', {
      dashboard: { ...cur.dashboard, title: 'MySQL (tuned)' },
      folderUid: cur.meta.folderUid,
      overwrite: false,
    });
    expect(saved.body).toMatchObject({ status: 'success', version: 2 });
    const out = await lab.engine.backup('grafana', 'test');
    expect(out.status).toBe('success');
    expect(out.detail.version).not.toBe(firstVersion);
    expect(await resticSnapshotIds(lab)).toHaveLength(3);
    const dir = await snapshotFiles(lab, out.snapshotId!);
    try {
      expect(readJson(dir, 'dashboards/mysql-overview.json').dashboard.title).toBe('MySQL (tuned)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Last: the snapshot's failed verification would change what the backups above keep. Before the
  // metadata was parsed (kit/metadata.ts), counts that are not an object were taken as nothing to
  // compare, and a count recorded as a string failed with "3 in the snapshot, 3 in the catalog".
  test.each([
    ['counts that are not an object', (m: any) => (m.counts = 'many'), 'counts: expected object, received string'],
    [
      'a count that is a string',
      (m: any) => (m.counts.folders = '3'),
      'counts.folders: expected number, received string',
    ],
  ])('verification fails with one clear message on malformed metadata: %s', async (_what, damage, problem) => {
    const snap = lab.engine.snapshots('grafana')[0];
    const putBack = changeRecordedMetadata(lab, snap.id, damage);
    try {
      const out = await lab.engine.verify('grafana', snap.id, 'test');
      expect(out.status).toBe('failed');
      expect(out.error).toBe(
        `verification failed: the metadata recorded for this grafana snapshot is malformed (${problem}): it cannot be compared with the snapshot`
      );
      const now = lab.engine.snapshots('grafana').find((s) => s.id === snap.id)!;
      expect(now.verification).toBe('failed');
      expect(lab.engine.contents(now)!.summary).toContain(problem);
    } finally {
      putBack();
    }
  });
});

describe('grafana target: restore', () => {
  let fake: GrafanaFake;
  let lab: Lab;

  beforeAll(async () => {
    fake = await startFake();
    lab = grafanaLab(fake);
    const out = await lab.engine.backup('grafana', 'test');
    expect(out.status).toBe('success');
  });
  afterAll(async () => {
    lab.cleanup();
    await fake.close();
  });

  test('after deleting a dashboard and a folder tree, restore recreates them by uid, beside a folder of the same title', async () => {
    expect((await api(fake, 'DELETE', '/api/dashboards/uid/agama-app')).status).toBe(200);
    // Someone deleted "Infrastructure" (with its subfolder, dashboards, library panel and rules)
    // and made a new, empty folder of the same title. Grafana (11.3+) allows two folders of one
    // title: objects are identified by uid only, so the backed-up folder comes back as itself.
    expect((await api(fake, 'DELETE', '/api/folders/infra?forceDeleteRules=true')).status).toBe(200);
    expect((await api(fake, 'POST', '/api/folders', { uid: 'infra-new', title: 'Infrastructure' })).status).toBe(200);
    fake.requests.length = 0;

    const out = await lab.engine.restore('grafana', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(out.error).toBeNull();
    expect(out.status).toBe('success');
    expect(out.detail.safetySnapshotId).toBeTruthy();
    const detail = String(out.detail.result);
    expect(detail).not.toMatch(/mapped/);
    expect(detail).toMatch(/create\s+folder Infrastructure \(infra\)/);
    expect(detail).toMatch(/create\s+dashboard Applications\/AGAMA app \(agama-app\)/);
    expect(detail).toMatch(/create\s+folder Databases \(infra-db\)/);

    const node = (await api(fake, 'GET', '/api/dashboards/uid/node-overview')).body;
    expect(node.meta.folderUid).toBe('infra');
    expect((await api(fake, 'GET', '/api/folders/infra')).body.title).toBe('Infrastructure');
    expect((await api(fake, 'GET', '/api/folders/infra-new')).body.title).toBe('Infrastructure');
    expect((await api(fake, 'GET', '/api/folders/infra-db')).body.parentUid).toBe('infra');
    expect((await api(fake, 'GET', '/api/dashboards/uid/mysql-overview')).body.meta.folderUid).toBe('infra-db');
    expect((await api(fake, 'GET', '/api/dashboards/uid/agama-app')).body.meta.folderUid).toBe('apps');
    expect((await api(fake, 'GET', '/api/library-elements/lib-cpu')).body.result.folderUid).toBe('infra');
    const rule = (await api(fake, 'GET', '/api/v1/provisioning/alert-rules/node-down')).body;
    expect(rule).toMatchObject({ folderUID: 'infra', provenance: '' });
    expect((await api(fake, 'GET', '/api/v1/provisioning/folder/infra-db/rule-groups/databases')).body.interval).toBe(
      120
    );
    // Everything written to alerting stays editable in the UI.
    const alertingWrites = fake.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/v1/provisioning'));
    expect(alertingWrites.length).toBeGreaterThan(0);
    expect(alertingWrites.every((r) => r.disableProvenance)).toBe(true);
    // Dependency order: folders before dashboards before alert rules.
    const writes = fake.requests.filter((r) => r.method !== 'GET').map((r) => r.path);
    expect(writes.indexOf('/api/folders')).toBeLessThan(writes.indexOf('/api/dashboards/db'));
    expect(writes.indexOf('/api/library-elements')).toBeLessThan(writes.indexOf('/api/dashboards/db'));
    expect(writes.indexOf('/api/dashboards/db')).toBeLessThan(writes.indexOf('/api/v1/provisioning/alert-rules'));

    // Restoring again changes nothing.
    const again = await lab.engine.restore('grafana', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(String(again.detail.result)).toMatch(/applied 0 changes/);
  });

  test('a dashboard changed in Grafana after the backup is not overwritten without force', async () => {
    const base = await lab.engine.backup('grafana', 'test');
    expect(base.status).toBe('success');
    for (const title of ['MySQL v2', 'MySQL v3']) {
      const { body: cur } = await api(fake, 'GET', '/api/dashboards/uid/mysql-overview');
      const r = await api(fake, 'POST', '/api/dashboards/db', {
        dashboard: { ...cur.dashboard, title },
        folderUid: 'infra-db',
      });
      expect(r.status).toBe(200);
    }
    const out = await lab.engine.restore('grafana', { snapshot: base.snapshotId!, safetyBackup: true }, 'test');
    expect(out.status).toBe('success');
    expect(String(out.detail.result)).toMatch(
      /skipped-newer\s+dashboard Databases\/MySQL \(mysql-overview\): changed in Grafana after the backup \(version \d+ > \d+\); force overwrites/
    );
    expect((await api(fake, 'GET', '/api/dashboards/uid/mysql-overview')).body.dashboard.title).toBe('MySQL v3');

    const forced = await lab.engine.restore(
      'grafana',
      { snapshot: base.snapshotId!, safetyBackup: true, force: true },
      'test'
    );
    expect(forced.status).toBe('success');
    expect(String(forced.detail.result)).toMatch(
      /update\s+dashboard Databases\/MySQL \(mysql-overview\): overwrites newer version/
    );
    expect((await api(fake, 'GET', '/api/dashboards/uid/mysql-overview')).body.dashboard.title).toBe('MySQL');
  });

  test('a provisioned dashboard is reported as skipped, with what a person must do', async () => {
    const { body: cur } = await api(fake, 'GET', '/api/dashboards/uid/backup-sla-overview');
    expect(cur.meta.provisioned).toBe(true);
    // Grafana refuses API saves of it...
    const refused = await api(fake, 'POST', '/api/dashboards/db', {
      dashboard: { ...cur.dashboard, title: 'x' },
      folderUid: 'apps',
      overwrite: true,
    });
    expect(refused).toEqual({ status: 400, body: { message: 'Cannot save provisioned dashboard' } });
    // ...and its file changed since the backup. Also the data source with a password is gone.
    expect((await api(fake, 'DELETE', '/api/datasources/uid/influxdb')).status).toBe(200);
    fake.state.provisionDashboard(
      { ...cur.dashboard, title: 'Backup SLA (new file)' },
      'apps',
      'backup-sla/overview.json'
    );
    const out = await lab.engine.restore('grafana', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(out.status).toBe('success');
    const detail = String(out.detail.result);
    expect(detail).toMatch(
      /skipped-provisioned\s+dashboard Applications\/Backup SLA \(backup-sla-overview\): provisioned from a file/
    );
    expect(detail).toMatch(
      /dashboard Applications\/Backup SLA: restore its provisioning file backup-sla\/overview\.json/
    );
    expect(detail).toMatch(/create\s+datasource InfluxDB telegraf \(influxdb\)/);
    expect(detail).toMatch(
      /datasource InfluxDB telegraf: re-enter its secure fields \(password\): Grafana never exports them/
    );
    // The result says what was done and what a person must do next.
    const outcome = out.detail.restore as any;
    expect(outcome.counts).toMatchObject({ created: 1, skipped: 1 });
    expect(outcome.movedAside).toEqual([]);
    expect(outcome.next).toEqual([
      'datasource InfluxDB telegraf: re-enter its secure fields (password): Grafana never exports them',
      'dashboard Applications/Backup SLA: restore its provisioning file backup-sla/overview.json (Ansible)',
    ]);
    expect((await api(fake, 'GET', '/api/datasources/uid/influxdb')).body).toMatchObject({
      database: 'telegraf',
      user: 'grafana',
      secureJsonFields: {},
    });
    expect((await api(fake, 'GET', '/api/dashboards/uid/backup-sla-overview')).body.dashboard.title).toBe(
      'Backup SLA (new file)'
    );
  });

  test('`to` is refused with a reason', async () => {
    await expect(
      lab.engine.restore('grafana', { snapshot: 'latest', to: 'elsewhere', safetyBackup: true }, 'test')
    ).rejects.toThrow(/^grafana targets are restored in place only \(no destination\)$/);
  });

  test('a dashboard of the same title as another in its folder is no clash (Grafana 11.3+): restored by uid', async () => {
    expect((await api(fake, 'DELETE', '/api/dashboards/uid/agama-app')).status).toBe(200);
    const other = await api(fake, 'POST', '/api/dashboards/db', {
      dashboard: { uid: 'agama-2', title: 'AGAMA app' },
      folderUid: 'apps',
    });
    expect(other.status).toBe(200);
    const verify = await lab.engine.verify('grafana', 'latest', 'test');
    expect({ status: verify.status, error: verify.error }).toEqual({ status: 'success', error: null });
    const out = await lab.engine.restore('grafana', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(out.status).toBe('success');
    expect((await api(fake, 'GET', '/api/dashboards/uid/agama-app')).body.dashboard.title).toBe('AGAMA app');
    expect((await api(fake, 'GET', '/api/dashboards/uid/agama-2')).body.dashboard.title).toBe('AGAMA app');
  });

  test('a re-import plan with errors fails verification, and restore applies nothing', async () => {
    // A new data source took the name of a deleted one (names are still unique in Grafana).
    expect((await api(fake, 'DELETE', '/api/datasources/uid/influxdb')).status).toBe(200);
    const other = await api(fake, 'POST', '/api/datasources', {
      uid: 'influx-2',
      name: 'InfluxDB telegraf',
      type: 'influxdb',
      access: 'proxy',
      url: 'http://127.0.0.1:8086',
    });
    expect(other.status).toBe(200);
    const verify = await lab.engine.verify('grafana', 'latest', 'test');
    expect(verify.status).toBe('failed');
    expect(verify.error).toMatch(
      /re-import plan has errors: datasource InfluxDB telegraf: a data source named 'InfluxDB telegraf' exists with another uid \(influx-2\)/
    );
    fake.requests.length = 0;
    const out = await lab.engine.restore('grafana', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/^restore plan has \d+ errors?, nothing was applied: datasource InfluxDB telegraf/);
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('grafana target: failures and secrets', () => {
  let fake: GrafanaFake;
  let lab: Lab;
  let engine: Engine;
  const logs: string[] = [];

  beforeAll(async () => {
    fake = await startFake();
    lab = grafanaLab(fake);
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    });
    // The same config and catalog, with a logger that keeps everything it writes.
    engine = new Engine(lab.engine.config, lab.engine.catalog, {
      log: createLogger({ level: 'debug', destination: sink }),
      now: () => lab.clock.now,
    });
    expect((await engine.backup('grafana', 'test')).status).toBe('success');
  });
  afterAll(async () => {
    lab.cleanup();
    await fake.close();
  });

  test('Grafana unreachable: one clear error line, no snapshot left, earlier versions intact', async () => {
    const before = await resticSnapshotIds(lab);
    await fake.close();
    try {
      const out = await engine.backup('grafana', 'test');
      expect(out.status).toBe('failed');
      expect(out.error).toMatch(
        /^cannot reach Grafana at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/
      );
      expect(out.snapshotId).toBeNull();
    } finally {
      await fake.listen();
    }
    expect(await resticSnapshotIds(lab)).toEqual(before);
    expect(engine.snapshots('grafana').map((s) => s.id)).toEqual(before);
  });

  test('token refused (401): one clear error line, no snapshot left', async () => {
    const before = await resticSnapshotIds(lab);
    fake.state.token = 'glsa_rotated_token_000000000000';
    try {
      const out = await engine.backup('grafana', 'test');
      expect(out.status).toBe('failed');
      expect(out.error).toMatch(
        /^Grafana at http:\/\/127\.0\.0\.1:\d+ refused the service account token \(401 Unauthorized\): check connection\.tokenFile$/
      );
      // A verification that cannot run says so, and leaves the snapshot's verdict as it was.
      const verdict = engine.snapshots('grafana')[0].verification;
      const verify = await engine.verify('grafana', 'latest', 'test');
      expect(verify.status).toBe('failed');
      expect(verify.error).toMatch(/^could not verify: Grafana at .* refused the service account token/);
      expect((engine.catalog.run(verify.runId)!.detail.verification as any).outcome).toBe('unknown');
      expect(engine.snapshots('grafana')[0].verification).toBe(verdict);
    } finally {
      fake.state.token = TOKEN;
    }
    expect(await resticSnapshotIds(lab)).toEqual(before);
  });

  test('the token never appears in errors, run records or logs', async () => {
    // A restore that writes (the plan is logged) and a change to back up.
    await api(fake, 'DELETE', '/api/dashboards/uid/lab-home');
    expect((await engine.restore('grafana', { snapshot: 'latest', safetyBackup: true }, 'test')).status).toBe(
      'success'
    );
    expect(redact(`Authorization: Bearer ${TOKEN}`)).toBe('Authorization: Bearer [redacted]');
    const text = logs.join('');
    expect(text).toContain('restore plan');
    expect(text).toContain('refused the service account token');
    expect(text).not.toContain(TOKEN);
    const runs = engine.catalog.runs({ target: 'grafana' });
    expect(runs.some((r) => r.status === 'failed' && /refused the service account token/.test(r.error ?? ''))).toBe(
      true
    );
    expect(JSON.stringify(runs)).not.toContain(TOKEN);
    expect(JSON.stringify(engine.catalog.auditEntries(1000))).not.toContain(TOKEN);
  });
});

describe('grafana doctor', () => {
  let fake: GrafanaFake;
  let lab: Lab;
  beforeAll(async () => {
    fake = await startFake();
    lab = grafanaLab(fake);
  });
  afterAll(async () => {
    lab.cleanup();
    await fake.close();
  });

  test('the API answers and the token reads everything exported; a refused token and a Grafana down are named', async () => {
    const t = lab.engine.config.targets.grafana;
    const driver = lab.engine.driver(t);
    const ok = await driver.doctor!(t, lab.engine.log);
    expect(ok.map((c) => [c.name, c.level])).toEqual([
      ['API', 'ok'],
      ['token', 'ok'],
    ]);
    expect(ok[0].detail).toMatch(/^Grafana 12\.3\.0 at http:\/\/127\.0\.0\.1:\d+ answers$/);
    fake.state.token = 'glsa_rotated_token_000000000000';
    try {
      const refused = await driver.doctor!(t, lab.engine.log);
      expect(refused[1]).toMatchObject({ name: 'token', level: 'failed' });
      expect(refused[1].detail).toMatch(
        /^the token cannot read dashboards \(Grafana at .* refused the service account token/
      );
      expect(JSON.stringify(refused)).not.toContain(TOKEN);
    } finally {
      fake.state.token = TOKEN;
    }
    await fake.close();
    try {
      const down = await driver.doctor!(t, lab.engine.log);
      expect(down).toEqual([
        {
          name: 'API',
          level: 'failed',
          detail: expect.stringMatching(/^cannot reach Grafana at .*: connection refused/),
        },
      ]);
    } finally {
      await fake.listen();
    }
  });
});

describe('grafana fake and driver pieces (no repository)', () => {
  let fake: GrafanaFake;
  beforeAll(async () => {
    fake = await startFake();
  });
  afterAll(async () => {
    await fake.close();
  });

  test('the fake answers 401 without the right token, and health without any', async () => {
    const res = await fetch(`${fake.url}/api/search`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect((await api(fake, 'GET', '/api/search', undefined, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await fetch(`${fake.url}/api/health`)).status).toBe(200);
  });

  test('the fake counts versions and refuses stale saves with 412 version-mismatch', async () => {
    const { body: cur } = await api(fake, 'GET', '/api/dashboards/uid/lab-home');
    const v = cur.meta.version;
    const first = await api(fake, 'POST', '/api/dashboards/db', { dashboard: { ...cur.dashboard, title: 'Home 2' } });
    expect(first.body).toMatchObject({
      status: 'success',
      uid: 'lab-home',
      version: v + 1,
      url: '/d/lab-home/home-2',
      slug: 'home-2',
    });
    const stale = await api(fake, 'POST', '/api/dashboards/db', {
      dashboard: { ...cur.dashboard, title: 'Home 3' },
      overwrite: false,
    });
    expect(stale).toEqual({
      status: 412,
      body: { status: 'version-mismatch', message: 'The dashboard has been changed by someone else' },
    });
    const forced = await api(fake, 'POST', '/api/dashboards/db', {
      dashboard: { ...cur.dashboard, title: 'Home 3' },
      overwrite: true,
    });
    expect(forced.body.version).toBe(v + 2);
    // Since Grafana 11.3 titles need not be unique: a second dashboard of the same title is saved.
    const twin = await api(fake, 'POST', '/api/dashboards/db', { dashboard: { title: 'Home 3' } });
    expect(twin.status).toBe(200);
    expect(twin.body.uid).not.toBe(cur.dashboard.uid);
    expect((await api(fake, 'DELETE', `/api/dashboards/uid/${twin.body.uid}`)).status).toBe(200);
    const health = await api(fake, 'GET', '/api/health');
    expect(health.body.version).toMatch(/^12\./);
  });

  test('alerting objects: provenance and redacted secrets behave as in Grafana', async () => {
    const cps = (await api(fake, 'GET', '/api/v1/provisioning/contact-points')).body;
    const slack = cps.find((c: any) => c.uid === 'ops-slack');
    expect(slack.settings.url).toBe('[REDACTED]');
    const put = await api(
      fake,
      'PUT',
      '/api/v1/provisioning/contact-points/ops-slack',
      { ...slack, settings: { ...slack.settings, recipient: '#ops2' } },
      { 'X-Disable-Provenance': 'true' }
    );
    expect(put.status).toBe(202);
    expect(fake.state.contactPoints.get('ops-slack')!.settings.url).toMatch(/^https:\/\/hooks\.slack\.invalid\//);
    const tmpl = await api(fake, 'PUT', '/api/v1/provisioning/templates/api-made', {
      template: '{{ define "x" }}x{{ end }}',
    });
    expect(tmpl.body.provenance).toBe('api');
    const back = await api(
      fake,
      'PUT',
      '/api/v1/provisioning/templates/api-made',
      { template: 'y' },
      { 'X-Disable-Provenance': 'true' }
    );
    expect(back.status).toBe(400);
  });

  test('the client pages through search, folders (parents first) and library panels', async () => {
    const client = new GrafanaClient(fake.url, TOKEN, { pageSize: 2 });
    const hits = await client.searchDashboards();
    expect(hits.map((h) => h.uid).sort()).toEqual([
      'agama-app',
      'backup-sla-overview',
      'lab-home',
      'mysql-overview',
      'node-overview',
    ]);
    const folders = (await client.allFolders()).map((f) => f.uid);
    expect(folders).toHaveLength(3);
    expect(folders.indexOf('infra')).toBeLessThan(folders.indexOf('infra-db'));
    expect((await client.libraryPanels()).map((e) => e.uid)).toEqual(['lib-cpu']);
  });

  test('the plan reports objects that cannot be restored as errors', async () => {
    const exp = backupOf({
      dashboards: [
        {
          dashboard: { uid: 'orphan', title: 'Orphan' },
          meta: {
            folderUid: 'ghost',
            folderTitle: 'Ghost',
            version: 1,
            provisioned: false,
            provisionedExternalId: '',
            updated: '',
          },
        },
      ],
      policies: {
        receiver: 'nobody',
        routes: [{ receiver: 'grafana-default-email', mute_time_intervals: ['never-defined'] }],
      },
    });
    const plan = await planRestore(new GrafanaClient(fake.url, TOKEN), exp);
    expect(plan.errors.map((e) => `${e.kind}: ${e.reason}`)).toEqual([
      'dashboard: its folder ghost is neither in the backup nor in Grafana',
      'policies: names contact points nobody and names mute timings never-defined, which are neither in the backup nor in Grafana',
    ]);
    expect(renderPlan(plan)).toMatch(
      /^plan: nothing to restore; 2 errors\n  error {15}dashboard Ghost\/Orphan \(orphan\): its folder ghost/
    );
  });

  test('readExport reports files that do not parse', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-grafana-bad-'));
    try {
      require('node:fs').mkdirSync(path.join(dir, 'dashboards'));
      require('node:fs').writeFileSync(path.join(dir, 'dashboards', 'x.json'), '{"dashboard": ');
      const r = readExport(dir);
      expect(r.problems).toEqual([
        expect.stringMatching(/^dashboards\/x\.json: not valid JSON/),
        'manifest.json: missing',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('configuration: the token file must exist; the url must be http(s) without credentials', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-grafana-cfg-'));
    try {
      const raw = {
        repositories: { main: { url: './repo', passwordEnv: 'X' } },
        targets: {
          grafana: { kind: 'grafana', connection: { url: 'ftp://user:pw@grafana', tokenFile: './missing.token' } },
        },
      };
      let err: unknown;
      try {
        parseConfig(raw, path.join(dir, 'backup-sla.yaml'));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toContain('targets.grafana.connection.url: must be an http:// or https:// URL');
      expect(problems).toContain('targets.grafana.connection.tokenFile: file does not exist');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(grafanaDriver.defaults).toMatchObject({
      rpo: '30d',
      rto: '5m',
      retention: { keepLast: 3, keepWithin: '30d' },
    });
  });
});
