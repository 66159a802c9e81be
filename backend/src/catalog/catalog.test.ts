/**
 * The catalog stays fast as it grows: adding a snapshot finds the next sequence number through an
 * index, not by reading every snapshot ever recorded (a catalog of years of backups, or the
 * benchmarks' 100,000 runs, made each insert a full scan and filling it quadratic).
 */
import { Catalog } from './catalog';

describe('catalog at scale', () => {
  it('the next snapshot sequence number is read from an index', () => {
    const catalog = new Catalog(':memory:');
    try {
      const plan = catalog.db
        .prepare('EXPLAIN QUERY PLAN SELECT COALESCE(MAX(seq), 0) + 1 FROM snapshots')
        .all() as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join('; ')).toMatch(/SEARCH snapshots USING (COVERING )?INDEX/);
      // A target's versions newest first come from an index, not from sorting its whole history.
      const history = catalog.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id, time, seq FROM snapshots WHERE target = ? AND safety = 0 AND verification != 'failed' AND seq < ? ORDER BY seq DESC LIMIT 100`
        )
        .all('t', 1000) as Array<{ detail: string }>;
      expect(history.map((p) => p.detail).join('; ')).toMatch(/^SEARCH snapshots USING INDEX snapshots_versions/);
      // The held snapshots still come from their own (partial) index.
      const held = catalog.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT * FROM snapshots WHERE target = ? AND forgotten_at IS NULL ORDER BY seq DESC`
        )
        .all('t') as Array<{ detail: string }>;
      expect(held.map((p) => p.detail).join('; ')).toMatch(/^SEARCH snapshots USING INDEX snapshots_held_seq/);
    } finally {
      catalog.close();
    }
  });
});

describe('the audit log: one entry per action', () => {
  it("a run's entry recorded when it started is updated with its result, never doubled", () => {
    const catalog = new Catalog(':memory:');
    try {
      const t0 = new Date('2026-03-10T10:00:00Z');
      const t1 = new Date('2026-03-10T10:01:02Z');
      const run = catalog.startRun('mysql', 'restore', 'alice', t0);
      const who = { actor: 'alice', role: 'admin' as const, action: 'restore' };
      catalog.audit({ ...who, target: 'mysql', detail: 'snapshot a1b2c3d4 to x', result: 'started', runId: run }, t0);
      // An operation forwarded to a peer names the peer's run, which may have the same number.
      catalog.audit(
        { ...who, target: 'mon1/mysql', detail: `forwarded to mon1: run ${run}`, result: 'started', runId: run },
        t0
      );
      expect(catalog.auditEntries().map((e) => [e.target, e.result, e.finishedAt])).toEqual([
        ['mon1/mysql', 'started', null],
        ['mysql', 'started', null],
      ]);
      catalog.audit(
        { ...who, target: 'mysql', detail: 'snapshot a1b2c3d4 to x: restored', result: 'ok', runId: run },
        t1
      );
      const [forwarded, own] = catalog.auditEntries();
      expect(own).toMatchObject({
        at: t0.toISOString(),
        target: 'mysql',
        detail: 'snapshot a1b2c3d4 to x: restored',
        result: 'ok',
        runId: run,
        finishedAt: t1.toISOString(),
      });
      expect(forwarded).toMatchObject({ target: 'mon1/mysql', result: 'started', runId: run, finishedAt: null });
      // An action recorded once, when done (a backup), is one entry without finishedAt; so is one without a run.
      const backup = catalog.startRun('mysql', 'backup', 'scheduler', t1);
      catalog.audit(
        { actor: 'scheduler', action: 'backup', target: 'mysql', detail: 'snapshot x', result: 'ok', runId: backup },
        t1
      );
      catalog.audit({ actor: 'cli', action: 'prune', target: null, detail: 'repository main', result: 'ok' }, t1);
      expect(
        catalog
          .auditEntries()
          .slice(0, 2)
          .map((e) => [e.action, e.runId, e.finishedAt])
      ).toEqual([
        ['prune', null, null],
        ['backup', backup, null],
      ]);
      expect(catalog.auditEntries()).toHaveLength(4);
    } finally {
      catalog.close();
    }
  });

  it('an interrupted run leaves its entry failed with the reason, not started forever', () => {
    const catalog = new Catalog(':memory:');
    try {
      const at = new Date('2026-03-10T10:00:00Z');
      const run = catalog.startRun('mysql', 'restore', 'alice', at);
      catalog.audit(
        {
          actor: 'alice',
          action: 'restore',
          target: 'mysql',
          detail: 'snapshot a1 to x',
          result: 'started',
          runId: run,
        },
        at
      );
      catalog.failRunAudit(
        run,
        'mysql',
        'interrupted: the process running it stopped',
        new Date('2026-03-10T10:05:00Z')
      );
      expect(catalog.auditEntries()).toEqual([
        expect.objectContaining({
          result: 'failed',
          detail: 'snapshot a1 to x: interrupted: the process running it stopped',
          finishedAt: '2026-03-10T10:05:00.000Z',
        }),
      ]);
    } finally {
      catalog.close();
    }
  });
});

describe('runs and the audit log by status and time', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 10, 10, minute));

  it('filters by statuses and since (a point in time, whatever the clock did), newest first', () => {
    const catalog = new Catalog(':memory:');
    try {
      const ids: number[] = [];
      // Minutes 0..9; run 7 was started after the clock was set back (minute 2).
      for (let i = 0; i < 10; i++) {
        const id = catalog.startRun('mysql', 'backup', 'scheduler', at(i === 7 ? 2 : i));
        ids.push(id);
        if (i !== 9) {
          catalog.finishRun(id, at(i), { status: i % 3 === 0 ? 'failed' : i % 3 === 1 ? 'success' : 'unchanged' });
        }
        catalog.audit(
          { actor: 's', action: 'backup', target: 'mysql', detail: `${i}`, result: i % 2 ? 'ok' : 'failed' },
          at(i === 7 ? 2 : i)
        );
      }
      const since5 = catalog.runs({ since: at(5).toISOString() }).map((r) => r.id);
      expect(since5).toEqual([ids[9], ids[8], ids[6], ids[5]]);
      // Any zone: the same point in time.
      expect(catalog.runs({ since: '2026-03-10T11:05:00+01:00' }).map((r) => r.id)).toEqual(since5);
      expect(catalog.runs({ since: at(2).toISOString() }).map((r) => r.id)).toEqual(ids.slice(2).reverse());
      expect(catalog.runs({ statuses: ['failed'] }).map((r) => r.id)).toEqual([ids[6], ids[3], ids[0]]);
      expect(catalog.runs({ statuses: ['success', 'unchanged'], since: at(4).toISOString() }).map((r) => r.id)).toEqual(
        [ids[8], ids[5], ids[4]]
      );
      expect(catalog.runs({ statuses: ['running'] }).map((r) => r.id)).toEqual([ids[9]]);
      expect(catalog.runs({ since: at(30).toISOString() })).toEqual([]);
      expect(catalog.auditEntries({ since: at(5).toISOString() }).map((e) => e.detail)).toEqual(['9', '8', '6', '5']);
      expect(
        catalog.auditEntries({ results: ['ok'], since: at(5).toISOString(), limit: 2 }).map((e) => e.detail)
      ).toEqual(['9', '5']);
      expect(() => catalog.runs({ since: 'yesterday' })).toThrow(/not a time/);
    } finally {
      catalog.close();
    }
  });

  it('reads them from indexes, never scanning the whole table', () => {
    const catalog = new Catalog(':memory:');
    try {
      const plan = (sql: string, ...args: unknown[]) =>
        (catalog.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>)
          .map((p) => p.detail)
          .join('; ');
      const since = `id >= COALESCE((SELECT MIN(id) FROM runs WHERE started_at >= ?), 9223372036854775807) AND started_at >= ?`;
      for (const [sql, args] of [
        [`SELECT * FROM runs WHERE ${since} ORDER BY id DESC LIMIT ?`, ['x', 'x', 1]],
        [`SELECT * FROM runs WHERE status IN (?) ORDER BY id DESC LIMIT ?`, ['failed', 1]],
        [`SELECT * FROM audit WHERE result IN (?,?) ORDER BY id DESC LIMIT ?`, ['ok', 'failed', 1]],
        [
          `SELECT * FROM audit WHERE id >= COALESCE((SELECT MIN(id) FROM audit WHERE at >= ?), 9223372036854775807) AND at >= ? ORDER BY id DESC LIMIT ?`,
          ['x', 'x', 1],
        ],
      ] as Array<[string, unknown[]]>) {
        expect({ sql, plan: plan(sql, ...args) }).toEqual({
          sql,
          plan: expect.not.stringMatching(/\bSCAN (runs|audit)\b(?! USING)/),
        });
        expect(plan(sql, ...args)).toMatch(/SEARCH (runs|audit) USING/);
      }
    } finally {
      catalog.close();
    }
  });
});

describe('finished runs counted (the runs_total metric)', () => {
  it('counts each finished run once, also those that finish after a later one, as a full count would', () => {
    const catalog = new Catalog(':memory:');
    try {
      const at = new Date('2026-03-10T10:00:00Z');
      const full = () =>
        Object.fromEntries(
          (
            catalog.db
              .prepare(
                `SELECT target, operation, status, COUNT(*) AS count FROM runs WHERE status != 'running' GROUP BY 1, 2, 3`
              )
              .all() as Array<{ target: string; operation: string; status: string; count: number }>
          ).map((r) => [`${r.target} ${r.operation} ${r.status}`, r.count])
        );
      const counted = () =>
        Object.fromEntries(catalog.runCounts().map((r) => [`${r.target} ${r.operation} ${r.status}`, r.count]));
      expect(counted()).toEqual({});
      const a = catalog.startRun('mysql', 'backup', 's', at);
      catalog.finishRun(a, at, { status: 'success' });
      const long = catalog.startRun('mysql', 'restore', 's', at); // still running for a while
      const b = catalog.startRun('agama', 'backup', 's', at);
      catalog.finishRun(b, at, { status: 'failed', error: 'x' });
      expect(counted()).toEqual({ 'mysql backup success': 1, 'agama backup failed': 1 });
      const c = catalog.startRun('agama', 'backup', 's', at);
      catalog.finishRun(c, at, { status: 'unchanged' });
      expect(counted()).toEqual(full());
      catalog.finishRun(long, at, { status: 'failed', error: 'interrupted' });
      expect(counted()).toEqual({
        'mysql backup success': 1,
        'agama backup failed': 1,
        'agama backup unchanged': 1,
        'mysql restore failed': 1,
      });
      for (let i = 0; i < 50; i++) {
        const id = catalog.startRun(i % 2 ? 'mysql' : 'agama', 'verify', 's', at);
        catalog.finishRun(id, at, { status: i % 5 ? 'success' : 'failed' });
      }
      expect(counted()).toEqual(full());
      // Counting again without new runs reads only what is new (nothing): same answer.
      expect(counted()).toEqual(full());
    } finally {
      catalog.close();
    }
  });
});
