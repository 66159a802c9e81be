/** Finding and killing real child processes in fault tests (kill -9 of restic or a dump). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Pids of processes whose command line contains every one of `parts`. */
export function pidsMatching(...parts: string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const cmd = readFileSync(path.join('/proc', entry, 'cmdline'))
        .toString()
        .split('\0')
        .join(' ');
      if (parts.every((p) => cmd.includes(p)) && Number(entry) !== process.pid) {
        out.push(Number(entry));
      }
    } catch {
      // process ended meanwhile
    }
  }
  return out;
}

/** Waits until a process matching `parts` exists and returns its pid. */
export async function waitForProcess(parts: string[], timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [pid] = pidsMatching(...parts);
    if (pid) {
      return pid;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no process matching ${parts.join(' ')} appeared`);
}

/** Waits until a process matching `parts` exists, then kills it with SIGKILL. */
export async function killWhenRunning(parts: string[], timeoutMs = 20_000): Promise<number> {
  const pid = await waitForProcess(parts, timeoutMs);
  process.kill(pid, 'SIGKILL');
  return pid;
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition'
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Pids of every process below `pid` (children, grandchildren, ...), from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))![1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}
