/**
 * The API answers from the catalog's indexes: with tens of thousands of runs the answers stay
 * right (the running run is found, lists are newest first and limited) and no query walks the
 * whole history. (Timings are printed, not asserted beyond a generous bound: benchmarks live in bench/.)
 */
import { mysqlTarget } from '../test/mysql';
import { auth, json, makeServiceLab, request, ServiceLab } from '../test/service';
import type * as Api from './contract';

const TARGETS = ['mysql', 'influx', 'prom', 'grafana', 'ansible', 'app'];
const RUNS = 60_000;

describe('API over a large catalog', () => {
  let s: ServiceLab;
  let runningId: number;
  const sqls: string[] = [];

  beforeAll(async () => {
    s = await makeServiceLab({
      targets: Object.fromEntries(TARGETS.map((t) => [t, mysqlTarget('agama_scale_unused')])),
    });
    const db = s.lab.engine.catalog.db;
    const ins = db.prepare(
      `INSERT INTO runs (target, operation, status, phase, started_at, finished_at, actor, detail) VALUES (?, ?, ?, 'done', ?, ?, 'scheduler', '{}')`
    );
    const ops = ['backup', 'backup', 'backup', 'verify', 'forget', 'restore'];
    db.transaction(() => {
      for (let i = 0; i < RUNS; i++) {
        const at = new Date(Date.UTC(2020, 0, 1) + i * 600_000).toISOString();
        ins.run(TARGETS[i % TARGETS.length], ops[(i >> 3) % ops.length], i % 13 === 0 ? 'failed' : 'success', at, at);
      }
    })();
    // One run in progress, long ago in id order (a slow restore of prom).
    runningId = s.lab.engine.catalog.startRun('prom', 'restore', 'admin', new Date(), { pid: process.pid });
    for (let i = 0; i < 500; i++) {
      ins.run('mysql', 'backup', 'success', new Date().toISOString(), new Date().toISOString());
    }
    // Record every statement the API prepares from here on.
    const prepare = db.prepare.bind(db);
    (db as unknown as { prepare: typeof db.prepare }).prepare = ((sql: string) => {
      sqls.push(sql);
      return prepare(sql);
    }) as typeof db.prepare;
  });
  afterAll(async () => {
    s.lab.engine.catalog.finishRun(runningId, new Date(), { status: 'failed', error: 'test' });
    await s.service.close();
    s.lab.cleanup();
  });

  const get = async <T>(url: string): Promise<{ body: T; ms: number }> => {
    const t0 = Date.now();
    const res = await request(s.service.address!, { method: 'GET', url, headers: auth('viewer') });
    expect(res.statusCode).toBe(200);
    return { body: json<T>(res), ms: Date.now() - t0 };
  };

  it('status finds the running run and answers quickly', async () => {
    await get('/api/status'); // warm up
    const { body, ms } = await get<Api.GetStatus>('/api/status');
    expect(body.targets.find((t) => t.name === 'prom')!.running).toMatchObject({
      id: runningId,
      operation: 'restore',
      status: 'running',
    });
    expect(body.targets.filter((t) => t.running).map((t) => t.name)).toEqual(['prom']);
    console.log(`GET /api/status over ${RUNS} runs: ${ms} ms`);
    expect(ms).toBeLessThan(1000);
  });

  it('run lists are newest first, filtered and limited', async () => {
    for (const url of [
      '/api/runs?limit=50',
      '/api/runs?target=influx&limit=50',
      '/api/runs?operation=verify&limit=50',
      '/api/runs?target=ansible&operation=forget&limit=50',
      '/api/runs?status=failed&limit=50',
      '/api/runs?status=success,unchanged&operation=backup&limit=50',
      `/api/runs?since=${encodeURIComponent(new Date(Date.UTC(2020, 6, 1)).toISOString())}&limit=50`,
      `/api/runs?since=${encodeURIComponent(new Date(Date.UTC(2020, 6, 1)).toISOString())}&status=failed&target=prom&limit=50`,
    ]) {
      const { body, ms } = await get<Api.GetRuns>(url);
      expect(body.runs).toHaveLength(50);
      const ids = body.runs.map((r) => r.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      console.log(`GET ${url}: ${ms} ms`);
      expect(ms).toBeLessThan(1000);
    }
    for (const url of [
      '/api/audit?status=failed&limit=50',
      `/api/audit?since=${encodeURIComponent(new Date().toISOString())}`,
    ]) {
      const { ms } = await get<Api.GetAudit>(url);
      console.log(`GET ${url}: ${ms} ms`);
      expect(ms).toBeLessThan(1000);
    }
    const { body } = await get<Api.GetRestores>('/api/restores?limit=10');
    expect(body.restores[0]).toMatchObject({ runId: runningId, status: 'running', target: 'prom' });
  });

  it('counts the finished runs for /metrics once, then only what is new', async () => {
    const t0 = Date.now();
    const first = await request(s.service.address!, { method: 'GET', url: '/metrics' });
    const firstMs = Date.now() - t0;
    expect(first.statusCode).toBe(200);
    const t1 = Date.now();
    const again = await request(s.service.address!, { method: 'GET', url: '/metrics' });
    const againMs = Date.now() - t1;
    expect(again.body.match(/^backup_sla_runs_total\{.*$/gm)).toEqual(
      first.body.match(/^backup_sla_runs_total\{.*$/gm)
    );
    const total = (first.body.match(/^backup_sla_runs_total\{[^}]*\} (\d+)$/gm) ?? [])
      .map((l) => Number(l.split(' ').pop()))
      .reduce((a, b) => a + b, 0);
    expect(total).toBe(RUNS + 500);
    console.log(`GET /metrics over ${RUNS} runs: ${firstMs} ms first, ${againMs} ms again`);
  });

  it('no statement the API ran scans the runs table in full', () => {
    const db = s.lab.engine.catalog.db;
    const runsQueries = [...new Set(sqls)].filter((q) => /FROM runs/.test(q));
    expect(runsQueries.length).toBeGreaterThan(3);
    for (const sql of runsQueries) {
      const params = (sql.match(/\?/g) ?? []).map(() => 'x');
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join('; ');
      // A SCAN is only fine in id order without a filter (it stops at the LIMIT).
      if (/\bSCAN runs\b/.test(plan)) {
        expect({ sql, plan, ok: !/WHERE/.test(sql) && /ORDER BY id DESC LIMIT/.test(sql) }).toMatchObject({ ok: true });
      }
    }
  });
});
