/**
 * The engine: the one place that runs backups, verifications, restores and retention, for the CLI,
 * the scheduler and the HTTP API alike. It owns the lifecycle of a run and the safety rules of
 * docs/design.md §5; drivers only know their source, the repository layer only knows restic.
 *
 * This file holds what every operation shares (targets, repositories, the run lifecycle, saving a
 * snapshot); each operation is a file of its own under ops/, replication (copies) and crash
 * recovery are apart (replication.ts, recovery.ts), and so is what restores moved aside (aside.ts).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Catalog, Operation, RunRecord, SnapshotRecord } from '../catalog/catalog';
import { Actor, Config, TargetConfig } from '../config/types';
import { ResticRepository } from '../repository/restic';
import { tags } from '../repository/tags';
import { drivers } from '../targets/registry';
import { MetadataError } from '../targets/kit/metadata';
import type {
  BackupResult,
  DriverContext,
  RestoreDestinations,
  SnapshotContents,
  SnapshotInfo,
  SnapshotReader,
  SnapshotStore,
  TargetDriver,
} from '../targets/types';
import { silentLogger } from '../util/log';
import { BusyError, InvalidRequestError, NotFoundError } from './errors';
import { pointInTimePlan } from './pitr/log';
import { TargetLocks } from './lock';
import { slaState, SlaState } from './sla';
import { asActor, Core, oneLine, RunOutcome, RunRef, tmpPrefix, WorkResult } from './core';
import type { RunDetail } from '../catalog/run-detail';
import { backup } from './ops/backup';
import { forget } from './ops/forget';
import { prune } from './ops/prune';
import { verify } from './ops/verify';
import { restore, RestoreRequest } from './ops/restore';
import { recoverInterrupted } from './recovery';
import { asideItems, removeAside, AsideView } from './aside';

export type { RestoreRequest } from './ops/restore';
export type { AsideView } from './aside';
export type { RunOutcome, RunRef, WorkResult } from './core';
export { asActor, oneLine } from './core';

export interface EngineOptions {
  log?: Logger;
  /** Injected clock (tests of retention and RPO). */
  now?: () => Date;
}

export interface ProgressEvent {
  runId: number;
  target: string;
  operation: Operation;
  phase: string;
  bytesDone?: number;
}

export class Engine extends EventEmitter implements Core {
  readonly log: Logger;
  readonly now: () => Date;
  readonly locks: TargetLocks;
  private readonly repos = new Map<string, ResticRepository>();
  /** Running operations' abort switches, with what they are (shutdown spares restores). */
  private readonly aborts = new Map<AbortController, Operation>();
  private stopping = false;
  private stateCache: { at: number; state: SlaState } | null = null;

  constructor(
    private current: Config,
    readonly catalog: Catalog,
    options: EngineOptions = {}
  ) {
    super();
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? (() => new Date());
    this.locks = new TargetLocks(path.join(path.dirname(current.catalog), 'locks'));
    mkdirSync(current.workDir, { recursive: true, mode: 0o700 });
  }

  get config(): Config {
    return this.current;
  }

  /**
   * Takes a new configuration (`systemctl reload`, SIGHUP) without touching running work: each
   * operation keeps the target settings it started with; the next one uses the new ones. A
   * repository whose definition changed gets a new client; an unchanged one keeps its own (and
   * the lock that orders this process's restic commands on it). The catalog cannot change here.
   */
  reload(config: Config): void {
    if (config.catalog !== this.current.catalog) {
      throw new Error(`catalog: moving the catalog (${this.current.catalog} → ${config.catalog}) needs a restart`);
    }
    for (const [name, repo] of [...this.repos]) {
      const next = Object.hasOwn(config.repositories, name) ? config.repositories[name] : undefined;
      if (!next || JSON.stringify(next) !== JSON.stringify(repo.config) || config.cacheDir !== this.current.cacheDir) {
        this.repos.delete(name);
      }
    }
    mkdirSync(config.workDir, { recursive: true, mode: 0o700 });
    this.current = config;
    this.changed();
  }

  target(name: string): TargetConfig {
    // Own names only: 'constructor' or '__proto__' must not find Object's members.
    const t = Object.hasOwn(this.config.targets, name) ? this.config.targets[name] : undefined;
    if (!t) {
      throw new NotFoundError(
        `unknown target '${name}' (configured: ${Object.keys(this.config.targets).join(', ') || 'none'})`
      );
    }
    return t;
  }

  driver(t: TargetConfig): TargetDriver {
    return drivers[t.kind];
  }

  repository(name: string): ResticRepository {
    let r = this.repos.get(name);
    if (!r) {
      const cfg = Object.hasOwn(this.config.repositories, name) ? this.config.repositories[name] : undefined;
      if (!cfg) {
        throw new NotFoundError(`unknown repository '${name}'`);
      }
      r = new ResticRepository(cfg, { cacheDir: this.config.cacheDir });
      this.repos.set(name, r);
    }
    return r;
  }

  /** Snapshots held for a target, newest (by the catalog's sequence) first. */
  snapshots(target: string): SnapshotRecord[] {
    const t = this.target(target);
    return this.catalog.snapshots(t.name, t.repository);
  }

  /** Where this target's snapshots can be restored to (its kind decides). */
  destinations(target: string): RestoreDestinations {
    const t = this.target(target);
    return this.driver(t).destinations(t);
  }

  /**
   * What a snapshot holds, from its recorded metadata (null when none was recorded). Metadata that
   * does not parse (kit/metadata.ts) says so in the summary: one damaged record never breaks a
   * listing of snapshots.
   */
  contents(s: SnapshotRecord): SnapshotContents | null {
    const t = this.target(s.target);
    try {
      return s.metadata ? this.driver(t).contents(s.metadata) : null;
    } catch (e) {
      if (e instanceof MetadataError) {
        return { summary: e.message, items: [] };
      }
      throw e;
    }
  }

  /**
   * A snapshot by id (full or a unique prefix), or "latest": the newest *version*, by the order
   * snapshots were taken. A safety snapshot is never "the latest".
   */
  resolveSnapshot(target: string, ref: string): SnapshotRecord {
    const t = this.target(target);
    if (ref === 'latest') {
      const s = this.catalog.snapshots(t.name, t.repository).find((x) => !x.safety);
      if (!s) {
        throw new NotFoundError(`target ${target} has no snapshot yet`);
      }
      return s;
    }
    const s = this.catalog.findSnapshot(t.name, ref, t.repository);
    if (!s) {
      throw new NotFoundError(`target ${target} has no snapshot '${ref}'`);
    }
    return s;
  }

  /**
   * The SLA state of every target (engine/sla.ts), computed at most once a second for the API and
   * the metrics alike; anything this engine records invalidates it at once. Runs of another
   * process (the CLI beside the daemon) show within a second.
   */
  slaState(): SlaState {
    if (!this.stateCache || Date.now() - this.stateCache.at > 1000) {
      this.stateCache = { at: Date.now(), state: slaState(this.config, this.catalog, this.now()) };
    }
    return this.stateCache.state;
  }

  /** Something was recorded: the next SLA state is computed afresh. */
  changed(): void {
    this.stateCache = null;
  }

  // --- the operations (one file each under ops/) ----------------------------------------------

  backup(target: string, actor: string | Actor, onStarted?: (runId: number) => void): Promise<RunOutcome> {
    return backup(this, target, asActor(actor), onStarted);
  }

  /** Applies retention now (CLI `forget`), under the target's lock. */
  forget(target: string, actor: string | Actor): Promise<RunOutcome> {
    return forget(this, target, asActor(actor));
  }

  /** Prunes a repository this instance prunes (`pruneBy`): gives back forgotten snapshots' space. */
  prune(repository: string, actor: string | Actor): Promise<{ seconds: number }> {
    return prune(this, repository, asActor(actor));
  }

  /** Proves a snapshot restorable by the driver's test restore; records result and duration. */
  verify(
    target: string,
    snapshotRef: string,
    actor: string | Actor,
    onStarted?: (runId: number) => void
  ): Promise<RunOutcome> {
    return verify(this, target, snapshotRef, asActor(actor), onStarted);
  }

  /** Restores a snapshot (rule 4); the caller has confirmed. */
  restore(
    target: string,
    req: RestoreRequest,
    actor: string | Actor,
    onStarted?: (runId: number) => void
  ): Promise<RunOutcome> {
    return restore(this, target, req, asActor(actor), onStarted);
  }

  /**
   * Whether a restore of `target` to second `at` is possible now (targets that archive their
   * log): the dump it would start from, or an InvalidRequestError with the nearest recoverable
   * times. The CLI asks before it asks for confirmation.
   */
  pointInTime(target: string, at: Date): { snapshot: string } {
    const plan = pointInTimePlan(this.target(target), this.catalog, at, this.now());
    if ('refused' in plan) {
      throw new InvalidRequestError(plan.refused);
    }
    return { snapshot: plan.dump.id };
  }

  /** After a crash or kill -9: closes what dead processes left running and removes what they left. */
  recoverInterrupted(): Promise<RunRecord[]> {
    return recoverInterrupted(this);
  }

  /** What restores moved aside and is still there. */
  aside(target?: string): Promise<AsideView[]> {
    return asideItems(this, target);
  }

  /** Deletes one thing a restore moved aside, for good (admin). */
  removeAside(target: string, name: string, actor: string | Actor): Promise<AsideView> {
    return removeAside(this, target, name, asActor(actor));
  }

  /** Starts an operation in the background and answers with its run id once it is recorded. */
  start(op: (onStarted: (runId: number) => void) => Promise<RunOutcome>): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let started = false;
      op((runId) => {
        started = true;
        resolve(runId);
      }).catch((e) => {
        if (!started) {
          reject(e);
        } else {
          this.log.error({ err: oneLine(e) }, 'background operation failed');
        }
      });
    });
  }

  // --- the run lifecycle (for ops/) -----------------------------------------------------------

  /**
   * Runs `work` as one recorded operation: takes the target's lock (busy → BusyError, nothing
   * recorded), records the run, gives a private temp dir, and records the outcome in every case.
   */
  async operate(
    t: TargetConfig,
    operation: Operation,
    who: Actor,
    detail: RunDetail,
    work: (run: RunRef, ctx: DriverContext<any>) => Promise<WorkResult>,
    onStarted?: (runId: number) => void
  ): Promise<RunOutcome> {
    if (this.stopping) {
      throw new BusyError(t.name, 'the service is shutting down');
    }
    const release = this.locks.acquire(t.name, operation, this.now());
    const runId = this.catalog.startRun(t.name, operation, who.name, this.now(), { ...detail, pid: process.pid });
    const run: RunRef = { id: runId, uid: this.catalog.run(runId)!.uid };
    this.changed();
    onStarted?.(runId);
    const abort = new AbortController();
    this.aborts.set(abort, operation);
    // Named after the run, so that a restart after a crash can find and remove it.
    const tmpDir = mkdtempSync(path.join(this.config.workDir, tmpPrefix(t.name, operation, runId)));
    const log = this.log.child({ target: t.name, operation, run: runId });
    const ctx: DriverContext<any> = {
      target: t,
      log,
      tmpDir,
      signal: abort.signal,
      progress: (phase, bytesDone) => {
        this.catalog.progress(runId, phase, bytesDone, this.now());
        this.changed();
        this.emit('progress', { runId, target: t.name, operation, phase, bytesDone } satisfies ProgressEvent);
      },
      created: (item) => this.catalog.addLeftover(runId, item),
    };
    log.info({ actor: who.name, role: who.role }, `${operation} started`);
    let outcome: RunOutcome;
    try {
      const r = await work(run, ctx);
      outcome = { ...r, runId, error: null };
      // The bytes of the snapshot as restic summed them, not the last progress tick.
      const bytesDone = typeof r.detail.bytes === 'number' ? r.detail.bytes : undefined;
      this.catalog.finishRun(runId, this.now(), {
        status: r.status,
        snapshotId: r.snapshotId,
        detail: r.detail,
        bytesDone,
      });
      log.info({ status: r.status, snapshot: r.snapshotId }, `${operation} finished`);
    } catch (e) {
      const error = abort.signal.aborted ? `aborted: ${oneLine(e)}` : oneLine(e);
      if (abort.signal.aborted) {
        await this.clearStaleLocks(t, log);
      }
      outcome = { runId, status: 'failed', snapshotId: null, error, detail: this.catalog.run(runId)?.detail ?? {} };
      this.catalog.finishRun(runId, this.now(), { status: 'failed', error });
      log.error({ err: error }, `${operation} failed`);
    } finally {
      this.aborts.delete(abort);
      rmSync(tmpDir, { recursive: true, force: true });
      release();
      this.changed();
    }
    this.emit('finished', outcome, t.name, operation);
    return outcome;
  }

  /**
   * restic killed by SIGTERM (an abort) leaves its lock in the repository: clear it now rather
   * than at the next run. `restic unlock` removes only locks of dead processes (rule 5).
   */
  private async clearStaleLocks(t: TargetConfig, log: Logger): Promise<void> {
    await Promise.all(
      [t.repository, ...t.copies].map((name) =>
        this.repository(name)
          .unlockStale()
          .catch((e) => log.warn({ repository: name, err: oneLine(e) }, 'could not clear stale locks after the abort'))
      )
    );
  }

  private store(t: TargetConfig, run: RunRef, ctx: DriverContext<any>, safety: boolean): SnapshotStore {
    const repo = this.repository(t.repository);
    const timeoutMs = t.timeoutSeconds * 1000;
    const opts = (version?: string, observe?: (chunk: Buffer) => void) => ({
      tags: tags.forSnapshot({ instance: this.config.instance, target: t.name, run: run.uid, version, safety }),
      time: this.now(),
      signal: ctx.signal,
      onProgress: (p: { phase: string; bytesDone: number }) => ctx.progress(p.phase, p.bytesDone),
      onData: observe,
    });
    return {
      saveStream: async (producer, filename, o) => {
        const s = await repo.backupStream(producer, filename, opts(o?.version, o?.observe), timeoutMs);
        return { id: s.snapshotId, bytes: s.bytes, time: this.now().toISOString() };
      },
      saveDirectory: async (dir, o) => {
        const s = await repo.backupDirectory(dir, opts(o?.version), timeoutMs);
        return { id: s.snapshotId, bytes: s.bytes, time: this.now().toISOString() };
      },
    };
  }

  reader(t: TargetConfig, snapshotId: string, signal: AbortSignal): SnapshotReader {
    const repo = this.repository(t.repository);
    return {
      dump: (filename) => repo.dump(snapshotId, filename, signal),
      restoreTo: (dir) => repo.restore(snapshotId, dir, signal),
    };
  }

  info(s: SnapshotRecord): SnapshotInfo {
    return { id: s.id, time: s.time, version: s.version, metadata: s.metadata };
  }

  /**
   * Saves one snapshot of the target through its driver. If anything fails, what the run may have
   * committed is forgotten — selected by target and run identity (rules 1 and 7): a failed backup
   * leaves nothing behind. If the repository cannot be reached for that, the run is remembered
   * and cleaned up before the target's next retention.
   */
  async takeSnapshot(t: TargetConfig, run: RunRef, ctx: DriverContext<any>, safety: boolean): Promise<BackupResult> {
    // A safety snapshot is always a snapshot of its own (kept for its own period), even when the
    // content equals the newest version: versioned drivers must not answer "unchanged" to it.
    const previous = safety ? null : (this.catalog.snapshots(t.name, t.repository).find((s) => !s.safety) ?? null);
    try {
      ctx.progress('reading source');
      const result = await this.driver(t).backup({
        ...ctx,
        store: this.store(t, run, ctx, safety),
        previous: previous && this.info(previous),
        safety,
      });
      if (result.kind === 'saved') {
        this.catalog.addSnapshot(
          {
            id: result.snapshot.id,
            target: t.name,
            time: result.snapshot.time,
            bytes: result.snapshot.bytes,
            version: result.version,
            metadata: result.metadata,
            runId: run.id,
            runUid: run.uid,
            safety,
          },
          t.repository
        );
      }
      return result;
    } catch (e) {
      ctx.progress('cleaning up');
      try {
        const removed = await this.repository(t.repository).forgetRun(
          t.name,
          run.uid,
          this.catalog.knownSnapshotIds(t.name)
        );
        if (removed.length) {
          ctx.log.warn({ removed }, 'forgot the partial snapshot of the failed backup');
        }
      } catch (cleanup) {
        this.catalog.addPendingCleanup(run.id, t.name, run.uid);
        ctx.log.error(
          { err: oneLine(cleanup) },
          'could not check for a partial snapshot: it is removed before the next retention'
        );
      }
      throw e;
    }
  }

  // --- shutdown --------------------------------------------------------------------------------

  /**
   * Graceful shutdown: no new work; running work gets half of `graceMs` to finish, is then aborted,
   * and is given the rest (at least 30 s) to clean up by its own path (forget a partial snapshot,
   * clear locks, record the run as failed), so that nothing is left half done. Restores are never
   * aborted: the service waits for them.
   */
  async shutdown(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    const mine = () => this.catalog.runningRuns().some((r) => Number(r.detail.pid) === process.pid);
    const abortAt = Date.now() + graceMs / 2;
    let deadline = Date.now() + graceMs;
    let aborted = false;
    while (mine()) {
      if (!aborted && Date.now() >= abortAt) {
        aborted = true;
        // A restore half done is worse than a late shutdown: restores always run to their end.
        this.aborts.forEach((op, a) => op !== 'restore' && a.abort());
        deadline = Math.max(deadline, Date.now() + 30_000);
      }
      if (aborted && Date.now() >= deadline && ![...this.aborts.values()].includes('restore')) {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}
