import React, { useMemo } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Combobox, EmptyState, Field, LoadingPlaceholder, RadioButtonGroup, Stack, Text } from '@grafana/ui';
import { AsideList } from '../../components/AsideList';
import { RunsTable } from '../../components/RunsTable';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { useAudit } from '../../data/useAudit';
import { useRuns } from '../../data/useRuns';
import { useStatus } from '../../data/useStatus';
import { useUrlState } from '../../data/useUrlState';
import {
  filterAudit,
  filterRuns,
  FILTER_DEFAULTS,
  mergeAudit,
  parseFilters,
  StatusFilter,
  TimeFilter,
} from './activityFilters';
import { AuditLog } from './AuditLog';

const OPERATIONS = [
  { label: 'All', value: 'all' },
  { label: 'Backups', value: 'backup' },
  { label: 'Verifications', value: 'verify' },
  { label: 'Restores', value: 'restore' },
  { label: 'Retention', value: 'forget' },
];
const STATUSES: Array<{ label: string; value: StatusFilter }> = [
  { label: 'Any result', value: 'all' },
  { label: 'OK', value: 'ok' },
  { label: 'Failed', value: 'failed' },
  { label: 'Running', value: 'running' },
];
const TIMES: Array<{ label: string; value: TimeFilter }> = [
  { label: '24 h', value: '24h' },
  { label: '7 days', value: '7d' },
  { label: '30 days', value: '30d' },
  { label: 'Any time', value: 'all' },
];
const LIMIT = 1000;

/** Everything that ran, and the audit log of who asked for what, under the same filters. */
export function ActivityPage() {
  const [url, setUrl] = useUrlState(FILTER_DEFAULTS);
  const filters = useMemo(() => parseFilters(url), [url]);
  // Operation and target narrow the query itself; status and time are applied here.
  const runs = useRuns({
    operation: filters.operation === 'all' ? undefined : filters.operation,
    target: filters.target || undefined,
    limit: LIMIT,
  });
  const audit = useAudit(LIMIT);
  const status = useStatus(0);
  const shownRuns = useMemo(() => filterRuns(runs.data?.runs ?? [], filters), [runs.data, filters]);
  const auditRows = useMemo(() => filterAudit(mergeAudit(audit.data?.entries ?? []), filters), [audit.data, filters]);
  const targetOptions = useMemo(
    () => [
      { label: 'All targets', value: '' },
      ...(status.data?.targets ?? []).map((t) => ({ label: t.name, value: t.name, description: t.kind })),
    ],
    [status.data]
  );
  const filtered = url.operation !== 'all' || url.target || url.status !== 'all' || url.time !== 'all';

  return (
    <PluginPage>
      <Stack direction="column" gap={3}>
        <Stack gap={2} wrap="wrap" alignItems="flex-start" aria-label="Filters">
          <Field label="Operation" noMargin>
            <RadioButtonGroup
              size="sm"
              options={OPERATIONS}
              value={filters.operation}
              onChange={(v) => setUrl({ operation: v })}
            />
          </Field>
          <Field label="Target" htmlFor="activity-target" noMargin>
            <Combobox
              id="activity-target"
              width={20}
              options={targetOptions}
              value={filters.target}
              onChange={(o) => setUrl({ target: o?.value ?? '' })}
            />
          </Field>
          <Field label="Result" noMargin>
            <RadioButtonGroup<StatusFilter>
              size="sm"
              options={STATUSES}
              value={filters.status}
              onChange={(v) => setUrl({ status: v })}
            />
          </Field>
          <Field label="Time" noMargin>
            <RadioButtonGroup<TimeFilter>
              size="sm"
              options={TIMES}
              value={filters.time}
              onChange={(v) => setUrl({ time: v })}
            />
          </Field>
        </Stack>
        <section aria-label="Runs">
          <Text element="h3">Runs</Text>
          {runs.loading && <LoadingPlaceholder text="Loading runs…" />}
          {runs.error && <ServiceErrorAlert error={runs.error} action="Loading the runs" onRetry={runs.reload} />}
          {runs.data &&
            (shownRuns.length === 0 ? (
              <EmptyState
                variant="call-to-action"
                hideImage
                message={filtered ? 'Nothing that ran matches these filters.' : 'Nothing has run yet.'}
              />
            ) : (
              <RunsTable runs={shownRuns} showTarget />
            ))}
        </section>
        <section aria-label="Audit log">
          <Text element="h3">Audit log</Text>
          {audit.loading && <LoadingPlaceholder text="Loading the audit log…" />}
          {audit.error && (
            <ServiceErrorAlert error={audit.error} action="Loading the audit log" onRetry={audit.reload} />
          )}
          {audit.data &&
            (auditRows.length === 0 ? (
              <EmptyState
                variant="call-to-action"
                hideImage
                message={
                  filtered
                    ? 'No audit entry matches these filters.'
                    : 'The audit log is empty: nobody has asked for anything yet.'
                }
              />
            ) : (
              <AuditLog rows={auditRows} />
            ))}
        </section>
        <section aria-label="Moved aside by restores">
          <Text element="h3">Moved aside by restores</Text>
          <AsideList />
        </section>
      </Stack>
    </PluginPage>
  );
}

export default ActivityPage;
