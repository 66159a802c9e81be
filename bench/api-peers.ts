/**
 * `GET /api/status` of a lab of two instances, asked of one: app1 answers for its own 50 targets
 * and for the 50 of its peer mon1 (asked over HTTP, `?local=1`, kept for a second and shared by
 * every caller). Each instance is a real `backup-sla serve` child with its own catalog of 100,000
 * runs (bench/api-catalog.ts, the shape of api-status.ts). Measured from this (third) process over
 * loopback. Goal: p99 < 100 ms.
 *
 * Baselines, in the same run, interleaved in blocks so that all meet the same machine load:
 * `GET /api/status?local=1` on app1 (its own 50 targets, no peer) and `GET /api/whoami`.
 *
 *   BENCH_API_REQUESTS (default 2000 per route)  BENCH_API_CONCURRENCY (default 4)
 *   BENCH_API_TARGETS (default 50 per instance)  BENCH_API_RUNS (default 100000 per instance)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fillCatalog } from './api-catalog';
import {
  Daemon,
  freePort,
  idleMysqlTargets,
  load,
  sampler,
  Sampler,
  startDaemon,
  writeConfig,
  writeTokens,
} from './http';
import { Bench, envNumber, fmtBytes, percentile, runMain } from './lib';

const DEADLINE_MS = 200_000;

runMain(async () => {
  const bench = new Bench('api-peers', 'API: GET /api/status of 2 instances × 50 targets × 100,000 runs, asked of one');
  const requests = Math.round(envNumber('BENCH_API_REQUESTS', 2000));
  const concurrency = Math.round(envNumber('BENCH_API_CONCURRENCY', 4));
  const nTargets = Math.round(envNumber('BENCH_API_TARGETS', 50));
  const nRuns = Math.round(envNumber('BENCH_API_RUNS', 100_000));
  Object.assign(bench.params, { requests, concurrency, targetsPerInstance: nTargets, runsPerInstance: nRuns });

  const work = mkdtempSync(path.join(os.tmpdir(), 'bsla-bench-peers-'));
  const daemons: Daemon[] = [];
  try {
    const names = ['app1', 'mon1'] as const;
    const ports = { app1: await freePort(), mon1: await freePort() };
    const dirs = Object.fromEntries(names.map((n) => [n, path.join(work, n)])) as Record<
      (typeof names)[number],
      string
    >;
    names.forEach((n) => mkdirSync(dirs[n]));
    const tokens = { app1: writeTokens(dirs.app1), mon1: writeTokens(dirs.mon1) };
    const targetNames = Array.from({ length: nTargets }, (_, i) => `db${String(i + 1).padStart(2, '0')}`);
    const configs = Object.fromEntries(
      names.map((n) => {
        const other = n === 'app1' ? 'mon1' : 'app1';
        const file = writeConfig(dirs[n], {
          instance: n,
          catalog: './data/catalog.db',
          workDir: './data/work',
          repositories: { main: { url: './repo', passwordFile: './repo.pass' } },
          targets: idleMysqlTargets(targetNames),
          api: {
            listen: `127.0.0.1:${ports[n]}`,
            tokens: { viewer: './viewer.token', operator: './operator.token', admin: './admin.token' },
          },
          peers: {
            [other]: {
              url: `http://127.0.0.1:${ports[other]}`,
              tokens: {
                viewer: path.join(dirs[other], 'viewer.token'),
                operator: path.join(dirs[other], 'operator.token'),
                admin: path.join(dirs[other], 'admin.token'),
              },
            },
          },
        });
        return [n, file];
      })
    ) as Record<(typeof names)[number], string>;

    for (const n of names) {
      bench.log(`${n}: filling the catalog: ${nTargets} targets × ${Math.round(nRuns / nTargets)} runs`);
      const filled = fillCatalog(path.join(dirs[n], 'data/catalog.db'), targetNames, Math.round(nRuns / nTargets));
      bench.log(`  ${filled.runs} runs, ${filled.snapshots} snapshots`);
    }
    for (const n of ['mon1', 'app1'] as const) {
      bench.log(`starting ${n}: backup-sla serve on 127.0.0.1:${ports[n]}`);
      daemons.push(await startDaemon(configs[n], ports[n], tokens[n].viewer));
    }

    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const port = ports.app1;
    const token = tokens.app1.viewer;
    const deadline = Date.now() + DEADLINE_MS;
    const scratch = sampler();
    for (const url of ['/api/whoami', '/api/status?local=1', '/api/status']) {
      await load(agent, port, url, token, 100, concurrency, deadline, scratch); // warm-up, not counted
    }
    const lab = sampler();
    const local = sampler();
    const whoami = sampler();
    const blocks = 8;
    const perBlock = Math.ceil(requests / blocks);
    const t0 = Date.now();
    for (let b = 0; b < blocks && Date.now() < deadline; b++) {
      await load(agent, port, '/api/whoami', token, perBlock, concurrency, deadline, whoami);
      await load(agent, port, '/api/status?local=1', token, perBlock, concurrency, deadline, local);
      await load(agent, port, '/api/status', token, perBlock, concurrency, deadline, lab);
    }
    agent.destroy();
    bench.log(
      `  ${lab.latenciesMs.length + local.latenciesMs.length + whoami.latenciesMs.length} requests in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    );
    const cut = Date.now() >= deadline;
    bench.params.stoppedAtDeadline = cut;
    if (lab.errors || !lab.latenciesMs.length) {
      throw new Error(`GET /api/status: ${lab.errors} errors; last answer: ${lab.lastBody.slice(0, 300)}`);
    }
    const body = JSON.parse(lab.lastBody);
    const reachable = body.instances.filter((i: { reachable: boolean }) => i.reachable).length;
    if (body.targets.length !== 2 * nTargets || reachable !== 2) {
      throw new Error(`the lab's status has ${body.targets.length} targets, ${reachable} instances reachable`);
    }

    const sorted = (x: Sampler) => [...x.latenciesMs].sort((a, b) => a - b);
    const [l, o, w] = [sorted(lab), sorted(local), sorted(whoami)];
    const row = (metric: string, p: number, base: number[], label: string, goal?: number) => {
      const v = percentile(l, p);
      const b = percentile(base, p);
      return {
        metric,
        value: v,
        unit: 'ms' as const,
        baseline: b,
        baselineLabel: label,
        ratio: v / b,
        ...(goal ? { goal: `< ${goal} ms`, met: v < goal } : {}),
      };
    };
    bench.add(row('GET /api/status (lab) p50', 50, o, 'GET /api/status?local=1'));
    bench.add(row('GET /api/status (lab) p99', 99, o, 'GET /api/status?local=1', 100));
    bench.add(row('GET /api/status (lab) max', 100, o, 'GET /api/status?local=1'));
    bench.add(row('GET /api/status (lab) p99 vs whoami', 99, w, 'GET /api/whoami'));
    bench.add({
      metric: 'GET /api/status (lab) answer size',
      value: Buffer.byteLength(lab.lastBody),
      unit: 'B',
      note: `${body.targets.length} targets of 2 instances; ${l.length} + ${o.length} + ${w.length} requests${cut ? ` (cut at the ${DEADLINE_MS / 1000} s bound)` : ''}, concurrency ${concurrency}, ${local.errors + whoami.errors} baseline errors`,
    });
    bench.log(
      `  lab p50 ${percentile(l, 50).toFixed(2)} ms, p99 ${percentile(l, 99).toFixed(2)} ms; local p99 ${percentile(o, 99).toFixed(2)} ms; whoami p99 ${percentile(w, 99).toFixed(2)} ms; body ${fmtBytes(Buffer.byteLength(lab.lastBody))}`
    );
  } finally {
    for (const d of daemons) {
      await d.stop();
    }
    rmSync(work, { recursive: true, force: true });
  }
  bench.finish();
});
