/**
 * Programs a driver runs as servers or tools: finding them (a missing tool is "could not verify",
 * never "the snapshot failed"), their versions for `doctor`, and stopping a server it started
 * (gracefully, then killed).
 */
import { accessSync, constants } from 'node:fs';
import { UnavailableError } from '../../util/errors';
import { CommandError, killGroup, run, Running } from '../../util/subprocess';
import { findProgram } from '../tools';
import type { DoctorCheck } from '../types';

function executable(p: string): boolean {
  if (!p.includes('/')) {
    return false;
  }
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The program's path, or null when none of the candidates is installed. */
export function locateProgram(candidates: string[]): string | null {
  const p = findProgram(candidates);
  return executable(p) ? p : null;
}

/**
 * The program's path; an UnavailableError when it is not installed: the check that needs it cannot
 * run here, which says nothing about the snapshot. `hint` says how to install it.
 */
export function requireProgram(candidates: string[], hint: string): string {
  const p = locateProgram(candidates);
  if (!p) {
    throw new UnavailableError(`${candidates[0]} is not installed (not found on PATH): ${hint}`);
  }
  return p;
}

/** Whether an error from start()/run() means that the program could not be started at all. */
export function notStarted(e: unknown): boolean {
  return e instanceof CommandError && e.exitCode === null && e.signal === null && /not installed/.test(e.message);
}

/**
 * A doctor line for a tool: present, and its version (the first match of `pattern` in what
 * `args` prints). `min` is compared as dotted numbers; older is a failure.
 */
export async function toolCheck(
  name: string,
  candidates: string[],
  args: string[],
  pattern: RegExp,
  hint: string,
  min?: string
): Promise<DoctorCheck> {
  const p = locateProgram(candidates);
  if (!p) {
    return { name, level: 'failed', detail: `${candidates[0]} is not installed: ${hint}` };
  }
  let out: string;
  try {
    out = await run({ command: p, args, timeoutMs: 30_000 });
  } catch (e) {
    out = e instanceof CommandError ? e.stderr : '';
    if (!pattern.test(out)) {
      return { name, level: 'failed', detail: `${p} does not run: ${(e as Error).message}` };
    }
  }
  const version = pattern.exec(out)?.[1] ?? null;
  if (min && version && compareVersions(version, min) < 0) {
    return { name, level: 'failed', detail: `${p} is version ${version}; ${min} or newer is needed` };
  }
  return { name, level: 'ok', detail: `${p}${version ? ` version ${version}` : ''}` };
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) {
      return d;
    }
  }
  return 0;
}

function gone(proc: Running): boolean {
  return proc.child.exitCode !== null || proc.child.signalCode !== null;
}

/**
 * Stops a server the driver started (a scratch Prometheus, the app under uWSGI): SIGTERM, and
 * SIGKILL after `graceMs` if it is still there. `group`: the whole process group (a server that
 * forks workers, started with `processGroup: true`). Resolves once it has exited.
 */
export async function stopGracefully(
  proc: Running,
  options: { group?: boolean; graceMs?: number } = {}
): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (gone(proc)) {
      resolve();
    } else {
      proc.child.once('close', () => resolve());
    }
  });
  const signal = (sig: NodeJS.Signals) => (options.group ? killGroup(proc.child, sig) : proc.child.kill(sig));
  if (!gone(proc)) {
    signal('SIGTERM');
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), options.graceMs ?? 10_000);
  });
  const how = await Promise.race([exited.then(() => 'gone' as const), late]);
  clearTimeout(timer);
  if (how === 'late') {
    signal('SIGKILL');
    await exited;
  } else if (options.group) {
    // Workers of a server whose master is gone would otherwise keep the port.
    killGroup(proc.child, 'SIGKILL');
  }
}
