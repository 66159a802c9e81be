import React, { useMemo } from 'react';
import { EmptyState, LoadingPlaceholder, Stack } from '@grafana/ui';
import type { Run } from '../../api/types';
import { ChartSeries, LineChart } from '../../components/LineChart';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { useRuns } from '../../data/useRuns';
import { formatBytes, formatDuration } from '../../utils/format';

/** Per target, one series of `pick(run)` over the finished backups, oldest first. */
export function seriesOf(runs: Run[], pick: (run: Run) => number | null): ChartSeries[] {
  const byTarget = new Map<string, ChartSeries>();
  const done = runs
    .filter((r) => (r.status === 'success' || r.status === 'unchanged') && pick(r) !== null)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  for (const run of done) {
    const series = byTarget.get(run.target) ?? { name: run.target, points: [] };
    series.points.push({ t: new Date(run.startedAt).getTime(), v: pick(run) as number });
    byTarget.set(run.target, series);
  }
  return [...byTarget.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Backup size and duration over time, from the last 200 backups. */
export function BackupHistoryChart({ reloadKey }: { reloadKey?: number }) {
  const runs = useRuns({ operation: 'backup', limit: 200 });
  const { reload } = runs;
  React.useEffect(() => {
    if (reloadKey) {
      reload();
    }
  }, [reloadKey, reload]);
  const size = useMemo(() => seriesOf(runs.data?.runs ?? [], (r) => r.bytesDone), [runs.data]);
  const duration = useMemo(() => seriesOf(runs.data?.runs ?? [], (r) => r.durationSeconds), [runs.data]);

  if (runs.loading) {
    return <LoadingPlaceholder text="Loading backup history…" />;
  }
  if (runs.error) {
    return <ServiceErrorAlert error={runs.error} action="Loading the backup history" onRetry={runs.reload} />;
  }
  if (size.length === 0 && duration.length === 0) {
    return (
      <EmptyState
        variant="call-to-action"
        message="No finished backups yet, so there is no history to draw."
        hideImage
      />
    );
  }
  return (
    <Stack gap={4} wrap="wrap">
      <LineChart title="Backup size (bytes read from the source)" series={size} formatValue={formatBytes} />
      <LineChart title="Backup duration" series={duration} formatValue={formatDuration} />
    </Stack>
  );
}
