/**
 * Private Prometheus servers for the prometheus tests, the conformance suite and the drill: each
 * with its own port and data directory, started and stopped by two small scripts that double as
 * the target's hooks (as `systemctl start|stop prometheus` would be in the lab).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../targets/tools';
import { run } from '../util/subprocess';
import { waitFor } from './process';

export interface PrivatePrometheus {
  url: string;
  /** Holds the scripts, the config, the log and `data/`. */
  dir: string;
  dataDir: string;
  startHook: string[];
  stopHook: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

export interface PrivateOptions {
  /** --web.enable-admin-api (backups need it). */
  adminApi?: boolean;
  /** Scrape itself every second (data that keeps growing); off: only what is on disk. */
  scrapeSelf?: boolean;
  /** Where to make it (default: a new temp dir). */
  dir?: string;
}

export async function privatePrometheus(options: PrivateOptions = {}): Promise<PrivatePrometheus> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'bsla-prom-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const scrape = options.scrapeSelf ?? true;
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    scrape
      ? `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`
      : 'scrape_configs: []\n'
  );
  const args = [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    // Old backfilled blocks stay, and are never compacted into others (their ids stay known).
    '--storage.tsdb.retention.time=36500d',
    '--storage.tsdb.min-block-duration=2h',
    '--storage.tsdb.max-block-duration=2h',
    ...(options.adminApi === false ? [] : ['--web.enable-admin-api']),
  ];
  writeFileSync(
    path.join(dir, 'start.sh'),
    `setsid /usr/bin/prometheus ${args.join(' ')} </dev/null >>${dir}/prometheus.log 2>&1 &\necho $! >${dir}/pid\n` +
      `for i in $(seq 1 100); do curl -sf ${url}/-/ready >/dev/null && exit 0; sleep 0.1; done\necho not ready >&2; exit 1\n`
  );
  writeFileSync(
    path.join(dir, 'stop.sh'),
    `pid=$(cat ${dir}/pid) || exit 0\nkill $pid 2>/dev/null || exit 0\n` +
      `for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || exit 0; sleep 0.1; done\nkill -9 $pid\n`
  );
  const startHook = ['bash', path.join(dir, 'start.sh')];
  const stopHook = ['bash', path.join(dir, 'stop.sh')];
  const p: PrivatePrometheus = {
    url,
    dir,
    dataDir,
    startHook,
    stopHook,
    start: async () => void (await run({ command: startHook[0], args: startHook.slice(1), timeoutMs: 30_000 })),
    stop: async () => void (await run({ command: stopHook[0], args: stopHook.slice(1), timeoutMs: 30_000 })),
    destroy: async () => {
      await p.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await p.start();
  return p;
}

export async function seriesCount(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: 'count({__name__=~".+"})' })}`).catch(
    () => null
  );
  const json: any = res ? await res.json().catch(() => null) : null;
  return Number(json?.data?.result?.[0]?.value?.[1] ?? 0);
}

export async function waitForData(url: string): Promise<void> {
  await waitFor(async () => (await seriesCount(url)) > 0, 60_000, `Prometheus at ${url} to have series`);
}

/** The oldest sample the server holds (ms), from its own metrics. */
export async function lowestTimestamp(url: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((res) => res.text());
  return Number(/^prometheus_tsdb_lowest_timestamp (\S+)$/m.exec(text)![1]);
}

export async function answers(url: string): Promise<boolean> {
  return fetch(`${url}/-/healthy`).then(
    () => true,
    () => false
  );
}

/** Snapshot directories Prometheus left (the driver must delete each one it made). */
export function leftSnapshots(dataDir: string): string[] {
  const dir = path.join(dataDir, 'snapshots');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * Writes TSDB blocks of known data into `dataDir` with promtool (backfill): `series` gauges
 * sampled every 15 s for `minutes` from `start`. A running Prometheus picks them up at its next
 * reload; the blocks are there on disk at once.
 */
export async function backfill(
  dataDir: string,
  start: Date,
  minutes: number,
  series = 3,
  name = 'lab_gauge'
): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bsla-backfill-'));
  try {
    const lines = [`# HELP ${name} A gauge of the test lab.`, `# TYPE ${name} gauge`];
    const t0 = Math.floor(start.getTime() / 1000);
    for (let s = 0; s < series; s++) {
      for (let t = 0; t < minutes * 60; t += 15) {
        lines.push(`${name}{instance="lab${s}"} ${(s * 1000 + t) % 977} ${t0 + t}`);
      }
    }
    lines.push('# EOF');
    const input = path.join(tmp, 'data.om');
    // OpenMetrics wants the samples of one series together and in time order: they are.
    writeFileSync(input, `${lines.join('\n')}\n`);
    await run({
      command: 'promtool',
      args: ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir],
      timeoutMs: 120_000,
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
