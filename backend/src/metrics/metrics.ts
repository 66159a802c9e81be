/**
 * Prometheus metrics (docs/design.md §4), computed at scrape time from the same SLA state the API and the
 * CLI show (engine/sla.ts), so an alert rule and a page never disagree and nothing goes stale.
 *
 * Timestamps of something that never happened are 0 ("never"), so that an age rule such as
 * `time() - backup_sla_last_success_timestamp_seconds > backup_sla_rpo_seconds` fires for a target
 * that has never been backed up. Values that do not exist yet (success of a run that never ran,
 * a recovery time never measured, an RPO the SLA does not set) are left out.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Operation, RunStatus } from '../catalog/catalog';
import type { Engine } from '../engine/engine';
import { Level, SlaState, TargetState } from '../engine/sla';

export const PREFIX = 'backup_sla_';

const LEVEL_VALUE: Record<Level, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

type Value = number | null | undefined;

interface Definition {
  name: string;
  help: string;
  value: (t: TargetState) => Value;
}

const epoch = (iso: string | null | undefined): number => (iso ? Date.parse(iso) / 1000 : 0);

function duration(from: string | undefined, to: string | null | undefined): number | null {
  return from && to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : null;
}

/** The metrics of docs/design.md §4, each read off one target's SLA state. */
export const DEFINITIONS: Definition[] = [
  {
    name: 'last_success_timestamp_seconds',
    help: 'When the last good backup finished (unix seconds; 0 = never)',
    value: (t) => epoch(t.lastSuccessAt),
  },
  {
    name: 'last_run_timestamp_seconds',
    help: 'When the last backup run finished, good or not (unix seconds; 0 = never)',
    value: (t) => epoch(t.lastBackup?.finishedAt),
  },
  {
    name: 'last_run_success',
    help: 'Whether the last backup run succeeded (1) or failed (0); absent before the first run',
    value: (t) => (t.lastBackup ? (t.lastBackup.status === 'failed' ? 0 : 1) : null),
  },
  {
    name: 'rpo_seconds',
    help: 'Recovery point objective of the SLA (absent where the SLA sets none)',
    value: (t) => t.target.rpoSeconds,
  },
  { name: 'rto_seconds', help: 'Recovery time objective of the SLA', value: (t) => t.target.rtoSeconds },
  { name: 'snapshots', help: 'Versions (snapshots) held', value: (t) => t.versionsHeld },
  {
    name: 'snapshots_required',
    help: 'Versions the retention policy keeps once full',
    value: (t) => t.versionsRequired,
  },
  {
    name: 'last_verify_timestamp_seconds',
    help: 'When the last verification that reached a verdict (test restore) finished (unix seconds; 0 = never)',
    value: (t) => epoch(t.lastVerdict?.at),
  },
  {
    name: 'last_verify_success',
    help: 'Whether the last verification that reached a verdict passed (1) or failed (0); absent before the first',
    value: (t) => (t.lastVerdict ? (t.lastVerdict.success ? 1 : 0) : null),
  },
  {
    name: 'last_verify_unknown',
    help: 'Whether the last verification could not run (1: source or repository unreachable, nothing learned) or ran (0)',
    value: (t) => (t.lastVerification ? (t.lastVerification.outcome === 'unknown' ? 1 : 0) : null),
  },
  {
    name: 'last_restore_duration_seconds',
    help: 'Last measured recovery time: a real restore, else a verification restore (absent until measured)',
    value: (t) => t.recoverySeconds,
  },
  { name: 'copies_ok', help: 'Extra copies holding the newest version', value: (t) => t.copiesHeld },
  { name: 'copies_required', help: 'Extra copies the SLA requires', value: (t) => t.copiesRequired },
  {
    name: 'last_backup_bytes',
    help: 'Bytes read from the source by the newest backup held',
    value: (t) => t.snapshots.find((s) => !s.safety)?.bytes ?? null,
  },
  {
    name: 'last_backup_duration_seconds',
    help: 'How long the last backup run took, good or not',
    value: (t) => duration(t.lastBackup?.startedAt, t.lastBackup?.finishedAt),
  },
  // Point-in-time recovery (targets that archive their binary log; absent for the others).
  {
    name: 'binlog_lag_seconds',
    help: 'Now minus what the binary log archive holds (its newest event, or when it last caught up with the server)',
    value: (t) => t.pitr?.lagSeconds,
  },
  {
    name: 'pitr_window_start_timestamp_seconds',
    help: 'The oldest second a restore to a point in time can reach (unix seconds; 0 = nothing recoverable yet)',
    value: (t) => (t.pitr ? (t.pitr.start ?? 0) : null),
  },
  {
    name: 'pitr_window_end_timestamp_seconds',
    help: 'The newest second a restore to a point in time can reach (unix seconds; 0 = nothing recoverable yet)',
    value: (t) => (t.pitr ? (t.pitr.end ?? 0) : null),
  },
  {
    name: 'pitr_gap',
    help: 'Whether the archive broke (a log file purged before it was archived: a gap in the recoverable window) or stopped (1), or not (0)',
    value: (t) => (t.pitr ? (t.pitr.gaps.some((g) => g.kind === 'archive') || t.pitr.stalled ? 1 : 0) : null),
  },
  {
    name: 'pitr_archiver_up',
    help: 'Whether the binary log archiver follows the server (1) or is retrying or stopped (0)',
    value: (t) => (t.pitr ? (t.pitr.archiver === 'following' ? 1 : 0) : null),
  },
  {
    name: 'pitr_archiver_restarts',
    help: 'How often the binary log archiver had to be started again',
    value: (t) => t.pitr?.archiverRestarts,
  },
];

/**
 * The outcomes each operation can end with: every configured target exports each of them from
 * the start (0 until it happens), so that the first failure is an increase `rate()` sees, not a
 * series that appears at 1.
 */
export const RUN_OUTCOMES: Record<Operation, Array<Exclude<RunStatus, 'running'>>> = {
  backup: ['success', 'unchanged', 'failed'],
  verify: ['success', 'failed'],
  restore: ['success', 'failed'],
  forget: ['success', 'failed'],
};

export interface Metrics {
  registry: Registry;
  /** The exposition text (what GET /metrics answers). */
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(engine: Engine): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // One SLA state per scrape, shared with the API (engine.slaState caches it for a second).
  const state = (): SlaState => engine.slaState();

  for (const d of DEFINITIONS) {
    new Gauge({
      name: `${PREFIX}${d.name}`,
      help: d.help,
      labelNames: ['target'],
      registers: [registry],
      collect() {
        this.reset(); // a target gone from the config disappears instead of keeping its last value
        for (const t of state().targets) {
          const v = d.value(t);
          if (v !== null && v !== undefined && Number.isFinite(v)) {
            this.set({ target: t.name }, v);
          }
        }
      },
    });
  }

  // The SLA checks themselves, so alerts and dashboards judge exactly as the service does
  // (e.g. fewer versions than required is fine while a new target builds up its history).
  new Gauge({
    name: `${PREFIX}check_level`,
    help: 'Level of each SLA check of a target: 0 ok, 1 unknown, 2 warning, 3 critical',
    labelNames: ['target', 'check'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of state().targets) {
        for (const [check, c] of Object.entries(t.checks)) {
          this.set({ target: t.name, check }, LEVEL_VALUE[c.level]);
        }
        this.set({ target: t.name, check: 'overall' }, LEVEL_VALUE[t.level]);
      }
    },
  });

  // Finished runs, counted from the catalog: a restart does not reset them, and runs of the CLI
  // beside the service count too. Prometheus's rate() and increase() work on it as on any counter
  // (a rebuilt catalog counting fewer is taken as a reset).
  new Counter({
    name: `${PREFIX}runs_total`,
    help: 'Runs finished, by target, operation and status (success, unchanged, failed), since the catalog began',
    labelNames: ['target', 'operation', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      const targets = new Set(Object.keys(engine.config.targets));
      for (const target of targets) {
        for (const [operation, statuses] of Object.entries(RUN_OUTCOMES)) {
          for (const status of statuses) {
            this.inc({ target, operation, status }, 0);
          }
        }
      }
      for (const r of engine.catalog.runCounts()) {
        if (targets.has(r.target)) {
          this.inc({ target: r.target, operation: r.operation, status: r.status }, r.count);
        }
      }
    },
  });

  // Which instance of the lab this is: Prometheus labels each scraped service by its address
  // (`instance`) unless the scrape job names it; this says the service's own name to join on.
  new Gauge({
    name: `${PREFIX}info`,
    help: 'This service: its instance name in the lab (1 always)',
    labelNames: ['instance_name'],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ instance_name: engine.config.instance }, 1);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      return registry.metrics();
    },
  };
}
