/**
 * What a run records besides its status, per operation: one typed shape instead of loose JSON
 * read with casts in the SLA state, the API mapping and the CLI. Stored as JSON in the run row.
 */
/** One phase of a run with its own byte count, kept in the run's detail as `phases`. */
export interface PhaseRecord {
  name: string;
  startedAt: string;
  bytesDone: number | null;
}

export type SafetyBackup = 'saved' | 'nothing' | 'declined' | 'not-needed';

/** What a verification found (the API's VerificationOutcome). */
export interface VerificationOutcomeDetail {
  outcome: 'passed' | 'failed' | 'unknown';
  detail: string;
  changes?: Array<{ host: string; task: string; diff: string | null }>;
  changeKind?: 'unapplied' | 'drift' | null;
}

/** What a restore did (the API's RestoreOutcome). */
export interface RestoreOutcomeDetail {
  location: string;
  counts: Record<string, number>;
  movedAside: string[];
  next: string[];
  detail: string;
}

export interface RunDetail {
  // --- every run
  /** The process running it (recovery after a crash tells live runs from dead ones). */
  pid?: number;
  /** Phases with their own byte counts (catalog.progress). */
  phases?: PhaseRecord[];
  /** What the run created outside the repository and its temp dir (ctx.created). */
  leftovers?: Array<{ kind: 'database' | 'directory'; name: string }>;
  /** Measured duration of the work itself (verify, restore). */
  durationSeconds?: number;

  // --- backup
  version?: string | null;
  /** Bytes read from the source. */
  bytes?: number;
  copyErrors?: string[];
  /** Snapshots retention removed after this backup (or this forget run). */
  forgotten?: string[];
  /** Why retention removed nothing although the policy would have (clock trouble). */
  retentionHeld?: string | null;
  /**
   * Retention could not take the repository's lock (another instance sharing it is backing up):
   * nothing was forgotten now; the next backup's retention forgets what the policy says.
   */
  retentionDeferred?: string | null;

  // --- verify and restore
  /** The snapshot worked on. */
  snapshot?: string;
  /** In words: what the verification or restore found or did. */
  result?: string;
  verification?: VerificationOutcomeDetail;

  // --- restore
  /** Elsewhere: the database or directory; null: in place. */
  to?: string | null;
  /** A restore to a point in time: the second restored (ISO). */
  at?: string;
  safetyBackup?: SafetyBackup;
  safetySnapshotId?: string | null;
  location?: string;
  restore?: RestoreOutcomeDetail;
}
