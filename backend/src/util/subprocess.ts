/**
 * Every external program (restic, mariadb-dump, influxd, promtool, ansible-playbook, ...) is started
 * here: with an argument array (never a shell string), a timeout, and its stderr kept for the error
 * message with secrets redacted (docs/design.md §5 rule 6).
 */
import { spawn, ChildProcess, SpawnOptions } from 'node:child_process';
import { redact } from './redact';

export interface CommandSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds before the process is killed. */
  timeoutMs?: number;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

const STDERR_KEEP = 16 * 1024;

/** Keeps the last bytes of a stream of text: enough for an error message, never unbounded. */
export class TailBuffer {
  private text = '';
  constructor(private readonly limit = STDERR_KEEP) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.limit) {
      this.text = this.text.slice(this.text.length - this.limit);
    }
  }
  toString(): string {
    return this.text;
  }
}

/** The last meaningful line of a program's stderr, for a one-line error message. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.length ? lines[lines.length - 1] : '';
}

export interface Running {
  child: ChildProcess;
  stderr: TailBuffer;
  /** Resolves when the process exited 0; rejects with a CommandError otherwise. */
  done: Promise<void>;
}

/**
 * Starts a process. stdout is left to the caller (a pipe), stderr is collected.
 * `done` rejects on a non-zero exit, a signal, a spawn failure or the timeout.
 */
export function start(
  spec: CommandSpec,
  options: { stdin?: 'pipe' | 'ignore'; signal?: AbortSignal; processGroup?: boolean } = {}
): Running {
  const spawnOptions: SpawnOptions = {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    shell: false,
    // A server started for a smoke test (uWSGI, flask) may fork: give it its own process group
    // so that a timeout or abort ends all of it (killGroup), not only the first process.
    detached: options.processGroup ?? false,
  };
  const child = spawn(spec.command, spec.args, spawnOptions);
  const stderr = new TailBuffer();
  child.stderr?.on('data', (d: Buffer) => stderr.push(d));
  const kill = (sig: NodeJS.Signals) => (options.processGroup ? killGroup(child, sig) : child.kill(sig));
  let timedOut = false;
  let aborted = false;
  const timer =
    spec.timeoutMs && spec.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          kill('SIGKILL');
        }, spec.timeoutMs)
      : undefined;
  const onAbort = () => {
    aborted = true;
    kill('SIGTERM');
    setTimeout(() => child.exitCode === null && kill('SIGKILL'), 5000).unref();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const done = new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) {
        return;
      }
      settled = true;
      if (timer) {
        clearTimeout(timer);
      }
      options.signal?.removeEventListener('abort', onAbort);
      err ? reject(err) : resolve();
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      const what = err.code === 'ENOENT' ? `${spec.command} is not installed (not found on PATH)` : err.message;
      finish(new CommandError(redact(what), spec.command, null, null, ''));
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        return finish();
      }
      const tail = redact(stderr.toString());
      let why: string;
      if (timedOut) {
        why = `timed out after ${Math.round((spec.timeoutMs ?? 0) / 1000)} s`;
      } else if (aborted) {
        why = 'aborted';
      } else if (signal) {
        why = `killed by ${signal}`;
      } else {
        why = lastLine(tail) || `exit code ${code}`;
      }
      finish(new CommandError(`${spec.command} failed: ${why}`, spec.command, code, signal, tail));
    });
  });
  // A consumer may never await `done` (e.g. it already failed elsewhere); never crash on that.
  done.catch(() => undefined);
  return { child, stderr, done };
}

/** Signals every process of a child started with `processGroup: true` (no-op once it is gone). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Runs a process to completion and returns its stdout (for small outputs only: JSON listings). */
export async function run(spec: CommandSpec, options: { input?: string; signal?: AbortSignal } = {}): Promise<string> {
  const proc = start(spec, { stdin: options.input !== undefined ? 'pipe' : 'ignore', signal: options.signal });
  const chunks: Buffer[] = [];
  proc.child.stdout?.on('data', (d: Buffer) => chunks.push(d));
  if (options.input !== undefined) {
    proc.child.stdin?.end(options.input);
  }
  await proc.done;
  return Buffer.concat(chunks).toString();
}
