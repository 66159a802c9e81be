/**
 * The SLA state of every target: one function, used by the CLI `status`, the HTTP API and the
 * metrics, so the three never disagree. Each check carries its reason in words a person reads.
 */
import type { Catalog, RunRecord, SnapshotRecord } from '../catalog/catalog';
import type { Config, Retention, TargetConfig } from '../config/types';
import { formatDuration } from '../config/duration';
import { nextSlot, previousSlot } from '../scheduler/cron';

export type Level = 'ok' | 'warning' | 'critical' | 'unknown';

export interface Check {
  level: Level;
  reason: string;
}

export interface TargetState {
  name: string;
  kind: string;
  target: TargetConfig;
  level: Level;
  reasons: string[];
  checks: { fresh: Check; versions: Check; verified: Check; copies: Check; recovery: Check };
  lastSuccessAt: string | null;
  ageSeconds: number | null;
  lastRun: RunRecord | null;
  lastBackup: RunRecord | null;
  versionsHeld: number;
  versionsRequired: number;
  versionsExpected: number;
  versionsCompleteAt: string | null;
  lastVerification: {
    at: string;
    success: boolean;
    outcome: 'passed' | 'failed' | 'unknown';
    durationSeconds: number | null;
    snapshotId: string | null;
  } | null;
  copiesHeld: number;
  copiesRequired: number;
  recoverySeconds: number | null;
  nextRunAt: string | null;
  nextVerifyAt: string | null;
  running: RunRecord | null;
  snapshots: SnapshotRecord[];
}

export interface CoveredState {
  name: string;
  coveredBy: string;
  note: string;
  level: Level;
}

export interface SlaState {
  generatedAt: string;
  level: Level;
  targets: TargetState[];
  covered: CoveredState[];
}

const RANK: Record<Level, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export function worst(levels: Level[]): Level {
  return levels.reduce<Level>((w, l) => (RANK[l] > RANK[w] ? l : w), 'ok');
}

/** How many versions the retention policy keeps once it is full (keepWithin alone: at least 1). */
export function versionsRequired(r: Retention): number {
  return Math.max(r.keepLast ?? 0, r.keepDaily ?? 0, r.keepWeekly ?? 0, r.keepMonthly ?? 0, 1);
}

export function retentionText(r: Retention): string {
  const parts: string[] = [];
  if (r.keepLast) {
    parts.push(`last ${r.keepLast} versions`);
  }
  if (r.keepDaily) {
    parts.push(`${r.keepDaily} daily versions`);
  }
  if (r.keepWeekly) {
    parts.push(`${r.keepWeekly} weekly versions`);
  }
  if (r.keepMonthly) {
    parts.push(`${r.keepMonthly} monthly versions`);
  }
  if (r.keepWithin) {
    parts.push(`everything within ${r.keepWithin}`);
  }
  return parts.join(' + ');
}

function ago(seconds: number): string {
  return `${formatDuration(seconds)} ago`;
}

function seconds(from: string, now: Date): number {
  return Math.max(0, (now.getTime() - Date.parse(from)) / 1000);
}

function freshness(
  t: TargetConfig,
  lastGood: RunRecord | null,
  lastBackup: RunRecord | null,
  held: number,
  now: Date
): Check {
  const failed = lastBackup?.status === 'failed' ? `; last backup failed: ${lastBackup.error ?? 'unknown error'}` : '';
  if (t.rpoSeconds === null) {
    return held > 0
      ? { level: failed ? 'warning' : 'ok', reason: `current version held${failed}` }
      : { level: 'critical', reason: `no version held yet${failed}` };
  }
  if (!lastGood?.finishedAt) {
    return { level: 'critical', reason: `no good backup yet, RPO ${formatDuration(t.rpoSeconds)}${failed}` };
  }
  const age = seconds(lastGood.finishedAt, now);
  const words = `last good backup ${ago(age)}, RPO ${formatDuration(t.rpoSeconds)}`;
  if (age > t.rpoSeconds) {
    return { level: 'critical', reason: `${words}${failed}` };
  }
  return { level: failed ? 'warning' : 'ok', reason: `${words}${failed}` };
}

/**
 * Fewer versions than the policy keeps is expected while a new target builds up its history
 * (nothing was ever forgotten): that is fine. Fewer after retention has removed some means
 * versions are missing that should be there.
 */
function versions(held: number, required: number, everForgotten: boolean): Check {
  if (held === 0) {
    return { level: 'critical', reason: `no versions held, ${required} required` };
  }
  if (held < required) {
    return everForgotten
      ? { level: 'warning', reason: `only ${held} of ${required} versions held` }
      : { level: 'ok', reason: `${held} of ${required} versions held so far (building up)` };
  }
  return { level: 'ok', reason: `${held} versions held, ${required} required` };
}

function verified(t: TargetConfig, last: TargetState['lastVerification'], error: string | null, now: Date): Check {
  if (!last) {
    return { level: 'warning', reason: 'never verified' };
  }
  if (last.outcome === 'unknown') {
    // Nothing was learned about the snapshot: not a failure of the backup, but not proof either.
    const why = error ? `: ${error.replace(/^could not verify: /, '')}` : '';
    return { level: 'unknown', reason: `could not verify ${ago(seconds(last.at, now))}${why}` };
  }
  if (!last.success) {
    // Why, in words: a verification that found different data and one that never finished differ.
    const why = error ? `: ${error.replace(/^verification failed: /, '')}` : '';
    return { level: 'critical', reason: `last verification failed ${ago(seconds(last.at, now))}${why}` };
  }
  if (t.verifySchedule) {
    const prev = previousSlot(t.verifySchedule, now);
    const prevPrev = prev && previousSlot(t.verifySchedule, new Date(prev.getTime() - 60_000));
    const interval = prev && prevPrev ? (prev.getTime() - prevPrev.getTime()) / 1000 : null;
    if (interval && seconds(last.at, now) > 2 * interval) {
      return { level: 'warning', reason: `verification overdue: last passed ${ago(seconds(last.at, now))}` };
    }
  }
  return { level: 'ok', reason: `verified ${ago(seconds(last.at, now))}` };
}

function copies(
  t: TargetConfig,
  newest: SnapshotRecord | undefined,
  lastBackup: RunRecord | null
): { check: Check; held: number } {
  const required = t.copies.length;
  if (required === 0) {
    return { check: { level: 'ok', reason: 'no extra copies required' }, held: 0 };
  }
  const held = newest ? t.copies.filter((c) => newest.heldBy.includes(c)).length : 0;
  const missing = t.copies.filter((c) => !newest?.heldBy.includes(c));
  if (missing.length === 0) {
    return { check: { level: 'ok', reason: `${held} of ${required} copies hold the newest version` }, held };
  }
  const errors = (lastBackup?.detail.copyErrors as string[] | undefined) ?? [];
  const why = errors.length ? `: ${errors.join('; ')}` : '';
  return {
    check: { level: 'warning', reason: `copies missing the newest version: ${missing.join(', ')}${why}` },
    held,
  };
}

function recovery(t: TargetConfig, measured: number | null, how: string): Check {
  if (measured === null) {
    return { level: 'unknown', reason: `no restore measured yet, RTO ${formatDuration(t.rtoSeconds)}` };
  }
  const words = `last ${how} took ${formatDuration(measured)}, RTO ${formatDuration(t.rtoSeconds)}`;
  return { level: measured > t.rtoSeconds ? 'warning' : 'ok', reason: words };
}

export function targetState(t: TargetConfig, catalog: Catalog, now: Date): TargetState {
  const snapshots = catalog.snapshots(t.name, t.repository);
  const lastGood = catalog.lastRun(t.name, 'backup', ['success', 'unchanged']);
  const lastBackup = catalog.lastRun(t.name, 'backup', ['success', 'unchanged', 'failed']);
  const lastVerify = catalog.lastRun(t.name, 'verify', ['success', 'failed']);
  const lastRestore = catalog.lastRun(t.name, 'restore', ['success']);
  // From the partial index of running runs: looking for 'running' per operation scanned the whole history.
  const running =
    catalog
      .runningRuns()
      .filter((r) => r.target === t.name)
      .pop() ?? null;
  const runs = [lastBackup, lastVerify, lastRestore, running].filter((r): r is RunRecord => !!r);
  const lastRun = runs.sort((a, b) => b.id - a.id)[0] ?? null;

  const outcome = (lastVerify?.detail.verification as { outcome?: 'passed' | 'failed' | 'unknown' } | undefined)
    ?.outcome;
  const lastVerification = lastVerify?.finishedAt
    ? {
        at: lastVerify.finishedAt,
        success: lastVerify.status === 'success',
        outcome: outcome ?? (lastVerify.status === 'success' ? ('passed' as const) : ('failed' as const)),
        durationSeconds: (lastVerify.detail.durationSeconds as number | undefined) ?? null,
        snapshotId: (lastVerify.detail.snapshot as string | undefined) ?? lastVerify.snapshotId,
      }
    : null;
  // The measured recovery time: the newest real restore, else the newest verification (a test restore).
  const restoreSeconds = (lastRestore?.detail.durationSeconds as number | undefined) ?? null;
  const verifySeconds =
    lastVerify?.status === 'success' ? ((lastVerify.detail.durationSeconds as number | undefined) ?? null) : null;
  const useRestore =
    restoreSeconds !== null && (!lastVerify || (lastRestore?.id ?? 0) > lastVerify.id || verifySeconds === null);
  const recoverySeconds = useRestore ? restoreSeconds : verifySeconds;

  const required = versionsRequired(t.retention);
  const copy = copies(t, snapshots.find((s) => !s.safety) ?? snapshots[0], lastBackup);
  const checks = {
    fresh: freshness(t, lastGood, lastBackup, snapshots.length, now),
    versions: versions(snapshots.length, required, catalog.everForgotten(t.name)),
    verified: verified(t, lastVerification, lastVerify?.status === 'failed' ? lastVerify.error : null, now),
    copies: copy.check,
    recovery: recovery(t, recoverySeconds, useRestore ? 'restore' : 'test restore'),
  };
  const ordered = Object.values(checks).sort((a, b) => RANK[b.level] - RANK[a.level]);
  const level = worst(ordered.map((c) => (c.level === 'unknown' ? 'warning' : c.level)));
  const next = (expr: string | null) => (expr ? (nextSlot(expr, now)?.toISOString() ?? null) : null);
  return {
    name: t.name,
    kind: t.kind,
    target: t,
    level,
    reasons: ordered.filter((c) => c.level !== 'ok').map((c) => c.reason),
    checks,
    lastSuccessAt: lastGood?.finishedAt ?? null,
    ageSeconds: lastGood?.finishedAt ? seconds(lastGood.finishedAt, now) : null,
    lastRun,
    lastBackup,
    versionsHeld: snapshots.length,
    versionsRequired: required,
    versionsExpected: required,
    versionsCompleteAt: null,
    lastVerification,
    copiesHeld: copy.held,
    copiesRequired: t.copies.length,
    recoverySeconds,
    nextRunAt: next(t.schedule),
    nextVerifyAt: next(t.verifySchedule),
    running,
    snapshots,
  };
}

export function slaState(config: Config, catalog: Catalog, now: Date): SlaState {
  const targets = Object.values(config.targets).map((t) => targetState(t, catalog, now));
  const covered = config.covered.map((c) => ({
    ...c,
    level: targets.find((t) => t.name === c.coveredBy)?.level ?? ('unknown' as Level),
  }));
  return { generatedAt: now.toISOString(), level: worst(targets.map((t) => t.level)), targets, covered };
}
