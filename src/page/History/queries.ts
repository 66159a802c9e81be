/**
 * The history charts' PromQL over the service's metrics (README "Metrics and alerts"), and the
 * links out to Explore. Pure, so the tests check the queries without a Prometheus.
 */
import type { TargetRef } from '../../utils/lab';

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

/**
 * The label matchers that select the chosen targets: one set per instance in a lab of several
 * (Prometheus labels each service's series with `instance`, its instance name:
 * provisioning/prometheus/backup-sla-scrape.yml); by target only on a single instance, whatever
 * its `instance` label is.
 */
export function selectors(targets: TargetRef[], multi: boolean): string[] {
  if (!multi) {
    return [targetMatcher([...new Set(targets.map((t) => t.name))])];
  }
  if (targets.length === 0) {
    return [targetMatcher([])];
  }
  const instances = [...new Set(targets.map((t) => t.instance))];
  return instances.map(
    (i) => `instance="${quote(i)}",${targetMatcher(targets.filter((t) => t.instance === i).map((t) => t.name))}`
  );
}

/** The series of every selector: one `expr(selector)`, or several joined by `or`. */
function anyOf(sels: string[], expr: (selector: string) => string): string {
  return sels.length === 1 ? expr(sels[0]) : sels.map(expr).join(' or ');
}

/** How far back the success rate looks at each point: a day holds one run of a daily backup. */
export const SUCCESS_WINDOW = '1d';

/**
 * The charts for these targets (none: all of them). One target's charts name their series
 * plainly; a lab of several instances names them `<instance>/<target>`.
 */
export function chartDefinitions(targets: TargetRef[], multi = false): ChartDefinition[] {
  const sels = selectors(targets, multi);
  const by = multi ? 'instance, target' : 'target';
  const one = targets.length === 1 ? targets[0] : undefined;
  const name = one
    ? multi
      ? `${one.instance}/${one.name}`
      : one.name
    : multi
      ? '{{instance}}/{{target}}'
      : '{{target}}';
  const max = (metric: string) => `max by (${by}) (${anyOf(sels, (s) => `${metric}{${s}}`)})`;
  const backups = (status: string) =>
    `sum by (${by}) (${anyOf(
      sels,
      (s) => `increase(backup_sla_runs_total{operation="backup",${status}${s}}[${SUCCESS_WINDOW}])`
    )})`;
  return [
    {
      id: 'success',
      title: 'Backup success rate',
      description:
        'Share of the backup runs of the preceding 24 hours that succeeded (an unchanged version counts as a success), from the counter backup_sla_runs_total. No line: no backup ran in those 24 hours.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [
        {
          refId: 'A',
          expr: `${backups('status=~"success|unchanged",')} / ${backups('')}`,
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
      queries: [{ refId: 'A', expr: max('backup_sla_last_backup_bytes'), legendFormat: name }],
    },
    {
      id: 'duration',
      title: 'Backup duration',
      description: 'How long the last backup run took, good or not (backup_sla_last_backup_duration_seconds).',
      unit: 's',
      min: 0,
      queries: [{ refId: 'A', expr: max('backup_sla_last_backup_duration_seconds'), legendFormat: name }],
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
          expr: max('backup_sla_last_restore_duration_seconds'),
          legendFormat: one ? 'restore' : `${name} restore`,
        },
        { refId: 'B', expr: max('backup_sla_rto_seconds'), legendFormat: one ? 'RTO' : `${name} RTO` },
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
