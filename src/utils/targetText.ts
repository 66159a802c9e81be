/** The words the pages use for a target's facts, in one place so that every page says the same. */
import type { TargetStatus } from '../api/types';
import { formatAge, formatDate, formatDuration, formatRelative } from './format';

/** Where the SLA sets no RPO, what counts is that the current version is held. */
export function noRpoText(t: Pick<TargetStatus, 'versionsHeld'>): string {
  return t.versionsHeld > 0 ? 'no RPO, current version held' : 'no RPO, no version held';
}

/** "RPO 24 h", or where the SLA sets none, whether the current version is held. */
export function rpoText(t: Pick<TargetStatus, 'policy' | 'versionsHeld'>): string {
  return t.policy.rpoSeconds === null ? noRpoText(t) : `RPO ${formatDuration(t.policy.rpoSeconds)}`;
}

/** "31 h ago / RPO 24 h". */
export function freshnessText(t: TargetStatus): string {
  return `${formatAge(t.ageSeconds)} / ${rpoText(t)}`;
}

/** Fewer versions than required, and the retention could not have kept more by now. */
export function buildingUp(t: Pick<TargetStatus, 'versionsHeld' | 'versionsRequired' | 'versionsExpected'>): boolean {
  return t.versionsExpected < t.versionsRequired && t.versionsHeld >= t.versionsExpected;
}

/** Short, for a table row: "4/4 versions", "2/4 versions, building up". */
export function versionsShort(t: TargetStatus): string {
  const base = `${t.versionsHeld}/${t.versionsRequired} versions`;
  return buildingUp(t) && t.versionsHeld < t.versionsRequired ? `${base}, building up` : base;
}

/**
 * In full, judged as the service judges (issue 15.3): against what the retention can have kept by
 * now, with the date the history will be complete. "2 of 4 versions held; 2 expected by now
 * (weekly retention keeps one per week), all 4 by 2025-04-07".
 */
export function versionsLong(t: TargetStatus): string {
  const held = `${t.versionsHeld} of ${t.versionsRequired} versions held`;
  if (t.versionsExpected >= t.versionsRequired) {
    return held;
  }
  const complete = t.versionsCompleteAt ? `, all ${t.versionsRequired} by ${formatDate(t.versionsCompleteAt)}` : '';
  return `${held}; the retention can have kept ${t.versionsExpected} by now${complete}`;
}

/** "verified 2 d ago", "verification failed 3 h ago", "could not verify 1 h ago", "never verified". */
export function verificationShort(t: Pick<TargetStatus, 'lastVerification'>): string {
  const v = t.lastVerification;
  if (!v) {
    return 'never verified';
  }
  const ago = formatRelative(v.at);
  switch (v.outcome) {
    case 'unknown':
      return `could not verify ${ago}`;
    case 'failed':
      return `verification failed ${ago}`;
    default:
      return `verified ${ago}`;
  }
}

/** "2/2 copies", or "no copies required". */
export function copiesShort(t: Pick<TargetStatus, 'copiesHeld' | 'copiesRequired'>): string {
  return t.copiesRequired === 0 ? 'no copies required' : `${t.copiesHeld}/${t.copiesRequired} copies`;
}

/** How long a restore should take, from the last measured one, against the RTO. */
export function expectedRestoreText(t: Pick<TargetStatus, 'recoverySeconds' | 'policy'>): string {
  const rto = `RTO ${formatDuration(t.policy.rtoSeconds)}`;
  if (t.recoverySeconds === null) {
    return `no restore measured yet (${rto})`;
  }
  const within = t.recoverySeconds <= t.policy.rtoSeconds ? 'within' : 'longer than';
  const about = t.recoverySeconds < 1 ? 'under a second' : `about ${formatDuration(t.recoverySeconds)}`;
  return `${about} (the last measured restore), ${within} the ${rto}`;
}
