/**
 * The SLA state judges versions against what the retention can have kept (every version ever
 * taken), but reads that history only as far as it needs: the status of a target with years of
 * daily versions costs the same as one with a few weeks', with the same answer.
 */
import type { TargetConfig } from '../config/types';
import { Catalog } from '../catalog/catalog';
import { applyPolicy } from './retention';
import { targetState } from './sla';

const DAY = 86_400_000;

function target(retention: TargetConfig['retention']): TargetConfig {
  return {
    name: 'db',
    kind: 'mysql',
    settings: {},
    schedule: '0 2 * * *',
    rpoSeconds: 86400,
    rtoSeconds: 300,
    retention,
    safetyRetentionSeconds: 30 * 86400,
    verifySchedule: null,
    repository: 'main',
    copies: [],
    coverage: '',
    usability: '',
    timeoutSeconds: 3600,
  };
}

describe('versions against a long history', () => {
  const catalog = new Catalog(':memory:');
  const now = new Date('2026-06-30T12:00:00Z');
  const versions: Array<{ id: string; time: string }> = [];
  beforeAll(() => {
    // Three years of daily versions; the newest 10 held, the rest forgotten by retention.
    for (let i = 1095; i >= 1; i--) {
      const at = new Date(now.getTime() - i * DAY);
      const id = `${String(i).padStart(8, '0')}${'0'.repeat(56)}`;
      const run = catalog.startRun('db', 'backup', 'scheduler', at);
      catalog.addSnapshot(
        {
          id,
          target: 'db',
          time: at.toISOString(),
          bytes: 1,
          version: null,
          metadata: null,
          runId: run,
          runUid: null,
          safety: false,
        },
        'main'
      );
      catalog.finishRun(run, at, { status: 'success', snapshotId: id });
      versions.unshift({ id, time: at.toISOString() });
    }
    catalog.markForgotten(
      versions.slice(10).map((v) => v.id),
      now
    );
  });
  afterAll(() => catalog.close());

  it.each([[{ keepLast: 10 }], [{ keepWeekly: 10 }], [{ keepMonthly: 12 }], [{ keepDaily: 30, keepWithin: '2w' }]])(
    '%j: the same judgement as over the whole history',
    (retention) => {
      const t = target(retention);
      const s = targetState(t, catalog, now);
      const required = s.versionsRequired;
      expect(s.versionsExpected).toBe(Math.min(required, applyPolicy(versions, retention).size));
    }
  );

  it('applyPolicy with a limit stops reading once that many are kept', () => {
    let read = 0;
    const counted = (function* () {
      for (const v of versions) {
        read++;
        yield v;
      }
    })();
    expect(applyPolicy(counted, { keepWeekly: 10 }, 10).size).toBe(10);
    expect(read).toBeLessThanOrEqual(8 * 10); // about a week of daily versions per weekly one
  });
});
