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
    } finally {
      catalog.close();
    }
  });
});
