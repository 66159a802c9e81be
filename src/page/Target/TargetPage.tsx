import React, { useCallback, useMemo, useState } from 'react';
import { useParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { Button, EmptyState, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import type { Restore, Snapshot } from '../../api/types';
import { RunsTable } from '../../components/RunsTable';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { Reasons } from '../../components/Reasons';
import { SlaBadge } from '../../components/SlaBadge';
import { TargetActions } from '../../components/TargetActions';
import { useRestores } from '../../data/useRestores';
import { useRole } from '../../data/useRole';
import { useRuns } from '../../data/useRuns';
import { useSnapshots } from '../../data/useSnapshots';
import { useTarget } from '../../data/useTarget';
import { displayLevel } from '../../utils/levels';
import { PolicyDetails } from './PolicyDetails';
import { RestoreModal } from './RestoreModal';
import { SnapshotsTable } from './SnapshotsTable';

/** The safety snapshots of a target's restores: snapshot id → the restore run it was taken before. */
export function safetySnapshots(restores: Restore[], target: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const r of restores) {
    if (r.target === target && r.safetySnapshotId) {
      map.set(r.safetySnapshotId, r.runId);
    }
  }
  return map;
}

/** One target: its policy in words, its snapshots, its run history, and (Admins) the restore flow. */
export function TargetPage() {
  const { name = '' } = useParams<{ name: string }>();
  const { canRestore } = useRole();
  const target = useTarget(name);
  const snapshots = useSnapshots(name);
  const runs = useRuns({ target: name, limit: 50 });
  // The restores name the safety snapshots (the state before each restore): marked as such, and
  // never offered as "the latest", which after a restore would be the state just replaced.
  const restores = useRestores();
  const [restoring, setRestoring] = useState<Snapshot | null>(null);

  const reloadTarget = target.reload;
  const reloadSnapshots = snapshots.reload;
  const reloadRuns = runs.reload;
  const reloadRestores = restores.reload;
  const reloadAll = useCallback(() => {
    reloadTarget();
    reloadSnapshots();
    reloadRuns();
    reloadRestores();
  }, [reloadTarget, reloadSnapshots, reloadRuns, reloadRestores]);

  const list = snapshots.data?.snapshots ?? [];
  const safety = useMemo(() => safetySnapshots(restores.data?.restores ?? [], name), [restores.data, name]);
  const newest = list
    .filter((s) => !safety.has(s.id))
    .reduce<Snapshot | null>((best, s) => (!best || s.time > best.time ? s : best), null);

  // As Grafana's own pages: the name is the page title, its kind and state the subtitle, the
  // actions on the right of the title.
  const subTitle = target.data ? (
    <Stack gap={1} alignItems="center" wrap="wrap">
      <SlaBadge level={displayLevel(target.data)} reasons={target.data.reasons} />
      <span>{`${target.data.kind} target`}</span>
    </Stack>
  ) : undefined;
  const actions = target.data ? <TargetActions target={target.data} onFinished={reloadAll} /> : undefined;

  return (
    <PluginPage pageNav={{ text: name || 'Target' }} subTitle={subTitle} actions={actions}>
      <Stack direction="column" gap={3}>
        {target.loading && <LoadingPlaceholder text={`Loading ${name}…`} />}
        {target.error && <ServiceErrorAlert error={target.error} action={`Loading ${name}`} onRetry={target.reload} />}
        {target.data && (
          <>
            <Reasons target={target.data} />
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
              <SnapshotsTable
                snapshots={list}
                safety={safety}
                onRestore={canRestore && target.data ? setRestoring : undefined}
              />
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
