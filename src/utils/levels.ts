import type { SlaCheck, SlaLevel, StatusResponse, TargetStatus } from '../api/types';

/** The service's order of the levels: unknown is worse than ok and better than a warning. */
const RANK: Record<SlaLevel, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export function worstLevel(levels: SlaLevel[]): SlaLevel {
  return levels.reduce<SlaLevel>((w, l) => ((RANK[l] ?? 0) > (RANK[w] ?? 0) ? l : w), 'ok');
}

function checksOf(t: TargetStatus): SlaCheck[] {
  return t.checks ? Object.values(t.checks).filter((c): c is SlaCheck => Boolean(c)) : [];
}

/**
 * The level a target is shown with. The service counts an 'unknown' check (no restore measured
 * yet) as a warning in `level`, for alerting; a target whose only non-ok checks are unknown reads
 * as Unknown here, so that nothing is painted orange that is not actually wrong.
 */
export function displayLevel(t: TargetStatus): SlaLevel {
  const checks = checksOf(t);
  if (t.level === 'warning' && checks.length > 0) {
    const worst = worstLevel(checks.map((c) => c.level));
    if (worst === 'unknown' || worst === 'ok') {
      return worst;
    }
  }
  return t.level;
}

/** The overall level, consistent with the targets as they are shown. */
export function overallLevel(status: StatusResponse): SlaLevel {
  if (status.targets.length === 0) {
    return status.level;
  }
  const shown = worstLevel(status.targets.map(displayLevel));
  return status.level === 'warning' && RANK[shown] < RANK.warning ? shown : status.level;
}

/** The level of the check a reason comes from (the service's reasons are the non-ok checks' reasons). */
export function levelOfReason(t: TargetStatus, reason: string): SlaLevel {
  return checksOf(t).find((c) => c.reason === reason)?.level ?? t.level;
}

/** The target covering a service: `coveredBy` on the service's instance. */
export function coveringTarget(
  c: { instance?: string; coveredBy: string },
  targets: TargetStatus[]
): TargetStatus | undefined {
  return targets.find((t) => t.name === c.coveredBy && (c.instance === undefined || t.instance === c.instance));
}

/** A covered service shows the level of the target covering it, as that target is shown. */
export function coveredLevel(
  c: { instance?: string; coveredBy: string; level: SlaLevel },
  targets: TargetStatus[]
): SlaLevel {
  const by = coveringTarget(c, targets);
  return by ? displayLevel(by) : c.level;
}

export const LEVEL_RANK = RANK;

/** The check a reason comes from, to find its cause (the raw error behind the sentence). */
export function checkOfReason(t: TargetStatus, reason: string): SlaCheck | undefined {
  return checksOf(t).find((c) => c.reason === reason);
}

/** How many of a target's checks are at each level, to break ties between targets of one level. */
function badness(t: TargetStatus): number {
  return checksOf(t).reduce((sum, c) => sum + 10 ** (RANK[c.level] ?? 0), 0);
}

/** Worst first: level as shown, then how many checks are wrong, then the name. */
export function compareWorstFirst(a: TargetStatus, b: TargetStatus): number {
  return RANK[displayLevel(b)] - RANK[displayLevel(a)] || badness(b) - badness(a) || a.name.localeCompare(b.name);
}

/** Counts per level as shown, e.g. for "1 critical · 3 warning · 2 OK". */
export function countLevels(levels: SlaLevel[]): Record<SlaLevel, number> {
  const counts: Record<SlaLevel, number> = { critical: 0, warning: 0, unknown: 0, ok: 0 };
  for (const l of levels) {
    counts[l] = (counts[l] ?? 0) + 1;
  }
  return counts;
}
