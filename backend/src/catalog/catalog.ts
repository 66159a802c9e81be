/**
 * The catalog: everything the service did and holds, in SQLite. The API answers from here, never
 * by running restic per request. It can be rebuilt from the repositories (see rebuild.ts).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Metadata } from '../targets/types';
import type { Role } from '../config/types';
import type { PhaseRecord, RunDetail } from './run-detail';
import { ArchiveRecords, ARCHIVE_MIGRATION } from './archive';

export type { PhaseRecord } from './run-detail';

export type Operation = 'backup' | 'verify' | 'restore' | 'forget';
export type RunStatus = 'running' | 'success' | 'failed' | 'unchanged';
export type VerificationState = 'passed' | 'failed' | 'unverified';

export interface RunRecord {
  /** The catalog's own number (API, CLI): local to this catalog. */
  id: number;
  /**
   * The run's identity across catalogs and machines (a UUID, the `run=` tag of its snapshots):
   * run ids restart after a catalog is rebuilt and two catalogs may share a repository, so only
   * this may select what a run wrote (docs/design.md §5 rule 7).
   */
  uid: string;
  target: string;
  operation: Operation;
  status: RunStatus;
  phase: string | null;
  startedAt: string;
  finishedAt: string | null;
  bytesDone: number | null;
  snapshotId: string | null;
  error: string | null;
  actor: string;
  detail: RunDetail;
}

export interface SnapshotRecord {
  id: string;
  target: string;
  time: string;
  bytes: number | null;
  version: string | null;
  metadata: Metadata | null;
  verification: VerificationState;
  verifiedAt: string | null;
  verificationDetail: string | null;
  runId: number | null;
  /** The identity of the run that wrote it (its `run=` tag); null for snapshots of before run tags. */
  runUid: string | null;
  /**
   * The order in which snapshots were taken (the catalog's sequence). "Newest" means the highest
   * sequence, never the latest time: a clock that went back must not make old data the latest.
   */
  seq: number;
  /** Repositories holding it: primary first. */
  heldBy: string[];
  safety: boolean;
}

/** Data a restore moved aside; listed and removed by `backup-sla aside`. */
export interface AsideRecord {
  id: number;
  target: string;
  kind: 'database' | 'directory';
  name: string;
  was: string;
  createdAt: string;
  runId: number | null;
}

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  /** The role of the token used; null for the scheduler and the CLI. */
  role: Role | null;
  action: string;
  target: string | null;
  detail: string;
  /** 'started' while the action runs (one entry per action: it is updated with the result). */
  result: 'ok' | 'failed' | 'started';
  /** The run the entry is about (see audit()); null for what is not a run. */
  runId: number | null;
  /** When an action recorded at its start ended; null while it runs and for entries recorded once. */
  finishedAt: string | null;
}

/** What audit() records: the time is given apart, the role and the run may be left out. */
export type AuditInput = Omit<AuditRecord, 'id' | 'at' | 'role' | 'runId' | 'finishedAt'> & {
  role?: Role | null;
  runId?: number | null;
};

/** How many finished runs there are per target, operation and status. */
export interface RunCount {
  target: string;
  operation: Operation;
  status: Exclude<RunStatus, 'running'>;
  count: number;
}

/** Versions read per query by versionHistory. */
const VERSION_PAGE = 100;

const MIGRATIONS = [
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     target TEXT NOT NULL,
     operation TEXT NOT NULL,
     status TEXT NOT NULL,
     phase TEXT,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     bytes_done INTEGER,
     snapshot_id TEXT,
     error TEXT,
     actor TEXT NOT NULL,
     detail TEXT NOT NULL DEFAULT '{}'
   );
   CREATE INDEX runs_target_op ON runs (target, operation, id DESC);
   CREATE INDEX runs_op ON runs (operation, id DESC);
   CREATE INDEX runs_running ON runs (status) WHERE status = 'running';
   CREATE TABLE snapshots (
     id TEXT PRIMARY KEY,
     target TEXT NOT NULL,
     time TEXT NOT NULL,
     bytes INTEGER,
     version TEXT,
     metadata TEXT,
     verification TEXT NOT NULL DEFAULT 'unverified',
     verified_at TEXT,
     verification_detail TEXT,
     run_id INTEGER,
     safety INTEGER NOT NULL DEFAULT 0,
     forgotten_at TEXT
   );
   CREATE INDEX snapshots_target ON snapshots (target, time DESC);
   CREATE TABLE snapshot_copies (
     snapshot_id TEXT NOT NULL,
     repository TEXT NOT NULL,
     copy_id TEXT,
     PRIMARY KEY (snapshot_id, repository)
   );
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     detail TEXT NOT NULL,
     result TEXT NOT NULL
   );`,
  // GET /api/runs?target=: a target's history newest first without sorting all of it.
  `CREATE INDEX runs_target ON runs (target, id DESC);`,
  // Status reads only held snapshots; forgotten ones pile up over the years and must not be scanned.
  `CREATE INDEX snapshots_held ON snapshots (target, time DESC) WHERE forgotten_at IS NULL;
   CREATE INDEX snapshots_forgotten ON snapshots (target) WHERE forgotten_at IS NOT NULL;`,
  // The audit log names the token's role apart from the (forwarded) user.
  `ALTER TABLE audit ADD COLUMN role TEXT;`,
  // Run identity unique across catalogs (the run= tag); snapshots ordered by the sequence they
  // were taken in, not by their time; what restores moved aside.
  `ALTER TABLE runs ADD COLUMN uid TEXT;
   UPDATE runs SET uid = 'legacy-' || id WHERE uid IS NULL;
   CREATE UNIQUE INDEX runs_uid ON runs (uid);
   ALTER TABLE snapshots ADD COLUMN run_uid TEXT;
   UPDATE snapshots SET run_uid = CAST(run_id AS TEXT) WHERE run_id IS NOT NULL;
   ALTER TABLE snapshots ADD COLUMN seq INTEGER;
   UPDATE snapshots SET seq = (SELECT COUNT(*) FROM snapshots o WHERE o.time < snapshots.time
     OR (o.time = snapshots.time AND o.rowid <= snapshots.rowid));
   CREATE INDEX snapshots_held_seq ON snapshots (target, seq DESC) WHERE forgotten_at IS NULL;
   CREATE TABLE aside (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     target TEXT NOT NULL,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     was TEXT NOT NULL,
     created_at TEXT NOT NULL,
     run_id INTEGER,
     removed_at TEXT
   );
   CREATE TABLE pending_cleanup (
     run_id INTEGER PRIMARY KEY,
     target TEXT NOT NULL,
     run_uid TEXT NOT NULL
   );`,
  // addSnapshot takes MAX(seq) + 1, and the SLA state reads a target's versions newest first until
  // it knows enough: without these, every insert and every state read every snapshot ever kept.
  `CREATE INDEX snapshots_seq ON snapshots (seq);
   CREATE INDEX snapshots_versions ON snapshots (target, seq) WHERE safety = 0;`,
  // One audit entry per action: a restore's entry names its run and is updated with its result.
  // The Activity page filters runs and the audit log by status and time on the service: statuses
  // come from an index each, and a time bound becomes an id bound (see sinceId).
  `ALTER TABLE audit ADD COLUMN run_id INTEGER;
   ALTER TABLE audit ADD COLUMN finished_at TEXT;
   CREATE INDEX audit_run ON audit (run_id) WHERE run_id IS NOT NULL;
   CREATE INDEX audit_at ON audit (at);
   CREATE INDEX audit_result ON audit (result, id DESC);
   CREATE INDEX runs_started ON runs (started_at);
   CREATE INDEX runs_status ON runs (status, id DESC);`,
  // The binary log archive of point-in-time recovery (catalog/archive.ts): not versions.
  ARCHIVE_MIGRATION,
];

/**
 * `since` as the catalog writes times (toISOString: UTC, milliseconds), so that text comparison
 * is time order; null for no bound.
 */
function isoBound(since: string | undefined): string | null {
  if (since === undefined) {
    return null;
  }
  const t = Date.parse(since);
  if (!Number.isFinite(t)) {
    throw new Error(`not a time: ${since}`);
  }
  return new Date(t).toISOString();
}

function toAudit(r: any): AuditRecord {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role ?? null,
    action: r.action,
    target: r.target,
    detail: r.detail,
    result: r.result,
    runId: r.run_id ?? null,
    finishedAt: r.finished_at ?? null,
  };
}

/**
 * "Recorded at or after `since`" for a table numbered in the order it is written (runs by start,
 * the audit log by entry): the first such id bounds the scan from an index on the time, and the
 * time itself is checked too (a clock set back can put an earlier time after a later one).
 * Takes `since` twice.
 */
function sinceClause(table: 'runs' | 'audit', column: 'started_at' | 'at'): string {
  return `id >= COALESCE((SELECT MIN(id) FROM ${table} WHERE ${column} >= ?), 9223372036854775807) AND ${column} >= ?`;
}

function toRun(r: any): RunRecord {
  return {
    id: r.id,
    uid: r.uid,
    target: r.target,
    operation: r.operation,
    status: r.status,
    phase: r.phase,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    bytesDone: r.bytes_done,
    snapshotId: r.snapshot_id,
    error: r.error,
    actor: r.actor,
    detail: JSON.parse(r.detail || '{}'),
  };
}

export class Catalog {
  readonly db: Database.Database;
  /** The binary log archive (point-in-time recovery), apart from the versions. */
  readonly archive: ArchiveRecords;

  /**
   * Opens (and creates or upgrades) the catalog. It names every target, run, user and error of
   * the service: it is created 0600 in a 0700 directory, and SQLite gives its -wal and -shm files
   * the mode of the database file. With `readonly`, nothing is written: an existing catalog is
   * read as it is (no migration), a missing one reads as empty.
   */
  constructor(file: string, options: { readonly?: boolean } = {}) {
    if (options.readonly) {
      if (file === ':memory:' || !existsSync(file)) {
        this.db = new Database(':memory:');
        this.migrate();
      } else {
        this.db = new Database(file, { readonly: true, fileMustExist: true });
        this.db.pragma('busy_timeout = 5000');
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version < MIGRATIONS.length) {
          this.db.close();
          throw new Error(
            `the catalog ${file} is from an older version: run any writing command (e.g. backup-sla serve) once to upgrade it`
          );
        }
      }
      this.archive = new ArchiveRecords(this.db);
      return;
    }
    if (file !== ':memory:') {
      // The catalog and its WAL hold the whole history: readable by the service only; one left
      // open to others (an older version, a copy) is made private again.
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        if (!existsSync(f)) {
          closeSync(openSync(f, 'a', 0o600));
        } else if ((statSync(f).mode & 0o077) !== 0) {
          chmodSync(f, 0o600);
        }
      }
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.archive = new ArchiveRecords(this.db);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  // --- runs -----------------------------------------------------------------------------------

  startRun(target: string, operation: Operation, actor: string, at: Date, detail: RunDetail = {}): number {
    const r = this.db
      .prepare(
        `INSERT INTO runs (uid, target, operation, status, phase, started_at, actor, detail) VALUES (?, ?, ?, 'running', 'starting', ?, ?, ?)`
      )
      .run(randomUUID(), target, operation, at.toISOString(), actor, JSON.stringify(detail));
    return Number(r.lastInsertRowid);
  }

  /**
   * Run ids of this catalog never go below `floor`: after a rebuild, new runs are numbered past
   * every run the repositories name, so that no id is used twice.
   */
  reserveRunIds(floor: number): void {
    const current = (
      this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'runs'`).get() as { seq: number } | undefined
    )?.seq;
    if (current === undefined) {
      this.db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', ?)`).run(floor);
    } else if (current < floor) {
      this.db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'runs'`).run(floor);
    }
  }

  /**
   * The run's current phase and bytes. A new phase is appended to the run's `phases` (each with
   * its own byte count); ticks of the same phase only update its bytes.
   */
  progress(id: number, phase: string, bytesDone?: number, at = new Date()): void {
    this.db.transaction(() => {
      const row = this.db.prepare(`SELECT detail FROM runs WHERE id = ?`).get(id) as { detail: string } | undefined;
      if (!row) {
        return;
      }
      const detail = JSON.parse(row.detail || '{}') as { phases?: PhaseRecord[] };
      const phases = detail.phases ?? [];
      const last = phases[phases.length - 1];
      if (!last || last.name !== phase) {
        phases.push({ name: phase, startedAt: at.toISOString(), bytesDone: bytesDone ?? null });
      } else if (bytesDone !== undefined) {
        last.bytesDone = bytesDone;
      }
      detail.phases = phases;
      this.db
        .prepare(`UPDATE runs SET phase = ?, bytes_done = COALESCE(?, bytes_done), detail = ? WHERE id = ?`)
        .run(phase, bytesDone ?? null, JSON.stringify(detail), id);
    })();
  }

  finishRun(
    id: number,
    at: Date,
    result: {
      status: Exclude<RunStatus, 'running'>;
      snapshotId?: string | null;
      error?: string | null;
      bytesDone?: number | null;
      detail?: RunDetail;
    }
  ): void {
    const current = this.run(id);
    const detail = { ...(current?.detail ?? {}), ...(result.detail ?? {}) };
    this.db
      .prepare(
        `UPDATE runs SET status = ?, finished_at = ?, snapshot_id = COALESCE(?, snapshot_id), error = ?,
           bytes_done = COALESCE(?, bytes_done), detail = ? WHERE id = ?`
      )
      .run(
        result.status,
        at.toISOString(),
        result.snapshotId ?? null,
        result.error ?? null,
        result.bytesDone ?? null,
        JSON.stringify(detail),
        id
      );
  }

  run(id: number): RunRecord | null {
    const r = this.db.prepare(`SELECT * FROM runs WHERE id = ?`).get(id);
    return r ? toRun(r) : null;
  }

  runs(
    filter: {
      target?: string;
      operation?: Operation;
      /** Any of these statuses. */
      statuses?: RunStatus[];
      /** Started at or after this time (ISO-8601). */
      since?: string;
      limit?: number;
      beforeId?: number;
    } = {}
  ): RunRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.target) {
      where.push('target = ?');
      args.push(filter.target);
    }
    if (filter.operation) {
      where.push('operation = ?');
      args.push(filter.operation);
    }
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(',')})`);
      args.push(...filter.statuses);
    }
    const since = isoBound(filter.since);
    if (since !== null) {
      where.push(sinceClause('runs', 'started_at'));
      args.push(since, since);
    }
    if (filter.beforeId) {
      where.push('id < ?');
      args.push(filter.beforeId);
    }
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return this.db
      .prepare(sql)
      .all(...args, filter.limit ?? 100)
      .map(toRun);
  }

  /**
   * How many runs have finished, per target, operation and status (the runs_total metric). Kept
   * as it goes: each call counts only the runs finished since the last one, by id ranges (runs
   * are numbered as they start; a finished run never changes its status again).
   */
  runCounts(): RunCount[] {
    const firstRunning = (
      this.db.prepare(`SELECT MIN(id) AS id FROM runs WHERE status = 'running'`).get() as { id: number | null }
    ).id;
    const last = (this.db.prepare(`SELECT MAX(id) AS id FROM runs`).get() as { id: number | null }).id ?? 0;
    // Every run up to `settled` has finished: counted once and kept.
    const settled = firstRunning === null ? last : firstRunning - 1;
    const count = this.db.prepare(
      `SELECT target, operation, status, COUNT(*) AS count FROM runs
       WHERE id > ? AND id <= ? AND status != 'running' GROUP BY target, operation, status`
    );
    const key = (r: Omit<RunCount, 'count'>) => `${r.target}\u0000${r.operation}\u0000${r.status}`;
    if (settled > this.counted.upTo) {
      for (const r of count.all(this.counted.upTo, settled) as RunCount[]) {
        const k = key(r);
        const had = this.counted.counts.get(k);
        this.counted.counts.set(k, { ...r, count: (had?.count ?? 0) + r.count });
      }
      this.counted.upTo = settled;
    }
    // Runs that finished after one still running: counted afresh each time (few).
    const out = new Map([...this.counted.counts].map(([k, v]) => [k, { ...v }]));
    for (const r of count.all(settled, last) as RunCount[]) {
      const had = out.get(key(r));
      out.set(key(r), { ...r, count: (had?.count ?? 0) + r.count });
    }
    return [...out.values()];
  }

  private counted: { upTo: number; counts: Map<string, RunCount> } = { upTo: 0, counts: new Map() };

  /** The newest run of a target and operation with one of these statuses. */
  lastRun(target: string, operation: Operation, statuses?: RunStatus[]): RunRecord | null {
    const st = statuses ?? ['success', 'failed', 'unchanged', 'running'];
    const r = this.db
      .prepare(
        `SELECT * FROM runs WHERE target = ? AND operation = ? AND status IN (${st.map(() => '?').join(',')}) ORDER BY id DESC LIMIT 1`
      )
      .get(target, operation, ...st);
    return r ? toRun(r) : null;
  }

  /** The newest verification of a target that reached a verdict (passed or failed, not "could not verify"). */
  lastVerdict(target: string): RunRecord | null {
    const r = this.db
      .prepare(
        `SELECT * FROM runs WHERE target = ? AND operation = 'verify' AND status IN ('success', 'failed')
           AND COALESCE(json_extract(detail, '$.verification.outcome'), '') != 'unknown' ORDER BY id DESC LIMIT 1`
      )
      .get(target);
    return r ? toRun(r) : null;
  }

  /**
   * Restores in place of a target that replaced the live data (succeeded, or still running), as
   * unix ms: a replay of the log cannot cross one (point-in-time recovery).
   */
  inPlaceRestores(target: string): Array<{ startedAt: number; finishedAt: number | null }> {
    const rows = this.db
      .prepare(
        `SELECT started_at, finished_at FROM runs WHERE target = ? AND operation = 'restore'
           AND status IN ('success', 'running') AND json_extract(detail, '$.to') IS NULL ORDER BY id`
      )
      .all(target) as Array<{ started_at: string; finished_at: string | null }>;
    return rows.map((r) => ({
      startedAt: Date.parse(r.started_at),
      finishedAt: r.finished_at ? Date.parse(r.finished_at) : null,
    }));
  }

  runningRuns(): RunRecord[] {
    return this.db.prepare(`SELECT * FROM runs WHERE status = 'running' ORDER BY id`).all().map(toRun);
  }

  // --- snapshots ------------------------------------------------------------------------------

  /** Records a snapshot as the newest of the catalog's sequence. */
  addSnapshot(
    s: Omit<SnapshotRecord, 'heldBy' | 'verification' | 'verifiedAt' | 'verificationDetail' | 'seq'>,
    repository: string
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO snapshots (id, target, time, bytes, version, metadata, run_id, run_uid, safety, seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM snapshots))`
        )
        .run(
          s.id,
          s.target,
          s.time,
          s.bytes,
          s.version,
          s.metadata ? JSON.stringify(s.metadata) : null,
          s.runId,
          s.runUid,
          s.safety ? 1 : 0
        );
      this.db
        .prepare(`INSERT OR IGNORE INTO snapshot_copies (snapshot_id, repository, copy_id) VALUES (?, ?, ?)`)
        .run(s.id, repository, s.id);
    })();
  }

  markHeld(snapshotId: string, repository: string, copyId: string | null): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO snapshot_copies (snapshot_id, repository, copy_id) VALUES (?, ?, ?)`)
      .run(snapshotId, repository, copyId);
  }

  /** Forget in the catalog what restic no longer holds in `repository`. */
  unmarkHeld(snapshotId: string, repository: string): void {
    this.db.prepare(`DELETE FROM snapshot_copies WHERE snapshot_id = ? AND repository = ?`).run(snapshotId, repository);
  }

  markForgotten(ids: string[], at: Date): void {
    const stmt = this.db.prepare(`UPDATE snapshots SET forgotten_at = ? WHERE id = ?`);
    this.db.transaction(() => ids.forEach((id) => stmt.run(at.toISOString(), id)))();
  }

  recordVerification(snapshotId: string, passed: boolean, at: Date, detail: string): void {
    this.db
      .prepare(`UPDATE snapshots SET verification = ?, verified_at = ?, verification_detail = ? WHERE id = ?`)
      .run(passed ? 'passed' : 'failed', at.toISOString(), detail, snapshotId);
  }

  private toSnapshot(r: any, primary: string, held: string[]): SnapshotRecord {
    held.sort((a, b) => (a === primary ? -1 : b === primary ? 1 : a.localeCompare(b)));
    return {
      id: r.id,
      target: r.target,
      time: r.time,
      bytes: r.bytes,
      version: r.version,
      metadata: r.metadata ? JSON.parse(r.metadata) : null,
      verification: r.verification,
      verifiedAt: r.verified_at,
      verificationDetail: r.verification_detail,
      runId: r.run_id,
      runUid: r.run_uid ?? null,
      seq: r.seq,
      heldBy: held,
      safety: r.safety === 1,
    };
  }

  /** Which repositories hold each of these snapshots, in one query. */
  private holders(ids: string[]): Map<string, string[]> {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length) {
      const rows = this.db
        .prepare(
          `SELECT snapshot_id, repository FROM snapshot_copies WHERE snapshot_id IN (${ids.map(() => '?').join(',')})`
        )
        .all(...ids) as Array<{ snapshot_id: string; repository: string }>;
      rows.forEach((x) => out.get(x.snapshot_id)?.push(x.repository));
    }
    return out;
  }

  private withHolders(rows: any[], primary: string): SnapshotRecord[] {
    const held = this.holders(rows.map((r) => r.id));
    return rows.map((r) => this.toSnapshot(r, primary, held.get(r.id) ?? []));
  }

  /** Snapshots still held (not forgotten), newest (highest sequence) first. */
  snapshots(target: string, primary: string): SnapshotRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM snapshots WHERE target = ? AND forgotten_at IS NULL ORDER BY seq DESC`)
      .all(target);
    return this.withHolders(rows, primary);
  }

  /**
   * Every version ever taken of a target (held or forgotten; not safety snapshots, not those that
   * failed verification), newest first: what the retention can have kept by now is judged on it.
   */
  *versionHistory(target: string): Generator<{ id: string; time: string }> {
    // Page by page, newest first: the SLA state stops as soon as it knows enough (engine/sla.ts),
    // and a page is read whole (no statement is left open when the caller stops).
    const page = this.db.prepare(
      `SELECT id, time, seq FROM snapshots WHERE target = ? AND safety = 0 AND verification != 'failed' AND seq < ?
       ORDER BY seq DESC LIMIT ${VERSION_PAGE}`
    );
    let before = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const rows = page.all(target, before) as Array<{ id: string; time: string; seq: number }>;
      for (const r of rows) {
        yield { id: r.id, time: r.time };
      }
      if (rows.length < VERSION_PAGE) {
        return;
      }
      before = rows[rows.length - 1].seq;
    }
  }

  /** Every snapshot id the catalog ever recorded for a target, held or forgotten. */
  knownSnapshotIds(target: string): Set<string> {
    const rows = this.db.prepare(`SELECT id FROM snapshots WHERE target = ?`).all(target) as Array<{ id: string }>;
    return new Set(rows.map((r) => r.id));
  }

  /** Whether retention (or cleanup) has ever removed a snapshot of the target. */
  everForgotten(target: string): boolean {
    return (
      this.db.prepare(`SELECT 1 FROM snapshots WHERE target = ? AND forgotten_at IS NOT NULL LIMIT 1`).get(target) !==
      undefined
    );
  }

  // --- partial snapshots a failed run could not remove ------------------------------------------

  /** A failed run's cleanup could not reach the repository: done before the target's next retention. */
  addPendingCleanup(runId: number, target: string, runUid: string): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO pending_cleanup (run_id, target, run_uid) VALUES (?, ?, ?)`)
      .run(runId, target, runUid);
  }

  pendingCleanups(target: string): Array<{ runId: number; runUid: string }> {
    return (
      this.db
        .prepare(`SELECT run_id, run_uid FROM pending_cleanup WHERE target = ? ORDER BY run_id`)
        .all(target) as Array<{
        run_id: number;
        run_uid: string;
      }>
    ).map((r) => ({ runId: r.run_id, runUid: r.run_uid }));
  }

  clearPendingCleanup(runId: number): void {
    this.db.prepare(`DELETE FROM pending_cleanup WHERE run_id = ?`).run(runId);
  }

  // --- aside -----------------------------------------------------------------------------------

  addAside(item: Omit<AsideRecord, 'id' | 'createdAt'>, at: Date): void {
    this.db
      .prepare(`INSERT INTO aside (target, kind, name, was, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(item.target, item.kind, item.name, item.was, at.toISOString(), item.runId);
  }

  /** What restores moved aside and was not removed yet, newest first. */
  asideItems(target?: string): AsideRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM aside WHERE removed_at IS NULL ${target ? 'AND target = ?' : ''} ORDER BY id DESC`)
      .all(...(target ? [target] : [])) as any[];
    return rows.map((r) => ({
      id: r.id,
      target: r.target,
      kind: r.kind,
      name: r.name,
      was: r.was,
      createdAt: r.created_at,
      runId: r.run_id,
    }));
  }

  markAsideRemoved(id: number, at: Date): void {
    this.db.prepare(`UPDATE aside SET removed_at = ? WHERE id = ?`).run(at.toISOString(), id);
  }

  /** A held snapshot by full or short id (a unique prefix). */
  findSnapshot(target: string, idOrPrefix: string, primary: string): SnapshotRecord | null {
    if (!/^[0-9a-f]{4,64}$/.test(idOrPrefix)) {
      return null;
    }
    const rows = this.db
      .prepare(`SELECT * FROM snapshots WHERE target = ? AND forgotten_at IS NULL AND id LIKE ? LIMIT 2`)
      .all(target, `${idOrPrefix}%`);
    return rows.length === 1 ? this.withHolders(rows, primary)[0] : null;
  }

  // --- audit ----------------------------------------------------------------------------------

  /**
   * Records who did what. One entry per action: the result of a run whose action was recorded
   * when it started (`runId`, result 'started') updates that entry (its detail, result and
   * finishedAt) instead of adding a second one. `runId` names a run of this catalog; an operation
   * forwarded to a peer names the peer's run, its target `<peer>/<name>` (never a name of here),
   * which keeps the two apart.
   */
  audit(entry: AuditInput, at: Date): void {
    const runId = entry.runId ?? null;
    if (runId !== null && entry.result !== 'started') {
      const updated = this.db
        .prepare(
          `UPDATE audit SET detail = ?, result = ?, finished_at = ?
           WHERE run_id = ? AND target IS ? AND action = ? AND result = 'started'`
        )
        .run(entry.detail, entry.result, at.toISOString(), runId, entry.target, entry.action);
      if (updated.changes > 0) {
        return;
      }
    }
    this.db
      .prepare(
        `INSERT INTO audit (at, actor, role, action, target, detail, result, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        at.toISOString(),
        entry.actor,
        entry.role ?? null,
        entry.action,
        entry.target,
        entry.detail,
        entry.result,
        runId
      );
  }

  /**
   * A run that ended without saying so itself (interrupted: the process running it stopped): its
   * entry still 'started' ends as failed, with the reason added to what it said.
   */
  failRunAudit(runId: number, target: string, reason: string, at: Date): void {
    this.db
      .prepare(
        `UPDATE audit SET result = 'failed', detail = detail || ': ' || ?, finished_at = ?
         WHERE run_id = ? AND target = ? AND result = 'started'`
      )
      .run(reason, at.toISOString(), runId, target);
  }

  /**
   * Remembers something a run created outside the repository (ctx.created), in the run's detail
   * as `leftovers`, so that recovery after a crash can remove it.
   */
  addLeftover(runId: number, item: { kind: 'database' | 'directory'; name: string }): void {
    this.db.transaction(() => {
      const run = this.run(runId);
      if (!run) {
        return;
      }
      const leftovers = Array.isArray(run.detail.leftovers) ? (run.detail.leftovers as unknown[]) : [];
      leftovers.push(item);
      this.db
        .prepare(`UPDATE runs SET detail = ? WHERE id = ?`)
        .run(JSON.stringify({ ...run.detail, leftovers }), runId);
    })();
  }

  /** Whether these snapshots are still held (not forgotten), in one query. */
  held(ids: string[]): Set<string> {
    if (!ids.length) {
      return new Set();
    }
    const rows = this.db
      .prepare(`SELECT id FROM snapshots WHERE forgotten_at IS NULL AND id IN (${ids.map(() => '?').join(',')})`)
      .all(...ids) as Array<{ id: string }>;
    return new Set(rows.map((r) => r.id));
  }

  /** The audit log, newest first: the last `limit` entries, or those matching a filter. */
  auditEntries(
    filter: number | { limit?: number; results?: Array<AuditRecord['result']>; since?: string } = 100
  ): AuditRecord[] {
    const f = typeof filter === 'number' ? { limit: filter } : filter;
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.results?.length) {
      where.push(`result IN (${f.results.map(() => '?').join(',')})`);
      args.push(...f.results);
    }
    const since = isoBound(f.since);
    if (since !== null) {
      where.push(sinceClause('audit', 'at'));
      args.push(since, since);
    }
    const sql = `SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return this.db
      .prepare(sql)
      .all(...args, f.limit ?? 100)
      .map(toAudit);
  }
}
