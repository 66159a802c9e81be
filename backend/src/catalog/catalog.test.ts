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
