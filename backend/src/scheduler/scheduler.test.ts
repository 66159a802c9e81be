/**
 * The scheduler against a real engine (real MariaDB and restic) with an injected clock: catch-up
 * runs once per target however many slots were missed, for backups and for verifications; a busy
 * target is skipped with a log line; real node-cron slots run and never queue up.
 */
import pino from 'pino';
import { makeLab, Lab } from '../test/harness';
import { createAgama, mysqlTarget } from '../test/mysql';
import { waitFor } from '../test/process';
import { Scheduler } from './scheduler';

const DB = 'agama_sched_test';
const HOUR = 3600;
const DAY = 86400;

/** A logger whose lines the test can read. */
function memoryLog() {
  const lines: Array<Record<string, any>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines, messages: () => lines.map((l) => String(l.msg)) };
}

const count = (lab: Lab, target: string, operation: 'backup' | 'verify') =>
  lab.engine.catalog.runs({ target, operation, limit: 1000 }).length;

beforeAll(() => createAgama(DB, 30));

describe('catch-up: RPO and missed slots, backups and verifications', () => {
  let lab: Lab;
  let scheduler: Scheduler;
  const mem = memoryLog();

  beforeAll(() => {
    // Wednesday 16 Sep 2026, 12:00 local time; backups daily at 02:00, verification Sundays 04:00.
    lab = makeLab({
      targets: {
        daily: mysqlTarget(DB, {
          schedule: '0 2 * * *',
          rpo: '1d',
          verify: { schedule: '0 4 * * 0' },
          retention: { keepLast: 20 },
        }),
      },
      start: new Date(2026, 8, 16, 12, 0, 0),
    });
    scheduler = new Scheduler(lab.engine, { now: () => lab.clock.now, log: mem.log });
  });
  afterAll(async () => {
    await scheduler.stop();
    lab.cleanup();
  });

  it('first start: never backed up and a verify slot passed → one backup, then one verification of it', async () => {
    expect(scheduler.plan()).toEqual([
      {
        target: 'daily',
        backup: 'no good backup yet',
        verify: `missed the verification slot of ${new Date(2026, 8, 13, 4, 0).toISOString()}`,
      },
    ]);
    const [result] = await scheduler.catchUp('start');
    expect(result.runs.map((r) => r.status)).toEqual(['success', 'success']);
    expect(count(lab, 'daily', 'backup')).toBe(1);
    expect(count(lab, 'daily', 'verify')).toBe(1);
    const [snap] = lab.engine.snapshots('daily');
    expect(snap.verification).toBe('passed');
    expect(lab.engine.catalog.runs({ target: 'daily' }).every((r) => r.actor === 'scheduler')).toBe(true);
    // Nothing is due any more.
    expect(scheduler.plan()).toEqual([{ target: 'daily', backup: null, verify: null }]);
    expect(await scheduler.catchUp('again')).toEqual([]);
    expect(count(lab, 'daily', 'backup')).toBe(1);
  });

  it('three days down (three missed slots, RPO exceeded) → one backup, not three; no verify slot missed → none', async () => {
    lab.clock.advance(3 * DAY); // Saturday 12:00
    const [plan] = scheduler.plan();
    expect(plan.backup).toMatch(/^last good backup is 259200 s old, RPO 86400 s$/);
    expect(plan.verify).toBeNull();
    await scheduler.catchUp('start');
    expect(count(lab, 'daily', 'backup')).toBe(2);
    expect(count(lab, 'daily', 'verify')).toBe(1);
    expect(await scheduler.catchUp('again')).toEqual([]);
    expect(count(lab, 'daily', 'backup')).toBe(2);
  });

  it('a heartbeat gap (the machine slept over Sunday) catches up once; a normal beat does nothing', async () => {
    // A scheduler started now: its first beat is the reference.
    await scheduler.stop();
    scheduler = new Scheduler(lab.engine, { now: () => lab.clock.now, log: mem.log });
    lab.clock.advance(60);
    expect(scheduler.heartbeat()).toBeNull();
    lab.clock.advance(DAY - HOUR); // Sunday 11:01: the 02:00 backup and the 04:00 verification were missed
    const pending = scheduler.heartbeat();
    expect(pending).not.toBeNull();
    const [result] = await pending!;
    expect(result.backup).toMatch(/^missed the slot of /);
    expect(result.verify).toBe(`missed the verification slot of ${new Date(2026, 8, 20, 4, 0).toISOString()}`);
    expect(result.runs.map((r) => r.status)).toEqual(['success', 'success']);
    expect(count(lab, 'daily', 'backup')).toBe(3);
    expect(count(lab, 'daily', 'verify')).toBe(2);
    // The verification was of the newest snapshot, the one the catch-up just took.
    expect(lab.engine.catalog.run(result.runs[1].runId)!.detail.snapshot).toBe(result.runs[0].snapshotId);
    expect(mem.messages()).toContain('the service was paused (heartbeat gap): catching up');
    lab.clock.advance(60);
    expect(scheduler.heartbeat()).toBeNull();
  });

  it('a target busy with other work is skipped with a log line, not queued', async () => {
    lab.clock.advance(2 * DAY);
    const manual = lab.engine.backup('daily', 'someone');
    await waitFor(() => lab.engine.catalog.runningRuns().length === 1, 10_000, 'the manual backup to start');
    const [result] = await scheduler.catchUp('start');
    expect(result.backup).toMatch(/RPO/);
    expect(result.runs).toEqual([]);
    const skipped = mem.lines.find((l) => /^scheduled backup skipped: target daily is busy/.test(l.msg));
    expect(skipped).toMatchObject({ level: 40, target: 'daily', operation: 'backup' });
    expect((await manual).status).toBe('success');
    // The skipped run was not queued: only the manual backup happened.
    expect(lab.engine.catalog.runs({ target: 'daily', operation: 'backup', limit: 1 })[0].actor).toBe('someone');
    expect(scheduler.plan()[0].backup).toBeNull();
  });
});

describe('catch-up: missed slot without RPO breach, RPO breach without missed slot, no RPO', () => {
  let lab: Lab;
  let scheduler: Scheduler;

  beforeAll(async () => {
    lab = makeLab({
      targets: {
        lax: mysqlTarget(DB, { schedule: '0 2 * * *', rpo: '30d', verify: { schedule: null } }),
        yearly: mysqlTarget(DB, { schedule: '0 2 1 1 *', rpo: '1d', verify: { schedule: null } }),
        norpo: mysqlTarget(DB, { schedule: '0 2 * * *', rpo: null, verify: { schedule: null } }),
      },
      start: new Date(2026, 8, 16, 12, 0, 0),
    });
    scheduler = new Scheduler(lab.engine, { now: () => lab.clock.now });
    await scheduler.catchUp('start');
    for (const t of ['lax', 'yearly', 'norpo']) {
      expect(count(lab, t, 'backup')).toBe(1);
    }
  });
  afterAll(() => lab.cleanup());

  it('later the same day: nothing is due', () => {
    lab.clock.advance(10 * HOUR); // Wednesday 22:00
    expect(scheduler.plan().filter((p) => p.backup || p.verify)).toEqual([]);
  });

  it('five missed daily slots, RPO 30 d not breached → one backup each for lax and norpo; yearly waits', async () => {
    lab.clock.advance(5 * DAY); // Monday 22:00: slots Thu..Mon 02:00 missed
    const due = scheduler.plan();
    expect(due.find((p) => p.target === 'lax')!.backup).toBe(
      `missed the slot of ${new Date(2026, 8, 21, 2, 0).toISOString()}`
    );
    expect(due.find((p) => p.target === 'norpo')!.backup).toMatch(/^missed the slot/);
    // yearly: its last good backup is older than its RPO of 1 d.
    expect(due.find((p) => p.target === 'yearly')!.backup).toMatch(/RPO 86400 s$/);
    await scheduler.catchUp('pause');
    expect([count(lab, 'lax', 'backup'), count(lab, 'norpo', 'backup'), count(lab, 'yearly', 'backup')]).toEqual([
      2, 2, 2,
    ]);
    expect(scheduler.plan().filter((p) => p.backup)).toEqual([]);
  });
});

describe('cron slots', () => {
  it('runs each slot through the engine; a slot that finds the target busy is skipped, nothing queues; stop ends it', async () => {
    const mem = memoryLog();
    // Every second: far more often than a backup takes, so most slots find the target busy.
    const lab = makeLab({
      targets: {
        fast: mysqlTarget(DB, {
          schedule: '* * * * * *',
          rpo: null,
          verify: { schedule: null },
          retention: { keepLast: 50 },
        }),
      },
    });
    const scheduler = new Scheduler(lab.engine, { log: mem.log });
    try {
      const started = Date.now();
      void scheduler.start();
      await waitFor(() => count(lab, 'fast', 'backup') >= 2, 30_000, 'two backups');
      await scheduler.stop();
      await scheduler.idle();
      const elapsed = (Date.now() - started) / 1000;
      const runs = count(lab, 'fast', 'backup');
      const skipped = mem.lines.filter((l) => /^scheduled backup skipped: target fast is busy/.test(l.msg)).length;
      expect(skipped).toBeGreaterThanOrEqual(1);
      // Never more runs than slots, and no backlog: each run took a slot that found the target free.
      expect(runs).toBeLessThanOrEqual(Math.ceil(elapsed) + 1);
      expect(
        lab.engine.catalog.runs({ target: 'fast' }).every((r) => r.status === 'success' && r.actor === 'scheduler')
      ).toBe(true);
      await new Promise((r) => setTimeout(r, 2500));
      expect(count(lab, 'fast', 'backup')).toBe(runs);
      expect(lab.engine.catalog.runningRuns()).toEqual([]);
    } finally {
      await scheduler.stop();
      lab.cleanup();
    }
  });
});
