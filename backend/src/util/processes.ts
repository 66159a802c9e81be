/**
 * Finding and stopping processes a dead service process left running (after kill -9 its children
 * live on: a restic about to commit, a client still loading into a scratch database), by what
 * their command line (and environment) say. Linux /proc; elsewhere nothing is found.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessView {
  pid: number;
  args: string[];
  /** The process's environment (readable for processes of the same user, or as root). */
  env(): string[];
}

/** Whether process `pid` exists (one of another user, which may not be signalled, too). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SIGKILLs every process (not this one) `wanted` picks, and waits until they are gone, zombies
 * included (until init reaps one, its pid still counts as alive, e.g. to `restic unlock`).
 * Returns how many were killed.
 */
export async function killMatching(wanted: (p: ProcessView) => boolean, waitMs = 10_000): Promise<number> {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0; // no /proc (not Linux): nothing to find this way
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!/^\d+$/.test(entry) || pid === process.pid) {
      continue;
    }
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`).toString().split('\0');
      const view = { pid, args, env: () => readFileSync(`/proc/${entry}/environ`).toString().split('\0') };
      if (wanted(view)) {
        process.kill(pid, 'SIGKILL');
        pids.push(pid);
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  const deadline = Date.now() + waitMs;
  while (pids.some(isAlive) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.length;
}
