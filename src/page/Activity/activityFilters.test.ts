import type { AuditEntry } from '../../api/types';
import { filterAudit, filterRuns, mergeAudit, parseFilters, sinceOf } from './activityFilters';
import { NOW, SELF, makeRun } from '../../test/fixtures';

const entry = (id: number, at: string, result: AuditEntry['result'], detail: string, actor = 'alice'): AuditEntry => ({
  id,
  instance: SELF,
  runId: null,
  finishedAt: null,
  at,
  actor,
  role: 'admin',
  action: 'restore',
  target: 'mysql',
  detail,
  result,
});

describe('activity filters', () => {
  it("one row per action: the service's own (a restore updated with its result), as it is", () => {
    const rows = mergeAudit([
      {
        ...entry(7, '2025-03-10T10:05:00Z', 'ok', 'snapshot a to x: restored'),
        runId: 12,
        finishedAt: '2025-03-10T10:06:02Z',
      },
      { ...entry(6, '2025-03-10T10:04:00Z', 'started', 'snapshot b to y'), runId: 13 },
      // Run 12 of mon1 is not app1's run 12: two actions.
      { ...entry(3, '2025-03-10T10:03:00Z', 'ok', 'snapshot c to z: restored'), instance: 'mon1', runId: 12 },
    ]);
    expect(rows.map((r) => [r.instance, r.id, r.result, r.endedAt, r.via])).toEqual([
      [SELF, 7, 'ok', '2025-03-10T10:06:02Z', null],
      [SELF, 6, 'running', null, null],
      ['mon1', 3, 'ok', null, null],
    ]);
  });

  it("an operation forwarded to a peer is one row: the peer's, asked through the forwarding instance", () => {
    const forwarded = {
      ...entry(9, '2025-03-10T10:00:00Z', 'started', 'forwarded to mon1: run 17'),
      target: 'mon1/prometheus',
      runId: 17,
    };
    const there = {
      ...entry(40, '2025-03-10T10:00:01Z', 'ok', 'snapshot d to the same place: restored'),
      instance: 'mon1',
      target: 'prometheus',
      runId: 17,
      finishedAt: '2025-03-10T10:01:00Z',
    };
    const both = mergeAudit([there, forwarded]);
    expect(both.map((r) => [r.instance, r.id, r.result, r.about, r.via])).toEqual([
      ['mon1', 40, 'ok', { instance: 'mon1', name: 'prometheus' }, SELF],
    ]);
    // The peer's part missing (it did not answer): the forwarding entry says it was forwarded.
    expect(mergeAudit([forwarded]).map((r) => [r.result, r.about])).toEqual([
      ['forwarded', { instance: 'mon1', name: 'prometheus' }],
    ]);
    // Filtered by target address: mon1/prometheus is that row, prometheus (app1's) is not.
    const f = parseFilters({ operation: 'restore', target: 'mon1/prometheus', status: 'all', time: 'all' });
    expect(filterAudit(both, f, SELF)).toHaveLength(1);
    expect(filterAudit(both, { ...f, target: 'prometheus' }, SELF)).toHaveLength(0);
  });

  it('merge a started action with the entry that ended it, and nothing else (entries of before runs were named)', () => {
    const rows = mergeAudit([
      entry(5, '2025-03-10T10:02:00Z', 'failed', 'snapshot b to the same place: checking failed'),
      entry(4, '2025-03-10T10:01:00Z', 'started', 'snapshot b to the same place'),
      entry(3, '2025-03-10T10:00:30Z', 'ok', 'snapshot a to x: restored to database x'),
      entry(2, '2025-03-10T10:00:10Z', 'started', 'snapshot c to y', 'bob'),
      entry(1, '2025-03-10T10:00:00Z', 'started', 'snapshot a to x'),
    ]);
    expect(rows.map((r) => [r.id, r.result, r.detail, r.endedAt])).toEqual([
      [4, 'failed', 'snapshot b to the same place: checking failed', '2025-03-10T10:02:00Z'],
      [2, 'running', 'snapshot c to y', null],
      [1, 'ok', 'snapshot a to x: restored to database x', '2025-03-10T10:00:30Z'],
    ]);
  });

  it('apply operation, target, status and time to runs and audit alike', () => {
    const f = parseFilters({ operation: 'backup', target: 'mysql', status: 'failed', time: '24h' });
    const runs = [
      makeRun({ id: 1, status: 'failed', startedAt: new Date(NOW.getTime() - 3600_000).toISOString() }),
      makeRun({ id: 2, status: 'failed', startedAt: new Date(NOW.getTime() - 3 * 86400_000).toISOString() }),
      makeRun({ id: 3, status: 'success', startedAt: NOW.toISOString() }),
      makeRun({ id: 4, status: 'failed', target: 'ansible', startedAt: NOW.toISOString() }),
    ];
    expect(filterRuns(runs, f, SELF, NOW.getTime()).map((r) => r.id)).toEqual([1]);
    expect(
      filterRuns(
        [makeRun({ status: 'unchanged' })],
        parseFilters({ operation: 'all', target: '', status: 'ok', time: 'all' }),
        SELF
      )
    ).toHaveLength(1);
    // A target address names its machine: mon1's mysql is not app1's.
    const mon1 = makeRun({ id: 5, instance: 'mon1', status: 'failed', startedAt: NOW.toISOString() });
    expect(filterRuns([mon1], f, SELF, NOW.getTime())).toEqual([]);
    expect(filterRuns([mon1], { ...f, target: 'mon1/mysql' }, SELF, NOW.getTime())).toEqual([mon1]);
    const audit = mergeAudit([{ ...entry(9, NOW.toISOString(), 'failed', 'manual backup'), action: 'backup' }]);
    expect(filterAudit(audit, f, SELF, NOW.getTime())).toHaveLength(1);
    // The service is asked for the same window: since, 24 h before now.
    expect(sinceOf('24h', NOW.getTime())).toBe('2025-03-09T12:00:00.000Z');
    expect(sinceOf('all', NOW.getTime())).toBeUndefined();
    expect(parseFilters({ operation: 'nonsense', target: '', status: 'x', time: 'y' })).toEqual({
      operation: 'all',
      target: '',
      status: 'all',
      time: 'all',
    });
  });
});
