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
  | { kind: 'unchanged'; version: string };

export interface VerifyContext<S> extends DriverContext<S> {
  snapshot: SnapshotInfo;
  reader: SnapshotReader;
}

export interface VerifyResult {
  ok: boolean;
  /** What was checked and found, in words (kept with the result, shown in the UI). */
  detail: string;
}

export interface RestoreOptions {
  /** Another database / directory / name than the original. */
  to?: string;
  /** Overwrite what is there (directories that are not empty, newer Grafana objects). */
  force?: boolean;
  /** Prometheus: swap into the live data directory. */
  intoLive?: boolean;
}

export interface RestoreContext<S> extends DriverContext<S> {
  snapshot: SnapshotInfo;
  reader: SnapshotReader;
  options: RestoreOptions;
}

export interface RestoreResult {
  /** Where the data went, in words ("database agama", "directory /srv/restore"). */
  location: string;
  detail: string;
}

export interface SchemaHelpers {
  /** A filesystem path, resolved relative to the config file. */
  path(): z.ZodType<string>;
  /** The `passwordFile` / `passwordEnv` pair; the file must exist. */
  passwordFields(): {
    passwordFile: z.ZodOptional<z.ZodType<string>>;
    passwordEnv: z.ZodOptional<z.ZodString>;
  };
}

export interface TargetDriver<S = any> {
  kind: string;
  /** zod shape of the kind's own top-level fields (connection, source, hooks, ...). */
  settingsShape(h: SchemaHelpers): z.ZodRawShape;
  /** zod shape of the kind's own fields under `verify:` (besides `schedule`). */
  verifyShape?(h: SchemaHelpers): z.ZodRawShape;
  /** SLA defaults for this kind (DESIGN §1), used where the config is silent. */
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
  backup(ctx: BackupContext<S>): Promise<BackupResult>;
  verify(ctx: VerifyContext<S>): Promise<VerifyResult>;
  restore(ctx: RestoreContext<S>): Promise<RestoreResult>;
}
