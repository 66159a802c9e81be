/**
 * Contract-shaped answers of the service (packages/contract/index.d.ts), for the tests. The clock is fixed
 * at NOW by the tests that care about ages.
 */
import type {
  AuditEntry,
  InstanceState,
  GetAside,
  PitrStatus,
  GetAudit,
  GetRestores,
  GetRuns,
  GetSnapshots,
  GetStatus,
  Restore,
  Run,
  SlaCheck,
  Snapshot,
  TargetStatus,
} from '../api/types';

export const NOW = new Date('2025-03-10T12:00:00Z');
/** The instance Grafana talks to in the fixtures; the lab's other machine is mon1 (makeLabStatus). */
export const SELF = 'app1';
const iso = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000).toISOString();
const H = 3600;
const D = 86400;

const ok = (reason = 'within SLA'): SlaCheck => ({ level: 'ok', reason });

export function makeRun(overrides: Partial<Run> = {}): Run {
  return {
    id: 1,
    instance: SELF,
    target: 'mysql',
    operation: 'backup',
    status: 'success',
    phase: 'copying',
    phases: [
      { name: 'dumping', startedAt: iso(2 * H), bytesDone: 12_300_000 },
      { name: 'copying', startedAt: iso(2 * H - 10), bytesDone: null },
    ],
    startedAt: iso(2 * H),
    finishedAt: iso(2 * H - 14),
    durationSeconds: 14,
    bytesDone: 12_300_000,
    snapshotId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    snapshotHeld: true,
    error: null,
    actor: 'scheduler',
    verification: null,
    restore: null,
    restoredTo: null,
    ...overrides,
  };
}

export function makeTarget(overrides: Partial<TargetStatus> = {}): TargetStatus {
  return {
    name: 'mysql',
    instance: SELF,
    kind: 'mysql',
    policy: {
      coverage: 'the AGAMA database (table item)',
      usability: 'restore into a scratch database; same tables, row counts and CHECKSUM TABLE',
      schedule: '0 2 * * *',
      verifySchedule: '0 4 * * 0',
      rpoSeconds: D,
      rtoSeconds: 300,
      retention: { keepWeekly: 4 },
      retentionText: '4 weekly versions',
      safetyRetentionSeconds: 30 * D,
      repository: 'main',
      copies: ['flash'],
    },
    destinations: {
      inPlace: {
        replaces: 'database agama',
        movedAsideAs: 'database agama_before_restore_<time>',
        note: null,
        unavailable: null,
      },
      elsewhere: { kind: 'database', hint: 'another database on the same server', example: 'agama_restored' },
    },
    level: 'ok',
    reasons: [],
    checks: {
      fresh: ok('last good backup 2 h ago, RPO 24 h'),
      versions: ok('4 of 4 versions held'),
      verified: ok('last verification passed 2 d ago'),
      copies: ok('2 of 2 copies hold the latest snapshot'),
      recovery: ok('last restore took 1 min, RTO 5 min'),
    },
    lastSuccessAt: iso(2 * H),
    ageSeconds: 2 * H,
    lastRun: makeRun(),
    versionsHeld: 4,
    versionsRequired: 4,
    versionsExpected: 4,
    versionsCompleteAt: null,
    lastVerification: { at: iso(2 * D), success: true, outcome: 'passed', durationSeconds: 40, snapshotId: 'a1b2c3d4' },
    copiesHeld: 2,
    copiesRequired: 2,
    recoverySeconds: 60,
    nextRunAt: new Date(NOW.getTime() + 14 * H * 1000).toISOString(),
    nextVerifyAt: new Date(NOW.getTime() + 5 * D * 1000).toISOString(),
    running: null,
    ...overrides,
  };
}

/**
 * Point-in-time recovery of the AGAMA database (issue 13): recoverable from the weekly dump of
 * 2025-03-03 02:00:05 to 5 s before NOW, interrupted by a gap where binlog.000042 was purged
 * before it was archived (2025-03-08 10:00:00 – 2025-03-09 02:00:06, recoverable again from the
 * next dump); the archiver follows the server 4 s behind.
 */
export function makePitr(overrides: Partial<PitrStatus> = {}): PitrStatus {
  return {
    windowStart: '2025-03-03T02:00:05Z',
    windowEnd: '2025-03-10T11:59:55Z',
    ranges: [
      { start: '2025-03-03T02:00:05Z', end: '2025-03-08T09:59:59Z' },
      { start: '2025-03-09T02:00:07Z', end: '2025-03-10T11:59:55Z' },
    ],
    gaps: [
      {
        start: '2025-03-08T10:00:00Z',
        end: '2025-03-09T02:00:06Z',
        reason:
          'binlog.000042 was purged from the server before it was archived to its end; recoverable again from the first backup after it',
        kind: 'archive',
      },
    ],
    lagSeconds: 4,
    archiver: 'following',
    archiverDetail: 'following binlog.000051 from the server',
    archiverRestarts: 0,
    stalled: null,
    files: 37,
    bytes: 48_200_000,
    ...overrides,
  };
}

/** The mysql target archiving its binary log: RPO 4 h (the SLA's "few hours"), met by the archive lag. */
export function makePitrTarget(overrides: Partial<TargetStatus> = {}): TargetStatus {
  return makeTarget({
    policy: { ...makeTarget().policy, rpoSeconds: 4 * H },
    checks: {
      ...makeTarget().checks,
      fresh: ok('recoverable to 5 s ago (binary log archived, lag 4 s); last dump 2 h ago'),
    },
    pitr: makePitr(),
    ...overrides,
  });
}

/**
 * In config order: ansible (ok, covers Nginx, uWSGI, Telegraf and DNS), agama (ok, building up its
 * versions: 1 of 2, complete in a week), mysql (critical: overdue, its last backup failed, with the
 * tool's own words as the cause), prometheus (warning: 7 of 10 versions where 10 could be held).
 */
export function makeStatus(): GetStatus {
  const mysql = makeTarget({
    level: 'critical',
    reasons: ['last good backup 31 h ago, RPO 24 h'],
    checks: {
      ...makeTarget().checks,
      fresh: {
        level: 'critical',
        reason: 'last good backup 31 h ago, RPO 24 h',
        cause: "mysqldump: Got error: 2002: Can't connect to local server through socket '/run/mysqld/mysqld.sock'",
      },
    },
    ageSeconds: 31 * H,
    lastSuccessAt: iso(31 * H),
  });
  const ansible = makeTarget({
    name: 'ansible',
    kind: 'ansible',
    policy: {
      ...makeTarget().policy,
      coverage: 'the whole Ansible repo: git history (bundle) and working tree',
      rpoSeconds: 3 * D,
      rtoSeconds: 20 * 60,
      retention: { keepLast: 3 },
      retentionText: 'current and 2 previous distinct versions',
      copies: ['admin', 'flash'],
    },
    destinations: {
      inPlace: {
        replaces: 'directory /srv/ansible',
        movedAsideAs: 'directory /srv/ansible.before-restore-<time>',
        note: null,
        unavailable: null,
      },
      elsewhere: { kind: 'directory', hint: 'another directory under /srv/restore', example: '/srv/restore/ansible' },
    },
    versionsHeld: 3,
    versionsRequired: 3,
    versionsExpected: 3,
    copiesHeld: 3,
    copiesRequired: 3,
  });
  const agama = makeTarget({
    name: 'agama',
    kind: 'files',
    policy: { ...makeTarget().policy, coverage: 'the installed AGAMA application files', rpoSeconds: null, copies: [] },
    checks: { ...makeTarget().checks, versions: ok('1 of 2 versions held so far (building up)') },
    versionsHeld: 1,
    versionsRequired: 2,
    versionsExpected: 1,
    versionsCompleteAt: new Date(NOW.getTime() + 7 * D * 1000).toISOString(),
    copiesHeld: 0,
    copiesRequired: 0,
  });
  agama.checks.copies = ok('no extra copies required');
  const prometheus = makeTarget({
    name: 'prometheus',
    kind: 'prometheus',
    level: 'warning',
    reasons: ['7 of 10 versions held'],
    checks: { ...makeTarget().checks, versions: { level: 'warning', reason: '7 of 10 versions held' } },
    versionsHeld: 7,
    versionsRequired: 10,
    versionsExpected: 10,
    policy: { ...makeTarget().policy, retention: { keepWeekly: 10 }, retentionText: '10 weekly versions' },
    destinations: {
      inPlace: {
        replaces: 'live data directory /var/lib/prometheus/metrics2',
        movedAsideAs: 'directory /var/lib/prometheus/metrics2.before-restore-<time>',
        note: "Prometheus is stopped and started again by the target's hooks",
        unavailable: 'no hooks.stop configured and Prometheus is running',
      },
      elsewhere: { kind: 'directory', hint: 'a directory for a second Prometheus', example: '/srv/restore/prometheus' },
    },
  });
  return {
    generatedAt: NOW.toISOString(),
    instance: SELF,
    instances: [selfInstance('critical')],
    level: 'critical',
    targets: [ansible, agama, mysql, prometheus],
    covered: [
      { name: 'Nginx', instance: SELF, coveredBy: 'ansible', note: 'configured only by Ansible', level: 'ok' },
      { name: 'uWSGI', instance: SELF, coveredBy: 'ansible', note: 'configured only by Ansible', level: 'ok' },
      {
        name: 'Telegraf',
        instance: SELF,
        coveredBy: 'ansible',
        note: 'configured only by Ansible; its data is in influxdb',
        level: 'ok',
      },
      { name: 'DNS', instance: SELF, coveredBy: 'ansible', note: 'configured only by Ansible', level: 'ok' },
    ],
  };
}

function selfInstance(level: InstanceState['level']): InstanceState {
  return {
    name: SELF,
    self: true,
    reachable: true,
    unreachableSince: null,
    lastSeenAt: NOW.toISOString(),
    error: null,
    level,
  };
}

const MON1_DOWN_SINCE = iso(5 * 60);

/**
 * A lab of two machines, as app1 (the instance Grafana talks to) answers for it: app1 holds
 * ansible (ok), agama (ok, building up) and mysql (critical); mon1 holds prometheus (warning),
 * influxdb (ok) and a mysql of its own (ok: same name, another machine). With `mon1Down`, mon1
 * does not answer: its last known targets at level unknown, each with the service's reason.
 */
export function makeLabStatus({ mon1Down = false }: { mon1Down?: boolean } = {}): GetStatus {
  const single = makeStatus();
  const app1 = single.targets.filter((t) => t.name !== 'prometheus');
  const onMon1 = (t: TargetStatus): TargetStatus => ({
    ...t,
    instance: 'mon1',
    lastRun: t.lastRun && { ...t.lastRun, instance: 'mon1', target: t.name },
  });
  let mon1 = [
    onMon1(single.targets.find((t) => t.name === 'prometheus')!),
    onMon1(
      makeTarget({
        name: 'influxdb',
        kind: 'influxdb',
        policy: { ...makeTarget().policy, coverage: 'every database but _internal' },
      })
    ),
    onMon1(makeTarget({ name: 'mysql', policy: { ...makeTarget().policy, coverage: 'the monitoring database' } })),
  ];
  const reason = `instance mon1 unreachable since ${MON1_DOWN_SINCE} (connect ECONNREFUSED 127.0.0.1:8470)`;
  if (mon1Down) {
    mon1 = mon1.map((t) => ({
      ...t,
      level: 'unknown',
      reasons: [reason],
      checks: { ...t.checks, fresh: { level: 'unknown', reason } },
      running: null,
    }));
  }
  const mon1State: InstanceState = mon1Down
    ? {
        name: 'mon1',
        self: false,
        reachable: false,
        unreachableSince: MON1_DOWN_SINCE,
        lastSeenAt: iso(5 * 60 + 3),
        error: 'connect ECONNREFUSED 127.0.0.1:8470',
        level: 'unknown',
      }
    : {
        name: 'mon1',
        self: false,
        reachable: true,
        unreachableSince: null,
        lastSeenAt: NOW.toISOString(),
        error: null,
        level: 'warning',
      };
  return {
    ...single,
    instances: [selfInstance('critical'), mon1State],
    targets: [...app1, ...mon1],
    covered: [
      ...single.covered,
      {
        name: 'Grafana alerts',
        instance: 'mon1',
        coveredBy: 'influxdb',
        note: 'its state is in influxdb',
        level: 'ok',
      },
    ],
  };
}

/** An answer of GET api/status from a peer that did not answer, for whole-lab lists. */
export function unreachableMon1(): InstanceState {
  return makeLabStatus({ mon1Down: true }).instances[1];
}

export function makeSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    shortId: 'a1b2c3d4',
    instance: SELF,
    target: 'mysql',
    time: iso(2 * H),
    bytes: 12_300_000,
    version: null,
    verification: 'passed',
    verifiedAt: iso(2 * H - 60),
    verificationDetail: 'tables 1, rows 1042, checksums equal',
    heldBy: ['main', 'flash'],
    safety: false,
    contents: {
      summary: 'database agama: 1 table, 1042 rows',
      items: [{ name: 'item', count: 1042, unit: 'rows' }],
    },
    metadata: {},
    ...overrides,
  };
}

export function makeSnapshots(): GetSnapshots {
  return {
    snapshots: [
      makeSnapshot(),
      makeSnapshot({
        id: 'ffee0011aabbccdd00112233445566778899aabbccddeeff0011223344556677',
        shortId: 'ffee0011',
        time: iso(8 * D),
        verification: 'failed',
        verificationDetail: 'row count of item differs: 1040 != 1042',
        heldBy: ['main'],
      }),
    ],
  };
}

export function makeRuns(): GetRuns {
  return {
    runs: [
      makeRun({ id: 12, startedAt: iso(2 * H), actor: 'scheduler' }),
      makeRun({
        id: 11,
        status: 'failed',
        startedAt: iso(26 * H),
        snapshotId: null,
        bytesDone: 1_000,
        error: "mysqldump: Got error: 2002: Can't connect to local server",
        actor: 'alice',
      }),
      makeRun({ id: 10, target: 'ansible', startedAt: iso(3 * D), bytesDone: 2_000_000, durationSeconds: 5 }),
      makeRun({ id: 9, operation: 'verify', startedAt: iso(2 * D), bytesDone: null, snapshotId: null, actor: 'bob' }),
    ],
    unreachable: [],
  };
}

export function makeAudit(): GetAudit {
  const entries: AuditEntry[] = [
    {
      id: 4,
      instance: SELF,
      at: iso(H),
      actor: 'alice',
      role: 'admin',
      action: 'restore',
      target: 'mysql',
      detail: 'snapshot a1b2c3d4 to agama_restored: restored to database agama_restored',
      result: 'ok',
      runId: null,
      finishedAt: null,
    },
    {
      id: 3,
      instance: SELF,
      at: iso(H + 62),
      actor: 'alice',
      role: 'admin',
      action: 'restore',
      target: 'mysql',
      detail: 'snapshot a1b2c3d4 to agama_restored',
      result: 'started',
      runId: null,
      finishedAt: null,
    },
    {
      id: 2,
      instance: SELF,
      at: iso(2 * H),
      actor: 'bob',
      role: 'operator',
      action: 'backup',
      target: 'mysql',
      detail: 'manual backup',
      result: 'failed',
      runId: 11,
      finishedAt: null,
    },
    {
      id: 1,
      instance: SELF,
      at: iso(3 * H),
      actor: 'admin',
      role: 'admin',
      action: 'config',
      target: null,
      detail: 'service started',
      result: 'ok',
      runId: null,
      finishedAt: null,
    },
  ];
  return { entries, unreachable: [] };
}

export function makeRestore(overrides: Partial<Restore> = {}): Restore {
  return {
    runId: 77,
    instance: SELF,
    target: 'mysql',
    snapshotId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    to: null,
    safetySnapshotId: '5afe5afe00112233445566778899aabbccddeeff00112233445566778899aabb',
    safetyBackup: 'saved',
    status: 'success',
    startedAt: iso(60),
    finishedAt: iso(0),
    durationSeconds: 62,
    actor: 'admin',
    error: null,
    outcome: {
      location: 'database agama',
      counts: { tables: 1, rows: 1042 },
      movedAside: ['database agama_before_restore_20250310T115900Z'],
      next: [],
      detail: '1 table, 1042 rows',
    },
    ...overrides,
  };
}

export function makeRestores(): GetRestores {
  return { restores: [makeRestore()], unreachable: [] };
}

export function makeAside(): GetAside {
  return {
    items: [
      {
        instance: SELF,
        target: 'mysql',
        kind: 'database',
        name: 'agama_before_restore_20250310T115900Z',
        was: 'database agama',
        createdAt: iso(60),
        runId: 77,
        bytes: 12_300_000,
      },
      {
        instance: SELF,
        target: 'ansible',
        kind: 'directory',
        name: '/srv/ansible.before-restore-20250309T100000Z',
        was: 'directory /srv/ansible',
        createdAt: iso(26 * H),
        runId: 70,
        bytes: null,
      },
    ],
    unreachable: [],
  };
}

/** A verification of ansible that found changes check mode would make. */
export function makeAnsibleVerify(changeKind: 'unapplied' | 'drift'): Run {
  return makeRun({
    id: 30,
    target: 'ansible',
    operation: 'verify',
    status: 'failed',
    error: 'check mode would change 1 task on 1 host',
    snapshotId: null,
    bytesDone: null,
    verification: {
      outcome: 'failed',
      detail: 'ansible-playbook --check: changed=1 failed=0',
      changeKind,
      changes: [
        {
          host: 'web1',
          task: 'nginx : site config',
          diff: '--- before: /etc/nginx/sites-enabled/agama\n+++ after\n-    listen 80;\n+    listen 8080;',
        },
      ],
    },
  });
}
