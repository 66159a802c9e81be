/**
 * The one interface every kind of target implements (borgmatic's "one module per data source").
 * A driver knows its source (how to dump it, check it, put it back) and nothing of HTTP, the
 * catalog or restic: it gets a SnapshotStore to save into and a SnapshotReader to read from.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { TargetConfig, Retention } from '../config/types';
import type { CommandSpec } from '../util/subprocess';
import type { Readable } from 'node:stream';
import type { PlannedChange, RestoreDestinations, SnapshotContents } from '@labops/backup-sla-contract';

export type { PlannedChange, RestoreDestinations, SnapshotContents };

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Metadata = Record<string, Json>;

/** What the driver learned about a snapshot just saved. */
export interface SavedSnapshot {
  id: string;
  /** Bytes read from the source. */
  bytes: number;
  time: string;
}

export interface SaveOptions {
  /** The content version (versioned targets), kept as a tag so a rebuilt catalog knows it. */
  version?: string;
  /**
   * Sees the stream as it passes into the repository (saveStream), chunk by chunk, without
   * holding it: the MySQL driver reads the dump's log coordinates off it.
   */
  observe?: (chunk: Buffer) => void;
}

/** How a driver saves its data into the target's repository. The engine owns tags and cleanup. */
export interface SnapshotStore {
  /**
   * Streams a producer's stdout into a snapshot as one file. If the producer fails (non-zero exit,
   * killed, timed out), no snapshot is left behind and this rejects with the producer's error.
   */
  saveStream(producer: CommandSpec, filename: string, options?: SaveOptions): Promise<SavedSnapshot>;
  /** Saves a directory tree (its contents, relative paths kept). */
  saveDirectory(dir: string, options?: SaveOptions): Promise<SavedSnapshot>;
}

/** How a driver reads a snapshot back. */
export interface SnapshotReader {
  /** Streams one file of the snapshot (stream snapshots: the filename given at backup). */
  dump(filename: string): { stream: Readable; done: Promise<void> };
  /** Restores the whole snapshot into an empty directory. */
  restoreTo(dir: string): Promise<void>;
}

export interface SnapshotInfo {
  id: string;
  time: string;
  version: string | null;
  /** Metadata the driver recorded at backup time; null if lost (catalog rebuilt from restic). */
  metadata: Metadata | null;
}

export interface DriverContext<S> {
  target: TargetConfig<S>;
  log: Logger;
  /** A private, empty temporary directory; the engine removes it afterwards in every case. */
  tmpDir: string;
  signal: AbortSignal;
  /** Reports the current phase (and bytes done) to the run record, the API and the progress bar. */
  progress(phase: string, bytesDone?: number): void;
  /**
   * Records something the run creates outside the repository and tmpDir (a TSDB snapshot
   * directory, a scratch database), *before* creating it where the name is known in advance, else
   * at once after. The driver still removes it itself; if the process dies first, the next start
   * removes it (removeLeftover) when it closes the interrupted run.
   */
  created(item: Leftover): void;
}

/** Something a run created outside the repository and its tmpDir. */
export interface Leftover {
  kind: 'database' | 'directory';
  /** Database name or absolute path. */
  name: string;
}

export interface BackupContext<S> extends DriverContext<S> {
  store: SnapshotStore;
  /** The newest snapshot held for this target, for drivers that only save a new *version*. */
  previous: SnapshotInfo | null;
  /** The safety backup before a restore: the source may be partly gone (that is why one restores). */
  safety?: boolean;
}

export type BackupResult =
  | { kind: 'saved'; snapshot: SavedSnapshot; version: string | null; metadata: Metadata }
  /** Versioned targets: the content equals the newest snapshot, so the current version is still held. */
  | { kind: 'unchanged'; version: string }
  /**
   * Safety backups only (ctx.safety): there is nothing there to save (the database was dropped,
   * the directory is gone). Recorded as such; the restore goes on. `reason` says what is missing.
   */
  | { kind: 'nothing'; reason: string };

export interface VerifyContext<S> extends DriverContext<S> {
  snapshot: SnapshotInfo;
  reader: SnapshotReader;
  /**
   * Targets that archive their log (pitr): the archived log from `from` (the snapshot's position)
   * up to `to` (a mark just taken), once the archive holds it. Throws an UnavailableError when the
   * archive does not reach `to` in time or does not hold `from` (nothing learned about the log).
   */
  archivedLog?: (from: LogPosition, to: LogPosition) => Promise<ArchivedLog>;
  /**
   * The snapshot last verified clean: the one of the target's last verification that passed (this
   * one included; never a safety snapshot), else the newest whose verdict is passed; with its
   * reader; null when there is none. Ansible compares with it to tell a version not applied yet
   * from drift of the infrastructure.
   */
  lastPassed?: { snapshot: SnapshotInfo; reader: SnapshotReader } | null;
}

/**
 * The verdict on a snapshot. A verification that cannot run at all (source or repository
 * unreachable, wrong password) throws an UnavailableError (util/errors.ts) instead: "could not
 * verify" says nothing about the snapshot and must never mark it failed.
 */
export interface VerifyResult {
  ok: boolean;
  /** What was checked and found, in words (kept with the result, shown in the UI). */
  detail: string;
  /** Ansible check mode: what would change, per host and task. */
  changes?: PlannedChange[];
  /** Ansible check mode: a version not applied yet, or drift of the live infrastructure. */
  changeKind?: 'unapplied' | 'drift' | null;
}

export interface RestoreOptions {
  /** Another database / directory / name than the original (destinations.elsewhere); absent: in place. */
  to?: string;
  /** Replace what is there at `to` (it is moved aside, never deleted; newer Grafana objects). */
  force?: boolean;
}

export interface RestoreContext<S> extends DriverContext<S> {
  snapshot: SnapshotInfo;
  reader: SnapshotReader;
  options: RestoreOptions;
  /**
   * A restore to a point in time: the snapshot (a dump before `at`) is loaded, then the archived
   * log is replayed from the snapshot's position up to `at`, before anything live is touched.
   * The log is being fetched while the snapshot loads: the driver awaits it before the replay
   * (a fetch that failed rejects there).
   */
  pointInTime?: { at: Date; log: Promise<ArchivedLog> };
  /**
   * What the engine's safety backup did before this restore: a kind that cannot move the live data
   * aside (InfluxDB 1.x) must refuse to replace it unless it was 'saved' (or 'nothing' was there).
   */
  safety: 'saved' | 'nothing' | 'declined' | 'not-needed';
  /** The snapshot last verified clean (as VerifyContext's, without a reader), null when none. */
  lastPassed?: { snapshot: SnapshotInfo } | null;
}

/** One line of `backup-sla doctor` (and the app's configuration page). */
export interface DoctorCheck {
  /** What was checked: "connection", "privileges", "mariadb-dump", "data directory"... */
  name: string;
  level: 'ok' | 'warning' | 'failed';
  /** What was found, in words, and what to do when it is not ok. */
  detail: string;
}

export interface RestoreResult {
  /** Where the data went, in words ("database agama", "directory /srv/restore"). */
  location: string;
  detail: string;
  /** What was put back, counted: rows, tables, points, series, files... */
  counts?: Record<string, number>;
  /** What was there before and was moved aside (kept, never deleted), each as the kit records it. */
  movedAside?: MovedAside[];
  /** What the operator should do next, in words ("start Prometheus"). */
  next?: string[];
}

/** Data a restore moved out of the live place; listed and removed by `backup-sla aside`. */
export interface MovedAside {
  kind: 'database' | 'directory';
  /** Database name or absolute path. */
  name: string;
  /** What it was ("database agama", "directory /srv/agama"). */
  was: string;
}

/** A position in a source's log (MySQL: a binary log file and an offset in it). */
export interface LogPosition {
  file: string;
  position: number;
}

/** The archived log handed to a restore or verification: local copies of the server's files, in order. */
export interface ArchivedLog {
  /** Paths of the files (each a prefix of the server's file, complete events only), named as the server names them. */
  files: string[];
  /** Where replay starts, in the first file: the snapshot's position. */
  start: LogPosition;
}

/** What the server holds of its log now. */
export interface ServerLog {
  /** The server's clock (unix ms): its log's events are stamped with it. */
  now: number;
  /** Log files the server still holds, oldest first. */
  files: Array<{ name: string; size: number }>;
  /** Where the server writes now. */
  current: LogPosition;
}

/** How a target archives its log (`pitr:` of a mysql target). */
export interface PitrSettings {
  /** The growing log file is saved at most this often while the server writes (bounds the lag). */
  saveEverySeconds: number;
  /** Archive snapshots are copied to the target's copies (and superseded ones forgotten) this often. */
  copyEverySeconds: number;
  /** A lag beyond this counts as an archive that stopped (the gap alert fires). */
  stalledAfterSeconds: number;
  /** The replica id the follower registers with (each follower of a server needs its own); null: derived. */
  replicaId: number | null;
}

/** What cutting a follower's growing file into complete events gave. */
export interface LogCut {
  /** Server-file bytes to append to the archive (complete, checked events only). */
  bytes: Buffer;
  /** The server-file offset up to which complete events were cut. */
  end: number;
  /** Unix seconds of the first and last event cut now (null: none that says what the server did). */
  firstEventAt: number | null;
  lastEventAt: number | null;
  /** The file ended (a rotate or stop event was cut). */
  complete: boolean;
}

/** Where a snapshot's consistent state is in the log (recorded at backup). */
export interface SnapshotLogPosition extends LogPosition {
  /** Server time (unix ms) no earlier than the snapshot: restoring to a time from then on may start from it. */
  at: number;
  gtid: string | null;
}

/**
 * Point-in-time recovery: what a kind whose source writes a replayable log (MySQL's binary log)
 * offers the engine, which archives that log continuously (engine/pitr/, run by `serve`) in the
 * target's repository and hands it back to restores and verifications (docs/design.md §11).
 */
export interface PitrSupport<S = any> {
  /** The target's archiving settings; null: it does not archive its log. */
  settings(target: TargetConfig<S>): PitrSettings | null;
  /** What the server holds of its log now. */
  serverLog(target: TargetConfig<S>): Promise<ServerLog>;
  /**
   * The follower: a process that writes the server's log files into `dir` as they grow, from
   * `from` on, until it is stopped. `owner` names this follower (two of one server must differ).
   */
  follower(target: TargetConfig<S>, from: LogPosition, dir: string, owner: string): CommandSpec;
  /** Cuts what the follower appends to one file (from server offset `from`) into complete events. */
  cutter(from: number): { push(chunk: Buffer): LogCut };
  /** Where a snapshot is in the log, from its recorded metadata; null when not recorded. */
  snapshotPosition(metadata: Metadata | null): SnapshotLogPosition | null;
  /** The order of log files (binlog.000042 → 42). */
  fileNumber(name: string): number;
}

export interface SchemaHelpers {
  /** A filesystem path, resolved relative to the config file. */
  path(): z.ZodType<string>;
  /** A file holding a secret (token, password): it must exist and be private to its owner. */
  secretFile(): z.ZodType<string>;
  /** The `passwordFile` / `passwordEnv` pair; the file must exist and be private to its owner. */
  passwordFields(): {
    passwordFile: z.ZodOptional<z.ZodType<string>>;
    passwordEnv: z.ZodOptional<z.ZodString>;
  };
  /**
   * The service's own restore area (`<workDir>/restores`): a directory kind's restores with `to`
   * may always go below it (see kit/directories.ts, restoreRoots).
   */
  restoreArea(): string;
}

export interface TargetDriver<S = any> {
  kind: string;
  /** zod shape of the kind's own top-level fields (connection, source, hooks, ...). */
  settingsShape(h: SchemaHelpers): z.ZodRawShape;
  /** zod shape of the kind's own fields under `verify:` (besides `schedule`). */
  verifyShape?(h: SchemaHelpers): z.ZodRawShape;
  /** SLA defaults for this kind (docs/design.md §1), used where the config is silent. */
  defaults: {
    schedule: string;
    rpo: string | null;
    rto: string;
    retention: Retention;
    verifySchedule: string | null;
    coverage: string;
    usability: string;
  };
  /** Rejects a restore destination that is unsafe for this kind (e.g. a bad database name). */
  checkRestoreTarget?(to: string): string | null;
  /** Where this kind can restore to, for this target (the API, CLI and app offer exactly these). */
  destinations(target: TargetConfig<S>): RestoreDestinations;
  /**
   * What a snapshot holds, in words and counts, from the metadata recorded at backup time. The
   * kind parses its metadata against its schema (kit/metadata.ts); a MetadataError thrown here is
   * shown as the summary. verify and restore parse it too: malformed metadata fails a
   * verification (MetadataError) and refuses a restore before anything is touched.
   */
  contents(metadata: Metadata): SnapshotContents | null;
  backup(ctx: BackupContext<S>): Promise<BackupResult>;
  verify(ctx: VerifyContext<S>): Promise<VerifyResult>;
  restore(ctx: RestoreContext<S>): Promise<RestoreResult>;
  /**
   * Removes what an interrupted run left behind (recorded with ctx.created). Directories need no
   * driver: the engine removes them. Databases do: the driver knows how to reach the server.
   */
  removeLeftover?(target: TargetConfig<S>, item: Leftover, log: Logger): Promise<void>;
  /** Whether data a restore moved aside is still there (`backup-sla aside list`). */
  asideExists?(target: TargetConfig<S>, item: MovedAside): Promise<boolean>;
  /** Deletes data a restore moved aside, for good (`backup-sla aside remove`, admin only). */
  removeAside?(target: TargetConfig<S>, item: MovedAside): Promise<void>;
  /**
   * The kind's own checks for `backup-sla doctor`: connection, privileges against what backup,
   * verification and restore need, the tools it runs and their versions.
   */
  doctor?(target: TargetConfig<S>, log: Logger): Promise<DoctorCheck[]>;
  /** Point-in-time recovery, for kinds whose source writes a replayable log (mysql). */
  pitr?: PitrSupport<S>;
  /** SLA defaults that depend on the target's own settings (mysql with `pitr`: RPO 4 h). */
  defaultsFor?(settings: S): Partial<TargetDriver<S>['defaults']>;
}
