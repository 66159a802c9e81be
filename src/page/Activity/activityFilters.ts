/**
 * The Activity page's filters (issue 15.6): operation, target, status and time, kept in the URL and
 * applied to the runs and to the audit log alike.
 */
import type { AuditEntry, Operation, Run } from '../../api/types';

export type StatusFilter = 'all' | 'ok' | 'failed' | 'running';
export type TimeFilter = 'all' | '24h' | '7d' | '30d';

export interface ActivityFilters {
  operation: Operation | 'all';
  target: string;
  status: StatusFilter;
  time: TimeFilter;
}

export const FILTER_DEFAULTS = { operation: 'all', target: '', status: 'all', time: 'all' };

const SECONDS: Record<Exclude<TimeFilter, 'all'>, number> = { '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400 };

export function parseFilters(url: typeof FILTER_DEFAULTS): ActivityFilters {
  const operation = ['backup', 'verify', 'restore', 'forget'].includes(url.operation)
    ? (url.operation as Operation)
    : 'all';
  const status = ['ok', 'failed', 'running'].includes(url.status) ? (url.status as StatusFilter) : 'all';
  const time = ['24h', '7d', '30d', 'all'].includes(url.time) ? (url.time as TimeFilter) : 'all';
  return { operation, target: url.target, status, time };
}

function since(time: TimeFilter, now: number): number {
  return time === 'all' ? Number.NEGATIVE_INFINITY : now - SECONDS[time] * 1000;
}

/** A run's status in the filter's words: unchanged counts as ok. */
function runStatus(r: Run): StatusFilter {
  return r.status === 'running' ? 'running' : r.status === 'failed' ? 'failed' : 'ok';
}

export function filterRuns(runs: Run[], f: ActivityFilters, now = Date.now()): Run[] {
  const from = since(f.time, now);
  return runs.filter(
    (r) =>
      (f.operation === 'all' || r.operation === f.operation) &&
      (!f.target || r.target === f.target) &&
      (f.status === 'all' || runStatus(r) === f.status) &&
      new Date(r.startedAt).getTime() >= from
  );
}

/** One audit row per action: a 'started' entry and the entry that ended it, merged. */
export interface AuditRow extends Omit<AuditEntry, 'result'> {
  result: 'ok' | 'failed' | 'running';
  /** When it ended (null while running or for one-entry actions). */
  endedAt: string | null;
}

/**
 * The service writes a long action (a restore) twice: "started" with what was asked, then "ok" or
 * "failed" with the same words followed by what happened. Those two become one row (issue 15.6).
 */
export function mergeAudit(entries: AuditEntry[]): AuditRow[] {
  const oldestFirst = [...entries].sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);
  const ends = new Set<number>();
  const rows: AuditRow[] = [];
  for (const e of oldestFirst) {
    if (ends.has(e.id)) {
      continue;
    }
    if (e.result !== 'started') {
      rows.push({ ...e, result: e.result, endedAt: null });
      continue;
    }
    const end = oldestFirst.find(
      (x) =>
        !ends.has(x.id) &&
        x.id !== e.id &&
        x.result !== 'started' &&
        x.at >= e.at &&
        x.actor === e.actor &&
        x.action === e.action &&
        x.target === e.target &&
        (x.detail === e.detail || x.detail.startsWith(`${e.detail}:`))
    );
    if (end) {
      ends.add(end.id);
      rows.push({ ...e, detail: end.detail, result: end.result as 'ok' | 'failed', endedAt: end.at });
    } else {
      rows.push({ ...e, result: 'running', endedAt: null });
    }
  }
  return rows.sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id);
}

export function filterAudit(rows: AuditRow[], f: ActivityFilters, now = Date.now()): AuditRow[] {
  const from = since(f.time, now);
  return rows.filter(
    (r) =>
      (f.operation === 'all' || r.action === f.operation) &&
      (!f.target || r.target === f.target) &&
      (f.status === 'all' || r.result === f.status) &&
      new Date(r.at).getTime() >= from
  );
}
