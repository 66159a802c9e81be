/**
 * /metrics after real runs (real MariaDB, real restic): the values are those of the SLA state at
 * scrape time, with the names of docs/design.md §4.
 */
import { createAgama, mysqlTarget } from '../test/mysql';
import { makeServiceLab, request, ServiceLab } from '../test/service';
import { Catalog } from '../catalog/catalog';
import type { Engine } from '../engine/engine';
import { createMetrics, DEFINITIONS, PREFIX, RUN_OUTCOMES } from './metrics';

const DB = 'agama_metrics_test';

/** `name{target="x"} value` lines of an exposition, as name → target → value. */
function parse(text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    const m = line.match(/^(backup_sla_\w+)\{target="([^"]+)"\} (\S+)$/);
    if (m) {
      if (!out.has(m[1])) {
        out.set(m[1], new Map());
      }
      out.get(m[1])!.set(m[2], Number(m[3]));
    }
  }
  return out;
}

describe('/metrics', () => {
  let s: ServiceLab;
  const scrape = async () => {
    const res = await request(s.service.address!, { method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return { text: res.body, m: parse(res.body) };
  };
  const value = (m: Map<string, Map<string, number>>, name: string, target: string) =>
    m.get(`${PREFIX}${name}`)?.get(target);

  beforeAll(async () => {
    await createAgama(DB, 120);
    s = await makeServiceLab({
      targets: {
        good: mysqlTarget(DB, { rpo: '1d', rto: '5m', retention: { keepWeekly: 4 } }),
        // The database does not exist: every backup fails.
        bad: mysqlTarget('agama_metrics_test_missing', { rpo: null, rto: '20m', retention: { keepLast: 2 } }),
      },
    });
  });
  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
  });

  it('exposes every metric of docs/design.md §4 with HELP/TYPE, and the process metrics', async () => {
    const { text } = await scrape();
    for (const d of DEFINITIONS) {
      expect(text).toContain(`# HELP ${PREFIX}${d.name} `);
      expect(text).toContain(`# TYPE ${PREFIX}${d.name} gauge`);
    }
    expect(DEFINITIONS.map((d) => d.name).sort()).toEqual(
      [
        'last_success_timestamp_seconds',
        'last_run_timestamp_seconds',
        'last_run_success',
        'rpo_seconds',
        'rto_seconds',
        'snapshots',
        'snapshots_required',
        'last_verify_timestamp_seconds',
        'last_verify_success',
        'last_verify_unknown',
        'last_restore_duration_seconds',
        'copies_ok',
        'copies_required',
        'last_backup_bytes',
        'last_backup_duration_seconds',
        // point-in-time recovery (targets that archive their log)
        'binlog_lag_seconds',
        'pitr_window_start_timestamp_seconds',
        'pitr_window_end_timestamp_seconds',
        'pitr_gap',
        'pitr_archiver_up',
        'pitr_archiver_restarts',
      ].sort()
    );
    // The service's own name in the lab, to tell two machines' targets of the same name apart.
    expect(text).toContain(`${PREFIX}info{instance_name="${s.lab.engine.config.instance}"} 1\n`);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it('before any run: policy values, zero snapshots, "never" timestamps, no success values', async () => {
    const { m } = await scrape();
    expect(value(m, 'rpo_seconds', 'good')).toBe(86400);
    expect(value(m, 'rpo_seconds', 'bad')).toBeUndefined(); // the SLA sets none
    expect(value(m, 'rto_seconds', 'good')).toBe(300);
    expect(value(m, 'rto_seconds', 'bad')).toBe(1200);
    expect(value(m, 'snapshots', 'good')).toBe(0);
    expect(value(m, 'snapshots_required', 'good')).toBe(4);
    expect(value(m, 'snapshots_required', 'bad')).toBe(2);
    expect(value(m, 'copies_required', 'good')).toBe(0);
    expect(value(m, 'copies_ok', 'good')).toBe(0);
    expect(value(m, 'last_success_timestamp_seconds', 'good')).toBe(0);
    expect(value(m, 'last_verify_timestamp_seconds', 'good')).toBe(0);
    expect(value(m, 'last_run_success', 'good')).toBeUndefined();
    expect(value(m, 'last_verify_success', 'good')).toBeUndefined();
    expect(value(m, 'last_restore_duration_seconds', 'good')).toBeUndefined();
    expect(value(m, 'last_backup_bytes', 'good')).toBeUndefined();
  });

  it('a successful backup: last_run_success 1, snapshots 1, timestamps and size', async () => {
    const o = await s.lab.engine.backup('good', 'test');
    expect(o.status).toBe('success');
    const { m } = await scrape();
    const at = s.lab.clock.now.getTime() / 1000;
    expect(value(m, 'last_run_success', 'good')).toBe(1);
    expect(value(m, 'snapshots', 'good')).toBe(1);
    expect(value(m, 'last_success_timestamp_seconds', 'good')).toBe(at);
    expect(value(m, 'last_run_timestamp_seconds', 'good')).toBe(at);
    expect(value(m, 'last_backup_bytes', 'good')).toBe(s.lab.engine.snapshots('good')[0].bytes);
    expect(value(m, 'last_backup_bytes', 'good')).toBeGreaterThan(1000);
    expect(value(m, 'last_backup_duration_seconds', 'good')).toBe(0); // the injected clock stands still
  });

  it('exposes the SLA checks as levels, as the service judges them', async () => {
    const { text } = await scrape();
    const level = (target: string, check: string) =>
      Number(
        text.match(new RegExp(`^backup_sla_check_level\\{target="${target}",check="${check}"\\} (\\S+)$`, 'm'))?.[1]
      );
    // One of four weekly versions on a new target: building up, not missing (0 = ok).
    expect(level('good', 'versions')).toBe(0);
    expect(level('good', 'fresh')).toBe(0);
    // Never verified: warning (2); the bad target has no good backup at all: critical (3).
    expect(level('good', 'verified')).toBe(2);
    expect(level('bad', 'fresh')).toBe(3);
    expect(level('bad', 'overall')).toBe(3);
  });

  it('a failing backup: last_run_success 0, no snapshot, no success time', async () => {
    const o = await s.lab.engine.backup('bad', 'test');
    expect(o.status).toBe('failed');
    const { m } = await scrape();
    expect(value(m, 'last_run_success', 'bad')).toBe(0);
    expect(value(m, 'snapshots', 'bad')).toBe(0);
    expect(value(m, 'last_success_timestamp_seconds', 'bad')).toBe(0);
    expect(value(m, 'last_run_timestamp_seconds', 'bad')).toBe(s.lab.clock.now.getTime() / 1000);
    // The other target is untouched.
    expect(value(m, 'last_run_success', 'good')).toBe(1);
  });

  it('a failed backup after a good one flips last_run_success to 0 but keeps the last success time', async () => {
    const goodAt = s.lab.clock.now.getTime() / 1000;
    s.lab.clock.advance(3600);
    // Point the target at a database that is gone: the next backup fails.
    const cfg = s.lab.engine.config.targets.good.settings as { connection: { database: string } };
    const database = cfg.connection.database;
    cfg.connection.database = 'agama_metrics_test_gone';
    try {
      expect((await s.lab.engine.backup('good', 'test')).status).toBe('failed');
    } finally {
      cfg.connection.database = database;
    }
    const { m } = await scrape();
    expect(value(m, 'last_run_success', 'good')).toBe(0);
    expect(value(m, 'last_success_timestamp_seconds', 'good')).toBe(goodAt);
    expect(value(m, 'snapshots', 'good')).toBe(1);
  });

  it('a verification: last_verify_success 1, its time, and the measured recovery time', async () => {
    const o = await s.lab.engine.verify('good', 'latest', 'test');
    expect(o.status).toBe('success');
    const { m } = await scrape();
    expect(value(m, 'last_verify_success', 'good')).toBe(1);
    expect(value(m, 'last_verify_timestamp_seconds', 'good')).toBe(s.lab.clock.now.getTime() / 1000);
    expect(value(m, 'last_restore_duration_seconds', 'good')).toBe(o.detail.durationSeconds);
    expect(value(m, 'last_restore_duration_seconds', 'good')).toBeGreaterThan(0);
  });

  it('values are computed at scrape time: time passing changes nothing stored, a new run shows at once', async () => {
    const before = (await scrape()).m;
    s.lab.clock.advance(86400);
    const o = await s.lab.engine.backup('good', 'test');
    expect(o.status).toBe('success');
    const after = (await scrape()).m;
    expect(value(after, 'snapshots', 'good')).toBe(2);
    expect(value(after, 'last_run_success', 'good')).toBe(1);
    expect(value(after, 'last_success_timestamp_seconds', 'good')).toBe(
      value(before, 'last_success_timestamp_seconds', 'good')! + 86400 + 3600
    );
  });
  it('backup_sla_runs_total counts finished runs per target, operation and status, from the catalog: a restart keeps it', async () => {
    const { text } = await scrape();
    expect(text).toContain(`# TYPE ${PREFIX}runs_total counter`);
    const runsTotal = (exposition: string) =>
      Object.fromEntries(
        [
          ...exposition.matchAll(/^backup_sla_runs_total\{target="(\w+)",operation="(\w+)",status="(\w+)"\} (\S+)$/gm),
        ].map((m) => [`${m[1]} ${m[2]} ${m[3]}`, Number(m[4])])
      );
    const counts = runsTotal(text);
    // What the runs above did: good backed up three times (one failed) and was verified; bad failed once.
    expect(counts).toMatchObject({
      'good backup success': 2,
      'good backup failed': 1,
      'good verify success': 1,
      'bad backup failed': 1,
      'bad backup success': 0,
    });
    // Every outcome of every target is there from the start (0), so rate() sees the first one happen.
    const expected = ['good', 'bad'].flatMap((t) =>
      Object.entries(RUN_OUTCOMES).flatMap(([op, statuses]) => statuses.map((st) => `${t} ${op} ${st}`))
    );
    expect(Object.keys(counts).sort()).toEqual(expected.sort());
    // The same as the catalog's runs, counted in full.
    const runs = s.lab.engine.catalog.runs({ limit: 1000 }).filter((r) => r.status !== 'running');
    for (const [key, n] of Object.entries(counts)) {
      expect([key, runs.filter((r) => `${r.target} ${r.operation} ${r.status}` === key).length]).toEqual([key, n]);
    }
    // A restarted service (a new catalog connection, nothing counted yet in memory) exports the same.
    const reopened = new Catalog(s.lab.engine.config.catalog);
    try {
      const restarted = createMetrics(Object.assign(Object.create(s.lab.engine) as Engine, { catalog: reopened }));
      expect(runsTotal(await restarted.render())).toEqual(counts);
    } finally {
      reopened.close();
    }
    // One more run counts once.
    expect((await s.lab.engine.backup('bad', 'test')).status).toBe('failed');
    expect(runsTotal((await scrape()).text)['bad backup failed']).toBe(2);
  });
});
