/**
 * The archiver of one target's log (point-in-time recovery, docs/design.md §11): run by
 * `backup-sla serve`, never by the CLI, beside the target's operations (it does not take the
 * target's lock: backups, verifications and restores go on while it follows).
 *
 * A session: find where to start (the catalog says how far each file is archived; the server says
 * which files it still holds: a file purged before it was archived to its end is a gap), start
 * the follower (the driver's: mariadb-binlog --raw --stop-never into a private directory), and
 * every tick cut what it wrote into complete, checked events (the driver's cutter) appended to
 * the file's open piece. The growing file is saved when it has new events and `saveEvery` has
 * passed since its last save (or at once when it ends: rotate, stop); a save seals the open piece
 * and snapshots the file's piece directory (pieces.ts), superseding the file's snapshot before.
 * Housekeeping every `copyEvery` forgets superseded snapshots (not while a restore or verification
 * of the target reads the archive) and copies the archive to the target's copies.
 *
 * Nothing unsaved is trusted after a crash: a new session keeps only the pieces below what the
 * catalog says is archived, restores them from the repository if the work directory lost them,
 * forgets archive snapshots the catalog never recorded (a kill between restic's commit and the
 * catalog), and resumes the server's file from the archived offset. Every piece holds complete
 * events whose checksums matched: a kill mid-file leaves no torn event in the archive.
 *
 * Supervision: a session that ends (the server restarted, the network broke) starts again after
 * 1, 2, 4 … 60 s; each restart is counted and logged, and the state is in the catalog (pitr_state)
 * for the status, the API and the metrics.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ArchivedFile } from '../../catalog/archive';
import type { TargetConfig } from '../../config/types';
import { NoRepositoryError, ResticRepository } from '../../repository/restic';
import { tags } from '../../repository/tags';
import type { LogCut, LogPosition, PitrSupport, ServerLog } from '../../targets/types';
import { start as startProcess, Running } from '../../util/subprocess';
import type { Core } from '../core';
import { oneLine } from '../core';
import { covers, PieceDir } from './pieces';

/** Poll period for the follower's files. */
const TICK_MS = 500;
/** A session that followed this long without trouble resets the restart pause. */
const HEALTHY_MS = 60_000;
const MAX_PAUSE_MS = 60_000;
/** Unsaved bytes beyond this are saved at once (a large transaction): the work dir stays bounded. */
const SAVE_AT_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
/** How often the state (caught up, detail) is written to the catalog at most. */
const STATE_EVERY_MS = 5000;

/** Where an archiver keeps its files: <workDir>/pitr/<target>/ (pieces/<file id>/, follow/). */
export function archiveDir(workDir: string, target: string): string {
  return path.join(workDir, 'pitr', target);
}

/** The file the follower is writing and what of it was cut. */
interface Current {
  /** The server's name of the file. */
  name: string;
  row: ArchivedFile;
  pieces: PieceDir;
  pieceCount: number;
  /** Server-file offset sealed into pieces (saved or not). */
  sealedEnd: number;
  /** Server-file offset cut so far (sealed + open). */
  cutEnd: number;
  cutter: { push(chunk: Buffer): LogCut };
  /** Bytes of the follower's local file consumed. */
  readAt: number;
  firstEventAt: number | null;
  lastEventAt: number | null;
  complete: boolean;
}

export interface ArchiverOptions {
  log: Logger;
  /** Names this archiver to the server (with the target's name): the follower's replica id derives from it. */
  owner: string;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      return resolve();
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class SessionEnd extends Error {}

export class Archiver {
  private readonly stopping = new AbortController();
  private supervising: Promise<void> | null = null;
  private orphansChecked = false;
  private restarts: number;
  private lastState = 0;
  private lastHousekeeping = Date.now();
  private readonly log: Logger;

  constructor(
    private readonly engine: Core,
    readonly target: string,
    private readonly options: ArchiverOptions
  ) {
    this.log = options.log.child({ target, component: 'pitr' });
    this.restarts = engine.catalog.archive.state(target)?.restarts ?? 0;
  }

  /** Starts following (supervised) in the background. */
  start(): void {
    this.supervising ??= this.supervise();
  }

  /** Stops the follower, saves what was cut, records "stopped". */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.supervising;
  }

  /**
   * Archives until the archive holds everything the server had written when called, then stops
   * the follower (tests and benchmarks; `serve` follows for good with start()).
   */
  async catchUp(): Promise<void> {
    const t = this.engine.target(this.target);
    const until = (await this.support(t).serverLog(t)).current;
    await this.session(this.stopping.signal, until);
  }

  private support(t: TargetConfig): PitrSupport {
    const pitr = this.engine.driver(t).pitr;
    if (!pitr?.settings(t)) {
      throw new Error(`target ${t.name} does not archive its log (pitr is off)`);
    }
    return pitr;
  }

  private state(
    s: 'following' | 'retrying' | 'stopped',
    extra: { detail?: string | null; caughtUpAt?: number } = {},
    force = false
  ): void {
    if (!force && Date.now() - this.lastState < STATE_EVERY_MS) {
      return;
    }
    this.lastState = Date.now();
    this.engine.catalog.archive.setState(
      this.target,
      { state: s, restarts: this.restarts, pid: process.pid, ...extra },
      this.engine.now()
    );
    this.engine.changed();
  }

  private async supervise(): Promise<void> {
    let pause = 1000;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const began = Date.now();
      try {
        await this.session(signal, null);
      } catch (e) {
        if (signal.aborted) {
          break;
        }
        this.restarts++;
        if (Date.now() - began > HEALTHY_MS) {
          pause = 1000;
        }
        const why = oneLine(e);
        this.log.error(
          { err: why, restarts: this.restarts, pauseMs: pause },
          'the binary log archiver stopped: starting again'
        );
        this.state('retrying', { detail: `stopped (${why}); starting again in ${Math.round(pause / 1000)} s` }, true);
        await sleep(pause, signal);
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
      }
    }
    this.state('stopped', { detail: 'backup-sla serve stopped' }, true);
    this.log.info('the binary log archiver stopped');
  }

  // --- one session ------------------------------------------------------------------------------

  /**
   * Follows from where the archive ends until `signal` (or until the archive reaches `until`).
   * Throws when the follower ends on its own (the supervisor starts a new session).
   */
  private async session(signal: AbortSignal, until: LogPosition | null): Promise<void> {
    const t = this.engine.target(this.target);
    const pitr = this.support(t);
    const settings = pitr.settings(t)!;
    const repo = this.engine.repository(t.repository);
    const base = archiveDir(this.engine.config.workDir, t.name);
    mkdirSync(base, { recursive: true, mode: 0o700 });
    await this.forgetOrphans(t, repo);
    const server = await pitr.serverLog(t);
    const from = this.startingPoint(t, pitr, server);
    const followDir = path.join(base, 'follow');
    rmSync(followDir, { recursive: true, force: true });
    mkdirSync(followDir, { recursive: true, mode: 0o700 });

    let current = from.row ? await this.resume(t, repo, from.row, base, pitr) : null;
    // The first file of a session that does not continue a file of the archive begins a new one.
    const begin = (name: string, gap: string | null): Current => {
      const row = this.engine.catalog.archive.startFile(t.name, name, gap, this.engine.now());
      if (gap) {
        this.log.warn({ file: name, gap }, 'the archive does not continue: a gap');
      }
      this.engine.changed();
      return this.fresh(row, base, pitr, 0);
    };

    const stopFollower = new AbortController();
    const onStop = () => stopFollower.abort();
    signal.addEventListener('abort', onStop, { once: true });
    const follower: Running = startProcess(
      pitr.follower(t, { file: from.file, position: from.position }, followDir, `${this.options.owner}\0${t.name}`),
      { signal: stopFollower.signal }
    );
    let exited: Error | null | undefined;
    follower.done.then(
      () => (exited = null),
      (e) => (exited = e as Error)
    );
    this.log.info({ file: from.file, position: from.position, gap: from.gap }, 'following the binary log');
    this.state('following', { detail: `following ${from.file} from ${from.position}` }, true);

    let pendingGap = from.gap;
    let lastSave = Date.now();
    let lastCheck = 0;
    let reached = false;
    try {
      for (;;) {
        const ended = exited !== undefined;
        // What the follower wrote: the current file to its end, then the files after it.
        for (const name of this.followerFiles(followDir, pitr)) {
          if (!current || (name !== current.name && pitr.fileNumber(name) < pitr.fileNumber(current.name))) {
            if (!current) {
              current = begin(name, pendingGap);
              pendingGap = null;
            } else {
              continue; // an older file of this session, done already
            }
          }
          if (name !== current.name) {
            // The follower moved on: the file before is finished (its rotate or stop was cut).
            await this.drain(current, followDir);
            const finished = current;
            if (
              (await this.save(t, repo, finished, finished.complete).catch(() => false)) ||
              finished.row.end === finished.cutEnd
            ) {
              finished.pieces.remove();
            } else {
              throw new Error(`could not save the end of ${finished.name} before going on to ${name}`);
            }
            const gap = finished.complete
              ? null
              : `${finished.name} ended without its last event (the follower went on to ${name})`;
            current = begin(name, gap);
          }
          await this.drain(current, followDir);
        }
        const due = Date.now() - lastSave >= settings.saveEverySeconds * 1000;
        if (
          current &&
          (current.complete || current.pieces.openSize >= SAVE_AT_BYTES || (due && current.cutEnd > current.row.end))
        ) {
          if (await this.save(t, repo, current, current.complete)) {
            lastSave = Date.now();
          }
        }
        if (current && (Date.now() - lastCheck >= settings.saveEverySeconds * 1000 || until)) {
          lastCheck = Date.now();
          reached = await this.checkCaughtUp(t, pitr, current, until);
        }
        if (Date.now() - this.lastHousekeeping >= settings.copyEverySeconds * 1000) {
          await this.housekeeping(t, repo);
        }
        if (reached || signal.aborted) {
          return;
        }
        if (ended) {
          throw new SessionEnd(
            exited ? `the follower ended: ${oneLine(exited)}` : 'the follower ended without an error'
          );
        }
        await sleep(TICK_MS, signal);
      }
    } finally {
      signal.removeEventListener('abort', onStop);
      stopFollower.abort();
      await follower.done.catch(() => undefined);
      if (current) {
        // What was cut is saved before the session ends (a stop, a server restart).
        await this.drain(current, followDir).catch(() => undefined);
        await this.save(t, repo, current, current.complete).catch((e) =>
          this.log.error({ err: oneLine(e) }, 'could not save the last events before the follower stopped')
        );
        if (current.complete) {
          current.pieces.remove();
        }
      }
      rmSync(followDir, { recursive: true, force: true });
    }
  }

  /** The log files in the follower's directory, in the log's order. */
  private followerFiles(dir: string, pitr: PitrSupport): string[] {
    return readdirSync(dir)
      .filter((n) => pitr.fileNumber(n) >= 0)
      .sort((a, b) => pitr.fileNumber(a) - pitr.fileNumber(b));
  }

  private fresh(row: ArchivedFile, base: string, pitr: PitrSupport, from: number): Current {
    const pieces = new PieceDir(path.join(base, 'pieces', String(row.id)));
    return {
      name: row.file,
      row,
      pieces,
      pieceCount: pieces.pieces().length,
      sealedEnd: from,
      cutEnd: from,
      cutter: pitr.cutter(from),
      readAt: 0,
      firstEventAt: row.firstEventAt,
      lastEventAt: row.lastEventAt,
      complete: false,
    };
  }

  /**
   * Continues a file the archive holds part of: keeps only its archived pieces, fetches them from
   * the repository when the work directory lost them, and removes the pieces of other files.
   */
  private async resume(
    t: TargetConfig,
    repo: ResticRepository,
    row: ArchivedFile,
    base: string,
    pitr: PitrSupport
  ): Promise<Current> {
    const piecesRoot = path.join(base, 'pieces');
    if (existsSync(piecesRoot)) {
      for (const d of readdirSync(piecesRoot).filter((d) => d !== String(row.id))) {
        rmSync(path.join(piecesRoot, d), { recursive: true, force: true });
      }
    }
    const c = this.fresh(row, base, pitr, row.end);
    c.pieces.keepBelow(row.end);
    if (!covers(c.pieces.pieces(), row.end)) {
      c.pieces.remove();
      if (row.snapshotId) {
        this.log.warn(
          { file: row.file, snapshot: row.snapshotId },
          'the archived pieces are not in the work directory: fetching them from the repository'
        );
        await repo.restore(row.snapshotId, c.pieces.dir);
      }
      if (!covers(c.pieces.pieces(), row.end)) {
        throw new Error(`the archived pieces of ${row.file} do not add up to the ${row.end} bytes the catalog records`);
      }
    }
    c.pieceCount = c.pieces.pieces().length;
    return c;
  }

  /** Where to start following: the archive's end, or (a gap) the oldest file the server still holds after it. */
  private startingPoint(
    t: TargetConfig,
    pitr: PitrSupport,
    server: ServerLog
  ): { file: string; position: number; row: ArchivedFile | null; gap: string | null } {
    const last = this.engine.catalog.archive.last(t.name);
    const held = new Map(server.files.map((f) => [f.name, f.size]));
    const num = (n: string) => pitr.fileNumber(n);
    if (!last) {
      // A new archive: from the newest backup's position when the server still has that file,
      // so that the window opens with it; else from the file the server writes now.
      const newest = this.engine.catalog
        .snapshots(t.name, t.repository)
        .map((s) => pitr.snapshotPosition(s.metadata))
        .find((p) => p !== null);
      const file = newest && held.has(newest.file) ? newest.file : server.current.file;
      return { file, position: 0, row: null, gap: null };
    }
    const after = server.files.filter((f) => num(f.name) > num(last.file));
    if (!last.complete) {
      const size = held.get(last.file);
      if (size !== undefined && size >= last.end) {
        return { file: last.file, position: last.end, row: last, gap: null };
      }
      const gap =
        size === undefined
          ? `${last.file} was purged from the server before it was archived to its end`
          : `${last.file} on the server is shorter than what was archived of it (the log was reset)`;
      const next = after[0]?.name ?? server.files[0]?.name ?? server.current.file;
      return { file: next, position: 0, row: null, gap };
    }
    if (after.length && num(after[0].name) === num(last.file) + 1) {
      return { file: after[0].name, position: 0, row: null, gap: null };
    }
    if (after.length) {
      const missing = num(after[0].name) - num(last.file) - 1;
      return {
        file: after[0].name,
        position: 0,
        row: null,
        gap: `${missing === 1 ? 'a log file' : `${missing} log files`} after ${last.file} ${missing === 1 ? 'was' : 'were'} purged from the server before ${missing === 1 ? 'it was' : 'they were'} archived`,
      };
    }
    const first = server.files[0]?.name ?? server.current.file;
    return { file: first, position: 0, row: null, gap: `the server's log was reset after ${last.file}` };
  }

  /** Reads what the follower appended to the current file and cuts it into the open piece. */
  private async drain(c: Current, dir: string): Promise<void> {
    const file = path.join(dir, c.name);
    if (!existsSync(file)) {
      return;
    }
    const size = statSync(file).size;
    if (size <= c.readAt) {
      return;
    }
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(READ_CHUNK);
      while (c.readAt < size) {
        const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, size - c.readAt), c.readAt);
        if (n <= 0) {
          break;
        }
        c.readAt += n;
        const cut = c.cutter.push(Buffer.from(buf.subarray(0, n)));
        c.pieces.append(cut.bytes);
        c.cutEnd = cut.end;
        if (cut.firstEventAt !== null) {
          c.firstEventAt = Math.min(c.firstEventAt ?? cut.firstEventAt, cut.firstEventAt);
          c.lastEventAt = Math.max(c.lastEventAt ?? cut.lastEventAt!, cut.lastEventAt!);
        }
        c.complete ||= cut.complete;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Saves the file's pieces as its new snapshot (the open bytes sealed into a piece first) and
   * records it; the snapshot before is superseded. Answers whether something was saved; a
   * repository that cannot be written is reported and the pieces wait for the next save.
   */
  private async save(t: TargetConfig, repo: ResticRepository, c: Current, complete: boolean): Promise<boolean> {
    const sealed = c.pieces.seal(c.pieceCount, c.sealedEnd);
    if (sealed) {
      c.pieceCount++;
      c.sealedEnd += sealed.size;
    }
    if (c.sealedEnd === c.row.end && (!complete || c.row.complete)) {
      return false;
    }
    try {
      const summary = await repo.backupDirectory(
        c.pieces.dir,
        {
          tags: tags.forArchive(this.engine.config.instance, t.name, {
            file: c.name,
            end: c.sealedEnd,
            pieces: c.pieceCount,
            firstEventAt: c.firstEventAt,
            lastEventAt: c.lastEventAt,
            complete,
            gap: !!c.row.gapBefore,
            startedAt: c.row.startedAt,
          }),
          parent: c.row.snapshotId ?? undefined,
        },
        t.timeoutSeconds * 1000
      );
      this.engine.catalog.archive.saved(
        c.row.id,
        {
          snapshotId: summary.snapshotId,
          end: c.sealedEnd,
          complete,
          pieces: c.pieceCount,
          firstEventAt: c.firstEventAt,
          lastEventAt: c.lastEventAt,
        },
        this.engine.now()
      );
      c.row = this.engine.catalog.archive.file(c.row.id)!;
      this.engine.changed();
      return true;
    } catch (e) {
      this.log.error(
        { err: oneLine(e), file: c.name },
        'could not save the binary log: it is kept here and saved at the next try'
      );
      this.state('following', { detail: `could not save ${c.name}: ${oneLine(e)}` }, true);
      return false;
    }
  }

  /**
   * Whether the archive holds everything the server has written: then the server's time is
   * recorded (the window reaches it although no event came). With `until`: whether it got there.
   */
  private async checkCaughtUp(
    t: TargetConfig,
    pitr: PitrSupport,
    c: Current,
    until: LogPosition | null
  ): Promise<boolean> {
    let server: ServerLog;
    try {
      server = await pitr.serverLog(t);
    } catch (e) {
      this.state('following', { detail: `cannot ask the server where its log is: ${oneLine(e)}` });
      return false;
    }
    const num = pitr.fileNumber;
    const archivedThere = (p: LogPosition) =>
      num(c.name) > num(p.file) || (c.name === p.file && c.row.end >= p.position);
    if (archivedThere(server.current)) {
      this.state('following', { detail: `following ${c.name}`, caughtUpAt: server.now });
    } else {
      this.state('following', { detail: `following ${c.name}` });
    }
    return until !== null && archivedThere(until);
  }

  /**
   * Superseded snapshots are forgotten (not while a restore or verification of the target may be
   * reading them), then the archive is copied to every copy and what a copy holds beyond the
   * current snapshots is forgotten there too.
   */
  /** Housekeeping now (the session does it every copyEvery): tests, and `serve` at a reload. */
  async housekeep(): Promise<void> {
    const t = this.engine.target(this.target);
    await this.housekeeping(t, this.engine.repository(t.repository));
  }

  private async housekeeping(t: TargetConfig, repo: ResticRepository): Promise<void> {
    this.lastHousekeeping = Date.now();
    const holder = this.engine.locks.holder(t.name);
    if (holder && (holder.operation === 'restore' || holder.operation === 'verify')) {
      return;
    }
    const archive = this.engine.catalog.archive;
    const old = archive.superseded(t.name);
    try {
      if (old.length) {
        await repo.forget(old, false);
        archive.dropSnapshots(old);
      }
    } catch (e) {
      this.log.warn({ err: oneLine(e) }, 'could not forget superseded archive snapshots: tried again later');
    }
    if (!t.copies.length) {
      return;
    }
    const errors: string[] = [];
    const current = new Set(archive.currentSnapshots(t.name));
    for (const name of t.copies) {
      try {
        const copy = this.engine.repository(name);
        // By id: the current snapshots of this instance's archive (copyFrom takes snapshot ids).
        await copy.copyFrom(repo, [...current]);
        const there = await copy.snapshots(this.ownArchive(t));
        const stale: string[] = [];
        for (const s of there) {
          if (s.original && current.has(s.original)) {
            this.engine.catalog.markHeld(s.original, name, s.id);
          } else {
            stale.push(s.id);
          }
        }
        if (stale.length) {
          await copy.forget(stale, false);
        }
      } catch (e) {
        errors.push(`${name}: ${oneLine(e)}`);
      }
    }
    this.engine.catalog.archive.setState(
      t.name,
      {
        state: this.engine.catalog.archive.state(t.name)?.state ?? 'following',
        ...(errors.length ? {} : { copiedAt: this.engine.now().toISOString() }),
        copyError: errors.length ? errors.join('; ') : null,
      },
      this.engine.now()
    );
    if (errors.length) {
      this.log.error({ errors }, 'could not copy the binary log archive');
    }
  }

  /**
   * restic's filter for this instance's archive of a target: a repository (or copy) shared by
   * several machines holds archives of other instances' targets of the same name, never ours to touch.
   */
  private ownArchive(t: TargetConfig): string[] {
    return [tags.instance(this.engine.config.instance), tags.target(t.name), tags.archive];
  }

  /**
   * Archive snapshots the catalog never recorded (the service killed between restic's commit and
   * the catalog) go; first, a save a killed service left running is stopped, or it would commit
   * after this look.
   */
  private async forgetOrphans(t: TargetConfig, repo: ResticRepository): Promise<void> {
    if (this.orphansChecked) {
      return;
    }
    try {
      if ((await repo.killOrphans(this.ownArchive(t))) > 0) {
        this.log.warn('stopped an archive save a stopped service left running');
        await repo.unlockStale();
      }
      const known = this.engine.catalog.archive.knownSnapshots(t.name);
      const held = await repo.snapshots(this.ownArchive(t));
      const orphans = held.map((s) => s.id).filter((id) => !known.has(id));
      if (orphans.length) {
        this.log.warn({ orphans }, 'forgetting archive snapshots the catalog does not know (an interrupted save)');
        await repo.forget(orphans, false);
      }
      this.orphansChecked = true;
    } catch (e) {
      if (e instanceof NoRepositoryError) {
        this.orphansChecked = true; // nothing saved yet anywhere
        return;
      }
      throw e;
    }
  }
}
