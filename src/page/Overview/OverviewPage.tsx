import React, { useCallback, useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { SlaBadge } from '../../components/SlaBadge';
import { useStatus } from '../../data/useStatus';
import { formatTime, LEVEL_TEXT } from '../../utils/format';
import { overallLevel } from '../../utils/levels';
import { BackupHistoryChart } from './BackupHistoryChart';
import { TargetsTable } from './TargetsTable';

/** The backup state of every target against its SLA, and how backups grew over time. */
export function OverviewPage() {
  const status = useStatus();
  const { reload } = status;
  const [historyKey, setHistoryKey] = useState(0);
  const onChanged = useCallback(() => {
    reload();
    setHistoryKey((k) => k + 1);
  }, [reload]);

  return (
    <PluginPage>
      <Stack direction="column" gap={3}>
        {status.error && (
          <ServiceErrorAlert error={status.error} action="Loading the backup state" onRetry={status.reload} />
        )}
        {status.loading && <LoadingPlaceholder text="Loading the backup state…" />}
        {status.data && (
          <>
            <Stack gap={2} alignItems="center">
              <SlaBadge
                level={overallLevel(status.data)}
                text={`Overall: ${LEVEL_TEXT[overallLevel(status.data)] ?? status.data.level}`}
              />
              <Text color="secondary" variant="bodySmall">
                as of {formatTime(status.data.generatedAt, true)}
              </Text>
            </Stack>
            {status.data.targets.length === 0 ? (
              <EmptyState
                variant="call-to-action"
                message="No backup targets are configured yet. Add targets to the service's backup-sla.yaml and restart it."
              />
            ) : (
              <TargetsTable targets={status.data.targets} covered={status.data.covered} onChanged={onChanged} />
            )}
          </>
        )}
        <section aria-label="Backup history">
          <Text element="h3">Backup history</Text>
          <BackupHistoryChart reloadKey={historyKey} />
        </section>
      </Stack>
    </PluginPage>
  );
}

export default OverviewPage;
