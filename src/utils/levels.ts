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

/** A covered service shows the level of the target covering it, as that target is shown. */
export function coveredLevel(c: { coveredBy: string; level: SlaLevel }, targets: TargetStatus[]): SlaLevel {
  const by = targets.find((t) => t.name === c.coveredBy);
  return by ? displayLevel(by) : c.level;
}
