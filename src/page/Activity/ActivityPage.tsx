import React, { useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, LoadingPlaceholder, RadioButtonGroup, Stack, Text } from '@grafana/ui';
import type { Operation } from '../../api/types';
import { RunsTable } from '../../components/RunsTable';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { useAudit } from '../../data/useAudit';
import { useRuns } from '../../data/useRuns';
import { AuditLog } from './AuditLog';

type Filter = Operation | 'all';

const FILTERS: Array<{ label: string; value: Filter }> = [
  { label: 'All', value: 'all' },
  { label: 'Backups', value: 'backup' },
  { label: 'Verifications', value: 'verify' },
  { label: 'Restores', value: 'restore' },
  { label: 'Retention', value: 'forget' },
];

/** Everything that ran, and the audit log of who asked for what. */
export function ActivityPage() {
  const [filter, setFilter] = useState<Filter>('all');
  const runs = useRuns({ operation: filter === 'all' ? undefined : filter, limit: 200 });
  const audit = useAudit(200);

  return (
    <PluginPage>
      <Stack direction="column" gap={4}>
        <section aria-label="Runs">
          <Stack justifyContent="space-between" alignItems="center" wrap="wrap">
            <Text element="h3">Runs</Text>
            <RadioButtonGroup<Filter> size="sm" options={FILTERS} value={filter} onChange={setFilter} />
          </Stack>
          {runs.loading && <LoadingPlaceholder text="Loading runs…" />}
          {runs.error && <ServiceErrorAlert error={runs.error} action="Loading the runs" onRetry={runs.reload} />}
          {runs.data &&
            (runs.data.runs.length === 0 ? (
              <EmptyState
                variant="call-to-action"
                hideImage
                message={filter === 'all' ? 'Nothing has run yet.' : 'Nothing of this kind has run yet.'}
              />
            ) : (
              <RunsTable runs={runs.data.runs} showTarget />
            ))}
        </section>
        <section aria-label="Audit log">
          <Text element="h3">Audit log</Text>
          {audit.loading && <LoadingPlaceholder text="Loading the audit log…" />}
          {audit.error && (
            <ServiceErrorAlert error={audit.error} action="Loading the audit log" onRetry={audit.reload} />
          )}
          {audit.data &&
            (audit.data.entries.length === 0 ? (
              <EmptyState
                variant="call-to-action"
                hideImage
                message="The audit log is empty: nobody has asked for anything yet."
              />
            ) : (
              <AuditLog entries={audit.data.entries} />
            ))}
        </section>
      </Stack>
    </PluginPage>
  );
}

export default ActivityPage;
