/**
 * Shared helpers of the benchmarks: the machine, timing, sizes on disk, process pipelines (argument
 * arrays, no shell), and the result format every benchmark writes.
 *
 * Result format (one JSON object per benchmark):
 *   bench/results/<name>.json          the latest result of that benchmark
 *   bench/results/latest.jsonl          one line per result, appended (scripts/bench.sh empties it first)
 *   { name, title, at, seconds, machine, params, skipped?, rows: [{ metric, value, unit, baseline?,
 *     baselineLabel?, ratio?, goal?, met?, note? }] }
 * bench/report.ts turns those into one markdown table (bench/results/README-table.md).
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportServicesEnv } from '../backend/src/test/servicesEnv';
import { Writable } from 'node:stream';

export const ROOT = path.resolve(__dirname, '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

export type Unit = 's' | 'ms' | 'B' | 'count' | 'ratio' | 'text';

export interface Row {
  metric: string;
  value: number | string | null;
  unit: Unit;
  /** The same quantity for the baseline, measured in the same run. */
  baseline?: number | null;
  baselineLabel?: string;
  /** value / baseline (or value / goal limit when the goal is absolute). */
  ratio?: number | null;
  /** The goal in words, e.g. "≤ 1.3× baseline". */
  goal?: string;
  met?: boolean | null;
  note?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  at: string;
  seconds: number;
  machine: Machine;
  params: Record<string, unknown>;
  rows: Row[];
  /** Set when the benchmark could not run (what is missing). */
  skipped?: string;
}

export interface Machine {
  nproc: number;
  model: string;
  memoryGiB: number;
  node: string;
  /** 1-minute load average when the result was written: other work on the machine skews timings. */
  load1: number;
}

export function machine(): Machine {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) {
      model = m[1].trim();
    }
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    model,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    load1: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

// --- formatting ------------------------------------------------------------------------------

export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) {
    return `${(n / 2 ** 30).toFixed(2)} GiB`;
  }
  if (n >= 2 ** 20) {
    return `${(n / 2 ** 20).toFixed(1)} MiB`;
  }
  if (n >= 2 ** 10) {
    return `${(n / 2 ** 10).toFixed(1)} KiB`;
  }
  return `${n} B`;
}

export function fmtValue(v: number | string | null | undefined, unit: Unit): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (typeof v === 'string') {
    return v;
  }
  switch (unit) {
    case 's':
      return `${v.toFixed(v < 10 ? 2 : 1)} s`;
    case 'ms':
      return `${v.toFixed(v < 10 ? 2 : 1)} ms`;
    case 'B':
      return fmtBytes(v);
    case 'ratio':
      return `${v.toFixed(3)}×`;
    default:
      return String(v);
  }
}

export function fmtRatio(r: number | null | undefined): string {
  return r === null || r === undefined || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`;
}

export function fmtMet(m: boolean | null | undefined): string {
  return m === true ? 'yes' : m === false ? '**NO**' : '—';
}

/** A markdown table of rows (also readable as plain text); `withBench` names the benchmark on its first row. */
export function markdownTable(rows: Row[], withBench?: string): string {
  const head = [...(withBench ? ['benchmark'] : []), 'metric', 'value', 'baseline', 'ratio', 'goal', 'met'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  rows.forEach((r, i) => {
    const base =
      r.baseline === undefined || r.baseline === null
        ? '—'
        : `${fmtValue(r.baseline, r.unit)}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`;
    const cells = [
      ...(withBench !== undefined ? [i === 0 ? withBench : ''] : []),
      r.metric + (r.note ? ` — ${r.note}` : ''),
      fmtValue(r.value, r.unit),
      base,
      fmtRatio(r.ratio),
      r.goal ?? '—',
      fmtMet(r.met),
    ];
    lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  });
  return lines.join('\n');
}

// --- results ---------------------------------------------------------------------------------

/** Helper for the common "value against baseline, goal = at most k× baseline" row. */
export function vsBaseline(
  metric: string,
  value: number,
  baseline: number,
  unit: Unit,
  maxRatio: number | null,
  baselineLabel?: string,
  note?: string
): Row {
  const ratio = baseline > 0 ? value / baseline : null;
  return {
    metric,
    value,
    unit,
    baseline,
    baselineLabel,
    ratio,
    goal: maxRatio === null ? undefined : `≤ ${maxRatio}× baseline`,
    met: maxRatio === null || ratio === null ? null : ratio <= maxRatio,
    note,
  };
}

export class Bench {
  readonly started = Date.now();
  readonly rows: Row[] = [];
  readonly params: Record<string, unknown> = {};

  constructor(
    readonly name: string,
    readonly title: string
  ) {
    console.log(`\n## ${title}\n`);
  }

  log(msg: string): void {
    const t = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    console.log(`[${this.name} ${t}s] ${msg}`);
  }

  add(row: Row): void {
    this.rows.push(row);
  }

  private write(result: BenchResult): void {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, `${this.name}.json`), JSON.stringify(result, null, 2) + '\n');
    appendFileSync(path.join(RESULTS_DIR, 'latest.jsonl'), JSON.stringify(result) + '\n');
  }

  private result(skipped?: string): BenchResult {
    return {
      name: this.name,
      title: this.title,
      at: new Date().toISOString(),
      seconds: Math.round((Date.now() - this.started) / 100) / 10,
      machine: machine(),
      params: this.params,
      rows: this.rows,
      ...(skipped ? { skipped } : {}),
    };
  }

  /** Prints the table and records the result. */
  finish(): BenchResult {
    const r = this.result();
    console.log('');
    console.log(markdownTable(this.rows));
    console.log(`\n(${this.name}: ${r.seconds} s; params ${JSON.stringify(this.params)})`);
    this.write(r);
    return r;
  }

  /**
   * Records that the benchmark could not run, and why, and throws Skipped: `finally` blocks
   * clean up, and runMain exits 0 (a skip is not a failure).
   */
  skip(why: string): never {
    console.log(`SKIPPED: ${why}`);
    this.write(this.result(why));
    throw new Skipped(why);
  }
}

export class Skipped extends Error {}

/** Runs main(), reporting an error as one line and a non-zero exit. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e) => {
      if (e instanceof Skipped) {
        process.exit(0);
      }
      console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    }
  );
}

// --- measuring -------------------------------------------------------------------------------

export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

/** Apparent size of every file under `dir` (what a copy of it would take), in bytes. */
export function dirBytes(dir: string): number {
  let total = 0;
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) {
        walk(path.join(p, e));
      }
    } else if (st.isFile()) {
      total += st.size;
    }
  };
  walk(dir);
  return total;
}

const CLI = path.join(ROOT, 'backend/bin/backup-sla.js');

/** `backup-sla --config <file> <args…>` as a child process, timed from spawn to exit (Node's start included). */
export function cliRun(
  configFile: string,
  args: string[]
): Promise<{ seconds: number; code: number | null; out: string }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', configFile, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, code, out }));
  });
}

/** Skips the benchmark when the CLI it runs is not built. */
export function needsBuiltCli(bench: Bench): void {
  if (!existsSync(path.join(ROOT, 'backend/dist/cli/main.js'))) {
    bench.skip('backend/dist is not built: npm run build -w backend');
  }
}

/**
 * Where a run's time goes: each progress phase of the engine timed until the next one (or
 * `mark(null)` at the end); `rename` folds phases whose names carry values into one.
 */
export class PhaseClock {
  readonly phases = new Map<string, number[]>();
  private phase: string | null = null;
  private since = 0;

  constructor(
    engine: { on(event: 'progress', fn: (e: { phase: string }) => void): unknown },
    private readonly rename: (phase: string) => string = (p) => p
  ) {
    engine.on('progress', (e) => {
      if (e.phase !== this.phase) {
        this.mark(e.phase);
      }
    });
  }

  mark(next: string | null): void {
    const now = Date.now();
    if (this.phase !== null) {
      const key = this.rename(this.phase);
      this.phases.set(key, [...(this.phases.get(key) ?? []), (now - this.since) / 1000]);
    }
    this.phase = next;
    this.since = now;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) {
    return NaN;
  }
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

// --- processes -------------------------------------------------------------------------------

export interface Stage {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `stages` as a pipeline (stdout of each into stdin of the next), spawned with argument
 * arrays (no shell), optionally reading the first stdin from a file and writing the last stdout to
 * a file. Resolves with the bytes the last stage wrote; rejects if any stage fails or the timeout
 * passes (then every stage is killed).
 */
export function pipeline(
  stages: Stage[],
  opts: { stdinFile?: string; stdoutFile?: string; timeoutMs: number }
): Promise<{ bytesOut: number }> {
  return new Promise((resolve, reject) => {
    const procs = stages.map((s) =>
      spawn(s.command, s.args, { env: s.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    );
    const stderr = procs.map(() => '');
    let bytesOut = 0;
    let failed = false;
    const fail = (e: Error) => {
      if (!failed) {
        failed = true;
        clearTimeout(timer);
        procs.forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
        reject(e);
      }
    };
    const timer = setTimeout(
      () =>
        fail(new Error(`pipeline ${stages.map((s) => s.command).join(' | ')} timed out after ${opts.timeoutMs} ms`)),
      opts.timeoutMs
    );
    procs.forEach((p, i) => {
      p.stderr!.on('data', (d: Buffer) => {
        stderr[i] = (stderr[i] + d.toString()).slice(-4000);
      });
      p.stdin!.on('error', () => undefined);
      if (i > 0) {
        procs[i - 1].stdout!.pipe(p.stdin!);
      }
    });
    if (opts.stdinFile) {
      createReadStream(opts.stdinFile)
        .on('error', (e) => fail(e))
        .pipe(procs[0].stdin!);
    } else {
      procs[0].stdin!.end();
    }
    const last = procs[procs.length - 1];
    const sink: Writable = opts.stdoutFile
      ? createWriteStream(opts.stdoutFile)
      : new Writable({
          write(_chunk, _enc, cb) {
            cb();
          },
        });
    last.stdout!.on('data', (d: Buffer) => {
      bytesOut += d.length;
    });
    last.stdout!.pipe(sink);
    const exits = procs.map(
      (p, i) =>
        new Promise<void>((res, rej) => {
          p.on('error', rej);
          p.on('close', (code, signal) =>
            code === 0
              ? res()
              : rej(
                  new Error(
                    `${stages[i].command} exited ${code ?? signal}: ${stderr[i].trim().split('\n').pop() ?? ''}`
                  )
                )
          );
        })
    );
    const sinkDone = new Promise<void>((res, rej) => {
      sink.on('finish', () => res());
      sink.on('error', rej);
    });
    Promise.all([...exits, sinkDone]).then(
      () => {
        if (!failed) {
          clearTimeout(timer);
          resolve({ bytesOut });
        }
      },
      (e) => fail(e)
    );
  });
}

/**
 * Makes sure MariaDB (and whatever else is named) runs on loopback via scripts/services.sh and
 * that its BSLA_* variables are in process.env (`services.sh env --json`; those scripts/bench.sh
 * exported already win).
 */
export function ensureServices(names: string[] = ['mariadb']): void {
  execFileSync('bash', [path.join(ROOT, 'scripts/services.sh'), 'start', ...names], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 120_000,
  });
  exportServicesEnv(true);
}

/** Client arguments for mariadb / mariadb-dump as the service's `backup` user over TCP. */
export function mysqlClientArgs(): string[] {
  const file = process.env.BSLA_MYSQL_DEFAULTS_FILE;
  if (!file) {
    throw new Error('BSLA_MYSQL_DEFAULTS_FILE is not set: eval "$(bash scripts/services.sh env)"');
  }
  return [`--defaults-extra-file=${file}`, '--protocol=TCP'];
}

/** The flags the mysql driver dumps with (backend/src/targets/mysql.ts), so baselines compare like with like. */
export const DUMP_FLAGS = ['--single-transaction', '--routines', '--triggers', '--events', '--skip-dump-date'];

/** Reads a numeric env var with a default. */
export function envNumber(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') {
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new Error(`${name}=${v}: expected a positive number`);
  }
  return n;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
