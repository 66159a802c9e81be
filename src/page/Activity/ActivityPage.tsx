import React, { useMemo } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Combobox, EmptyState, Field, LoadingPlaceholder, RadioButtonGroup, Stack, Text } from '@grafana/ui';
import type { InstanceState } from '../../api/types';
import { AsideList } from '../../components/AsideList';
import { RunsTable } from '../../components/RunsTable';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { useAudit } from '../../data/useAudit';
import { useRuns } from '../../data/useRuns';
import { useAddress, useLab, useLabStatus } from '../../data/useLab';
import { useUrlState } from '../../data/useUrlState';
import { formatRelative } from '../../utils/format';
import {
  AUDIT_RESULTS,
  filterAudit,
  filterRuns,
  FILTER_DEFAULTS,
  mergeAudit,
  parseFilters,
  RUN_STATUSES,
  sinceOf,
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
  const lab = useLab();
  const address = useAddress();
  // The service filters: status and time for both lists, operation and target for the runs. The
  // window starts when the filter is chosen (not at every render: that would ask again each time).
  const since = useMemo(() => sinceOf(filters.time), [filters.time]);
  const runs = useRuns({
    operation: filters.operation === 'all' ? undefined : filters.operation,
    target: filters.target || undefined,
    status: filters.status === 'all' ? undefined : RUN_STATUSES[filters.status],
    since,
    limit: LIMIT,
  });
  const audit = useAudit({
    status: filters.status === 'all' ? undefined : AUDIT_RESULTS[filters.status],
    since,
    limit: LIMIT,
  });
  const status = useLabStatus();
  const shownRuns = useMemo(() => filterRuns(runs.data?.runs ?? [], filters, lab.self), [runs.data, filters, lab.self]);
  const auditRows = useMemo(
    () => filterAudit(mergeAudit(audit.data?.entries ?? []), filters, lab.self),
    [audit.data, filters, lab.self]
  );
  const targetOptions = useMemo(
    () => [
      { label: 'All targets', value: '' },
      ...(status.data?.targets ?? []).map((t) => ({ label: address(t), value: address(t), description: t.kind })),
    ],
    [status.data, address]
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
          <Missing instances={runs.data?.unreachable} what="runs" />
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
          <Missing instances={audit.data?.unreachable} what="audit entries" />
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

/** Peers whose part of a whole-lab list is missing because they did not answer. */
function Missing({ instances, what }: { instances: InstanceState[] | undefined; what: string }) {
  if (!instances?.length) {
    return null;
  }
  const names = instances.map((i) => i.name).join(', ');
  return (
    <Alert
      severity="warning"
      title={`The ${what} of ${names} are missing: ${instances.length > 1 ? 'they do' : 'it does'} not answer`}
    >
      {instances
        .map(
          (i) =>
            `${i.name}${i.unreachableSince ? ` since ${formatRelative(i.unreachableSince)}` : ''}${
              i.error ? `: ${i.error}` : ''
            }`
        )
        .join('; ')}
    </Alert>
  );
}

export default ActivityPage;
