/**
 * kind: prometheus — the TSDB. Backup asks Prometheus for a snapshot (admin API), saves
 * `<dataDir>/snapshots/<name>` and deletes it (Prometheus never does); the blocks' own statistics
 * (series, samples, time range) are recorded. Verification restores into the temp dir, runs
 * `promtool tsdb analyze`, starts a scratch Prometheus over the copy and checks that it answers
 * with the recorded series and time range. Restore goes to a directory, or into the live data
 * directory with the configured stop/start hooks (the old one is moved aside, never deleted).
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { serviceUrlField } from '../config/schema';
import { CommandError, Running, run, start } from '../util/subprocess';
import { findProgram, freePort, describeFetchError } from './tools';
import { DriverContext, Json, Metadata, RestoreContext, TargetDriver } from './types';

export interface PrometheusSettings {
  connection: {
    /** HTTP API, e.g. http://127.0.0.1:9090 */
    url: string;
    /** Prometheus' --storage.tsdb.path on this machine (snapshots are written below it). */
    dataDir: string;
  };
  /** Commands (argument arrays) that stop and start the live Prometheus, for restores into it. */
  hooks?: { stop?: string[]; start?: string[] };
  verify: Record<string, never>;
}

/** One TSDB block as its meta.json describes it (times in ms, maxTime exclusive). */
export interface BlockInfo {
  ulid: string;
  minTime: number;
  maxTime: number;
  series: number;
  samples: number;
  chunks: number;
}

export const ADMIN_API_DISABLED = 'Prometheus admin API is disabled: start it with --web.enable-admin-api';
const SNAPSHOT_TIMEOUT_MS = 30 * 60 * 1000;
const HTTP_TIMEOUT_MS = 5 * 60 * 1000;
const READY_TIMEOUT_MS = 120_000;
const HOOK_TIMEOUT_MS = 5 * 60 * 1000;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

async function http(
  url: string,
  init: RequestInit & { timeoutMs?: number; signal?: AbortSignal } = {}
): Promise<{ status: number; text: string; json: any }> {
  const signals = [AbortSignal.timeout(init.timeoutMs ?? HTTP_TIMEOUT_MS), ...(init.signal ? [init.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.any(signals) });
  } catch (e) {
    throw new Error(`cannot reach Prometheus at ${new URL(url).origin}: ${describeFetchError(e)}`);
  }
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (e.g. /metrics or a proxy's error page)
  }
  return { status: res.status, text, json };
}

/** GET an API endpoint and return its `data`, with Prometheus' own error text on failure. */
async function apiGet(
  url: string,
  endpoint: string,
  params: Record<string, string>,
  signal?: AbortSignal
): Promise<any> {
  const r = await http(`${baseUrl(url)}${endpoint}?${new URLSearchParams(params)}`, { signal });
  if (r.status !== 200 || r.json?.status !== 'success') {
    throw new Error(
      `Prometheus at ${url}: ${endpoint} answered ${r.status}: ${r.json?.error ?? r.text.slice(0, 200).trim()}`
    );
  }
  return r.json.data;
}

/** POST /api/v1/admin/tsdb/snapshot (with the head: skip_head on a young server is empty). */
export async function takeSnapshot(url: string, signal?: AbortSignal): Promise<string> {
  const r = await http(`${baseUrl(url)}/api/v1/admin/tsdb/snapshot`, {
    method: 'POST',
    timeoutMs: SNAPSHOT_TIMEOUT_MS,
    signal,
  });
  const error: string = r.json?.error ?? '';
  // 2.x answers "admin APIs disabled" (status 500/503 by version); a proxy may hide the route (404).
  if (r.status === 404 || /admin APIs? (are )?disabled/i.test(error || r.text)) {
    throw new Error(ADMIN_API_DISABLED);
  }
  const name: unknown = r.json?.data?.name;
  if (r.status !== 200 || r.json?.status !== 'success' || typeof name !== 'string') {
    throw new Error(
      `Prometheus at ${url} could not take a snapshot: ${r.status} ${error || r.text.slice(0, 200).trim()}`
    );
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) {
    throw new Error(`Prometheus at ${url} named its snapshot '${name}': not a plain directory name`);
  }
  return name;
}

/** The blocks of a TSDB directory (a snapshot or a data dir), oldest first. */
export function readBlocks(dir: string): BlockInfo[] {
  const blocks: BlockInfo[] = [];
  for (const entry of readdirSync(dir)) {
    const metaFile = path.join(dir, entry, 'meta.json');
    if (!ULID.test(entry) || !existsSync(metaFile)) {
      continue;
    }
    let meta: any;
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    } catch (e) {
      throw new Error(`block ${entry}: meta.json is not valid JSON (${(e as Error).message})`);
    }
    blocks.push({
      ulid: String(meta.ulid ?? entry),
      minTime: Number(meta.minTime),
      maxTime: Number(meta.maxTime),
      series: Number(meta.stats?.numSeries ?? 0),
      samples: Number(meta.stats?.numSamples ?? 0),
      chunks: Number(meta.stats?.numChunks ?? 0),
    });
  }
  return blocks.sort((a, b) => a.minTime - b.minTime || a.ulid.localeCompare(b.ulid));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function describeBlocks(blocks: BlockInfo[]): string {
  if (!blocks.length) {
    return 'an empty TSDB (no blocks)';
  }
  const samples = blocks.reduce((n, b) => n + b.samples, 0);
  const newest = blocks[blocks.length - 1];
  return (
    `${blocks.length} block${blocks.length === 1 ? '' : 's'}, ${samples} samples, ${newest.series} series in the newest block, ` +
    `${iso(blocks[0].minTime)} to ${iso(Math.max(...blocks.map((b) => b.maxTime)) - 1)}`
  );
}

function overlaps(b: BlockInfo, all: BlockInfo[]): boolean {
  return all.some((o) => o !== b && o.minTime < b.maxTime && b.minTime < o.maxTime);
}

// --- a scratch Prometheus over a restored copy ------------------------------------------------

interface Scratch {
  url: string;
  stop(): Promise<void>;
}

function exited(proc: Running): Promise<void> {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      resolve();
    } else {
      proc.child.once('close', () => resolve());
    }
  });
}

async function stopProcess(proc: Running): Promise<void> {
  const gone = exited(proc);
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    return;
  }
  proc.child.kill('SIGTERM');
  const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), 10_000).unref());
  if ((await Promise.race([gone.then(() => 'gone' as const), timer])) === 'late') {
    proc.child.kill('SIGKILL');
    await gone;
  }
}

/** Starts a Prometheus that scrapes nothing over `dir` on a free loopback port and waits for it. */
async function startScratch(ctx: DriverContext<PrometheusSettings>, dir: string, lookbackMs: number): Promise<Scratch> {
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
        command: findProgram(['prometheus']),
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
    const stop = () => stopProcess(proc);
    let dead = false;
    proc.done.catch(() => undefined).finally(() => (dead = true));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    try {
      while (!dead && Date.now() < deadline) {
        const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) {
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
      (e: unknown) => (e instanceof CommandError ? e.message : String(e))
    );
    lastError = dead ? err : `not ready after ${READY_TIMEOUT_MS / 1000} s`;
    if (!/address already in use/i.test(proc.stderr.toString())) {
      break;
    }
  }
  throw new Error(`the scratch Prometheus over the restored data did not start: ${lastError}`);
}

async function lowestTimestamp(url: string): Promise<number | null> {
  const r = await http(`${url}/metrics`);
  const m = /^prometheus_tsdb_lowest_timestamp (\S+)$/m.exec(r.text);
  return m ? Math.round(Number(m[1])) : null;
}

/** What the scratch server answers, checked against the blocks (series per block, time range). */
async function checkScratch(
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

async function promtoolSeries(
  ctx: DriverContext<PrometheusSettings>,
  dir: string,
  ulid: string
): Promise<number | null> {
  const out = await run(
    {
      command: findProgram(['promtool']),
      args: ['tsdb', 'analyze', dir, ulid],
      timeoutMs: ctx.target.timeoutSeconds * 1000,
    },
    { signal: ctx.signal }
  );
  const m = /^Series:\s*(\d+)/m.exec(out);
  return m ? Number(m[1]) : null;
}

function compareBlocks(expected: BlockInfo[], actual: BlockInfo[]): string[] {
  const problems: string[] = [];
  for (const want of expected) {
    const got = actual.find((b) => b.ulid === want.ulid);
    if (!got) {
      problems.push(`block ${want.ulid} missing`);
      continue;
    }
    for (const k of ['minTime', 'maxTime', 'series', 'samples', 'chunks'] as const) {
      if (got[k] !== want[k]) {
        problems.push(`block ${want.ulid}: ${k} ${got[k]}, expected ${want[k]}`);
      }
    }
  }
  for (const b of actual) {
    if (!expected.some((w) => w.ulid === b.ulid)) {
      problems.push(`unexpected block ${b.ulid}`);
    }
  }
  return problems;
}

// --- restore helpers ---------------------------------------------------------------------------

function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** A sibling path that does not exist yet. */
function freshSibling(base: string): string {
  let p = base;
  for (let i = 1; existsSync(p); i++) {
    p = `${base}-${i}`;
  }
  return p;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function runHook(ctx: DriverContext<PrometheusSettings>, which: 'stop' | 'start', hook: string[]): Promise<void> {
  ctx.progress(`${which} hook`);
  try {
    await run({ command: hook[0], args: hook.slice(1), timeoutMs: HOOK_TIMEOUT_MS }, { signal: ctx.signal });
  } catch (e) {
    throw new Error(`the ${which} hook (${hook[0]}) failed: ${(e as Error).message}`);
  }
}

async function answers(url: string): Promise<boolean> {
  return fetch(`${baseUrl(url)}/-/healthy`, { signal: AbortSignal.timeout(2000) })
    .then(() => true)
    .catch(() => false);
}

async function waitUntilDown(url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await answers(url))) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return !(await answers(url));
}

/** Swaps a restored TSDB into the live data directory (rename on the same file system). */
async function restoreIntoLive(ctx: RestoreContext<PrometheusSettings>): Promise<{ location: string; detail: string }> {
  const s = ctx.target.settings;
  const dataDir = path.resolve(s.connection.dataDir);
  const hooks = s.hooks ?? {};
  if (!hooks.stop && (await answers(s.connection.url))) {
    throw new Error(
      `Prometheus at ${s.connection.url} is running and the target has no hooks.stop: stop it first, or configure hooks { stop, start }`
    );
  }
  const staging = freshSibling(`${dataDir}.restoring-${stamp()}`);
  mkdirSync(staging, { recursive: true, mode: 0o750 });
  let swapped = false;
  let stopped = false;
  try {
    // Read the snapshot while Prometheus still runs: the outage is only the swap.
    ctx.progress('reading the snapshot');
    await ctx.reader.restoreTo(staging);
    const blocks = readBlocks(staging);
    if (hooks.stop) {
      await runHook(ctx, 'stop', hooks.stop);
      stopped = true;
      if (!(await waitUntilDown(s.connection.url, 60_000))) {
        stopped = false;
        throw new Error(
          `Prometheus at ${s.connection.url} still answers after the stop hook; the live data was not touched`
        );
      }
    }
    ctx.progress('replacing the live data directory');
    let aside: string | null = null;
    if (existsSync(dataDir)) {
      aside = freshSibling(`${dataDir}.before-restore-${stamp()}`);
      const st = statSync(dataDir);
      renameSync(dataDir, aside);
      try {
        renameSync(staging, dataDir);
      } catch (e) {
        renameSync(aside, dataDir);
        throw e;
      }
      // Same owner and mode as before, so that the Prometheus user can write to it.
      try {
        chmodSync(dataDir, st.mode & 0o7777);
        chownSync(dataDir, st.uid, st.gid);
      } catch (e) {
        ctx.log.warn({ err: String(e) }, 'could not copy owner/mode of the previous data directory');
      }
    } else {
      renameSync(staging, dataDir);
    }
    swapped = true;
    if (hooks.start) {
      try {
        await runHook(ctx, 'start', hooks.start);
      } catch (e) {
        throw new Error(
          `${(e as Error).message} (the restored data is in ${dataDir}${aside ? `, the previous data in ${aside}` : ''})`
        );
      }
    }
    return {
      location: `live data directory ${dataDir}`,
      detail: `${describeBlocks(blocks)}${aside ? `; previous data kept in ${aside}` : ''}${hooks.start ? '' : '; no start hook: start Prometheus yourself'}`,
    };
  } catch (e) {
    // Stopped but not swapped: the live data is as it was; bring Prometheus back on it.
    if (stopped && !swapped && hooks.start) {
      await runHook(ctx, 'start', hooks.start).catch((e2) =>
        ctx.log.error({ err: String(e2) }, 'start hook after a failed restore')
      );
    }
    throw e;
  } finally {
    if (!swapped) {
      rmSync(staging, { recursive: true, force: true });
    }
  }
}

export const prometheusDriver: TargetDriver<PrometheusSettings> = {
  kind: 'prometheus',
  settingsShape: (h) => ({
    connection: z.strictObject({
      url: serviceUrlField(
        'http://127.0.0.1:9090',
        'the service reads Prometheus without them (use its local address)'
      ).default('http://127.0.0.1:9090'),
      dataDir: h.path(),
    }),
    hooks: z
      .strictObject({
        stop: z.array(z.string().min(1)).min(1, 'a command: [program, arg, ...]').optional(),
        start: z.array(z.string().min(1)).min(1, 'a command: [program, arg, ...]').optional(),
      })
      .optional(),
  }),
  defaults: {
    schedule: '30 2 * * *',
    rpo: '1d',
    rto: '20m',
    retention: { keepWeekly: 10 },
    verifySchedule: '30 4 * * 0',
    coverage: 'all Prometheus databases used (the TSDB with its metrics), as an admin-API snapshot',
    usability:
      'promtool tsdb analyze of the restored copy, and a scratch Prometheus on it answers with the same series and time range',
  },

  checkRestoreTarget: (to) => {
    if (!path.isAbsolute(to) || to.includes('\0')) {
      return 'give an absolute directory path';
    }
    if (path.resolve(to) === path.parse(path.resolve(to)).root) {
      return 'not the root directory';
    }
    return null;
  },

  destinations: (t) => {
    const hooks = t.settings.hooks ?? {};
    return {
      inPlace: {
        replaces: `live data directory ${t.settings.connection.dataDir}`,
        movedAsideAs: `${t.settings.connection.dataDir}.before-restore-<time>`,
        note: hooks.stop
          ? `Prometheus is stopped (${hooks.stop.join(' ')}) for the swap${hooks.start ? ` and started again (${hooks.start.join(' ')})` : '; start it yourself afterwards (no hooks.start)'}`
          : 'no hooks.stop configured: Prometheus must already be stopped, and you start it afterwards',
        unavailable: null,
      },
      elsewhere: {
        kind: 'directory',
        hint: 'an absolute path to a new or empty directory outside the live data directory',
        example: '/var/tmp/prometheus-restored',
      },
    };
  },

  contents: (meta) => {
    const blocks = Array.isArray(meta.blocks) ? (meta.blocks as unknown as BlockInfo[]) : null;
    if (!blocks) {
      return null;
    }
    return {
      summary: describeBlocks(blocks),
      items: blocks.map((b) => ({
        name: `block ${b.ulid} (${iso(b.minTime)} to ${iso(b.maxTime - 1)})`,
        count: b.series,
        unit: 'series',
      })),
    };
  },

  async backup(ctx) {
    const s = ctx.target.settings;
    ctx.progress('taking a TSDB snapshot');
    const name = await takeSnapshot(s.connection.url, ctx.signal);
    const dir = path.join(s.connection.dataDir, 'snapshots', name);
    try {
      if (!existsSync(dir)) {
        throw new Error(
          `Prometheus wrote snapshot ${name}, but ${dir} does not exist: connection.dataDir must be its --storage.tsdb.path on this machine (remove the snapshot there by hand)`
        );
      }
      const blocks = readBlocks(dir);
      ctx.progress('uploading');
      const snapshot = await ctx.store.saveDirectory(dir);
      const newest = blocks[blocks.length - 1];
      const metadata: Metadata = {
        snapshot: name,
        blocks: blocks as unknown as Json,
        series: newest?.series ?? 0,
        samples: blocks.reduce((n, b) => n + b.samples, 0),
        minTime: blocks.length ? blocks[0].minTime : null,
        maxTime: blocks.length ? Math.max(...blocks.map((b) => b.maxTime)) : null,
      };
      return { kind: 'saved', snapshot, version: null, metadata };
    } finally {
      // Nothing else ever deletes a snapshot: a forgotten one would hold its blocks forever.
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (e) {
        ctx.log.error({ err: String(e), dir }, 'could not remove the Prometheus snapshot directory');
      }
    }
  },

  async verify(ctx) {
    const dir = path.join(ctx.tmpDir, 'tsdb');
    mkdirSync(dir, { recursive: true });
    ctx.progress('reading the snapshot');
    await ctx.reader.restoreTo(dir);
    const blocks = readBlocks(dir);
    const meta = ctx.snapshot.metadata;
    const recorded = Array.isArray(meta?.blocks) ? (meta!.blocks as unknown as BlockInfo[]) : null;
    const problems: string[] = recorded ? compareBlocks(recorded, blocks) : [];
    if (!blocks.length) {
      return problems.length
        ? { ok: false, detail: problems.join('; ') }
        : { ok: true, detail: `the snapshot is ${describeBlocks(blocks)}${recorded ? ', as recorded' : ''}` };
    }
    ctx.progress('promtool tsdb analyze');
    for (const b of blocks) {
      const n = await promtoolSeries(ctx, dir, b.ulid);
      if (n !== b.series) {
        problems.push(`block ${b.ulid}: promtool tsdb analyze finds ${n ?? 'no'} series, expected ${b.series}`);
      }
    }
    ctx.progress('starting a scratch Prometheus');
    const newestBlock = blocks.reduce((a, b) => (b.maxTime > a.maxTime ? b : a));
    const scratch = await startScratch(ctx, dir, newestBlock.maxTime - newestBlock.minTime + 1000);
    try {
      ctx.progress('querying the scratch Prometheus');
      const r = await checkScratch(scratch.url, blocks, ctx.signal);
      problems.push(...r.problems);
    } finally {
      await scratch.stop();
    }
    if (problems.length) {
      return { ok: false, detail: problems.join('; ') };
    }
    return {
      ok: true,
      detail: `${describeBlocks(blocks)}; promtool tsdb analyze and a scratch Prometheus agree${recorded ? ' with what was recorded' : ''}`,
    };
  },

  async restore(ctx) {
    const s = ctx.target.settings;
    const { to, force } = ctx.options;
    // In place is the live data directory, swapped in with the stop/start hooks.
    if (to === undefined) {
      return restoreIntoLive(ctx);
    }
    const dest = path.resolve(to);
    const live = real(s.connection.dataDir);
    if (inside(real(dest), live) || inside(live, real(dest))) {
      throw new Error(
        `${dest} is (or holds) the live data directory ${s.connection.dataDir}: restore in place (without to) to replace it`
      );
    }
    if (existsSync(dest)) {
      if (!statSync(dest).isDirectory()) {
        throw new Error(`${dest} exists and is not a directory`);
      }
      const entries = readdirSync(dest);
      if (entries.length && !force) {
        throw new Error(`${dest} is not empty; choose an empty directory or force`);
      }
      // A restored TSDB mixed with other blocks would be a different TSDB: start empty.
      for (const e of entries) {
        rmSync(path.join(dest, e), { recursive: true, force: true });
      }
    } else {
      mkdirSync(dest, { recursive: true, mode: 0o750 });
    }
    ctx.progress('restoring');
    await ctx.reader.restoreTo(dest);
    return {
      location: `directory ${dest}`,
      detail: `${describeBlocks(readBlocks(dest))}; start Prometheus with --storage.tsdb.path=${dest}`,
    };
  },
};
