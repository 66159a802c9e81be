/**
 * The scheduler: node-cron runs each target's backups (`schedule`) and verifications
 * (`verify.schedule`) through the engine, like any other caller. A slot that finds the target busy
 * is skipped with a log line; it is not queued.
 *
 * Catch-up, at start and after a pause (the machine slept, the process was stopped: a 60 s
 * heartbeat notices the gap): a target whose last good backup is older than its RPO, or whose last
 * slot passed without a backup starting after it, is backed up once, however many slots were
 * missed. The same for verification: a missed verify slot verifies the latest snapshot once.
 */
import cron, { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { TargetConfig } from '../config/types';
import type { Engine, RunOutcome } from '../engine/engine';
import { BusyError, NotFoundError } from '../engine/errors';
import { previousSlot } from './cron';
import { pitrOf } from '../engine/pitr/log';

export const ACTOR = 'scheduler';

export interface SchedulerOptions {
  log?: Logger;
  /** Injected clock for the catch-up decisions (tests); default: the engine's clock. */
  now?: () => Date;
  /** Heartbeat period; a tick later than twice this means the process was paused. */
  heartbeatMs?: number;
}

/** Why a catch-up run is due, in words for the log; null when nothing is due. */
export interface CatchUpPlan {
  target: string;
  backup: string | null;
  verify: string | null;
}

export interface CatchUpResult extends CatchUpPlan {
  runs: RunOutcome[];
}

export class Scheduler {
  readonly log: Logger;
  private readonly now: () => Date;
  private readonly heartbeatMs: number;
  private tasks: ScheduledTask[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastBeat = 0;
  private stopped = false;
  private catchingUp: Promise<CatchUpResult[]> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly engine: Engine,
    options: SchedulerOptions = {}
  ) {
    this.log = (options.log ?? engine.log).child({ component: 'scheduler' });
    this.now = options.now ?? (() => engine.now());
    this.heartbeatMs = options.heartbeatMs ?? 60_000;
    this.lastBeat = this.now().getTime();
  }

  /** Schedules every target, starts the heartbeat and runs the catch-up (returned, not awaited by callers that need not). */
  start(): Promise<CatchUpResult[]> {
    this.schedule();
    this.lastBeat = this.now().getTime();
    this.timer = setInterval(() => {
      try {
        this.heartbeat()?.catch((e) => this.log.error({ err: String(e) }, 'catch-up failed'));
      } catch (e) {
        this.log.error({ err: String(e) }, 'heartbeat failed');
      }
    }, this.heartbeatMs);
    this.timer.unref();
    this.log.info({ targets: Object.keys(this.engine.config.targets) }, 'scheduler started');
    return this.catchUp('start');
  }

  /**
   * After the engine took a new configuration (SIGHUP): the cron jobs follow the new schedules
   * and targets, and what is now due (a new target's first backup) runs. Running work goes on.
   */
  async reschedule(): Promise<void> {
    if (this.stopped) {
      return;
    }
    await Promise.all(this.tasks.map((task) => task.destroy()));
    this.tasks = [];
    this.schedule();
    this.log.info({ targets: Object.keys(this.engine.config.targets) }, 'scheduler follows the new configuration');
    this.catchUp('reload').catch((e) => this.log.error({ err: String(e) }, 'catch-up failed'));
  }

  private schedule(): void {
    const cronLog = {
      info: (m: string) => this.log.debug(m),
      warn: (m: string) => this.log.warn(m),
      error: (m: string | Error) => this.log.error({ err: String(m) }, 'cron'),
      debug: (m: string | Error) => this.log.debug(String(m)),
    };
    for (const t of Object.values(this.engine.config.targets)) {
      this.tasks.push(
        cron.schedule(t.schedule, () => this.track(this.runBackup(t, 'scheduled')), {
          name: `${t.name}-backup`,
          noOverlap: true,
          logger: cronLog,
          // The heartbeat's catch-up handles missed slots, once per target.
          suppressMissedWarning: true,
        })
      );
      if (t.verifySchedule) {
        this.tasks.push(
          cron.schedule(t.verifySchedule, () => this.track(this.runVerify(t, 'scheduled')), {
            name: `${t.name}-verify`,
            noOverlap: true,
            logger: cronLog,
            suppressMissedWarning: true,
          })
        );
      }
    }
    // A shared repository's pruning instance prunes it on its schedule (the others only forget).
    for (const r of Object.values(this.engine.config.repositories)) {
      if (r.prune && r.pruneSchedule) {
        this.tasks.push(
          cron.schedule(r.pruneSchedule, () => this.track(this.runPrune(r.name)), {
            name: `${r.name}-prune`,
            noOverlap: true,
            logger: cronLog,
            suppressMissedWarning: true,
          })
        );
      }
    }
  }

  /**
   * One heartbeat: if much more time passed since the last one than the period (the machine
   * slept, the process was stopped), slots may have been missed: catch up.
   */
  heartbeat(): Promise<CatchUpResult[]> | null {
    const now = this.now().getTime();
    const gap = now - this.lastBeat;
    this.lastBeat = now;
    if (this.stopped || gap <= 2 * this.heartbeatMs) {
      return null;
    }
    this.log.warn({ gapSeconds: Math.round(gap / 1000) }, 'the service was paused (heartbeat gap): catching up');
    return this.catchUp('pause');
  }

  /** What is due now, per target (pure: reads the catalog only). */
  plan(now = this.now()): CatchUpPlan[] {
    const catalog = this.engine.catalog;
    return Object.values(this.engine.config.targets).map((t) => {
      let backup: string | null = null;
      const lastGood = catalog.lastRun(t.name, 'backup', ['success', 'unchanged']);
      const lastStart = catalog.lastRun(t.name, 'backup');
      const slot = previousSlot(t.schedule, now);
      // With the log archived, the RPO is met by the archive, not by the dump's age: dumps keep their slots.
      if (t.rpoSeconds !== null && !pitrOf(t)) {
        const age = lastGood?.finishedAt ? (now.getTime() - Date.parse(lastGood.finishedAt)) / 1000 : null;
        if (age === null) {
          backup = 'no good backup yet';
        } else if (age > t.rpoSeconds) {
          backup = `last good backup is ${Math.round(age)} s old, RPO ${t.rpoSeconds} s`;
        }
      }
      if (!backup && slot && (!lastStart || Date.parse(lastStart.startedAt) < slot.getTime())) {
        backup = `missed the slot of ${slot.toISOString()}`;
      }
      let verify: string | null = null;
      if (t.verifySchedule) {
        const vslot = previousSlot(t.verifySchedule, now);
        const lastVerify = catalog.lastRun(t.name, 'verify');
        if (vslot && (!lastVerify || Date.parse(lastVerify.startedAt) < vslot.getTime())) {
          verify = `missed the verification slot of ${vslot.toISOString()}`;
        }
      }
      return { target: t.name, backup, verify };
    });
  }

  /**
   * Runs what is due, once per target: the backup first, then the verification (of the newest
   * snapshot, which may be the one just taken). Targets run side by side, as their cron slots would.
   * A catch-up already in progress is joined, not doubled.
   */
  catchUp(reason: string): Promise<CatchUpResult[]> {
    if (this.catchingUp) {
      return this.catchingUp;
    }
    const plans = this.plan().filter((p) => p.backup || p.verify);
    if (plans.length) {
      this.log.info({ reason, due: plans }, 'catch-up');
    }
    const work = Promise.all(
      plans.map(async (p): Promise<CatchUpResult> => {
        const t = this.engine.config.targets[p.target];
        const runs: RunOutcome[] = [];
        if (p.backup) {
          const o = await this.runBackup(t, `catch-up: ${p.backup}`);
          if (o) {
            runs.push(o);
          }
        }
        if (p.verify && !this.stopped) {
          const o = await this.runVerify(t, `catch-up: ${p.verify}`);
          if (o) {
            runs.push(o);
          }
        }
        return { ...p, runs };
      })
    ).finally(() => {
      this.catchingUp = null;
    });
    this.catchingUp = work;
    return this.track(work);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** A scheduled or catch-up backup; busy → skipped with a log line. Never throws. */
  private runBackup(t: TargetConfig, why: string): Promise<RunOutcome | null> {
    return this.runDue(t, 'backup', 'backup', why, () => this.engine.backup(t.name, ACTOR));
  }

  /** A scheduled or catch-up verification of the newest snapshot; busy or nothing to verify → skipped. */
  private runVerify(t: TargetConfig, why: string): Promise<RunOutcome | null> {
    return this.runDue(t, 'verify', 'verification', why, () => this.engine.verify(t.name, 'latest', ACTOR));
  }

  /** Runs an operation that is due, saying so; a failure is logged, a refusal (busy…) skipped. Never throws. */
  private async runDue(
    t: TargetConfig,
    operation: string,
    words: string,
    why: string,
    run: () => Promise<RunOutcome>
  ): Promise<RunOutcome | null> {
    if (this.stopped) {
      return null;
    }
    try {
      this.log.info({ target: t.name, why }, `${words} due`);
      const o = await run();
      if (o.status === 'failed') {
        this.log.error({ target: t.name, run: o.runId, err: o.error }, `scheduled ${words} failed`);
      }
      return o;
    } catch (e) {
      this.skipped(t, operation, e);
      return null;
    }
  }

  /** A scheduled prune of a repository this instance prunes. Never throws (the engine logs and audits). */
  private async runPrune(repository: string): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.log.info({ repository }, 'prune due');
    await this.engine.prune(repository, ACTOR).catch(() => undefined);
  }

  private skipped(t: TargetConfig, what: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof BusyError) {
      this.log.warn({ target: t.name, operation: what }, `scheduled ${what} skipped: ${message}`);
    } else if (e instanceof NotFoundError) {
      this.log.info({ target: t.name, operation: what }, `scheduled ${what} skipped: ${message}`);
    } else {
      this.log.error({ target: t.name, operation: what, err: message }, `scheduled ${what} could not start`);
    }
  }

  /** No new work from now on; work already started is the engine's to finish or abort (engine.shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await Promise.all(this.tasks.map((task) => task.destroy()));
    this.tasks = [];
  }

  /** Resolves when every run the scheduler started has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) {
      await Promise.allSettled([...this.inFlight]);
    }
  }
}
