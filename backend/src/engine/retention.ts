/**
 * Retention, decided from the catalog: which snapshots of a target go. restic only applies the
 * decision (`forget <ids>`), so retention costs nothing when nothing goes, and it follows the
 * catalog's rules rather than restic's:
 *
 * - The policy (keepLast, keepDaily, keepWeekly, keepMonthly, keepWithin) is restic's own
 *   algorithm (internal/restic/snapshot_policy.go), applied to the *versions*: newest first by
 *   the catalog's sequence (the order the snapshots were taken), bucketed by their local time.
 * - Safety snapshots (the state before a restore) are not versions: the policy never sees them;
 *   they go when older than the target's safetyRetention.
 * - A version that failed verification is not counted (docs/design.md §5 rule 8: it never pushes out one
 *   that passed); it goes once it is older than the oldest version the policy keeps.
 * - Never removed: the newest version that passed verification, the snapshot just taken.
 * - If the snapshots' times disagree with their order (a clock that went back) or lie in the
 *   future, nothing is removed and the reason is reported (docs/design.md §5 rule 7).
 */
import type { SnapshotRecord } from '../catalog/catalog';
import type { Retention } from '../config/types';
import { parseDuration } from '../config/duration';

export interface RetentionPlan {
  keep: string[];
  remove: string[];
  /** Why nothing was removed although the policy would have (clock trouble), in words. */
  held: string | null;
}

/** Snapshot times a little ahead of the service's clock are tolerated (restic rounds to seconds). */
const CLOCK_SLACK_MS = 60_000;

/** The bucket a time falls in for each of restic's keep-<period> rules (local time, as restic). */
const BUCKETS: Array<{ rule: keyof Retention; of: (d: Date) => number }> = [
  { rule: 'keepDaily', of: (d) => d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate() },
  { rule: 'keepWeekly', of: isoWeek },
  { rule: 'keepMonthly', of: (d) => d.getFullYear() * 100 + (d.getMonth() + 1) },
];

/** ISO 8601 year and week (restic: `t.ISOWeek()`), as year*100 + week. */
export function isoWeek(d: Date): number {
  // The Thursday of d's week decides the year; week 1 is the week holding 4 January.
  const thursday = Date.UTC(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7) + 3);
  const year = new Date(thursday).getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const firstThursday = jan4.getTime() - (((jan4.getUTCDay() + 6) % 7) - 3) * 86_400_000;
  return year * 100 + 1 + Math.round((thursday - firstThursday) / (7 * 86_400_000));
}

/**
 * restic's policy over versions given newest first: a version is kept if it is among the last
 * keepLast, or is the newest of a day/week/month while that rule still has room, or lies within
 * keepWithin of the newest version's time. `limit`: stop once that many are kept (the SLA state
 * only asks whether the retention can have kept what it requires: a catalog of years need not be
 * read to the end for it).
 */
export function applyPolicy(
  versions: Iterable<{ id: string; time: string }>,
  policy: Retention,
  limit = Infinity
): Set<string> {
  const keep = new Set<string>();
  const counters = new Map<keyof Retention, number>();
  const last = new Map<keyof Retention, number>();
  for (const b of BUCKETS) {
    counters.set(b.rule, (policy[b.rule] as number | undefined) ?? 0);
  }
  const within = policy.keepWithin ? parseDuration(policy.keepWithin) : null;
  let newest: number | null = null;
  let i = 0;
  for (const v of versions) {
    if (keep.size >= limit) {
      break;
    }
    const t = new Date(v.time);
    newest ??= t.getTime();
    if (policy.keepLast && i < policy.keepLast) {
      keep.add(v.id);
    }
    for (const b of BUCKETS) {
      const n = counters.get(b.rule)!;
      const bucket = b.of(t);
      if (n > 0 && last.get(b.rule) !== bucket) {
        keep.add(v.id);
        counters.set(b.rule, n - 1);
        last.set(b.rule, bucket);
      }
    }
    if (within !== null && newest - t.getTime() <= within * 1000) {
      keep.add(v.id);
    }
    i++;
  }
  return keep;
}

/** Clock trouble among snapshots held newest (highest sequence) first, in words; null when none. */
export function clockTrouble(held: SnapshotRecord[], now: Date): string | null {
  const future = held.find((s) => Date.parse(s.time) > now.getTime() + CLOCK_SLACK_MS);
  if (future) {
    return `snapshot ${future.id.slice(0, 8)} is dated ${future.time}, after the service's clock (${now.toISOString()}): the clock went back or was wrong`;
  }
  for (let i = 1; i < held.length; i++) {
    const newer = held[i - 1];
    const older = held[i];
    if (Date.parse(newer.time) + CLOCK_SLACK_MS < Date.parse(older.time)) {
      return `snapshot ${newer.id.slice(0, 8)} (${newer.time}) was taken after ${older.id.slice(0, 8)} but is dated before it: the clock went back`;
    }
  }
  return null;
}

export interface PlanOptions {
  policy: Retention;
  safetyRetentionSeconds: number;
  now: Date;
  /** The snapshot the backup has just taken: never removed by its own retention. */
  justTaken?: string | null;
}

/** What retention removes among the snapshots held (newest first, by sequence). */
export function planRetention(held: SnapshotRecord[], o: PlanOptions): RetentionPlan {
  const trouble = clockTrouble(held, o.now);
  const versions = held.filter((s) => !s.safety);
  const counted = versions.filter((s) => s.verification !== 'failed');
  const kept = applyPolicy(counted, o.policy);
  const oldestKept = counted.filter((s) => kept.has(s.id)).pop();
  const newestPassed = versions.find((s) => s.verification === 'passed');
  const remove: string[] = [];
  for (const s of held) {
    if (s.id === o.justTaken || s.id === newestPassed?.id) {
      continue;
    }
    if (s.safety) {
      if (o.now.getTime() - Date.parse(s.time) > o.safetyRetentionSeconds * 1000) {
        remove.push(s.id);
      }
    } else if (s.verification === 'failed') {
      if (oldestKept && s.seq < oldestKept.seq) {
        remove.push(s.id);
      }
    } else if (!kept.has(s.id)) {
      remove.push(s.id);
    }
  }
  if (trouble && remove.length) {
    return { keep: held.map((s) => s.id), remove: [], held: `retention skipped: ${trouble}` };
  }
  return { keep: held.map((s) => s.id).filter((id) => !remove.includes(id)), remove, held: null };
}

/**
 * The log archive's retention (point-in-time recovery): an archived log file is kept exactly as
 * long as a kept dump needs it, i.e. from the file the oldest kept dump's position lies in, on;
 * what lies before goes with the dump that needed it. Never by the version policy: archive files
 * are not versions. `kept`: the log positions of the versions retention keeps. When no kept dump
 * lies in the archive (the archive began after them all), nothing goes.
 */
export function planLogRetention(
  files: Array<{ id: number; file: string; firstEventAt: number | null }>,
  kept: Array<{ file: string; at: number }>
): number[] {
  let oldest = files.length;
  for (const p of kept) {
    // A name may come back after the server's log was reset: the file of the dump's time.
    let found = -1;
    files.forEach((f, i) => {
      if (f.file === p.file && (f.firstEventAt === null || f.firstEventAt <= Math.ceil(p.at / 1000))) {
        found = i;
      }
    });
    if (found >= 0) {
      oldest = Math.min(oldest, found);
    }
  }
  return oldest === files.length ? [] : files.slice(0, oldest).map((f) => f.id);
}
