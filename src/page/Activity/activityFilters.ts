/**
 * The Activity page's filters (issue 15.6): operation, target, status and time, kept in the URL and
 * applied to the runs and to the audit log alike: by the service (GET api/runs and api/audit take
 * status and since, api/runs operation and target), and here to what needs the app's knowledge
 * (the audit log's operation and target, and one row per action).
 */
import type { AuditEntry, Operation, Run, RunStatus } from '../../api/types';
import { auditTargetOf, matchesAddress, TargetRef } from '../../utils/lab';

export type StatusFilter = 'all' | 'ok' | 'failed' | 'running';
export type TimeFilter = 'all' | '24h' | '7d' | '30d';

export interface ActivityFilters {
  operation: Operation | 'all';
  /** A target address (`mysql`, `mon1/prometheus`), or '' for all. */
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

/**
 * The time filter as the service takes it (`since`, ISO-8601, to the minute: the same window for
 * a minute, and no second's difference between the runs and the audit log); undefined for any time.
 */
export function sinceOf(time: TimeFilter, now = Date.now()): string | undefined {
  if (time === 'all') {
    return undefined;
  }
  const from = now - SECONDS[time] * 1000;
  return new Date(from - (from % 60_000)).toISOString();
}

/** The status filter in the words of runs (an unchanged backup is ok). */
export const RUN_STATUSES: Record<Exclude<StatusFilter, 'all'>, RunStatus[]> = {
  ok: ['success', 'unchanged'],
  failed: ['failed'],
  running: ['running'],
};

/** The status filter in the words of the audit log (a running action's entry is 'started'). */
export const AUDIT_RESULTS: Record<Exclude<StatusFilter, 'all'>, Array<AuditEntry['result']>> = {
  ok: ['ok'],
  failed: ['failed'],
  running: ['started'],
};

/** A run's status in the filter's words: unchanged counts as ok. */
function runStatus(r: Run): StatusFilter {
  return r.status === 'running' ? 'running' : r.status === 'failed' ? 'failed' : 'ok';
}

/** What the service filtered, checked again (and the target matched by address); in time order as given. */
export function filterRuns(runs: Run[], f: ActivityFilters, self: string | null, now = Date.now()): Run[] {
  const from = f.time === 'all' ? Number.NEGATIVE_INFINITY : now - SECONDS[f.time] * 1000;
  return runs.filter(
    (r) =>
      (f.operation === 'all' || r.operation === f.operation) &&
      (!f.target || matchesAddress({ instance: r.instance, name: r.target }, f.target, self)) &&
      (f.status === 'all' || runStatus(r) === f.status) &&
      new Date(r.startedAt).getTime() >= from
  );
}

/** One audit row per action. */
export interface AuditRow extends Omit<AuditEntry, 'result'> {
  /** 'forwarded': this instance passed it on to a peer that has not said how it ended (or did not answer). */
  result: 'ok' | 'failed' | 'running' | 'forwarded';
  /** When it ended (null while running and for actions recorded once, when done). */
  endedAt: string | null;
  /** The target the row is about. */
  about: TargetRef | null;
  /** The instance that forwarded it to the target's instance (asked through it), or null. */
  via: string | null;
}

const rowOf = (e: AuditEntry, result: AuditRow['result'], endedAt: string | null): AuditRow => ({
  ...e,
  result,
  endedAt,
  about: auditTargetOf(e),
  via: null,
});

/** The run an entry names: on its own instance, or on the peer it forwarded the operation to. */
function runOf(e: AuditEntry): string | null {
  if (e.runId === null || e.runId === undefined) {
    return null;
  }
  const about = auditTargetOf(e);
  return `${about?.instance ?? e.instance}/${e.runId}/${e.action}`;
}

/**
 * One row per action, newest first:
 * - the service records an action that runs (a restore) once, updated with its result: its row as is;
 * - an operation forwarded to a peer is in both audit logs, naming the peer's run: one row, the
 *   peer's (which says how it ended), noting through which instance it was asked;
 * - entries of before runs were named (a "started" entry and the one that ended it, apart): the
 *   two are joined by who, what and the words of the first.
 */
export function mergeAudit(entries: AuditEntry[]): AuditRow[] {
  const rows: AuditRow[] = [];
  // Forwarded entries by the peer's run, to fold into the peer's own.
  const forwarded = new Map<string, AuditEntry>();
  const byRun = new Map<string, AuditRow>();
  const legacy: AuditEntry[] = [];
  for (const e of entries) {
    const run = runOf(e);
    const isForward = Boolean(e.target?.includes('/'));
    if (run && isForward) {
      forwarded.set(run, e);
    } else if (run) {
      const row = rowOf(e, e.result === 'started' ? 'running' : e.result, e.finishedAt ?? null);
      byRun.set(run, row);
      rows.push(row);
    } else {
      legacy.push(e);
    }
  }
  for (const [run, e] of forwarded) {
    const own = byRun.get(run);
    if (own) {
      own.via = e.instance;
    } else {
      rows.push(rowOf(e, e.result === 'started' ? 'forwarded' : e.result, e.finishedAt ?? null));
    }
  }
  rows.push(...mergeLegacy(legacy));
  return rows.sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id);
}

/** Entries without a run: a long action's "started" entry and the one that ended it, joined. */
function mergeLegacy(entries: AuditEntry[]): AuditRow[] {
  const oldestFirst = [...entries].sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);
  const ends = new Set<AuditEntry>();
  const rows: AuditRow[] = [];
  for (const e of oldestFirst) {
    if (ends.has(e)) {
      continue;
    }
    if (e.result !== 'started') {
      rows.push(rowOf(e, e.result, null));
      continue;
    }
    const end = oldestFirst.find(
      (x) =>
        !ends.has(x) &&
        x !== e &&
        x.result !== 'started' &&
        x.instance === e.instance &&
        x.at >= e.at &&
        x.actor === e.actor &&
        x.action === e.action &&
        x.target === e.target &&
        (x.detail === e.detail || x.detail.startsWith(`${e.detail}:`))
    );
    if (end) {
      ends.add(end);
      rows.push({ ...rowOf(e, end.result as 'ok' | 'failed', end.at), detail: end.detail });
    } else {
      rows.push(rowOf(e, 'running', null));
    }
  }
  return rows;
}

export function filterAudit(rows: AuditRow[], f: ActivityFilters, self: string | null, now = Date.now()): AuditRow[] {
  const from = f.time === 'all' ? Number.NEGATIVE_INFINITY : now - SECONDS[f.time] * 1000;
  return rows.filter(
    (r) =>
      (f.operation === 'all' || r.action === f.operation) &&
      (!f.target || (r.about !== null && matchesAddress(r.about, f.target, self))) &&
      (f.status === 'all' || r.result === f.status) &&
      new Date(r.at).getTime() >= from
  );
}
