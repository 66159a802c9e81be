/**
 * The engine: the one place that runs backups, verifications, restores and retention, for the CLI,
 * the scheduler and the HTTP API alike. It owns the lifecycle and the safety rules of docs/design.md §5;
 * drivers only know their source, the repository layer only knows restic.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Catalog, Operation, RunRecord, SnapshotRecord } from '../catalog/catalog';
import { Actor, Config, TargetConfig } from '../config/types';
import { ResticRepository } from '../repository/restic';
import { drivers } from '../targets/registry';
import {
  BackupResult,
  DriverContext,
  PlannedChange,
  RestoreDestinations,
  SnapshotContents,
  SnapshotInfo,
  SnapshotReader,
  SnapshotStore,
  TargetDriver,
} from '../targets/types';
import { redact } from '../util/redact';
import { UnavailableError } from '../util/errors';
import { silentLogger } from '../util/log';
import { BusyError, InvalidRequestError, NotFoundError } from './errors';
import { TargetLocks } from './lock';
import { keepDecision } from './retention';
import { slaState, SlaState } from './sla';

export interface EngineOptions {
  log?: Logger;
  /** Injected clock (tests of retention and RPO). */
  now?: () => Date;
}

export interface RunOutcome {
  runId: number;
  status: 'success' | 'failed' | 'unchanged';
  snapshotId: string | null;
  error: string | null;
  detail: Record<string, unknown>;
}

/** What a successful restore records in its run's detail as `restore` (the API's RestoreOutcome). */
export interface RestoreOutcomeDetail {
  location: string;
  counts: Record<string, number>;
  movedAside: string[];
  next: string[];
  detail: string;
}

/** What a verification records in its run's detail as `verification` (the API's VerificationOutcome). */
export interface VerificationOutcomeDetail {
  outcome: 'passed' | 'failed' | 'unknown';
  detail: string;
  changes?: PlannedChange[];
  changeKind?: 'unapplied' | 'drift' | null;
}

export type SafetyBackup = 'saved' | 'nothing' | 'declined' | 'not-needed';

export interface ProgressEvent {
  runId: number;
  target: string;
  operation: Operation;
  phase: string;
  bytesDone?: number;
}

export interface RestoreRequest {
  snapshot: string;
  /** Elsewhere (the kind's destinations.elsewhere); absent: in place. */
  to?: string;
  safetyBackup: boolean;
  /** Replace what is at `to` (moved aside, never deleted). */
  force?: boolean;
}

/** The CLI and the scheduler name themselves; the API passes the caller with the token's role. */
function asActor(a: string | Actor): Actor {
  return typeof a === 'string' ? { name: a, role: null } : a;
}

/** Tags every snapshot carries, so that the catalog can be rebuilt from restic alone. */
export const tagFor = {
  target: (t: string) => `target=${t}`,
  run: (id: number) => `run=${id}`,
  version: (v: string) => `version=${v.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}`,
  safety: 'reason=safety',
};

/** The start of the name of a run's private temp dir under the work dir. */
function tmpPrefix(target: string, operation: Operation, runId: number): string {
  return `${target}-${operation}-${runId}-`;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return redact(msg.split('\n')[0].trim() || 'unknown error');
}

export class Engine extends EventEmitter {
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

  /** Snapshots held for a target, newest first. */
  snapshots(target: string): SnapshotRecord[] {
    const t = this.target(target);
    return this.catalog.snapshots(t.name, t.repository);
  }

  /** Where this target's snapshots can be restored to (its kind decides). */
  destinations(target: string): RestoreDestinations {
    const t = this.target(target);
    return this.driver(t).destinations(t);
  }

  /** What a snapshot holds, from its recorded metadata (null when none was recorded). */
  contents(s: SnapshotRecord): SnapshotContents | null {
    const t = this.target(s.target);
    return s.metadata ? this.driver(t).contents(s.metadata) : null;
  }

  resolveSnapshot(target: string, ref: string): SnapshotRecord {
    const t = this.target(target);
    if (ref === 'latest') {
      const s =
        this.catalog.snapshots(t.name, t.repository).find((x) => !x.safety) ??
        this.catalog.snapshots(t.name, t.repository)[0];
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

  private changed(): void {
    this.stateCache = null;
  }

  // --- the run lifecycle ----------------------------------------------------------------------

  /**
   * Runs `work` as one recorded operation: takes the target's lock (busy → BusyError, nothing
   * recorded), records the run, gives a private temp dir, and records the outcome in every case.
   */
  private async operate(
    t: TargetConfig,
    operation: Operation,
    who: Actor,
    detail: Record<string, unknown>,
    work: (runId: number, ctx: DriverContext<any>) => Promise<Omit<RunOutcome, 'runId' | 'error'>>,
    onStarted?: (runId: number) => void
  ): Promise<RunOutcome> {
    if (this.stopping) {
      throw new BusyError(t.name, 'the service is shutting down');
    }
    const release = this.locks.acquire(t.name, operation, this.now());
    const runId = this.catalog.startRun(t.name, operation, who.name, this.now(), { ...detail, pid: process.pid });
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
      const r = await work(runId, ctx);
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
      outcome = { runId, status: 'failed', snapshotId: null, error, detail: {} };
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

  private store(t: TargetConfig, runId: number, ctx: DriverContext<any>, extraTags: string[] = []): SnapshotStore {
    const repo = this.repository(t.repository);
    const timeoutMs = t.timeoutSeconds * 1000;
    const opts = (version?: string) => ({
      tags: [tagFor.target(t.name), tagFor.run(runId), ...(version ? [tagFor.version(version)] : []), ...extraTags],
      time: this.now(),
      signal: ctx.signal,
      onProgress: (p: { phase: string; bytesDone: number }) => ctx.progress(p.phase, p.bytesDone),
    });
    return {
      saveStream: async (producer, filename, o) => {
        const s = await repo.backupStream(producer, filename, opts(o?.version), timeoutMs);
        return { id: s.snapshotId, bytes: s.bytes, time: this.now().toISOString() };
      },
      saveDirectory: async (dir, o) => {
        const s = await repo.backupDirectory(dir, opts(o?.version), timeoutMs);
        return { id: s.snapshotId, bytes: s.bytes, time: this.now().toISOString() };
      },
    };
  }

  private reader(t: TargetConfig, snapshotId: string, signal: AbortSignal): SnapshotReader {
    const repo = this.repository(t.repository);
    return {
      dump: (filename) => repo.dump(snapshotId, filename, signal),
      restoreTo: (dir) => repo.restore(snapshotId, dir, signal),
    };
  }

  private info(s: SnapshotRecord): SnapshotInfo {
    return { id: s.id, time: s.time, version: s.version, metadata: s.metadata };
  }

  /**
   * Saves one snapshot of the target through its driver. If anything fails, every snapshot the
   * run may have committed is forgotten (rule 1): a failed backup leaves nothing behind.
   */
  private async takeSnapshot(
    t: TargetConfig,
    runId: number,
    ctx: DriverContext<any>,
    safety: boolean
  ): Promise<BackupResult> {
    const previous = this.catalog.snapshots(t.name, t.repository).find((s) => !s.safety) ?? null;
    try {
      ctx.progress('reading source');
      const result = await this.driver(t).backup({
        ...ctx,
        store: this.store(t, runId, ctx, safety ? [tagFor.safety] : []),
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
            runId,
            safety,
          },
          t.repository
        );
      }
      return result;
    } catch (e) {
      ctx.progress('cleaning up');
      try {
        const removed = await this.repository(t.repository).forgetTagged(tagFor.run(runId));
        if (removed.length) {
          ctx.log.warn({ removed }, 'forgot the partial snapshot of the failed backup');
        }
      } catch (cleanup) {
        ctx.log.error({ err: oneLine(cleanup) }, 'could not check for a partial snapshot');
      }
      throw e;
    }
  }

  // --- operations -----------------------------------------------------------------------------

  async backup(target: string, actor: string | Actor, onStarted?: (runId: number) => void): Promise<RunOutcome> {
    const t = this.target(target);
    const who = asActor(actor);
    return this.operate(
      t,
      'backup',
      who,
      {},
      async (runId, ctx) => {
        const result = await this.takeSnapshot(t, runId, ctx, false);
        const detail: Record<string, unknown> = {};
        if (result.kind === 'unchanged') {
          detail.version = result.version;
          const copyErrors = await this.copy(t, ctx);
          if (copyErrors.length) {
            detail.copyErrors = copyErrors;
          }
          return { status: 'unchanged', snapshotId: null, detail };
        }
        if (result.kind === 'nothing') {
          // Only safety backups may find nothing; a scheduled backup of nothing is a failure.
          throw new Error(`nothing to back up: ${result.reason}`);
        }
        detail.version = result.version;
        detail.bytes = result.snapshot.bytes;
        const copyErrors = await this.copy(t, ctx);
        if (copyErrors.length) {
          detail.copyErrors = copyErrors;
        }
        // Rule 2: retention runs only after a successful backup.
        detail.forgotten = await this.applyRetention(t, ctx, result.snapshot.id);
        this.catalog.audit(
          {
            actor: who.name,
            role: who.role,
            action: 'backup',
            target: t.name,
            detail: `snapshot ${result.snapshot.id.slice(0, 8)}`,
            result: 'ok',
          },
          this.now()
        );
        return { status: 'success', snapshotId: result.snapshot.id, detail };
      },
      onStarted
    );
  }

  /** Brings every copy repository up to date with the target's snapshots. Failures are reported, not fatal. */
  private async copy(t: TargetConfig, ctx: DriverContext<any>): Promise<string[]> {
    const errors: string[] = [];
    const primary = this.repository(t.repository);
    for (const name of t.copies) {
      ctx.progress(`copying to ${name}`);
      try {
        const repo = this.repository(name);
        await repo.copyFrom(primary, [tagFor.target(t.name)], ctx.signal);
        await this.refreshCopies(t, name);
      } catch (e) {
        errors.push(`${name}: ${oneLine(e)}`);
        ctx.log.error({ copy: name, err: oneLine(e) }, 'copy failed');
      }
    }
    return errors;
  }

  /** Records which snapshots a copy repository holds (restic marks copies with `original`). */
  private async refreshCopies(t: TargetConfig, repoName: string): Promise<void> {
    const held = await this.repository(repoName).snapshots([tagFor.target(t.name)]);
    const byOriginal = new Map(held.map((s) => [s.original ?? s.id, s.id]));
    for (const s of this.catalog.snapshots(t.name, t.repository)) {
      const copyId = byOriginal.get(s.id);
      if (copyId) {
        this.catalog.markHeld(s.id, repoName, copyId);
      } else {
        this.catalog.unmarkHeld(s.id, repoName);
      }
    }
  }

  /**
   * Retention exactly as configured, decided by restic's own policy (`forget --dry-run`), except
   * that the newest snapshot that passed verification is never removed (rule 2). The same
   * snapshots are then removed from every copy.
   */
  private async applyRetention(
    t: TargetConfig,
    ctx: DriverContext<any>,
    justTaken: string | null = null
  ): Promise<string[]> {
    ctx.progress('applying retention');
    const repo = this.repository(t.repository);
    let plan = await repo.forgetPlan([tagFor.target(t.name)], t.retention);
    // A failed run whose cleanup could not reach the repository (it had just gone away) may have
    // left its snapshot there (rule 1): remove it now, before the policy counts it as a version.
    const recorded = new Set(this.catalog.snapshots(t.name, t.repository).map((s) => s.id));
    const leftovers = plan.snapshots
      .filter((s) => !recorded.has(s.id))
      .filter((s) => {
        const tag = s.tags?.find((x) => x.startsWith('run='));
        const run = tag ? this.catalog.run(Number(tag.slice(4))) : null;
        return run?.target === t.name && run.status === 'failed';
      })
      .map((s) => s.id);
    if (leftovers.length) {
      await repo.forget(leftovers, false);
      ctx.log.warn({ removed: leftovers }, 'forgot the snapshots failed runs had left behind');
      plan = await repo.forgetPlan([tagFor.target(t.name)], t.retention);
    }
    const held = this.catalog.snapshots(t.name, t.repository);
    const remove = keepDecision(plan.remove, held, justTaken);
    if (!remove.length) {
      return [];
    }
    await repo.forget(remove);
    for (const name of t.copies) {
      const copyIds = remove
        .map((id) => held.find((s) => s.id === id))
        .filter((s): s is SnapshotRecord => !!s)
        .flatMap((s) => (s.heldBy.includes(name) ? [s] : []));
      try {
        await this.refreshCopies(t, name);
        const mapped = await this.copyIdsOf(
          t,
          name,
          copyIds.map((s) => s.id)
        );
        await this.repository(name).forget(mapped);
      } catch (e) {
        ctx.log.error({ copy: name, err: oneLine(e) }, 'retention on copy failed');
      }
    }
    this.catalog.markForgotten(remove, this.now());
    return remove;
  }

  private async copyIdsOf(t: TargetConfig, repoName: string, ids: string[]): Promise<string[]> {
    const held = await this.repository(repoName).snapshots([tagFor.target(t.name)]);
    return held.filter((s) => s.original && ids.includes(s.original)).map((s) => s.id);
  }

  /** Applies retention now (CLI `forget`), under the target's lock. */
  async forget(target: string, actor: string | Actor): Promise<RunOutcome> {
    const t = this.target(target);
    return this.operate(t, 'forget', asActor(actor), {}, async (_runId, ctx) => {
      const forgotten = await this.applyRetention(t, ctx);
      return { status: 'success', snapshotId: null, detail: { forgotten } };
    });
  }

  /** Proves a snapshot restorable by the driver's test restore; records result and duration. */
  async verify(
    target: string,
    snapshotRef: string,
    actor: string | Actor,
    onStarted?: (runId: number) => void
  ): Promise<RunOutcome> {
    const t = this.target(target);
    const who = asActor(actor);
    const snap = this.resolveSnapshot(target, snapshotRef);
    return this.operate(
      t,
      'verify',
      who,
      { snapshot: snap.id },
      async (runId, ctx) => {
        const started = Date.now();
        ctx.progress('test restore');
        let verification: VerificationOutcomeDetail;
        try {
          const r = await this.driver(t).verify({
            ...ctx,
            snapshot: this.info(snap),
            reader: this.reader(t, snap.id, ctx.signal),
          });
          verification = {
            outcome: r.ok ? 'passed' : 'failed',
            detail: redact(r.detail),
            ...(r.changes ? { changes: r.changes } : {}),
            ...(r.changeKind !== undefined ? { changeKind: r.changeKind } : {}),
          };
        } catch (e) {
          // Could not run (source or repository unreachable, wrong password): nothing was learned
          // about the snapshot, whose verdict stays as it was. Anything else is the snapshot failing.
          verification = { outcome: e instanceof UnavailableError ? 'unknown' : 'failed', detail: oneLine(e) };
        }
        const durationSeconds = (Date.now() - started) / 1000;
        if (verification.outcome !== 'unknown') {
          this.catalog.recordVerification(snap.id, verification.outcome === 'passed', this.now(), verification.detail);
        }
        this.catalog.audit(
          {
            actor: who.name,
            role: who.role,
            action: 'verify',
            target: t.name,
            detail: `snapshot ${snap.id.slice(0, 8)}: ${verification.outcome === 'unknown' ? 'could not verify: ' : ''}${verification.detail}`,
            result: verification.outcome === 'passed' ? 'ok' : 'failed',
          },
          this.now()
        );
        if (verification.outcome !== 'passed') {
          this.catalog.finishRun(runId, this.now(), { status: 'failed', detail: { durationSeconds, verification } });
          throw new Error(
            `${verification.outcome === 'unknown' ? 'could not verify' : 'verification failed'}: ${verification.detail}`
          );
        }
        return {
          status: 'success',
          snapshotId: snap.id,
          detail: { durationSeconds, result: verification.detail, verification },
        };
      },
      onStarted
    );
  }

  /**
   * Restores a snapshot (rule 4): a safety backup of the current state first unless declined,
   * and an audit entry with who, what, when and the result. The caller has confirmed.
   */
  async restore(
    target: string,
    req: RestoreRequest,
    actor: string | Actor,
    onStarted?: (runId: number) => void
  ): Promise<RunOutcome> {
    const t = this.target(target);
    const who = asActor(actor);
    const driver = this.driver(t);
    if (req.to !== undefined) {
      const problem = driver.checkRestoreTarget?.(req.to) ?? null;
      if (problem) {
        throw new InvalidRequestError(`restore destination '${req.to}' refused: ${problem}`);
      }
    }
    const snap = this.resolveSnapshot(target, req.snapshot);
    const what = `snapshot ${snap.id.slice(0, 8)} to ${req.to ?? 'the same place'}${req.safetyBackup ? '' : ' (no safety backup)'}`;
    return this.operate(
      t,
      'restore',
      who,
      { snapshot: snap.id, to: req.to ?? null },
      async (runId, ctx) => {
        this.catalog.audit(
          { actor: who.name, role: who.role, action: 'restore', target: t.name, detail: what, result: 'started' },
          this.now()
        );
        const started = Date.now();
        let safetySnapshotId: string | null = null;
        // The safety backup protects what the restore replaces: needed only in place.
        let safetyBackup: SafetyBackup = req.to !== undefined ? 'not-needed' : req.safetyBackup ? 'saved' : 'declined';
        try {
          if (safetyBackup === 'saved') {
            ctx.progress('safety backup');
            const safety = await this.takeSnapshot(t, runId, ctx, true).catch((e) => {
              throw new Error(
                `safety backup failed, nothing was restored: ${oneLine(e)} (restore without a safety backup to go on)`
              );
            });
            if (safety.kind === 'saved') {
              safetySnapshotId = safety.snapshot.id;
            } else if (safety.kind === 'nothing') {
              safetyBackup = 'nothing';
              ctx.log.info({ reason: safety.reason }, 'safety backup: nothing there to save');
            } else {
              // A versioned target whose current content is the newest version: that snapshot holds it.
              safetySnapshotId = this.resolveSnapshot(t.name, 'latest').id;
            }
          }
          ctx.progress('restoring');
          const r = await driver.restore({
            ...ctx,
            snapshot: this.info(snap),
            reader: this.reader(t, snap.id, ctx.signal),
            options: { to: req.to, force: req.force },
            safety: safetyBackup,
          });
          const durationSeconds = (Date.now() - started) / 1000;
          const outcome: RestoreOutcomeDetail = {
            location: r.location,
            counts: r.counts ?? {},
            movedAside: (r.movedAside ?? []).map((m) => (m.kind === 'database' ? `database ${m.name}` : m.name)),
            next: r.next ?? [],
            detail: redact(r.detail),
          };
          this.catalog.audit(
            {
              actor: who.name,
              role: who.role,
              action: 'restore',
              target: t.name,
              detail: `${what}: restored to ${r.location}${safetySnapshotId ? `, safety snapshot ${safetySnapshotId.slice(0, 8)}` : ''}`,
              result: 'ok',
            },
            this.now()
          );
          return {
            status: 'success',
            snapshotId: snap.id,
            detail: {
              durationSeconds,
              safetySnapshotId,
              safetyBackup,
              location: r.location,
              result: outcome.detail,
              restore: outcome,
            },
          };
        } catch (e) {
          this.catalog.audit(
            {
              actor: who.name,
              role: who.role,
              action: 'restore',
              target: t.name,
              detail: `${what}: ${oneLine(e)}`,
              result: 'failed',
            },
            this.now()
          );
          this.catalog.finishRun(runId, this.now(), { status: 'failed', detail: { safetySnapshotId, safetyBackup } });
          throw e;
        }
      },
      onStarted
    );
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

  /**
   * After a crash or kill -9: runs still marked running by a dead process are closed as failed,
   * and any snapshot such a backup may have committed is forgotten (rule 1).
   */
  async recoverInterrupted(): Promise<RunRecord[]> {
    const recovered: RunRecord[] = [];
    for (const r of this.catalog.runningRuns()) {
      const pid = Number(r.detail.pid);
      if (pid && pid !== process.pid && this.locks.holder(r.target)?.pid === pid) {
        continue; // a live process (the CLI beside the daemon) is still at it
      }
      if (pid === process.pid) {
        continue;
      }
      const t = this.config.targets[r.target];
      if (t && (r.operation === 'backup' || r.operation === 'restore')) {
        try {
          const repo = this.repository(t.repository);
          // A restic of the dead process may still be about to commit: stop it before looking.
          const killed = await repo.killOrphans([tagFor.target(t.name), tagFor.run(r.id)]);
          if (killed > 0) {
            this.log.warn({ run: r.id, killed }, 'stopped the restic processes the interrupted run left running');
            await repo.unlockStale();
          }
          // Snapshots the run recorded were complete (a restore's safety snapshot): they stay, as
          // the catalog says. Anything else carrying the run's tag is partial (rule 1).
          const recorded = new Set(this.catalog.snapshots(t.name, t.repository).map((s) => s.id));
          const partial = (await repo.snapshots([tagFor.run(r.id)]))
            .filter((s) => !recorded.has(s.id))
            .map((s) => s.id);
          await repo.forget(partial, false);
          if (partial.length) {
            this.log.warn({ run: r.id, removed: partial }, 'forgot the partial snapshot of an interrupted run');
          }
        } catch (e) {
          this.log.error({ run: r.id, err: oneLine(e) }, 'could not clean up after an interrupted run');
        }
      }
      this.catalog.finishRun(r.id, this.now(), {
        status: 'failed',
        error: 'interrupted: the process running it stopped',
      });
      // Its temp dir (dumps, client option files with a password) would otherwise stay forever.
      const prefix = tmpPrefix(r.target, r.operation, r.id);
      for (const entry of readdirSync(this.config.workDir).filter((e) => e.startsWith(prefix))) {
        rmSync(path.join(this.config.workDir, entry), { recursive: true, force: true });
      }
      recovered.push(r);
    }
    // Lock files of dead processes (rule 5): taken over anyway at the next run, but not left lying.
    for (const name of Object.keys(this.config.targets)) {
      this.locks.clearStale(name);
    }
    return recovered;
  }

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
