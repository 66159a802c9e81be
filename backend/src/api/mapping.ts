/**
 * The one place where the engine's records become the shapes of the HTTP contract
 * (`src/api/types.ts`). Routes never hand out engine or catalog records directly.
 */
import type { AuditRecord, RunRecord, SnapshotRecord } from '../catalog/catalog';
import type { AsideView } from '../engine/aside';
import type { CoveredState, PitrState, SlaState, TargetState } from '../engine/sla';
import { retentionText } from '../engine/sla';
import type { TargetConfig } from '../config/types';
import type * as Api from './contract';

function seconds(from: string, to: string | null): number | null {
  if (!to) {
    return null;
  }
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) ? Math.max(0, d) : null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

const obj = <T>(v: unknown): T | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as T) : null);

/**
 * A run as the API shows it. `held`: the snapshots still held among those the runs name (one
 * catalog query for a whole list, see heldSnapshots); without it snapshotHeld is null.
 * `instance`: this instance's name (every record of this catalog is its own).
 */
export function toRun(r: RunRecord, instance: string, held?: Set<string>): Api.Run {
  const restore = obj<Api.RestoreOutcome>(r.detail.restore);
  return {
    id: r.id,
    instance,
    target: r.target,
    operation: r.operation,
    status: r.status,
    phase: r.phase,
    phases: Array.isArray(r.detail.phases) ? (r.detail.phases as Api.RunPhase[]) : [],
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationSeconds: seconds(r.startedAt, r.finishedAt),
    bytesDone: r.bytesDone,
    snapshotId: r.snapshotId,
    snapshotHeld: r.snapshotId && held ? held.has(r.snapshotId) : null,
    error: r.error,
    actor: r.actor,
    verification: r.operation === 'verify' ? obj<Api.VerificationOutcome>(r.detail.verification) : null,
    restore: r.operation === 'restore' ? restore : null,
    restoredTo:
      r.operation === 'restore' ? (restore?.location ?? (str(r.detail.to) ? `${str(r.detail.to)}` : 'in place')) : null,
  };
}

/** The snapshots of these runs (restores name theirs in the detail) that are still held. */
export function heldSnapshots(runs: RunRecord[], isHeld: (ids: string[]) => Set<string>): Set<string> {
  return isHeld([...new Set(runs.map((r) => r.snapshotId).filter((id): id is string => !!id))]);
}

export function toPolicy(t: TargetConfig): Api.TargetPolicy {
  return {
    coverage: t.coverage,
    usability: t.usability,
    schedule: t.schedule,
    verifySchedule: t.verifySchedule,
    rpoSeconds: t.rpoSeconds,
    rtoSeconds: t.rtoSeconds,
    retention: { ...t.retention },
    retentionText: retentionText(t.retention),
    safetyRetentionSeconds: t.safetyRetentionSeconds,
    repository: t.repository,
    copies: [...t.copies],
  };
}

const isoSecond = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

export function toPitr(p: PitrState): Api.PitrStatus {
  return {
    windowStart: p.start === null ? null : isoSecond(p.start),
    windowEnd: p.end === null ? null : isoSecond(p.end),
    ranges: p.ranges.map((r) => ({ start: isoSecond(r.start), end: isoSecond(r.end) })),
    gaps: p.gaps.map((g) => ({ start: isoSecond(g.start), end: isoSecond(g.end), reason: g.reason, kind: g.kind })),
    lagSeconds: p.lagSeconds === null ? null : Math.round(p.lagSeconds * 10) / 10,
    archiver: p.archiver,
    archiverDetail: p.archiverDetail,
    archiverRestarts: p.archiverRestarts,
    stalled: p.stalled,
    files: p.files,
    bytes: p.bytes,
  };
}

export function toTargetStatus(
  s: TargetState,
  destinations: Api.RestoreDestinations,
  instance: string
): Api.TargetStatus {
  return {
    name: s.name,
    instance,
    kind: s.kind,
    policy: toPolicy(s.target),
    destinations,
    level: s.level,
    reasons: s.reasons,
    checks: s.checks,
    lastSuccessAt: s.lastSuccessAt,
    ageSeconds: s.ageSeconds,
    lastRun: s.lastRun && toRun(s.lastRun, instance),
    versionsHeld: s.versionsHeld,
    versionsRequired: s.versionsRequired,
    versionsExpected: s.versionsExpected,
    versionsCompleteAt: s.versionsCompleteAt,
    lastVerification: s.lastVerification,
    copiesHeld: s.copiesHeld,
    copiesRequired: s.copiesRequired,
    recoverySeconds: s.recoverySeconds,
    nextRunAt: s.nextRunAt,
    nextVerifyAt: s.nextVerifyAt,
    running: s.running && toRun(s.running, instance),
    pitr: s.pitr && toPitr(s.pitr),
  };
}

export function toCovered(c: CoveredState, instance: string): Api.CoveredService {
  return { name: c.name, instance, coveredBy: c.coveredBy, note: c.note, level: c.level };
}

/** This instance's own status (the whole lab's adds the peers: peers/peers.ts labStatus). */
export function toStatus(
  s: SlaState,
  destinations: (t: TargetState) => Api.RestoreDestinations,
  instance: string
): Api.StatusResponse {
  return {
    generatedAt: s.generatedAt,
    instance,
    instances: [
      {
        name: instance,
        self: true,
        reachable: true,
        unreachableSince: null,
        lastSeenAt: s.generatedAt,
        error: null,
        level: s.level,
      },
    ],
    level: s.level,
    targets: s.targets.map((t) => toTargetStatus(t, destinations(t), instance)),
    covered: s.covered.map((c) => toCovered(c, instance)),
  };
}

export function toSnapshot(s: SnapshotRecord, contents: Api.SnapshotContents | null, instance: string): Api.Snapshot {
  return {
    id: s.id,
    shortId: s.id.slice(0, 8),
    instance,
    target: s.target,
    time: s.time,
    bytes: s.bytes,
    version: s.version,
    verification: s.verification,
    verifiedAt: s.verifiedAt,
    verificationDetail: s.verificationDetail,
    heldBy: s.heldBy,
    safety: s.safety,
    contents,
    metadata: (s.metadata ?? {}) as Record<string, unknown>,
  };
}

export function toAuditEntry(a: AuditRecord, instance: string): Api.AuditEntry {
  return {
    id: a.id,
    instance,
    at: a.at,
    actor: a.actor,
    role: a.role ?? null,
    action: a.action,
    target: a.target,
    detail: a.detail,
    result: a.result,
    runId: a.runId,
    finishedAt: a.finishedAt,
  };
}

/** A run of operation `restore` as the Restores page shows it. */
export function toRestore(r: RunRecord, instance: string): Api.Restore {
  return {
    runId: r.id,
    instance,
    target: r.target,
    snapshotId: r.snapshotId ?? str(r.detail.snapshot) ?? '',
    to: str(r.detail.to),
    at: str(r.detail.at),
    safetySnapshotId: str(r.detail.safetySnapshotId),
    safetyBackup: (str(r.detail.safetyBackup) as Api.SafetyBackup | null) ?? null,
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationSeconds: seconds(r.startedAt, r.finishedAt),
    actor: r.actor,
    error: r.error,
    outcome: obj<Api.RestoreOutcome>(r.detail.restore),
  };
}

export function toAside(a: AsideView, instance: string): Api.AsideItem {
  return {
    instance,
    target: a.target,
    kind: a.kind,
    name: a.name,
    was: a.was,
    createdAt: a.createdAt,
    runId: a.runId,
    bytes: a.bytes,
  };
}
