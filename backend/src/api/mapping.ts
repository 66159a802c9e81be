/**
 * The one place where the engine's records become the shapes of the HTTP contract
 * (`src/api/types.ts`). Routes never hand out engine or catalog records directly.
 */
import type { AuditRecord, RunRecord, SnapshotRecord } from '../catalog/catalog';
import type { CoveredState, SlaState, TargetState } from '../engine/sla';
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

export function toRun(r: RunRecord): Api.Run {
  return {
    id: r.id,
    target: r.target,
    operation: r.operation,
    status: r.status,
    phase: r.phase,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationSeconds: seconds(r.startedAt, r.finishedAt),
    bytesDone: r.bytesDone,
    snapshotId: r.snapshotId,
    error: r.error,
    actor: r.actor,
  };
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
    repository: t.repository,
    copies: [...t.copies],
  };
}

export function toTargetStatus(s: TargetState): Api.TargetStatus {
  return {
    name: s.name,
    kind: s.kind,
    policy: toPolicy(s.target),
    level: s.level,
    reasons: s.reasons,
    checks: s.checks,
    lastSuccessAt: s.lastSuccessAt,
    ageSeconds: s.ageSeconds,
    lastRun: s.lastRun && toRun(s.lastRun),
    versionsHeld: s.versionsHeld,
    versionsRequired: s.versionsRequired,
    lastVerification: s.lastVerification,
    copiesHeld: s.copiesHeld,
    copiesRequired: s.copiesRequired,
    recoverySeconds: s.recoverySeconds,
    nextRunAt: s.nextRunAt,
    nextVerifyAt: s.nextVerifyAt,
    running: s.running && toRun(s.running),
  };
}

export function toCovered(c: CoveredState): Api.CoveredService {
  return { name: c.name, coveredBy: c.coveredBy, note: c.note, level: c.level };
}

export function toStatus(s: SlaState): Api.StatusResponse {
  return {
    generatedAt: s.generatedAt,
    level: s.level,
    targets: s.targets.map(toTargetStatus),
    covered: s.covered.map(toCovered),
  };
}

export function toSnapshot(s: SnapshotRecord): Api.Snapshot {
  return {
    id: s.id,
    shortId: s.id.slice(0, 8),
    target: s.target,
    time: s.time,
    bytes: s.bytes,
    version: s.version,
    verification: s.verification,
    verifiedAt: s.verifiedAt,
    verificationDetail: s.verificationDetail,
    heldBy: s.heldBy,
    metadata: (s.metadata ?? {}) as Record<string, unknown>,
  };
}

export function toAuditEntry(a: AuditRecord): Api.AuditEntry {
  return { id: a.id, at: a.at, actor: a.actor, action: a.action, target: a.target, detail: a.detail, result: a.result };
}

/** A run of operation `restore` as the Restores page shows it. */
export function toRestore(r: RunRecord): Api.Restore {
  return {
    runId: r.id,
    target: r.target,
    snapshotId: r.snapshotId ?? str(r.detail.snapshot) ?? '',
    to: str(r.detail.to),
    safetySnapshotId: str(r.detail.safetySnapshotId),
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationSeconds: seconds(r.startedAt, r.finishedAt),
    actor: r.actor,
    error: r.error,
  };
}
