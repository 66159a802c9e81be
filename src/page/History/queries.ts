/**
 * The history charts' PromQL over the service's metrics (README "Metrics and alerts"), and the
 * links out to Explore. Pure, so the tests check the queries without a Prometheus.
 */

export interface ChartQuery {
  refId: string;
  expr: string;
  legendFormat: string;
}

export interface ChartDefinition {
  id: 'success' | 'size' | 'duration' | 'restore';
  title: string;
  description: string;
  unit: string;
  min?: number;
  max?: number;
  queries: ChartQuery[];
}

const quote = (s: string) => s.replace(/["\\]/g, '\\$&');
/** PromQL's regexp syntax is RE2: escape what is special in a target name. */
const regexpEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `target="mysql"` for one target, `target=~"mysql|agama"` for some, `target=~".+"` for all. */
export function targetMatcher(targets: string[]): string {
  if (targets.length === 1) {
    return `target="${quote(targets[0])}"`;
  }
  return targets.length === 0 ? 'target=~".+"' : `target=~"${quote(targets.map(regexpEscape).join('|'))}"`;
}

/** The charts for these targets (none: all of them); one target's charts name their series plainly. */
export function chartDefinitions(targets: string[]): ChartDefinition[] {
  const t = targetMatcher(targets);
  const target = targets.length === 1 ? targets[0] : undefined;
  const name = target ?? '{{target}}';
  return [
    {
      id: 'success',
      title: 'Backup success',
      description:
        'Share of the time the last backup run had succeeded (backup_sla_last_run_success): a failed backup drops the line until the next good one.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [
        {
          refId: 'A',
          expr: `avg by (target) (avg_over_time(backup_sla_last_run_success{${t}}[$__rate_interval]))`,
          legendFormat: name,
        },
      ],
    },
    {
      id: 'size',
      title: 'Backup size',
      description: 'Bytes read from the source by the newest backup held (backup_sla_last_backup_bytes).',
      unit: 'decbytes',
      min: 0,
      queries: [{ refId: 'A', expr: `max by (target) (backup_sla_last_backup_bytes{${t}})`, legendFormat: name }],
    },
    {
      id: 'duration',
      title: 'Backup duration',
      description: 'How long the last backup run took, good or not (backup_sla_last_backup_duration_seconds).',
      unit: 's',
      min: 0,
      queries: [
        { refId: 'A', expr: `max by (target) (backup_sla_last_backup_duration_seconds{${t}})`, legendFormat: name },
      ],
    },
    {
      id: 'restore',
      title: 'Restore time against the RTO',
      description:
        'The last measured restore, a real one or a verification restore (backup_sla_last_restore_duration_seconds), and the RTO (dashed).',
      unit: 's',
      min: 0,
      queries: [
        {
          refId: 'A',
          expr: `max by (target) (backup_sla_last_restore_duration_seconds{${t}})`,
          legendFormat: target ? 'restore' : '{{target}} restore',
        },
        {
          refId: 'B',
          expr: `max by (target) (backup_sla_rto_seconds{${t}})`,
          legendFormat: target ? 'RTO' : '{{target}} RTO',
        },
      ],
    },
  ];
}

/** Grafana's Explore (schemaVersion 1 panes) on these queries and this time range. */
export function exploreUrl(
  datasource: { type: string; uid: string },
  queries: Array<Pick<ChartQuery, 'refId' | 'expr'>>,
  range: { from: string; to: string },
  orgId = 1
): string {
  const panes = {
    backupsla: {
      datasource: datasource.uid,
      queries: queries.map((q) => ({ refId: q.refId, expr: q.expr, datasource, editorMode: 'code', range: true })),
      range,
    },
  };
  return `/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify(panes))}&orgId=${orgId}`;
}
