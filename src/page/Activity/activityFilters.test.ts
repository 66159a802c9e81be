import type { AuditEntry } from '../../api/types';
import { filterAudit, filterRuns, mergeAudit, parseFilters } from './activityFilters';
import { NOW, makeRun } from '../../test/fixtures';

const entry = (id: number, at: string, result: AuditEntry['result'], detail: string, actor = 'alice'): AuditEntry => ({
  id,
  at,
  actor,
  role: 'admin',
  action: 'restore',
  target: 'mysql',
  detail,
  result,
});

describe('activity filters', () => {
  it('merge a started action with the entry that ended it, and nothing else', () => {
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
    expect(filterRuns(runs, f, NOW.getTime()).map((r) => r.id)).toEqual([1]);
    expect(
      filterRuns(
        [makeRun({ status: 'unchanged' })],
        parseFilters({ operation: 'all', target: '', status: 'ok', time: 'all' })
      )
    ).toHaveLength(1);
    const audit = mergeAudit([{ ...entry(9, NOW.toISOString(), 'failed', 'manual backup'), action: 'backup' }]);
    expect(filterAudit(audit, f, NOW.getTime())).toHaveLength(1);
    expect(parseFilters({ operation: 'nonsense', target: '', status: 'x', time: 'y' })).toEqual({
      operation: 'all',
      target: '',
      status: 'all',
      time: 'all',
    });
  });
});
