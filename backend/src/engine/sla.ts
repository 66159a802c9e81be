/**
 * The SLA state of every target: one function, used by the CLI `status`, the HTTP API and the
 * metrics, so the three never disagree. Each check carries its reason in words a person reads.
 */
import type { Catalog, RunRecord, SnapshotRecord } from '../catalog/catalog';
import type { Config, Retention, TargetConfig } from '../config/types';
import { formatDuration } from '../config/duration';
import { nextSlot, previousSlot } from '../scheduler/cron';
import { applyPolicy } from './retention';
import type { PitrWindow } from './pitr/window';
import { targetWindow } from './pitr/log';

export type Level = 'ok' | 'warning' | 'critical' | 'unknown';

export interface Check {
  level: Level;
  /** In words a person reads. */
  reason: string;
  /** The tool's own words behind it (an error message), if any. */
  cause?: string | null;
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
  /** The newest verification that reached a verdict (a "could not verify" is not one). */
  lastVerdict: { at: string; success: boolean } | null;
  copiesHeld: number;
  copiesRequired: number;
  recoverySeconds: number | null;
  nextRunAt: string | null;
  nextVerifyAt: string | null;
  running: RunRecord | null;
  snapshots: SnapshotRecord[];
  /** Point-in-time recovery (targets that archive their log): the window, the archiver; null: off. */
  pitr: PitrState | null;
}

export interface PitrState extends PitrWindow {
  archiver: 'following' | 'retrying' | 'stopped';
  archiverDetail: string | null;
  archiverRestarts: number;
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

/** Times a little ahead of the clock are tolerated (clocks of the CLI and the daemon differ a little). */
const CLOCK_SLACK_MS = 60_000;

function inFuture(iso: string, now: Date): boolean {
  return Date.parse(iso) > now.getTime() + CLOCK_SLACK_MS;
}

function freshness(
  t: TargetConfig,
  lastGood: RunRecord | null,
  lastBackup: RunRecord | null,
  versions: number,
  now: Date
): Check {
  const failed = lastBackup?.status === 'failed';
  // The tool's own words behind "the last backup failed", shown apart from the sentence.
  const cause = failed ? { cause: lastBackup.error ?? 'unknown error' } : {};
  const tail = failed ? '; the last backup failed' : '';
  if (t.rpoSeconds === null) {
    return versions > 0
      ? { level: failed ? 'warning' : 'ok', reason: `current version held${tail}`, ...cause }
      : { level: 'critical', reason: `no version held yet${tail}`, ...cause };
  }
  if (!lastGood?.finishedAt) {
    return { level: 'critical', reason: `no good backup yet, RPO ${formatDuration(t.rpoSeconds)}${tail}`, ...cause };
  }
  if (inFuture(lastGood.finishedAt, now)) {
    // An age below zero must not read as fresh: the clock went back (or was wrong then).
    return {
      level: 'warning',
      reason: `the last good backup is dated ${lastGood.finishedAt}, after the service's clock (${now.toISOString()}): the clock went back or was wrong; its age is unknown${tail}`,
      ...cause,
    };
  }
  const age = seconds(lastGood.finishedAt, now);
  const words = `last good backup ${ago(age)}, RPO ${formatDuration(t.rpoSeconds)}`;
  if (age > t.rpoSeconds) {
    return { level: 'critical', reason: `${words}${tail}`, ...cause };
  }
  return { level: failed ? 'warning' : 'ok', reason: `${words}${tail}`, ...cause };
}

/**
 * When the history will be complete: the policy's rules that are not full yet, estimated from the
 * first version and the schedule (one version per period from then on). null when it cannot be
 * told (keepLast on a target that saves only on change) or when it is complete.
 */
function completeAt(t: TargetConfig, ever: VersionRow[], expected: number, required: number, now: Date): string | null {
  if (expected >= required || !ever.length) {
    return null;
  }
  const first = new Date(ever[ever.length - 1].time);
  const r = t.retention;
  const estimates: number[] = [];
  const add = (n: number | undefined, step: (d: Date, k: number) => Date) => {
    if (n) {
      estimates.push(step(first, n - 1).getTime());
    }
  };
  add(r.keepDaily, (d, k) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + k));
  add(r.keepWeekly, (d, k) => new Date(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7) + 7 * k));
  add(r.keepMonthly, (d, k) => new Date(d.getFullYear(), d.getMonth() + k, 1));
  if (r.keepLast) {
    if (t.rpoSeconds === null) {
      return null; // versions come when the content changes: no date to promise
    }
    let at: Date | null = now;
    for (let k = 0; k < r.keepLast - ever.length && at; k++) {
      at = nextSlot(t.schedule, at);
    }
    if (!at) {
      return null;
    }
    estimates.push(at.getTime());
  }
  return estimates.length ? new Date(Math.max(...estimates, now.getTime())).toISOString() : null;
}

/**
 * Versions are judged against what the retention can have kept by now: the policy applied to
 * every version ever taken (held or forgotten). Fewer than required is fine while the history
 * builds up; fewer than the retention can have kept means versions are missing.
 */
function versions(
  t: TargetConfig,
  held: number,
  expected: number,
  required: number,
  complete: string | null,
  retentionHeld: string | null
): Check {
  if (held === 0) {
    return { level: 'critical', reason: `no versions held, ${required} required` };
  }
  if (retentionHeld) {
    return { level: 'warning', reason: `${held} of ${required} versions held; ${retentionHeld}` };
  }
  if (held < expected) {
    return {
      level: 'warning',
      reason: `only ${held} of ${required} versions held; the retention (${retentionText(t.retention)}) can have kept ${expected} by now`,
    };
  }
  if (held < required) {
    const when = complete ? `; complete by ${complete.slice(0, 10)}` : '';
    return { level: 'ok', reason: `${held} of ${required} versions held so far (building up${when})` };
  }
  return { level: 'ok', reason: `${held} versions held, ${required} required` };
}

function verified(
  t: TargetConfig,
  last: TargetState['lastVerification'],
  error: string | null,
  lastVerdict: RunRecord | null,
  now: Date
): Check {
  if (!last) {
    return { level: 'warning', reason: 'never verified' };
  }
  if (last.outcome === 'unknown') {
    // Nothing was learned about the snapshot: not a failure of the backup, but no proof either.
    const before = lastVerdict?.finishedAt
      ? `; the last verification that ran ${lastVerdict.status === 'success' ? 'passed' : 'failed'} ${ago(seconds(lastVerdict.finishedAt, now))}`
      : '';
    return {
      level: 'unknown',
      reason: `could not verify ${ago(seconds(last.at, now))}${before}`,
      ...(error ? { cause: error } : {}),
    };
  }
  if (!last.success) {
    return {
      level: 'critical',
      reason: `last verification failed ${ago(seconds(last.at, now))}`,
      ...(error ? { cause: error } : {}),
    };
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
  const errors = lastBackup?.detail.copyErrors ?? [];
  return {
    check: {
      level: 'warning',
      reason: `copies missing the newest version: ${missing.join(', ')}`,
      ...(errors.length ? { cause: errors.join('; ') } : {}),
    },
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

type VersionRow = { id: string; time: string };

const isoSecond = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Freshness of a target that archives its log: the recovery point is the newest recoverable
 * second (the archive, from a dump before it), or the newest dump itself; the RPO (the SLA's
 * "few hours") is met by the archive's lag. A gap in the window or an archive that stopped is a
 * warning even while the RPO holds: it fails closed (the alert fires, restores into it are refused).
 */
function pitrFreshness(
  t: TargetConfig,
  w: PitrState,
  lastGood: RunRecord | null,
  lastBackup: RunRecord | null,
  now: Date
): Check {
  const failed = lastBackup?.status === 'failed';
  const cause = failed ? { cause: lastBackup.error ?? 'unknown error' } : {};
  const dumpAt = lastGood?.finishedAt ? Date.parse(lastGood.finishedAt) : null;
  const point = Math.max(w.end !== null ? (w.end + 1) * 1000 : -1, dumpAt ?? -1);
  const rpo = t.rpoSeconds;
  const notes: string[] = [];
  if (w.stalled) {
    notes.push(w.stalled);
  }
  const broken = w.gaps.filter((g) => g.kind === 'archive');
  if (broken.length) {
    const g = broken[broken.length - 1];
    notes.push(
      `the archive has ${broken.length === 1 ? 'a gap' : `${broken.length} gaps`}: ${isoSecond(g.start)} – ${isoSecond(g.end)} cannot be recovered (${g.reason})`
    );
  }
  if (failed) {
    notes.push('the last backup failed');
  }
  const tail = notes.length ? `; ${notes.join('; ')}` : '';
  if (point < 0) {
    return {
      level: 'critical',
      reason: `no good backup yet${rpo !== null ? `, RPO ${formatDuration(rpo)}` : ''}${tail}`,
      ...cause,
    };
  }
  const age = Math.max(0, (now.getTime() - point) / 1000);
  const how =
    w.end !== null && (w.end + 1) * 1000 >= (dumpAt ?? 0)
      ? `recoverable to ${ago(age)} (binary log archived, lag ${formatDuration(Math.round(w.lagSeconds ?? age))})`
      : `last good backup ${ago(age)}`;
  const dump =
    dumpAt !== null && how.startsWith('recoverable') ? `; last dump ${ago(seconds(lastGood!.finishedAt!, now))}` : '';
  const words = `${how}${rpo !== null ? `, RPO ${formatDuration(rpo)}` : ''}${dump}${tail}`;
  if (rpo !== null && age > rpo) {
    return { level: 'critical', reason: words, ...cause };
  }
  return { level: notes.length ? 'warning' : 'ok', reason: words, ...cause };
}

function pitrState(t: TargetConfig, catalog: Catalog, now: Date): PitrState | null {
  const w = targetWindow(t, catalog, now);
  if (!w) {
    return null;
  }
  const state = catalog.archive.state(t.name);
  return {
    ...w,
    archiver: state?.state ?? 'stopped',
    archiverDetail: state?.detail ?? (state ? null : 'not started yet: backup-sla serve runs the archiver'),
    archiverRestarts: state?.restarts ?? 0,
  };
}

export function targetState(t: TargetConfig, catalog: Catalog, now: Date): TargetState {
  const snapshots = catalog.snapshots(t.name, t.repository);
  // Versions: safety snapshots are not versions; one that failed verification is not a working one.
  const versionsHeld = snapshots.filter((s) => !s.safety && s.verification !== 'failed');
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

  const outcome = lastVerify?.detail.verification?.outcome;
  const lastVerification = lastVerify?.finishedAt
    ? {
        at: lastVerify.finishedAt,
        success: lastVerify.status === 'success',
        outcome: outcome ?? (lastVerify.status === 'success' ? ('passed' as const) : ('failed' as const)),
        durationSeconds: lastVerify.detail.durationSeconds ?? null,
        snapshotId: lastVerify.detail.snapshot ?? lastVerify.snapshotId,
      }
    : null;
  const lastVerdict = outcome === 'unknown' ? catalog.lastVerdict(t.name) : lastVerify;
  // The measured recovery time: the newest real restore, else the newest verification (a test restore).
  const restoreSeconds = lastRestore?.detail.durationSeconds ?? null;
  const verifySeconds = lastVerify?.status === 'success' ? (lastVerify.detail.durationSeconds ?? null) : null;
  const useRestore =
    restoreSeconds !== null && (!lastVerify || (lastRestore?.id ?? 0) > lastVerify.id || verifySeconds === null);
  const recoverySeconds = useRestore ? restoreSeconds : verifySeconds;

  const required = versionsRequired(t.retention);
  // Read newest first only as far as needed: once the policy keeps `required`, the rest of a long
  // history changes nothing (`ever` is then partial, and completeAt has nothing to estimate).
  const ever: VersionRow[] = [];
  const history = catalog.versionHistory(t.name);
  const expected = Math.min(
    required,
    applyPolicy(
      (function* () {
        for (const v of history) {
          ever.push(v);
          yield v;
        }
      })(),
      t.retention,
      required
    ).size
  );
  const complete = completeAt(t, ever, expected, required, now);
  const copy = copies(
    t,
    snapshots.find((s) => !s.safety),
    lastBackup
  );
  const pitr = pitrState(t, catalog, now);
  const checks = {
    fresh: pitr
      ? pitrFreshness(t, pitr, lastGood, lastBackup, now)
      : freshness(t, lastGood, lastBackup, versionsHeld.length, now),
    versions: versions(
      t,
      versionsHeld.length,
      expected,
      required,
      complete,
      catalog.lastRun(t.name, 'backup', ['success'])?.detail.retentionHeld ?? null
    ),
    verified: verified(
      t,
      lastVerification,
      lastVerify?.status === 'failed' ? lastVerify.error : null,
      lastVerdict,
      now
    ),
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
    versionsHeld: versionsHeld.length,
    versionsRequired: required,
    versionsExpected: expected,
    versionsCompleteAt: complete,
    lastVerification,
    lastVerdict: lastVerdict?.finishedAt
      ? { at: lastVerdict.finishedAt, success: lastVerdict.status === 'success' }
      : null,
    copiesHeld: copy.held,
    copiesRequired: t.copies.length,
    recoverySeconds,
    nextRunAt: next(t.schedule),
    nextVerifyAt: next(t.verifySchedule),
    running,
    snapshots,
    pitr,
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
