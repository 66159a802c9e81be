/**
 * The HTTP API contract of the Backup SLA service, as the app sees it.
 * The service (backend/src/api) answers with exactly these shapes; keep both sides in step.
 * Times are ISO-8601 strings in UTC, durations and ages are seconds, sizes are bytes.
 */

export type SlaLevel = 'ok' | 'warning' | 'critical' | 'unknown';
export type Role = 'viewer' | 'operator' | 'admin';

/** One of the five SLA checks of a target, with the reason in words a person reads. */
export interface SlaCheck {
  level: SlaLevel;
  /** e.g. "last good backup 31 h ago, RPO 24 h" */
  reason: string;
}

export interface Retention {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  /** restic duration, e.g. "30d" */
  keepWithin?: string;
}

/** The policy of a target: the SLA document's entry, as configured. */
export interface TargetPolicy {
  /** What is captured, in words ("the AGAMA database (table item)"). */
  coverage: string;
  /** How usability is proven ("restore into a scratch database; same row counts and checksums"). */
  usability: string;
  schedule: string;
  verifySchedule: string | null;
  /** null where the SLA sets none (the app: the current version must be held). */
  rpoSeconds: number | null;
  rtoSeconds: number;
  retention: Retention;
  /** Human wording of the retention ("4 weekly versions"). */
  retentionText: string;
  repository: string;
  copies: string[];
}

export type Operation = 'backup' | 'verify' | 'restore' | 'forget';
export type RunStatus = 'running' | 'success' | 'failed' | 'unchanged';

export interface Run {
  id: number;
  target: string;
  operation: Operation;
  status: RunStatus;
  /** Current phase while running ("dumping", "uploading", "checking", "copying"), last phase after. */
  phase: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  /** Bytes read from the source so far (live) or in total (finished). */
  bytesDone: number | null;
  snapshotId: string | null;
  error: string | null;
  /** Grafana user (X-Grafana-User), else the role, else "scheduler" / "cli". */
  actor: string;
}

export interface TargetStatus {
  name: string;
  kind: string;
  policy: TargetPolicy;
  level: SlaLevel;
  /** The reasons behind `level`, worst first; empty when ok. */
  reasons: string[];
  checks: {
    fresh: SlaCheck;
    versions: SlaCheck;
    verified: SlaCheck;
    copies: SlaCheck;
    recovery: SlaCheck;
  };
  lastSuccessAt: string | null;
  /** Age of the last good backup, seconds. */
  ageSeconds: number | null;
  lastRun: Run | null;
  versionsHeld: number;
  versionsRequired: number;
  lastVerification: { at: string; success: boolean; durationSeconds: number | null; snapshotId: string | null } | null;
  copiesHeld: number;
  copiesRequired: number;
  /** Last measured restore (or verification restore) duration, seconds. */
  recoverySeconds: number | null;
  nextRunAt: string | null;
  nextVerifyAt: string | null;
  /** The run in progress on this target, if any (one operation per target at a time). */
  running: Run | null;
}

/** A service of the SLA that has no backup of its own because another target covers it. */
export interface CoveredService {
  name: string;
  /** The target that covers it, e.g. "ansible". */
  coveredBy: string;
  note: string;
  /** The covering target's level. */
  level: SlaLevel;
}

export interface StatusResponse {
  generatedAt: string;
  level: SlaLevel;
  targets: TargetStatus[];
  covered: CoveredService[];
}

export type VerificationState = 'passed' | 'failed' | 'unverified';

export interface Snapshot {
  /** restic snapshot id (full). */
  id: string;
  shortId: string;
  target: string;
  time: string;
  /** Bytes read from the source for this snapshot. */
  bytes: number | null;
  /** Content version (ansible / files / grafana), null for data targets. */
  version: string | null;
  verification: VerificationState;
  verifiedAt: string | null;
  verificationDetail: string | null;
  /** Repositories holding it: the primary first, then the copies. */
  heldBy: string[];
  /** Driver metadata recorded at backup time (row counts, checksums, series, ...). */
  metadata: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: string;
  result: 'ok' | 'failed' | 'started';
}

export interface Restore {
  runId: number;
  target: string;
  snapshotId: string;
  /** Where it went: null for "same place". */
  to: string | null;
  safetySnapshotId: string | null;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  actor: string;
  error: string | null;
}

/** GET /api/status */
export type GetStatus = StatusResponse;
/** GET /api/targets/:target */
export type GetTarget = TargetStatus;
/** GET /api/targets/:target/snapshots */
export interface GetSnapshots {
  snapshots: Snapshot[];
}
/** GET /api/runs?target=&operation=&limit= (newest first) */
export interface GetRuns {
  runs: Run[];
}
/** GET /api/runs/:id */
export type GetRun = Run;
/** GET /api/audit?limit= (newest first) */
export interface GetAudit {
  entries: AuditEntry[];
}
/** GET /api/restores (newest first) */
export interface GetRestores {
  restores: Restore[];
}
/** POST /api/targets/:target/backup, POST /api/targets/:target/verify (body {snapshot?}), POST /api/restores: 202 */
export interface Accepted {
  runId: number;
}
/** POST /api/restores body */
export interface RestoreRequest {
  target: string;
  /** snapshot id (full or short) or "latest" */
  snapshot: string;
  /** another database / directory name; omitted = same place */
  to?: string;
  safetyBackup: boolean;
  /** must equal `target` */
  confirm: string;
}
/** GET /api/whoami, POST /api/whoami, POST /api/restores/whoami: the role of the token used. */
export interface WhoAmI {
  role: Role;
}
/** Every error answer: 400, 401, 403, 404, 409, 413, 500. */
export interface ApiError {
  statusCode: number;
  error: string;
  message: string;
}
