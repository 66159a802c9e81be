/**
 * What the operations (ops/), replication, recovery and the aside list need of the engine: the
 * run lifecycle and the shared services, as one interface. Engine implements it; the operations
 * depend on it and not on the Engine class, so that nothing imports in a circle.
 */
import type { Logger } from 'pino';
import type { Catalog, Operation, SnapshotRecord } from '../catalog/catalog';
import type { RunDetail } from '../catalog/run-detail';
import type { Actor, Config, TargetConfig } from '../config/types';
import type { ResticRepository } from '../repository/restic';
import type { BackupResult, DriverContext, SnapshotInfo, SnapshotReader, TargetDriver } from '../targets/types';
import { redact } from '../util/redact';
import type { TargetLocks } from './lock';

export interface RunOutcome {
  runId: number;
  status: 'success' | 'failed' | 'unchanged';
  snapshotId: string | null;
  error: string | null;
  detail: RunDetail;
}

/** What an operation's work answers; the lifecycle adds the run id and the error. */
export type WorkResult = Omit<RunOutcome, 'runId' | 'error'>;

/** The run an operation's work belongs to: the catalog's number and the identity in the tags. */
export interface RunRef {
  id: number;
  uid: string;
}

export interface Core {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly log: Logger;
  readonly now: () => Date;
  readonly locks: TargetLocks;
  target(name: string): TargetConfig;
  driver(t: TargetConfig): TargetDriver;
  repository(name: string): ResticRepository;
  resolveSnapshot(target: string, ref: string): SnapshotRecord;
  reader(t: TargetConfig, snapshotId: string, signal: AbortSignal): SnapshotReader;
  info(s: SnapshotRecord): SnapshotInfo;
  /** Something was recorded: the next SLA state is computed afresh. */
  changed(): void;
  /** Runs `work` as one recorded operation under the target's lock. */
  operate(
    t: TargetConfig,
    operation: Operation,
    who: Actor,
    detail: RunDetail,
    work: (run: RunRef, ctx: DriverContext<any>) => Promise<WorkResult>,
    onStarted?: (runId: number) => void
  ): Promise<RunOutcome>;
  /** Saves one snapshot through the driver; a failure leaves nothing of the run behind. */
  takeSnapshot(t: TargetConfig, run: RunRef, ctx: DriverContext<any>, safety: boolean): Promise<BackupResult>;
}

/** The CLI and the scheduler name themselves; the API passes the caller with the token's role. */
export function asActor(a: string | Actor): Actor {
  return typeof a === 'string' ? { name: a, role: null } : a;
}

/** The start of the name of a run's private temp dir under the work dir. */
export function tmpPrefix(target: string, operation: Operation, runId: number): string {
  return `${target}-${operation}-${runId}-`;
}

/** An error as one line for the run record, the audit log and the CLI, secrets redacted. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return redact(msg.split('\n')[0].trim() || 'unknown error');
}
