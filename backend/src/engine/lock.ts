/**
 * One operation per target at a time (docs/design.md §5 rule 3), across processes: the CLI and the daemon
 * may run side by side, so the lock is a file created exclusively, holding the owner's pid. A
 * lock whose process is dead is stale and taken over.
 */
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../util/processes';
import { BusyError } from './errors';

interface LockInfo {
  pid: number;
  operation: string;
  since: string;
}

export class TargetLocks {
  private readonly held = new Map<string, LockInfo>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(target: string): string {
    return path.join(this.dir, `${target}.lock`);
  }

  /** Takes the target's lock or throws BusyError naming what holds it. */
  acquire(target: string, operation: string, now: Date): () => void {
    const mine = this.held.get(target);
    if (mine) {
      throw new BusyError(target, `${mine.operation} running since ${mine.since}`);
    }
    const info: LockInfo = { pid: process.pid, operation, since: now.toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file(target), 'wx', 0o600);
        writeSync(fd, JSON.stringify(info));
        closeSync(fd);
        this.held.set(target, info);
        let released = false;
        return () => {
          if (!released) {
            released = true;
            this.held.delete(target);
            try {
              unlinkSync(this.file(target));
            } catch {
              // already gone: nothing to release
            }
          }
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw e;
        }
        const other = this.read(target);
        if (other && isAlive(other.pid) && other.pid !== process.pid) {
          throw new BusyError(target, `${other.operation} running since ${other.since} (process ${other.pid})`);
        }
        // Stale: its process is gone (killed, crashed). Take it over.
        try {
          unlinkSync(this.file(target));
        } catch {
          // someone else took it over first; the next attempt sees their lock
        }
      }
    }
    throw new BusyError(target, 'another process is taking the lock');
  }

  private read(target: string): LockInfo | null {
    try {
      return JSON.parse(readFileSync(this.file(target), 'utf8')) as LockInfo;
    } catch {
      return null;
    }
  }

  /**
   * Removes the target's lock file if the process that took it is gone (killed, crashed), so that
   * nothing is left behind after a restart; a live holder's lock is left alone.
   */
  clearStale(target: string): boolean {
    if (this.held.has(target)) {
      return false;
    }
    const info = this.read(target);
    if (!info || isAlive(info.pid)) {
      return false;
    }
    try {
      unlinkSync(this.file(target));
      return true;
    } catch {
      return false;
    }
  }

  /** What holds the target now, if anything (for status). */
  holder(target: string): LockInfo | null {
    const info = this.held.get(target) ?? this.read(target);
    return info && isAlive(info.pid) ? info : null;
  }
}
