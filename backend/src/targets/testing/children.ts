/**
 * Watches every program this test process starts (restic, mariadb-dump, influxd, ...) and the
 * command line the kernel shows for it (/proc/<pid>/cmdline, read right after the exec): a secret
 * that reaches argv is visible to every user of the machine (`ps`), so tests assert none does.
 *
 * All programs are started through util/subprocess, which calls child_process.spawn; the spy wraps
 * that one function of the module object, so nothing escapes it.
 */
import { readFileSync } from 'node:fs';

export interface ChildRecord {
  command: string;
  args: string[];
  /** What /proc showed for the started process ('' when it was already gone). */
  cmdline: string;
}

export interface ChildWatch {
  /** Every program started since watch() (oldest first). */
  readonly started: ChildRecord[];
  /** Stops watching (spawn is the real one again). */
  stop(): void;
}

export function watchChildren(): ChildWatch {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require('node:child_process') as typeof import('node:child_process');
  const started: ChildRecord[] = [];
  const real = cp.spawn;
  const spy = jest.spyOn(cp, 'spawn').mockImplementation(((command: string, args: string[], options: unknown) => {
    const child = (real as any).call(cp, command, args, options);
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${child.pid}/cmdline`).toString().split('\0').join(' ');
    } catch {
      // the program ended before we looked (or never started)
    }
    started.push({ command, args: [...(args ?? [])], cmdline });
    return child;
  }) as any);
  return {
    started,
    stop: () => spy.mockRestore(),
  };
}
