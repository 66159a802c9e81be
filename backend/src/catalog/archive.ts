/**
 * The catalog's record of the binary log archive (point-in-time recovery): which files of the
 * server's log are archived, how far, in which snapshot, and where the archive does not continue
 * (a gap). Apart from the `snapshots` table on purpose: archive snapshots are not versions, are
 * never counted, never "the latest", and never pushed out by the version policy.
 *
 * One row per archived log file (in archive order); each holds the server's file from offset 0 to
 * `end` (complete events only) in one snapshot, which a later save of the same file supersedes.
 * Superseded snapshots are remembered until they are forgotten in the repositories.
 */
import type Database from 'better-sqlite3';

export const ARCHIVE_MIGRATION = `
   CREATE TABLE binlog_files (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     target TEXT NOT NULL,
     file TEXT NOT NULL,
     end_pos INTEGER NOT NULL DEFAULT 0,
     complete INTEGER NOT NULL DEFAULT 0,
     pieces INTEGER NOT NULL DEFAULT 0,
     first_event_at INTEGER,
     last_event_at INTEGER,
     snapshot_id TEXT,
     gap_before TEXT,
     started_at TEXT NOT NULL,
     saved_at TEXT,
     forgotten_at TEXT
   );
   CREATE INDEX binlog_files_target ON binlog_files (target, id) WHERE forgotten_at IS NULL;
   CREATE TABLE binlog_snapshots (
     snapshot_id TEXT PRIMARY KEY,
     target TEXT NOT NULL,
     file_id INTEGER NOT NULL,
     superseded INTEGER NOT NULL DEFAULT 0,
     saved_at TEXT NOT NULL
   );
   CREATE TABLE pitr_state (
     target TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     detail TEXT,
     caught_up_at INTEGER,
     restarts INTEGER NOT NULL DEFAULT 0,
     pid INTEGER,
     updated_at TEXT NOT NULL,
     copied_at TEXT,
     copy_error TEXT
   );`;

/** One archived file of the server's binary log. */
export interface ArchivedFile {
  /** Archive order (the catalog's own number). */
  id: number;
  target: string;
  /** The server's name for it, e.g. binlog.000042. */
  file: string;
  /** Bytes of the server's file archived, from offset 0 (always at an event boundary). */
  end: number;
  /** It ends with a rotate or stop event: nothing more will be written to it. */
  complete: boolean;
  pieces: number;
  /** Unix seconds of its first and last archived event (null while it holds none). */
  firstEventAt: number | null;
  lastEventAt: number | null;
  /** The snapshot holding all of it so far; null before its first save. */
  snapshotId: string | null;
  /** Why it does not continue the file archived before it (a purged file, a reset log); null: it does. */
  gapBefore: string | null;
  startedAt: string;
  savedAt: string | null;
}

/** What the archiver running for a target says about itself (written by `serve`). */
export interface ArchiverState {
  target: string;
  /** following: the follower runs; retrying: it stopped and starts again after a pause; stopped. */
  state: 'following' | 'retrying' | 'stopped';
  detail: string | null;
  /** Server time (unix ms) when the archive last held everything the server had written. */
  caughtUpAt: number | null;
  restarts: number;
  pid: number | null;
  updatedAt: string;
  copiedAt: string | null;
  copyError: string | null;
}

function toFile(r: any): ArchivedFile {
  return {
    id: r.id,
    target: r.target,
    file: r.file,
    end: r.end_pos,
    complete: r.complete === 1,
    pieces: r.pieces,
    firstEventAt: r.first_event_at,
    lastEventAt: r.last_event_at,
    snapshotId: r.snapshot_id,
    gapBefore: r.gap_before,
    startedAt: r.started_at,
    savedAt: r.saved_at,
  };
}

export class ArchiveRecords {
  constructor(private readonly db: Database.Database) {}

  /** The archived files still held, in archive order. */
  files(target: string): ArchivedFile[] {
    return this.db
      .prepare(`SELECT * FROM binlog_files WHERE target = ? AND forgotten_at IS NULL ORDER BY id`)
      .all(target)
      .map(toFile);
  }

  last(target: string): ArchivedFile | null {
    const r = this.db
      .prepare(`SELECT * FROM binlog_files WHERE target = ? AND forgotten_at IS NULL ORDER BY id DESC LIMIT 1`)
      .get(target);
    return r ? toFile(r) : null;
  }

  file(id: number): ArchivedFile | null {
    const r = this.db.prepare(`SELECT * FROM binlog_files WHERE id = ?`).get(id);
    return r ? toFile(r) : null;
  }

  /** A new file of the log begins in the archive. */
  startFile(target: string, file: string, gapBefore: string | null, at: Date): ArchivedFile {
    const r = this.db
      .prepare(`INSERT INTO binlog_files (target, file, gap_before, started_at) VALUES (?, ?, ?, ?)`)
      .run(target, file, gapBefore, at.toISOString());
    return this.file(Number(r.lastInsertRowid))!;
  }

  /**
   * A save of a file: its new snapshot holds it up to `end`; the one before is superseded (kept
   * in the repository until housekeeping forgets it). One transaction: the catalog never names a
   * snapshot as current that does not hold everything the row says.
   */
  saved(
    id: number,
    s: {
      snapshotId: string;
      end: number;
      complete: boolean;
      pieces: number;
      firstEventAt: number | null;
      lastEventAt: number | null;
    },
    at: Date
  ): void {
    this.db.transaction(() => {
      const row = this.file(id)!;
      this.db
        .prepare(
          `UPDATE binlog_files SET end_pos = ?, complete = ?, pieces = ?, first_event_at = ?, last_event_at = ?,
             snapshot_id = ?, saved_at = ? WHERE id = ?`
        )
        .run(s.end, s.complete ? 1 : 0, s.pieces, s.firstEventAt, s.lastEventAt, s.snapshotId, at.toISOString(), id);
      this.db
        .prepare(`UPDATE binlog_snapshots SET superseded = 1 WHERE file_id = ? AND snapshot_id != ?`)
        .run(id, s.snapshotId);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO binlog_snapshots (snapshot_id, target, file_id, superseded, saved_at) VALUES (?, ?, ?, 0, ?)`
        )
        .run(s.snapshotId, row.target, id, at.toISOString());
    })();
  }

  /** A file ended (rotate or stop seen) without more to save. */
  markComplete(id: number): void {
    this.db.prepare(`UPDATE binlog_files SET complete = 1 WHERE id = ?`).run(id);
  }

  /** Snapshots a later save replaced, still to be forgotten in the repositories. */
  superseded(target: string): string[] {
    return (
      this.db
        .prepare(`SELECT snapshot_id FROM binlog_snapshots WHERE target = ? AND superseded = 1 ORDER BY saved_at`)
        .all(target) as Array<{ snapshot_id: string }>
    ).map((r) => r.snapshot_id);
  }

  /** Every archive snapshot the catalog knows for a target (current and superseded). */
  knownSnapshots(target: string): Set<string> {
    return new Set(
      (
        this.db.prepare(`SELECT snapshot_id FROM binlog_snapshots WHERE target = ?`).all(target) as Array<{
          snapshot_id: string;
        }>
      ).map((r) => r.snapshot_id)
    );
  }

  /** The current snapshot of every held file. */
  currentSnapshots(target: string): string[] {
    return this.files(target)
      .map((f) => f.snapshotId)
      .filter((id): id is string => !!id);
  }

  /** Snapshots forgotten in the repositories: the catalog lets go of them. */
  dropSnapshots(ids: string[]): void {
    const stmt = this.db.prepare(`DELETE FROM binlog_snapshots WHERE snapshot_id = ?`);
    const copies = this.db.prepare(`DELETE FROM snapshot_copies WHERE snapshot_id = ?`);
    this.db.transaction(() =>
      ids.forEach((id) => {
        stmt.run(id);
        copies.run(id);
      })
    )();
  }

  /** Every snapshot (current and superseded) of these files. */
  snapshotsOfFiles(ids: number[]): string[] {
    const stmt = this.db.prepare(`SELECT snapshot_id FROM binlog_snapshots WHERE file_id = ?`);
    return ids.flatMap((id) => (stmt.all(id) as Array<{ snapshot_id: string }>).map((r) => r.snapshot_id));
  }

  /** Retention: these files are forgotten with every snapshot of theirs. */
  forgetFiles(ids: number[], at: Date): string[] {
    const snaps: string[] = [];
    this.db.transaction(() => {
      for (const id of ids) {
        const rows = this.db.prepare(`SELECT snapshot_id FROM binlog_snapshots WHERE file_id = ?`).all(id) as Array<{
          snapshot_id: string;
        }>;
        snaps.push(...rows.map((r) => r.snapshot_id));
        this.db.prepare(`UPDATE binlog_files SET forgotten_at = ? WHERE id = ?`).run(at.toISOString(), id);
      }
    })();
    return snaps;
  }

  /** Rebuilding from the repository: a file as its newest snapshot's tags describe it. */
  restoreFile(
    target: string,
    f: Omit<ArchivedFile, 'id' | 'target' | 'savedAt'> & { savedAt: string },
    older: string[]
  ): void {
    this.db.transaction(() => {
      const r = this.db
        .prepare(
          `INSERT INTO binlog_files (target, file, end_pos, complete, pieces, first_event_at, last_event_at, snapshot_id,
             gap_before, started_at, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
        )
        .run(
          target,
          f.file,
          f.end,
          f.complete ? 1 : 0,
          f.pieces,
          f.firstEventAt,
          f.lastEventAt,
          f.snapshotId,
          f.gapBefore,
          f.startedAt,
          f.savedAt
        );
      const id = Number(r.lastInsertRowid);
      const ins = this.db.prepare(
        `INSERT OR REPLACE INTO binlog_snapshots (snapshot_id, target, file_id, superseded, saved_at) VALUES (?, ?, ?, ?, ?)`
      );
      ins.run(f.snapshotId, target, id, 0, f.savedAt);
      older.forEach((s) => ins.run(s, target, id, 1, f.savedAt));
    })();
  }

  // --- the archiver's own state ------------------------------------------------------------------

  state(target: string): ArchiverState | null {
    const r = this.db.prepare(`SELECT * FROM pitr_state WHERE target = ?`).get(target) as any;
    return r
      ? {
          target: r.target,
          state: r.state,
          detail: r.detail,
          caughtUpAt: r.caught_up_at,
          restarts: r.restarts,
          pid: r.pid,
          updatedAt: r.updated_at,
          copiedAt: r.copied_at,
          copyError: r.copy_error,
        }
      : null;
  }

  setState(
    target: string,
    s: Partial<Omit<ArchiverState, 'target' | 'updatedAt'>> & { state: ArchiverState['state'] },
    at: Date
  ): void {
    const current = this.state(target);
    const next = {
      detail: null,
      caughtUpAt: null,
      restarts: 0,
      pid: null,
      copiedAt: null,
      copyError: null,
      ...current,
      ...s,
    };
    this.db
      .prepare(
        `INSERT OR REPLACE INTO pitr_state (target, state, detail, caught_up_at, restarts, pid, updated_at, copied_at, copy_error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        target,
        next.state,
        next.detail,
        next.caughtUpAt,
        next.restarts,
        next.pid,
        at.toISOString(),
        next.copiedAt,
        next.copyError
      );
  }
}
