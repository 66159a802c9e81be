import React, { useCallback, useState } from 'react';
import { useParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { Button, EmptyState, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import type { Snapshot } from '../../api/types';
import { RunsTable } from '../../components/RunsTable';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { SlaBadge } from '../../components/SlaBadge';
import { TargetActions } from '../../components/TargetActions';
import { useRole } from '../../data/useRole';
import { useRuns } from '../../data/useRuns';
import { useSnapshots } from '../../data/useSnapshots';
import { useTarget } from '../../data/useTarget';
import { PolicyDetails } from './PolicyDetails';
import { RestoreModal } from './RestoreModal';
import { SnapshotsTable } from './SnapshotsTable';

/** One target: its policy in words, its snapshots, its run history, and (Admins) the restore flow. */
export function TargetPage() {
  const { name = '' } = useParams<{ name: string }>();
  const { canRestore } = useRole();
  const target = useTarget(name);
  const snapshots = useSnapshots(name);
  const runs = useRuns({ target: name, limit: 50 });
  const [restoring, setRestoring] = useState<Snapshot | null>(null);

  const reloadTarget = target.reload;
  const reloadSnapshots = snapshots.reload;
  const reloadRuns = runs.reload;
  const reloadAll = useCallback(() => {
    reloadTarget();
    reloadSnapshots();
    reloadRuns();
  }, [reloadTarget, reloadSnapshots, reloadRuns]);

  const list = snapshots.data?.snapshots ?? [];
  const newest = list.reduce<Snapshot | null>((best, s) => (!best || s.time > best.time ? s : best), null);

  return (
    <PluginPage pageNav={{ text: name || 'Target' }}>
      <Stack direction="column" gap={3}>
        {target.loading && <LoadingPlaceholder text={`Loading ${name}…`} />}
        {target.error && <ServiceErrorAlert error={target.error} action={`Loading ${name}`} onRetry={target.reload} />}
        {target.data && (
          <>
            <Stack gap={2} alignItems="center" wrap="wrap">
              <Text element="h2">{target.data.name}</Text>
              <Text color="secondary">{target.data.kind}</Text>
              <SlaBadge level={target.data.level} reasons={target.data.reasons} />
            </Stack>
            {target.data.reasons.length > 0 && (
              <ul aria-label="Reasons">
                {target.data.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            )}
            <TargetActions target={target.data} onFinished={reloadAll} />
            <section aria-label="Policy">
              <Text element="h3">Policy</Text>
              <PolicyDetails target={target.data} />
            </section>
          </>
        )}

        <section aria-label="Snapshots">
          <Stack justifyContent="space-between" alignItems="center">
            <Text element="h3">Snapshots</Text>
            {canRestore && target.data && newest && (
              <Button size="sm" variant="secondary" icon="history" onClick={() => setRestoring(newest)}>
                Restore the latest…
              </Button>
            )}
          </Stack>
          {canRestore && list.length > 0 && (
            <Text color="secondary" variant="bodySmall">
              To restore, pick a snapshot with its Restore… button.
            </Text>
          )}
          {snapshots.loading && <LoadingPlaceholder text="Loading snapshots…" />}
          {snapshots.error && (
            <ServiceErrorAlert error={snapshots.error} action="Loading the snapshots" onRetry={snapshots.reload} />
          )}
          {snapshots.data &&
            (list.length === 0 ? (
              <EmptyState
                variant="call-to-action"
                hideImage
                message={`No snapshots of ${name} yet: no backup has succeeded.`}
              />
            ) : (
              <SnapshotsTable snapshots={list} onRestore={canRestore && target.data ? setRestoring : undefined} />
            ))}
        </section>

        <section aria-label="Run history">
          <Text element="h3">Run history</Text>
          {runs.loading && <LoadingPlaceholder text="Loading run history…" />}
          {runs.error && (
            <ServiceErrorAlert error={runs.error} action="Loading the run history" onRetry={runs.reload} />
          )}
          {runs.data &&
            (runs.data.runs.length === 0 ? (
              <EmptyState variant="call-to-action" hideImage message={`Nothing has run on ${name} yet.`} />
            ) : (
              <RunsTable runs={runs.data.runs} />
            ))}
        </section>
      </Stack>
      {restoring && target.data && (
        <RestoreModal
          target={target.data}
          snapshot={restoring}
          onDismiss={() => setRestoring(null)}
          onFinished={reloadAll}
        />
      )}
    </PluginPage>
  );
}

export default TargetPage;
