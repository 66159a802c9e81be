/**
 * Peak memory of the service while it backs up a MySQL dump larger than 1 GB. Goal: the Node
 * process stays under 200 MB (the dump streams from mariadb-dump into restic, never through
 * memory). The real CLI runs as a child process:
 *   node backend/bin/backup-sla.js --config F backup mysql
 * Its RSS is sampled every 50 ms from /proc/<pid>/status (VmRSS, VmHWM), and its exact peak
 * (getrusage maxRSS) is written at exit by a preload (bench/peak-rss.js). Its children — restic and
 * mariadb-dump, separate processes — are sampled the same way and reported apart.
 * Baseline: the same CLI's peak for `status` (loads config, catalog and engine; moves no data).
 *
 * The database bench_big is made once (≈ 25 s per GB here, server-side INSERT … SELECT from
 * MariaDB's sequence engine) and reused while its size parameter is unchanged.
 *   BENCH_BIG_GB (default 1.1): approximate dump size in 10^9 bytes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Catalog } from '../backend/src/catalog/catalog';
import { mysqlEnv } from '../backend/src/test/mysql';
import { agamaDatabase, rowDumpBytes } from './data';
import { Bench, ROOT, ensureServices, envNumber, fmtBytes, runMain, sleep, vsBaseline } from './lib';

const DB = 'bench_big';
const REPEAT = 70; // ~2 KB per dumped row
const GOAL_BYTES = 200e6;
const CLI = path.join(ROOT, 'backend/bin/backup-sla.js');

interface ProcPeak {
  comm: string;
  hwmKiB: number;
}

function statusKiB(pid: number): { rss: number; hwm: number; comm: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (k: string) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    const comm = s.match(/^Name:\s+(.+)$/m)?.[1] ?? '?';
    return { rss: num('VmRSS'), hwm: num('VmHWM'), comm };
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) {
        out.push(...text.split(/\s+/).map(Number));
      }
    }
  } catch {
    // gone
  }
  return out;
}

interface Measured {
  exitCode: number | null;
  seconds: number;
  stdout: string;
  stderr: string;
  /** Exact peak of the Node process (preload), else the last sampled VmHWM. */
  nodePeakKiB: number;
  nodeSampledHwmKiB: number;
  samples: number;
  children: Map<number, ProcPeak>;
}

/** Runs the CLI with `args`, sampling it and its descendants every 50 ms, bounded by `timeoutMs`. */
async function measureCli(configFile: string, args: string[], timeoutMs: number, work: string): Promise<Measured> {
  const peakFile = path.join(work, `peak-${Date.now()}.json`);
  const child = spawn(
    process.execPath,
    ['--require', path.join(ROOT, 'bench/peak-rss.js'), CLI, '--config', configFile, ...args],
    {
      env: { ...process.env, BENCH_PEAK_RSS_FILE: peakFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const started = Date.now();
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      exited = true;
      resolve(code);
    })
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const children = new Map<number, ProcPeak>();
  let nodeHwm = 0;
  let samples = 0;
  while (!exited) {
    const me = statusKiB(child.pid!);
    if (me && Number.isFinite(me.hwm)) {
      nodeHwm = Math.max(nodeHwm, me.hwm);
      samples++;
    }
    const queue = childrenOf(child.pid!);
    while (queue.length) {
      const pid = queue.shift()!;
      const st = statusKiB(pid);
      if (st && Number.isFinite(st.hwm)) {
        const prev = children.get(pid);
        children.set(pid, { comm: st.comm, hwmKiB: Math.max(prev?.hwmKiB ?? 0, st.hwm) });
      }
      queue.push(...childrenOf(pid));
    }
    await Promise.race([sleep(50), exit]);
  }
  clearTimeout(killer);
  const exitCode = await exit;
  let exact = 0;
  if (existsSync(peakFile)) {
    exact = JSON.parse(readFileSync(peakFile, 'utf8')).maxRssKiB;
  }
  return {
    exitCode,
    seconds: (Date.now() - started) / 1000,
    stdout,
    stderr,
    nodePeakKiB: exact || nodeHwm,
    nodeSampledHwmKiB: nodeHwm,
    samples,
    children,
  };
}

function peakOf(children: Map<number, ProcPeak>, comm: RegExp): number {
  return Math.max(0, ...[...children.values()].filter((c) => comm.test(c.comm)).map((c) => c.hwmKiB));
}

runMain(async () => {
  const bench = new Bench('memory-1gb', 'Peak memory of the service backing up a MySQL dump larger than 1 GB');
  const gb = envNumber('BENCH_BIG_GB', 1.1);
  const rows = Math.ceil((gb * 1e9) / rowDumpBytes(REPEAT));
  Object.assign(bench.params, { gb, rows });
  if (!existsSync(path.join(ROOT, 'backend/dist/cli/main.js'))) {
    bench.skip('backend/dist is not built: npm run build -w backend');
  }
  ensureServices(['mariadb']);
  const made = await agamaDatabase(DB, rows, REPEAT, {
    reuse: process.env.BENCH_REUSE !== '0',
    log: (m) => bench.log(m),
  });
  bench.log(made.reused ? `reusing ${DB} (${rows} rows)` : `created ${DB} in ${made.seconds.toFixed(1)} s`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'bsla-bench-mem-'));
  try {
    const e = mysqlEnv();
    writeFileSync(path.join(work, 'repo.pass'), `bench-${Math.random().toString(36).slice(2)}\n`, { mode: 0o600 });
    const configFile = path.join(work, 'backup-sla.yaml');
    writeFileSync(
      configFile,
      YAML.stringify({
        catalog: './data/catalog.db',
        workDir: './data/work',
        repositories: { main: { url: './repo', passwordFile: './repo.pass' } },
        targets: {
          mysql: {
            kind: 'mysql',
            connection: { host: e.host, port: e.port, user: e.user, passwordFile: e.passwordFile, database: DB },
            retention: { keepLast: 1 },
            timeout: '2h',
          },
        },
      })
    );

    bench.log('baseline: backup-sla status (same CLI, no data moved)');
    const idle = await measureCli(configFile, ['status'], 120_000, work);
    // status exits 1 when a target is critical (here: no backup yet); anything else is an error.
    if (idle.exitCode !== 0 && !(idle.exitCode === 1 && /CRITICAL/.test(idle.stdout))) {
      throw new Error(`backup-sla status exited ${idle.exitCode}: ${idle.stderr.trim()}`);
    }
    bench.log(`  peak ${fmtBytes(idle.nodePeakKiB * 1024)}`);

    bench.log(`backup-sla backup mysql (${DB}, ~${gb} GB dump)`);
    const run = await measureCli(configFile, ['backup', 'mysql'], 2 * 3600_000, work);
    if (run.exitCode !== 0) {
      throw new Error(`backup-sla backup exited ${run.exitCode}: ${run.stderr.trim()}`);
    }
    const catalog = new Catalog(path.join(work, 'data/catalog.db'));
    const last = catalog.lastRun('mysql', 'backup');
    catalog.close();
    const dumpBytes = Number(last?.detail.bytes ?? NaN);
    const resticKiB = peakOf(run.children, /^restic$/);
    const dumpKiB = peakOf(run.children, /mysqldump|mariadb-dump/);
    bench.log(
      `  ${run.seconds.toFixed(1)} s, dump ${fmtBytes(dumpBytes)} (${(dumpBytes / run.seconds / 2 ** 20).toFixed(0)} MiB/s), ` +
        `node peak ${fmtBytes(run.nodePeakKiB * 1024)} (sampled VmHWM ${fmtBytes(run.nodeSampledHwmKiB * 1024)}, ${run.samples} samples), ` +
        `restic ${fmtBytes(resticKiB * 1024)}, mariadb-dump ${fmtBytes(dumpKiB * 1024)}`
    );
    const node = run.nodePeakKiB * 1024;
    bench.add({
      metric: 'dump size streamed',
      value: dumpBytes,
      unit: 'B',
      note: dumpBytes > 2 ** 30 ? `> 1 GiB, ${run.seconds.toFixed(0)} s` : 'SMALLER than 1 GiB: raise BENCH_BIG_GB',
    });
    bench.add({
      metric: 'service (Node) peak RSS',
      value: node,
      unit: 'B',
      baseline: idle.nodePeakKiB * 1024,
      baselineLabel: 'same CLI, status',
      ratio: node / (idle.nodePeakKiB * 1024),
      goal: '< 200 MB',
      met: node < GOAL_BYTES,
    });
    bench.add(vsBaseline('restic peak RSS (child process)', resticKiB * 1024, node, 'B', null, 'Node peak'));
    bench.add(vsBaseline('mariadb-dump peak RSS (child process)', dumpKiB * 1024, node, 'B', null, 'Node peak'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  bench.finish();
});
