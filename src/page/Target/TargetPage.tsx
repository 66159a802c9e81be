import React, { Suspense, useCallback, useMemo } from 'react';
import { useParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { Button, EmptyState, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import type { Snapshot } from '../../api/types';
import { AsideList } from '../../components/AsideList';
import { Reasons } from '../../components/Reasons';
import { RunsTable } from '../../components/RunsTable';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { SlaBadge } from '../../components/SlaBadge';
import { TargetRun } from '../../components/TargetRun';
import { isBusy, OperationsContext, useOperations } from '../../data/useOperations';
import { NEEDS, useRole } from '../../data/useRole';
import { useRuns } from '../../data/useRuns';
import { useSnapshots } from '../../data/useSnapshots';
import { useTarget } from '../../data/useTarget';
import { useUrlState } from '../../data/useUrlState';
import { formatRelative } from '../../utils/format';
import { displayLevel } from '../../utils/levels';
import { prefixRoute } from '../../utils/routing';
import { ROUTES } from '../../constants';
import { PolicyDetails } from './PolicyDetails';
import { RestoreModal } from './restore/RestoreModal';
import { SnapshotsTable } from './SnapshotsTable';

const TargetHistory = React.lazy(() => import('../History/TargetHistory'));

/**
 * "Restore the latest" (issue 15.4, 10.4): the newest snapshot that passed verification, never a
 * safety snapshot (the state a restore replaced) and never one whose verification failed.
 */
export function latestVerified(snapshots: Snapshot[]): Snapshot | null {
  return snapshots
    .filter((s) => !s.safety && s.verification === 'passed')
    .reduce<Snapshot | null>((best, s) => (!best || s.time > best.time ? s : best), null);
}

const URL_DEFAULTS = { restore: '' };

/** One target: its policy in words, its snapshots, its history, its runs and the restore flow. */
export function TargetPage() {
  const { name = '' } = useParams<{ name: string }>();
  const { canOperate, canRestore } = useRole();
  const target = useTarget(name);
  const snapshots = useSnapshots(name);
  const runs = useRuns({ target: name, limit: 50 });
  const operations = useOperations();
  const [url, setUrl] = useUrlState(URL_DEFAULTS);

  const reloadTarget = target.reload;
  const reloadSnapshots = snapshots.reload;
  const reloadRuns = runs.reload;
  const reloadAll = useCallback(() => {
    reloadTarget();
    reloadSnapshots();
    reloadRuns();
  }, [reloadTarget, reloadSnapshots, reloadRuns]);

  const list = useMemo(() => snapshots.data?.snapshots ?? [], [snapshots.data]);
  const newest = useMemo(() => latestVerified(list), [list]);
  const busy = isBusy(operations.state[name], target.data?.running);

  // The restore dialog is in the URL (?restore=latest or a snapshot id), so the overview's menu can open it.
  const restoring =
    url.restore === 'latest' ? newest : (list.find((s) => s.id === url.restore || s.shortId === url.restore) ?? null);
  const openRestore = useCallback((s: Snapshot) => setUrl({ restore: s.id }), [setUrl]);
  const onVerify = useCallback((s: Snapshot) => operations.start(name, 'verify', s.id), [operations, name]);

  const subTitle = target.data ? (
    <Stack gap={1} alignItems="center" wrap="wrap">
      <SlaBadge level={displayLevel(target.data)} reasons={target.data.reasons} />
      <span>{`${target.data.kind} target`}</span>
    </Stack>
  ) : undefined;
  const actions =
    target.data && canOperate ? (
      <Stack gap={1}>
        <Button
          size="sm"
          variant="secondary"
          icon="save"
          disabled={busy}
          onClick={() => operations.start(name, 'backup')}
          aria-label={`Back up ${name} now`}
        >
          Back up now
        </Button>
        <Button
          size="sm"
          variant="secondary"
          icon="check-circle"
          disabled={busy}
          onClick={() => operations.start(name, 'verify')}
          aria-label={`Verify ${name}`}
        >
          Verify the latest
        </Button>
      </Stack>
    ) : undefined;
  const opError = operations.state[name]?.error;

  return (
    <PluginPage
      pageNav={{ text: name || 'Target', parentItem: { text: 'Overview', url: prefixRoute(ROUTES.Overview) } }}
      subTitle={subTitle}
      actions={actions}
    >
      <OperationsContext.Provider value={operations}>
        <Stack direction="column" gap={3}>
          {target.loading && <LoadingPlaceholder text={`Loading ${name}…`} />}
          {target.error && (
            <ServiceErrorAlert error={target.error} action={`Loading ${name}`} onRetry={target.reload} />
          )}
          {opError && (
            <ServiceErrorAlert
              error={opError}
              action={name}
              severity={opError.kind === 'busy' ? 'warning' : 'error'}
              onRemove={() => operations.dismissError(name)}
            />
          )}
          {target.data && (
            <>
              <TargetRun target={target.data} onFinished={reloadAll} />
              <Reasons target={target.data} />
              <section aria-label="Policy">
                <Text element="h3">Policy</Text>
                <PolicyDetails target={target.data} />
              </section>
            </>
          )}

          <section aria-label="Snapshots">
            <Stack justifyContent="space-between" alignItems="center" wrap="wrap">
              <Text element="h3">Snapshots</Text>
              {target.data && snapshots.data && list.length > 0 && (
                <RestoreLatestButton
                  newest={newest}
                  canRestore={canRestore}
                  onClick={() => setUrl({ restore: 'latest' })}
                />
              )}
            </Stack>
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
                  safetyRetentionSeconds={target.data?.policy.safetyRetentionSeconds}
                  onRestore={openRestore}
                  onVerify={onVerify}
                  busy={busy}
                />
              ))}
          </section>

          <section aria-label="History">
            <Text element="h3">History</Text>
            <Suspense fallback={<LoadingPlaceholder text="Loading the charts…" />}>
              <TargetHistory target={name} />
            </Suspense>
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

          <section aria-label="Moved aside by restores">
            <Text element="h3">Moved aside by restores</Text>
            <AsideList target={name} />
          </section>
        </Stack>
        {restoring && target.data && (
          <RestoreModal
            target={target.data}
            snapshot={restoring}
            pickedBecause={url.restore === 'latest' ? 'The newest snapshot that passed verification.' : undefined}
            onDismiss={() => setUrl({ restore: '' })}
            onFinished={reloadAll}
          />
        )}
      </OperationsContext.Provider>
    </PluginPage>
  );
}

function RestoreLatestButton({
  newest,
  canRestore,
  onClick,
}: {
  newest: Snapshot | null;
  canRestore: boolean;
  onClick: () => void;
}) {
  if (!newest) {
    return (
      <Text color="secondary" variant="bodySmall">
        {canRestore
          ? 'No snapshot has passed verification yet: pick one below to restore it anyway.'
          : `No snapshot has passed verification yet. ${NEEDS.restore}.`}
      </Text>
    );
  }
  return (
    <Stack gap={1} alignItems="center" wrap="wrap">
      {!canRestore && (
        <Text color="secondary" variant="bodySmall">
          {NEEDS.restore}
        </Text>
      )}
      <Button size="sm" variant="secondary" icon="history" disabled={!canRestore} onClick={onClick}>
        {`Restore the latest verified (${newest.shortId}, ${formatRelative(newest.time)})…`}
      </Button>
    </Stack>
  );
}

export default TargetPage;
