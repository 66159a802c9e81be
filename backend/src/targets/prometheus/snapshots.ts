/**
 * The TSDB snapshot directories a backup makes Prometheus write (`<dataDir>/snapshots/<name>`),
 * which nothing else ever deletes: a forgotten one holds its blocks forever (hardlinks that become
 * real disk once Prometheus compacts).
 *
 * The name is known only once Prometheus answers; from then on the directory is recorded as the
 * run's leftover (ctx.created), so recovery after a crash removes it. For the window before —
 * the request is on its way, Prometheus writes the snapshot, the service is killed — a *request
 * mark* is written beside the data directory before the request (`.<data dir
 * name>.backup-sla-snapshot-<pid>-<ms>`, holding the snapshot names that existed before) and
 * removed only once the snapshot directory is gone. A mark whose process is dead is swept by the
 * next backup of that data directory: the snapshot directories that appeared after the mark and
 * whose name (Prometheus names them by the time it took them) falls within a short window after
 * the request are that request's, and are removed. Snapshots anyone else takes are never touched.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { isAlive } from '../../util/processes';
import type { DriverContext } from '../types';
import { takeSnapshot } from './api';

/** How long after the request Prometheus may still name a snapshot (it names it when it starts). */
const WINDOW_MS = 120_000;
/** A mark that matched nothing is kept this long (Prometheus may still be writing a big snapshot). */
const KEEP_UNMATCHED_MS = 30 * 60_000;
const SNAPSHOT_NAME = /^(\d{8}T\d{6})Z-[0-9a-f]+$/;

/** Marks of requests under way in this process (another target may share the data directory). */
const active = new Set<string>();

interface Mark {
  pid: number;
  at: number;
  before: string[];
  /** The snapshot's name once Prometheus answered (from then on it is also the run's leftover). */
  name?: string;
}

function markPrefix(dataDir: string): string {
  const d = path.resolve(dataDir);
  return path.join(path.dirname(d), `.${path.basename(d)}.backup-sla-snapshot-`);
}

function snapshotsDir(dataDir: string): string {
  return path.join(dataDir, 'snapshots');
}

function listSnapshots(dataDir: string): string[] {
  try {
    return readdirSync(snapshotsDir(dataDir));
  } catch {
    return [];
  }
}

/** The time Prometheus put into a snapshot's name (UTC, to the second), or null. */
export function snapshotTime(name: string): number | null {
  const m = SNAPSHOT_NAME.exec(name);
  if (!m) {
    return null;
  }
  const t = m[1];
  return Date.UTC(
    +t.slice(0, 4),
    +t.slice(4, 6) - 1,
    +t.slice(6, 8),
    +t.slice(9, 11),
    +t.slice(11, 13),
    +t.slice(13, 15)
  );
}

/** Snapshot directories that appeared after `mark` and were named within its request's window. */
function matching(dataDir: string, mark: Mark): string[] {
  return listSnapshots(dataDir).filter((n) => {
    const t = snapshotTime(n);
    return (
      !mark.before.includes(n) &&
      t !== null &&
      t >= Math.floor(mark.at / 1000) * 1000 - 1000 &&
      t <= mark.at + WINDOW_MS
    );
  });
}

/**
 * Removes the snapshot directories of requests whose process died (kill -9 of the service while
 * Prometheus was writing, or before the directory was removed). Answers what it removed.
 */
export function sweepInterrupted(dataDir: string, log: Logger, now = Date.now()): string[] {
  const prefix = markPrefix(dataDir);
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(path.dirname(prefix));
  } catch {
    return removed;
  }
  for (const entry of entries.filter((e) => e.startsWith(path.basename(prefix)))) {
    const file = path.join(path.dirname(prefix), entry);
    let mark: Mark;
    try {
      mark = JSON.parse(readFileSync(file, 'utf8')) as Mark;
    } catch {
      continue;
    }
    if (active.has(file) || (mark.pid !== process.pid && isAlive(mark.pid))) {
      continue; // a request still under way (here for another target, or in the CLI beside the service)
    }
    // Answered: the snapshot is known by name; once it is gone (recovery removed the run's
    // leftover), the mark has done its work.
    const found = mark.name ? listSnapshots(dataDir).filter((n) => n === mark.name) : matching(dataDir, mark);
    try {
      for (const name of found) {
        rmSync(path.join(snapshotsDir(dataDir), name), { recursive: true, force: true });
        removed.push(path.join(snapshotsDir(dataDir), name));
      }
      if (found.length || mark.name || now - mark.at > KEEP_UNMATCHED_MS) {
        rmSync(file, { force: true });
      }
    } catch (e) {
      // Prometheus may still be writing it: the mark stays for the next sweep.
      log.warn({ err: String(e), mark: file }, "could not remove an interrupted backup's TSDB snapshot yet");
    }
  }
  if (removed.length) {
    log.warn({ removed }, 'removed the TSDB snapshot directories an interrupted backup had left');
  }
  return removed;
}

/**
 * Asks Prometheus for a snapshot and hands its directory to `use`; the directory is removed in
 * every case (and recorded as a leftover meanwhile). `dataDir` must be Prometheus's
 * --storage.tsdb.path on this machine.
 */
export async function withSnapshot<T>(
  ctx: DriverContext<unknown>,
  url: string,
  dataDir: string,
  use: (dir: string, name: string) => Promise<T>
): Promise<T> {
  const mark = `${markPrefix(dataDir)}${process.pid}-${Date.now()}`;
  const content: Mark = { pid: process.pid, at: Date.now(), before: listSnapshots(dataDir) };
  let marked = true;
  active.add(mark);
  try {
    mkdirSync(path.dirname(mark), { recursive: true });
    writeFileSync(mark, JSON.stringify(content), { mode: 0o600 });
  } catch (e) {
    // Best effort: without it only the window before the answer is unprotected.
    marked = false;
    ctx.log.warn({ err: String(e) }, 'could not write the snapshot request mark beside the data directory');
  }
  let dir: string | null = null;
  let answered = false;
  try {
    const name = await takeSnapshot(url, ctx.signal);
    answered = true;
    dir = path.join(snapshotsDir(dataDir), name);
    ctx.created({ kind: 'directory', name: dir });
    if (marked) {
      writeFileSync(mark, JSON.stringify({ ...content, name }), { mode: 0o600 });
    }
    try {
      statSync(dir);
    } catch {
      throw new Error(
        `Prometheus wrote snapshot ${name}, but ${dir} does not exist: connection.dataDir must be its --storage.tsdb.path on this machine (remove the snapshot there by hand)`
      );
    }
    return await use(dir, name);
  } catch (e) {
    answered ||= !ctx.signal.aborted && !/timed out|aborted/.test(String((e as Error).message));
    throw e;
  } finally {
    try {
      if (dir) {
        rmSync(dir, { recursive: true, force: true });
      } else if (answered && marked) {
        // An error answer: a partly written snapshot of this request may still be there.
        for (const n of matching(dataDir, content)) {
          rmSync(path.join(snapshotsDir(dataDir), n), { recursive: true, force: true });
        }
      }
      // Unanswered (aborted, timed out): Prometheus may still write it; the mark stays for the sweep.
      if (marked && (dir || answered)) {
        rmSync(mark, { force: true });
      }
    } catch (e) {
      ctx.log.error({ err: String(e), dir }, 'could not remove the Prometheus snapshot directory');
    } finally {
      active.delete(mark);
    }
  }
}
