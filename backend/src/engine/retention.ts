import type { SnapshotRecord } from '../catalog/catalog';

/**
 * Which of restic's proposed removals really go: everything restic would forget, except the
 * newest snapshot that passed verification (docs/design.md §5 rule 2), so that a run of bad or
 * unverifiable backups can never push the last proven-good one out, and except the snapshot the
 * backup just took (restic breaks ties of equal times arbitrarily).
 */
export function keepDecision(proposedRemovals: string[], held: SnapshotRecord[], justTaken?: string | null): string[] {
  const newestGood = held.filter((s) => s.verification === 'passed').sort((a, b) => b.time.localeCompare(a.time))[0];
  return proposedRemovals.filter((id) => id !== newestGood?.id && id !== justTaken);
}
