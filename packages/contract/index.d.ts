/*
 * The HTTP API contract of the Backup SLA service: the one source of these shapes for the service
 * (backend/src/api) and the Grafana app (src/api). Type imports only.
 * Times are ISO-8601 strings in UTC, durations and ages are seconds, sizes are bytes.
 *
 * A lab has one service per machine (an *instance*); an instance configured with peers answers for
 * the whole lab. Every target, run, snapshot, restore, audit entry and aside item names its
 * `instance`. Target names are unique per instance only: a target is addressed as
 * `<instance>/<target>` (e.g. `mon1/prometheus`), in paths (`/api/targets/mon1/prometheus/snapshots`)
 * and in bodies (`{target: "mon1/prometheus"}`); the bare name addresses a target of the instance
 * asked. Run ids are numbered per instance: a run is `/api/runs/<instance>/<id>`.
 */

/**
 * A point in time: ISO-8601 / RFC 3339 (`2026-03-10T12:00:00.000Z`); the service answers in UTC.
 * @format date-time
 */
export type Timestamp = string;
/**
 * A whole number (ids, counts of versions, copies, files).
 * @asType integer
 */
export type Integer = number;
/**
 * A snapshot reference: a restic snapshot id, full or its first 4 or more hex characters, or "latest".
 * @pattern ^(latest|[0-9a-f]{4,64})$
 */
export type SnapshotRef = string;
/**
 * A target address: its name, or `<instance>/<name>` for a target of another instance of the lab.
 * @minLength 1
 * @maxLength 129
 */
export type TargetAddress = string;

export type SlaLevel = 'ok' | 'warning' | 'critical' | 'unknown';
export type Role = 'viewer' | 'operator' | 'admin';

/** One of the five SLA checks of a target, with the reason in words a person reads. */
export interface SlaCheck {
  level: SlaLevel;
  /** e.g. "last good backup 31 h ago, RPO 24 h" */
  reason: string;
  /** The tool's own words behind the reason (an error message), when there is one; shown behind a toggle. */
  cause?: string | null;
}

export interface Retention {
  keepLast?: Integer;
  keepDaily?: Integer;
  keepWeekly?: Integer;
  keepMonthly?: Integer;
  /** a duration, e.g. "30d" */
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
  /** How long safety snapshots (taken before restores) are kept, seconds. */
  safetyRetentionSeconds: number;
  repository: string;
  copies: string[];
}

/**
 * Where a target's snapshots can be restored to: exactly what its kind supports. The app's restore
 * dialog, the CLI and the API offer these and nothing else.
 */
export interface RestoreDestinations {
  /**
   * Over the live data: the new data is loaded and checked in a fresh place first, then takes the
   * live place; what was there is moved aside and kept. null when the kind cannot restore in place.
   */
  inPlace: {
    /** What is replaced, in words: "database agama", "live data directory /var/lib/prometheus/metrics2". */
    replaces: string;
    /** Where the current data goes, in words ("kept as database agama_before_restore_<time>"). */
    movedAsideAs: string;
    /** What else happens, in words ("Prometheus is stopped and started again by the target's hooks"), or null. */
    note: string | null;
    /** Why it cannot be used now (e.g. "no hooks.stop configured and Prometheus is running"), or null. */
    unavailable: string | null;
  } | null;
  /** Beside the live data, under another name; null when the kind cannot. */
  elsewhere: {
    /** What `to` names. */
    kind: 'database' | 'directory';
    /** How to write it, in words ("another database name, e.g. agama_restored"). */
    hint: string;
    /** A suggestion for the field. */
    example: string;
  } | null;
}

export type Operation = 'backup' | 'verify' | 'restore' | 'forget';
export type RunStatus = 'running' | 'success' | 'failed' | 'unchanged';

/** One phase of a run (safety backup, load, check, swap...), with its own byte count. */
export interface RunPhase {
  name: string;
  startedAt: Timestamp;
  /** Bytes done in this phase (null where the phase does not count bytes). */
  bytesDone: number | null;
}

/** What the verification of a snapshot found. */
export interface VerificationOutcome {
  /**
   * passed: the test restore proved the snapshot usable; failed: the snapshot itself is not
   * (different data, damaged, does not compile...); unknown: the verification could not run
   * (source or repository unreachable, wrong password): nothing was learned about the snapshot.
   */
  outcome: 'passed' | 'failed' | 'unknown';
  /** In words. */
  detail: string;
  /** Ansible check mode: the tasks and hosts that would change, with their diff. */
  changes?: PlannedChange[];
  /**
   * Ansible check mode found changes. 'unapplied': the backed-up version is newer than what was
   * last applied (a new version not applied yet); 'drift': the live infrastructure moved away
   * from the code.
   */
  changeKind?: 'unapplied' | 'drift' | null;
}

export interface PlannedChange {
  host: string;
  task: string;
  /** The task's --diff output, when it printed one. */
  diff: string | null;
}

/** What a finished restore did: shown by the CLI, the API and the app. */
export interface RestoreOutcome {
  /** Where the data went, in words ("database agama", "directory /srv/restore"). */
  location: string;
  /** What was put back, counted ("rows", "tables", "points", "series", "files"...). */
  counts: Record<string, number>;
  /** Where the data that was there before went (moved aside and kept, never deleted). */
  movedAside: string[];
  /** What the operator should do next, in words ("start Prometheus"); empty when nothing. */
  next: string[];
  /** In words. */
  detail: string;
}

/**
 * The safety backup of a restore: saved (its snapshot id is given), nothing (there was nothing to
 * save: recorded as such, the restore went on), declined (the caller said so), not-needed (the
 * restore went elsewhere and touched nothing live).
 */
export type SafetyBackup = 'saved' | 'nothing' | 'declined' | 'not-needed';

export interface Run {
  /** Numbered per instance: (instance, id) names a run in the lab. */
  id: Integer;
  /** The instance that ran it. */
  instance: string;
  /** The target's name on that instance. */
  target: string;
  operation: Operation;
  status: RunStatus;
  /** Current phase while running ("dumping", "uploading", "checking", "copying"), last phase after. */
  phase: string | null;
  /** Every phase so far, oldest first. */
  phases: RunPhase[];
  startedAt: Timestamp;
  finishedAt: Timestamp | null;
  durationSeconds: number | null;
  /** Bytes read from the source so far (live) or in total (finished). */
  bytesDone: number | null;
  snapshotId: string | null;
  /** Whether the run's snapshot is still held (false: retention has removed it); null without one. */
  snapshotHeld: boolean | null;
  error: string | null;
  /** Grafana user (X-Grafana-User), else the role, else "scheduler" / "cli". */
  actor: string;
  /** Verifications: what was found. */
  verification: VerificationOutcome | null;
  /** Restores: what was done (also on failure: where things are). */
  restore: RestoreOutcome | null;
  /** Restores: where to ("database agama_restored"); null for runs of other operations. */
  restoredTo: string | null;
}

/** A stretch of recoverable time, to the second: ISO-8601 UTC, both ends included. */
export interface PitrRange {
  start: Timestamp;
  end: Timestamp;
}

/** A stretch a restore to a point in time cannot reach, between two ranges, and why. */
export interface PitrGap {
  start: Timestamp;
  end: Timestamp;
  /** In words: "binlog.000042 was purged from the server before it was archived to its end". */
  reason: string;
  /**
   * archive: the archive broke (a log file purged before it was archived, the server's log reset):
   * the gap alert fires; restore: a restore in place replaced the database (recoverable again from
   * the next backup); base: no backup with a known log position covers it.
   */
  kind: 'archive' | 'restore' | 'base';
}

/**
 * Point-in-time recovery of a target that archives its log (mysql with `pitr`): what a restore
 * with `at` can reach. The restore dialog's time picker is limited to [windowStart, windowEnd]
 * and draws `ranges` as a bar with the `gaps` cut out of it (a time in a gap is refused).
 */
export interface PitrStatus {
  /** The oldest and the newest recoverable second; null while nothing is recoverable yet. */
  windowStart: Timestamp | null;
  windowEnd: Timestamp | null;
  /** The recoverable stretches, oldest first, never touching each other. */
  ranges: PitrRange[];
  /** What lies between two ranges, with why. */
  gaps: PitrGap[];
  /** Seconds between now and what the archive holds (its newest event, or when it last caught up with the server). */
  lagSeconds: number | null;
  /** The archiver (run by the service): following the server's log, retrying after it stopped, or stopped. */
  archiver: 'following' | 'retrying' | 'stopped';
  /** What the archiver does, or why it stopped, in words. */
  archiverDetail: string | null;
  /** How often the archiver had to be started again. */
  archiverRestarts: Integer;
  /** The archive stopped (no progress for longer than the target allows), in words; null while it keeps up. */
  stalled: string | null;
  /** Archived log files held, and their size in bytes. */
  files: Integer;
  bytes: number;
}

export interface TargetStatus {
  /** The target's name on its instance (address it as `<instance>/<name>`). */
  name: string;
  /** The instance (machine's service) the target belongs to. */
  instance: string;
  kind: string;
  policy: TargetPolicy;
  destinations: RestoreDestinations;
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
  lastSuccessAt: Timestamp | null;
  /** Age of the last good backup, seconds. */
  ageSeconds: number | null;
  lastRun: Run | null;
  /** Versions held (safety snapshots are not versions). */
  versionsHeld: Integer;
  versionsRequired: Integer;
  /** How many versions the retention can have kept by now (fewer while the history builds up). */
  versionsExpected: Integer;
  /** When the history will be complete (versionsExpected reaches versionsRequired); null when it is. */
  versionsCompleteAt: Timestamp | null;
  /**
   * The last verification that ran. `success` is the snapshot's verdict; a verification that could
   * not run (outcome unknown) does not change it and is reported by the `verified` check.
   */
  lastVerification: {
    at: Timestamp;
    success: boolean;
    outcome: 'passed' | 'failed' | 'unknown';
    durationSeconds: number | null;
    snapshotId: string | null;
  } | null;
  copiesHeld: Integer;
  copiesRequired: Integer;
  /** Last measured restore (or verification restore) duration, seconds. */
  recoverySeconds: number | null;
  nextRunAt: Timestamp | null;
  nextVerifyAt: Timestamp | null;
  /** The run in progress on this target, if any (one operation per target at a time). */
  running: Run | null;
  /**
   * Point-in-time recovery (targets that archive their log); null when the target does not. The
   * service always sends it; optional for clients built before it existed.
   */
  pitr?: PitrStatus | null;
}

/** A service of the SLA that has no backup of its own because another target covers it. */
export interface CoveredService {
  name: string;
  /** The instance of the covering target. */
  instance: string;
  /** The target that covers it, e.g. "ansible". */
  coveredBy: string;
  note: string;
  /** The covering target's level. */
  level: SlaLevel;
}

/**
 * One instance of the lab as the answering instance sees it. A peer that does not answer within
 * its timeout is unreachable: its targets are listed with their last known state, level unknown,
 * and the reason "instance mon1 unreachable since …".
 */
export interface InstanceState {
  name: string;
  /** The instance that answered this request. */
  self: boolean;
  reachable: boolean;
  /** Since when it has not answered; null while reachable. */
  unreachableSince: Timestamp | null;
  /** When it last answered; null if it never has since the answering service started. */
  lastSeenAt: Timestamp | null;
  /** Why it does not answer, in words; null while reachable. */
  error: string | null;
  /** The worst level of its targets (unknown while unreachable). */
  level: SlaLevel;
}

export interface StatusResponse {
  generatedAt: Timestamp;
  /** The instance that answered. */
  instance: string;
  /** The answering instance first, then its peers (`?local=1`: the answering instance only). */
  instances: InstanceState[];
  level: SlaLevel;
  /** Every instance's targets (`?local=1`: the answering instance's only). */
  targets: TargetStatus[];
  covered: CoveredService[];
}

export type VerificationState = 'passed' | 'failed' | 'unverified';

/** What a snapshot holds, for the restore dialog: in words, and counted. */
export interface SnapshotContents {
  /** e.g. "database agama: 1 table, 1520 rows" */
  summary: string;
  /** Per item: a table and its rows, a database and its points, a block and its series... */
  items: SnapshotItem[];
}

export interface SnapshotItem {
  name: string;
  count: number | null;
  /** What is counted: "rows", "points", "series", "files"... */
  unit: string;
}

export interface Snapshot {
  /** restic snapshot id (full). */
  id: string;
  shortId: string;
  /** The instance whose target it is. */
  instance: string;
  target: string;
  time: Timestamp;
  /** Bytes read from the source for this snapshot. */
  bytes: number | null;
  /** Content version (ansible / files / grafana), null for data targets. */
  version: string | null;
  verification: VerificationState;
  verifiedAt: Timestamp | null;
  verificationDetail: string | null;
  /** Repositories holding it: the primary first, then the copies. */
  heldBy: string[];
  /**
   * A safety snapshot: the state before a restore. Not a version: never counted, never the "last
   * good backup", never offered as "the latest"; kept for the policy's safetyRetentionSeconds.
   */
  safety: boolean;
  /** What it holds; null when nothing was recorded (catalog rebuilt from the repositories). */
  contents: SnapshotContents | null;
  /** Driver metadata recorded at backup time (row counts, checksums, series, ...). */
  metadata: Record<string, unknown>;
}

export interface AuditEntry {
  id: Integer;
  /** The instance whose audit log holds the entry. */
  instance: string;
  at: Timestamp;
  /** The Grafana user (X-Grafana-User) when Grafana forwarded one, else the role, "scheduler" or "cli". */
  actor: string;
  /** The role of the token used (null for the scheduler and the CLI). */
  role: Role | null;
  action: string;
  /**
   * The target: its name on `instance`; an operation forwarded to a peer is recorded on both
   * sides, here as `<peer>/<target>` (e.g. "mon1/prometheus", detail "forwarded to mon1: run 17").
   */
  target: string | null;
  detail: string;
  /**
   * An action that runs (a restore) has one entry: 'started' while it runs, then its result
   * ('ok' or 'failed', with what happened added to `detail`, and `finishedAt`).
   */
  result: 'ok' | 'failed' | 'started';
  /**
   * The run the entry is about: a run of `instance`, or, for an operation forwarded to a peer
   * (target `<peer>/<name>`), the peer's run; null for what is not a run (configuration, removal
   * of what a restore moved aside, prune) and for entries recorded before runs were named.
   */
  runId: Integer | null;
  /** When the action ended, for an entry recorded when it started; null while it runs, and for entries recorded once, at the end (`at`). */
  finishedAt: Timestamp | null;
}

export interface Restore {
  runId: Integer;
  instance: string;
  target: string;
  snapshotId: string;
  /** Where it went: null for "same place". */
  to: string | null;
  /**
   * A restore to a point in time: the second restored (the snapshot is the dump it started from);
   * null otherwise. The service always sends it; optional for clients built before it existed.
   */
  at?: Timestamp | null;
  safetySnapshotId: string | null;
  safetyBackup: SafetyBackup | null;
  status: RunStatus;
  startedAt: Timestamp;
  finishedAt: Timestamp | null;
  durationSeconds: number | null;
  actor: string;
  error: string | null;
  /** What was done (null while running). */
  outcome: RestoreOutcome | null;
}

/** Data a restore moved aside (kept, never deleted by the restore); removed only on request. */
export interface AsideItem {
  instance: string;
  target: string;
  /** database or directory */
  kind: 'database' | 'directory';
  /** The name to refer to it by (database name or absolute path). */
  name: string;
  /** What it was before it was moved aside ("database agama"). */
  was: string;
  createdAt: Timestamp;
  /** The restore run that moved it aside. */
  runId: Integer | null;
  /** Size, where known. */
  bytes: number | null;
}

/** The verdict of one `backup-sla doctor` check: skipped = could not be checked (said why). */
export type DoctorLevel = 'ok' | 'warning' | 'failed' | 'skipped';

/** One line of `backup-sla doctor`. */
export interface DoctorCheck {
  /** What was checked: "restic", "repository main", "free space main", "secret files", "mariadb-dump"... */
  name: string;
  level: DoctorLevel;
  /** What was found, in words, and what to do when it is not ok. */
  detail: string;
}

/** The checks of one target, or of the service itself (target null: configuration, tokens, work directory). */
export interface DoctorSection {
  target: string | null;
  kind: string | null;
  /** The worst level of its checks (skipped counts as ok). */
  level: 'ok' | 'warning' | 'failed';
  checks: DoctorCheck[];
}

export interface DoctorReport {
  generatedAt: Timestamp;
  /** The worst level of all sections: `backup-sla doctor` exits 1 when it is failed. */
  level: 'ok' | 'warning' | 'failed';
  sections: DoctorSection[];
}

/** GET /api/status[?local=1] */
export type GetStatus = StatusResponse;
/** GET /api/targets/:target, /api/targets/:instance/:target */
export type GetTarget = TargetStatus;
/** GET /api/targets/:target/snapshots, /api/targets/:instance/:target/snapshots */
export interface GetSnapshots {
  snapshots: Snapshot[];
}
/**
 * GET /api/runs?target=&operation=&status=&since=&limit=&local= (newest first). Without `target`:
 * every instance's runs, merged by start time (`local=1`: this instance's); `target=mon1/prometheus`:
 * that target's. `status`: one or more RunStatus, comma-separated (`success,unchanged`); `since`: an
 * ISO-8601 time, runs started at or after it. `unreachable`: the peers whose runs are missing
 * because they did not answer.
 */
export interface GetRuns {
  runs: Run[];
  unreachable: InstanceState[];
}
/** GET /api/runs/:id (this instance), /api/runs/:instance/:id */
export type GetRun = Run;
/**
 * GET /api/audit?status=&since=&limit=&local= (newest first; every instance's unless local=1).
 * `status`: one or more of ok, failed, started (comma-separated); `since`: an ISO-8601 time,
 * entries recorded (actions started) at or after it.
 */
export interface GetAudit {
  entries: AuditEntry[];
  unreachable: InstanceState[];
}
/** GET /api/restores?limit=&local= (newest first; every instance's unless local=1) */
export interface GetRestores {
  restores: Restore[];
  unreachable: InstanceState[];
}
/** GET /api/restores/aside[?local=1]: what restores moved aside and is still there, on every instance. */
export interface GetAside {
  items: AsideItem[];
  unreachable: InstanceState[];
}
/** POST /api/restores/aside/remove body: deletes one item for good (admin). */
export interface RemoveAsideRequest {
  /** `<target>` or `<instance>/<target>` */
  target: TargetAddress;
  /**
   * the item's name (database name or absolute path), as GetAside lists it
   * @minLength 1
   * @maxLength 4096
   * @pattern ^[^\u0000-\u001f\u007f-\u009f]+$
   */
  name: string;
  /** must equal `name` */
  confirm: string;
}
/** GET /api/doctor (admin): the same report as `backup-sla doctor`, for the app's configuration page. */
export type GetDoctor = DoctorReport;
/**
 * POST /api/targets/[:instance/]:target/backup, POST /api/targets/[:instance/]:target/verify (body
 * {snapshot?}), POST /api/restores: 202. Follow the run at /api/runs/<instance>/<runId>.
 */
export interface Accepted {
  runId: Integer;
  /** The instance running it (run ids are numbered per instance). */
  instance: string;
}
/** POST /api/targets/[:instance/]:target/verify body (optional): the snapshot to verify; omitted = the newest version. */
export interface VerifyRequest {
  snapshot?: SnapshotRef;
}
/** POST /api/restores body: either `snapshot` or `at`. */
export interface RestoreRequest {
  /** `<target>` or `<instance>/<target>` (a peer's target: the restore is forwarded to that peer) */
  target: TargetAddress;
  /** snapshot id (full or short) or "latest" (the newest version; never a safety snapshot); omitted with `at` */
  snapshot?: SnapshotRef;
  /**
   * another database / directory name (destinations.elsewhere); omitted = in place (destinations.inPlace)
   * @minLength 1
   * @maxLength 255
   * @pattern ^[^\u0000-\u001f\u007f-\u009f]+$
   */
  to?: string;
  /**
   * Restore the state of this second instead (targets with `pitr`): ISO-8601 with an offset or Z,
   * e.g. "2026-11-29T14:32:05+01:00". It must lie in a range of TargetStatus.pitr; the service
   * picks the newest dump before it and replays the archived log up to it.
   */
  at?: Timestamp;
  /** in place only: take a safety backup of what is there first (default true) */
  safetyBackup: boolean;
  /** must equal `target` as given (e.g. "mon1/prometheus") */
  confirm: string;
}
/** GET /api/whoami, POST /api/whoami, POST /api/restores/whoami: the role of the token used. */
export interface WhoAmI {
  role: Role;
}
/** Every error answer: 400, 401, 403, 404, 409, 413, 500. */
export interface ApiError {
  statusCode: Integer;
  error: string;
  message: string;
}
