/**
 * A scratch Prometheus over a restored copy (verification): it scrapes nothing, listens on a free
 * loopback port, and must answer with what the blocks say (series per block, time range).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../../util/errors';
import { CommandError, lastLine, start } from '../../util/subprocess';
import { notStarted, requireProgram, stopGracefully } from '../kit/process';
import { freePort } from '../tools';
import type { DriverContext } from '../types';
import { apiGet, prometheusClient, ready } from './api';
import { BlockInfo, iso, overlaps, seconds } from './tsdb';

const READY_TIMEOUT_MS = 120_000;

export interface Scratch {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the scratch server over `dir` and waits until it is ready. A server that exits on the
 * data answers `{ problem }` (the TSDB does not load); a Prometheus that is not installed throws
 * UnavailableError.
 */
export async function startScratch(
  ctx: DriverContext<unknown>,
  prometheusName: string,
  dir: string,
  lookbackMs: number
): Promise<Scratch | { problem: string }> {
  const prometheus = requireProgram([prometheusName], 'install prometheus (Debian: apt-get install prometheus)');
  const config = path.join(ctx.tmpDir, 'scratch-prometheus.yml');
  writeFileSync(
    config,
    '# Scratch server for a verification: no scrape jobs, only the restored data.\nscrape_configs: []\n'
  );
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = start(
      {
        command: prometheus,
        args: [
          `--config.file=${config}`,
          `--storage.tsdb.path=${dir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          // Retention counts from the newest block: keep even a long history whole.
          '--storage.tsdb.retention.time=36500d',
          `--query.lookback-delta=${Math.max(300_000, Math.ceil(lookbackMs))}ms`,
          '--log.level=warn',
        ],
        timeoutMs: ctx.target.timeoutSeconds * 1000,
      },
      { signal: ctx.signal }
    );
    proc.child.stdout?.resume();
    const stop = () => stopGracefully(proc);
    let dead = false;
    proc.done.catch(() => undefined).finally(() => (dead = true));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    try {
      while (!dead && Date.now() < deadline) {
        if (await ready(url)) {
          return { url, stop };
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (e) {
      await stop();
      throw e;
    }
    await stop();
    const err = await proc.done.then(
      () => 'exited',
      (e: unknown) => e
    );
    if (notStarted(err)) {
      throw new UnavailableError(`the scratch Prometheus cannot start: ${(err as Error).message}`);
    }
    const stderr = proc.stderr.toString();
    if (/address already in use/i.test(stderr)) {
      lastError = 'address already in use';
      continue;
    }
    if (!dead) {
      throw new UnavailableError(
        `the scratch Prometheus over the restored data was not ready after ${READY_TIMEOUT_MS / 1000} s`
      );
    }
    const why = lastLine(stderr) || (err instanceof CommandError ? err.message : String(err));
    return { problem: `a Prometheus over the restored data does not start: ${why}` };
  }
  throw new UnavailableError(`the scratch Prometheus found no free port: ${lastError}`);
}

async function lowestTimestamp(url: string): Promise<number | null> {
  const r = await prometheusClient(url).request('/metrics');
  const m = /^prometheus_tsdb_lowest_timestamp (\S+)$/m.exec(r.text);
  return m ? Math.round(Number(m[1])) : null;
}

/** What the scratch server answers, checked against the blocks (series per block, time range). */
export async function checkScratch(
  url: string,
  blocks: BlockInfo[],
  signal: AbortSignal
): Promise<{ problems: string[]; newest: number | null }> {
  const problems: string[] = [];
  const all = { 'match[]': '{__name__=~".+"}' };
  for (const b of blocks) {
    const series: unknown[] = await apiGet(
      url,
      '/api/v1/series',
      { ...all, start: seconds(b.minTime), end: seconds(b.maxTime - 1) },
      signal
    );
    const exact = !overlaps(b, blocks);
    if (exact ? series.length !== b.series : series.length < b.series) {
      problems.push(
        `block ${b.ulid}: the scratch Prometheus answers ${series.length} series, expected ${exact ? '' : 'at least '}${b.series}`
      );
    }
  }
  const lowest = await lowestTimestamp(url);
  if (lowest !== blocks[0].minTime) {
    problems.push(`oldest data at ${lowest === null ? 'unknown' : iso(lowest)}, expected ${iso(blocks[0].minTime)}`);
  }
  // timestamp() drops the metric name; the copied label keeps series apart for max().
  const maxTime = Math.max(...blocks.map((b) => b.maxTime));
  const q = 'max(timestamp(label_replace({__name__=~".+"}, "bsla_name", "$1", "__name__", "(.+)")))';
  const data = await apiGet(url, '/api/v1/query', { query: q, time: seconds(maxTime - 1) }, signal);
  const value = data?.result?.[0]?.value?.[1];
  const newest = value === undefined ? null : Math.round(Number(value) * 1000);
  const newestBlock = blocks.reduce((a, b) => (b.maxTime > a.maxTime ? b : a));
  if (newestBlock.samples > 0 && (newest === null || newest < newestBlock.minTime || newest >= maxTime)) {
    problems.push(
      `newest sample at ${newest === null ? 'none found' : iso(newest)}, expected within ${iso(newestBlock.minTime)}..${iso(maxTime - 1)}`
    );
  }
  return { problems, newest };
}
