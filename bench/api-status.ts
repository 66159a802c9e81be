/**
 * `GET /api/status` latency with 50 targets and 100,000 runs in the catalog, measured from this
 * (second) process over loopback against the real daemon:
 *   node backend/bin/backup-sla.js --config F serve
 * Baseline: the same loop against `GET /api/whoami` (the cheapest authenticated route), in the
 * same run, interleaved in blocks so that both meet the same machine load. Goal: p99 < 50 ms.
 *
 * The catalog is filled directly through backend/src/catalog/catalog.ts (startRun / finishRun /
 * addSnapshot …) before the daemon starts: 50 mysql targets × 2,000 runs (backups every 6 h with
 * 5 % failures, a verification every 10th run, a restore every 200th), every successful backup a
 * snapshot, the newest 10 per target still held. Nothing is due, so the scheduler stays idle: the
 * schedule fires once a year, the newest backup is an hour old, verifications are unscheduled, and
 * the targets name a database that does not exist (an accidental backup fails at once); any run
 * the daemon starts anyway is reported.
 *
 *   BENCH_API_REQUESTS (default 2000 per route)  BENCH_API_CONCURRENCY (default 4)
 *   BENCH_API_TARGETS (default 50)  BENCH_API_RUNS (default 100000)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../backend/src/catalog/catalog';
import { loadConfig } from '../backend/src/config/load';
import { slaState } from '../backend/src/engine/sla';
import { fillCatalog } from './api-catalog';
import { Daemon, freePort, idleMysqlTargets, load, sampler, startDaemon, writeConfig, writeTokens } from './http';
import { Bench, ROOT, envNumber, fmtBytes, percentile, runMain } from './lib';

/** Bound on the measured loop: it stops there and reports what it has. */
const DEADLINE_MS = 150_000;

runMain(async () => {
  const bench = new Bench('api-status', 'API: GET /api/status with 50 targets and 100,000 runs, from a second process');
  const requests = Math.round(envNumber('BENCH_API_REQUESTS', 2000));
  const concurrency = Math.round(envNumber('BENCH_API_CONCURRENCY', 4));
  const nTargets = Math.round(envNumber('BENCH_API_TARGETS', 50));
  const nRuns = Math.round(envNumber('BENCH_API_RUNS', 100_000));
  Object.assign(bench.params, { requests, concurrency, targets: nTargets, runs: nRuns });

  const serveSource = path.join(ROOT, 'backend/src/serve.ts');
  const serveBuilt = path.join(ROOT, 'backend/dist/serve.js');
  if (!existsSync(serveBuilt) || /not built yet/.test(readFileSync(serveBuilt, 'utf8'))) {
    bench.skip(
      existsSync(serveSource) && !/not built yet/.test(readFileSync(serveSource, 'utf8'))
        ? 'backend/dist/serve.js is missing or old: npm run build -w backend'
        : 'the HTTP API / `backup-sla serve` is not there yet (backend/src/serve.ts is a stub)'
    );
  }

  const work = mkdtempSync(path.join(os.tmpdir(), 'bsla-bench-api-'));
  let daemon: Daemon | null = null;
  try {
    const port = await freePort();
    const tokens = writeTokens(work);
    const targetNames = Array.from({ length: nTargets }, (_, i) => `db${String(i + 1).padStart(2, '0')}`);
    const configFile = writeConfig(work, {
      catalog: './data/catalog.db',
      workDir: './data/work',
      repositories: { main: { url: './repo', passwordFile: './repo.pass' } },
      targets: idleMysqlTargets(targetNames),
      api: {
        listen: `127.0.0.1:${port}`,
        tokens: { viewer: './viewer.token', operator: './operator.token', admin: './admin.token' },
      },
    });

    bench.log(`filling the catalog: ${nTargets} targets × ${Math.round(nRuns / nTargets)} runs`);
    const t0 = Date.now();
    const filled = fillCatalog(path.join(work, 'data/catalog.db'), targetNames, Math.round(nRuns / nTargets));
    bench.log(`  ${filled.runs} runs, ${filled.snapshots} snapshots in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    bench.log(`starting backup-sla serve on 127.0.0.1:${port}`);
    const t1start = Date.now();
    try {
      daemon = await startDaemon(configFile, port, tokens.viewer);
    } catch (e) {
      if (/not built yet/.test((e as { stderr?: string }).stderr ?? '')) {
        bench.skip(`backup-sla serve is not there yet: ${(e as Error).message}`);
      }
      throw e;
    }
    bench.log(`  ready in ${((Date.now() - t1start) / 1000).toFixed(1)} s`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

    // Warm-up (not counted): JIT, statement caches.
    const deadline = Date.now() + DEADLINE_MS;
    const scratch = sampler();
    await load(agent, port, '/api/whoami', tokens.viewer, 100, concurrency, deadline, scratch);
    await load(agent, port, '/api/status', tokens.viewer, 100, concurrency, deadline, scratch);

    const whoami = sampler();
    const status = sampler();
    const blocks = 8;
    const perBlock = Math.ceil(requests / blocks);
    const t1 = Date.now();
    for (let b = 0; b < blocks && Date.now() < deadline; b++) {
      await load(agent, port, '/api/whoami', tokens.viewer, perBlock, concurrency, deadline, whoami);
      await load(agent, port, '/api/status', tokens.viewer, perBlock, concurrency, deadline, status);
    }
    bench.log(
      `  ${whoami.latenciesMs.length + status.latenciesMs.length} requests in ${((Date.now() - t1) / 1000).toFixed(1)} s`
    );
    agent.destroy();
    const cut = Date.now() >= deadline;
    bench.params.stoppedAtDeadline = cut;
    if (cut) {
      bench.log(`  stopped at the ${DEADLINE_MS / 1000} s deadline`);
    }
    if (status.errors || !status.latenciesMs.length) {
      throw new Error(`GET /api/status: ${status.errors} errors; last answer: ${status.lastBody.slice(0, 300)}`);
    }
    let statusTargets = NaN;
    try {
      const body = JSON.parse(status.lastBody);
      statusTargets = Array.isArray(body.targets) ? body.targets.length : NaN;
    } catch {
      // reported below as unknown
    }

    // Did the scheduler start anything? (It should not: nothing is due.)
    const catalog = new Catalog(path.join(work, 'data/catalog.db'));
    const started = catalog.runs({ limit: 1000 }).filter((r) => r.id > filled.maxRunId);
    // Reference: the SLA computation alone, in this process, on the same catalog (where the time goes).
    const config = loadConfig(configFile);
    const inProcess: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = process.hrtime.bigint();
      slaState(config, catalog, new Date());
      inProcess.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    inProcess.sort((a, b) => a - b);
    catalog.close();

    const w = [...whoami.latenciesMs].sort((a, b) => a - b);
    const s = [...status.latenciesMs].sort((a, b) => a - b);
    const row = (metric: string, p: number, goal?: number) => {
      const v = percentile(s, p);
      const base = percentile(w, p);
      return {
        metric,
        value: v,
        unit: 'ms' as const,
        baseline: base,
        baselineLabel: 'GET /api/whoami',
        ratio: v / base,
        ...(goal ? { goal: `< ${goal} ms`, met: v < goal } : {}),
      };
    };
    bench.add(row('GET /api/status p50', 50));
    bench.add(row('GET /api/status p99', 99, 50));
    bench.add(row('GET /api/status max', 100));
    bench.add({
      metric: 'reference: slaState() in-process, p50 of 30',
      value: percentile(inProcess, 50),
      unit: 'ms',
      note: 'the SLA computation alone on the same catalog, no HTTP',
    });
    bench.add({
      metric: 'GET /api/status answer size',
      value: Buffer.byteLength(status.lastBody),
      unit: 'B',
      note: `${Number.isNaN(statusTargets) ? '?' : statusTargets} targets; ${s.length} + ${w.length} requests${cut ? ` (cut at the ${DEADLINE_MS / 1000} s bound)` : ''}, concurrency ${concurrency}, ${whoami.errors} whoami errors${started.length ? `; the scheduler started ${started.length} runs (${[...new Set(started.map((r) => `${r.operation} ${r.status}`))].join(', ')})` : ''}`,
    });
    bench.log(
      `  status p50 ${percentile(s, 50).toFixed(2)} ms, p99 ${percentile(s, 99).toFixed(2)} ms; whoami p50 ${percentile(w, 50).toFixed(2)} ms, p99 ${percentile(w, 99).toFixed(2)} ms; body ${fmtBytes(Buffer.byteLength(status.lastBody))}`
    );
  } finally {
    await daemon?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  bench.finish();
});
