import React, { Suspense, useCallback, useMemo, useState } from 'react';
import { useParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { Alert, Button, EmptyState, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import type { Snapshot } from '../../api/types';
import { AsideList } from '../../components/AsideList';
import { Reasons } from '../../components/Reasons';
import { RunsTable } from '../../components/RunsTable';
import { RestoreAction } from '../../components/RestoreAction';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { SlaBadge } from '../../components/SlaBadge';
import { TargetRun } from '../../components/TargetRun';
import { useLab } from '../../data/useLab';
import { isBusy, OperationsContext, useOperations } from '../../data/useOperations';
import { NEEDS, useRole } from '../../data/useRole';
import { useRuns } from '../../data/useRuns';
import { useSnapshots } from '../../data/useSnapshots';
import { useTarget } from '../../data/useTarget';
import { useUrlState } from '../../data/useUrlState';
import { formatRelative, formatTime } from '../../utils/format';
import { refKey, TargetRef } from '../../utils/lab';
import { displayLevel } from '../../utils/levels';
import { prefixRoute } from '../../utils/routing';
import { ROUTES } from '../../constants';
import { PitrOff } from './PitrOff';
import { PitrSection } from './PitrSection';
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
/** ?restore=time: the restore dialog opened on "A point in time". */
const POINT_IN_TIME = 'time';

/**
 * One target of the lab: its policy in words, its snapshots, its history, its runs and the restore
 * flow. At `target/<name>` a target of the instance Grafana talks to, at `target/<instance>/<name>`
 * one of any instance: every call for it goes to that address (a peer's is forwarded to the peer).
 */
export function TargetPage() {
  const { instance: instanceParam, name = '' } = useParams<{ instance?: string; name: string }>();
  const address = instanceParam ? `${instanceParam}/${name}` : name;
  const lab = useLab();
  const { canOperate, canRestore } = useRole();
  const target = useTarget(address);
  const snapshots = useSnapshots(address);
  const runs = useRuns({ target: address, limit: 50 });
  const operations = useOperations();
  const [url, setUrl] = useUrlState(URL_DEFAULTS);
  // Which target of the lab this is: as the service says, else as the address says.
  const instance = target.data?.instance ?? instanceParam ?? lab.self;
  const ref = useMemo<TargetRef | null>(() => (instance ? { instance, name } : null), [instance, name]);
  const state = lab.instances.find((i) => i.name === instance);
  const silent = state && !state.reachable ? state : undefined;
  const namesMachine = lab.multi || Boolean(instance && lab.self && instance !== lab.self);

  const reloadTarget = target.reload;
  const reloadSnapshots = snapshots.reload;
  const reloadRuns = runs.reload;
  // Bumped when an operation of this target ends: a restore may have moved something aside.
  const [finished, setFinished] = useState(0);
  const reloadAll = useCallback(() => {
    reloadTarget();
    reloadSnapshots();
    reloadRuns();
    setFinished((n) => n + 1);
  }, [reloadTarget, reloadSnapshots, reloadRuns]);

  const list = useMemo(() => snapshots.data?.snapshots ?? [], [snapshots.data]);
  const newest = useMemo(() => latestVerified(list), [list]);
  const busy = isBusy(ref ? operations.state[refKey(ref)] : undefined, target.data?.running);

  // The restore dialog is in the URL (?restore=latest, a snapshot id, or "time" for a point in time
  // of a target that archives its log), so the overview's menu can open it.
  const pointInTime = url.restore === POINT_IN_TIME && Boolean(target.data?.pitr);
  const restoring = pointInTime
    ? (newest ?? list[0] ?? null)
    : url.restore === 'latest'
      ? newest
      : (list.find((s) => s.id === url.restore || s.shortId === url.restore) ?? null);
  const openRestore = useCallback((s: Snapshot) => setUrl({ restore: s.id }), [setUrl]);
  const { start } = operations;
  const onVerify = useCallback((s: Snapshot) => ref && start(ref, 'verify', s.id), [start, ref]);

  const subTitle = target.data ? (
    <Stack gap={1} alignItems="center" wrap="wrap">
      <SlaBadge level={displayLevel(target.data)} reasons={target.data.reasons} />
      <span>
        {namesMachine ? `${target.data.kind} target on ${target.data.instance}` : `${target.data.kind} target`}
      </span>
    </Stack>
  ) : undefined;
  const actions =
    target.data && canOperate ? (
      <Stack gap={1}>
        <Button
          size="sm"
          variant="secondary"
          icon="save"
          disabled={busy || Boolean(silent)}
          onClick={() => ref && start(ref, 'backup')}
          aria-label={`Back up ${address} now`}
        >
          Back up now
        </Button>
        <Button
          size="sm"
          variant="secondary"
          icon="check-circle"
          disabled={busy || Boolean(silent)}
          onClick={() => ref && start(ref, 'verify')}
          aria-label={`Verify ${address}`}
        >
          Verify the latest
        </Button>
      </Stack>
    ) : undefined;
  const opKey = ref ? refKey(ref) : address;
  const opError = operations.state[opKey]?.error;

  return (
    <PluginPage
      pageNav={{ text: name || 'Target', parentItem: { text: 'Overview', url: prefixRoute(ROUTES.Overview) } }}
      subTitle={subTitle}
      actions={actions}
    >
      <OperationsContext.Provider value={operations}>
        <Stack direction="column" gap={3}>
          {target.loading && <LoadingPlaceholder text={`Loading ${address}…`} />}
          {target.error && (
            <ServiceErrorAlert error={target.error} action={`Loading ${address}`} onRetry={target.reload} />
          )}
          {silent && (
            <Alert
              severity="warning"
              title={`${silent.name} does not answer${
                silent.unreachableSince ? ` since ${formatTime(silent.unreachableSince, true)}` : ''
              }`}
            >
              {`${silent.error ? `${silent.error}. ` : ''}What it last said of ${name} is shown where known; nothing can be started there until it answers again.`}
            </Alert>
          )}
          {opError && (
            <ServiceErrorAlert
              error={opError}
              action={address}
              severity={opError.kind === 'busy' ? 'warning' : 'error'}
              onRemove={() => operations.dismissError(opKey)}
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
              {target.data.pitr && (
                <PitrSection
                  pitr={target.data.pitr}
                  canRestore={canRestore}
                  onRestore={list.length > 0 ? () => setUrl({ restore: POINT_IN_TIME }) : undefined}
                />
              )}
              {/* Only MySQL targets can archive a log today (the drivers' pitr support). */}
              {!target.data.pitr && target.data.kind === 'mysql' && (
                <PitrOff rpoSeconds={target.data.policy.rpoSeconds} target={target.data.name} />
              )}
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
                  message={`No snapshots of ${address} yet: no backup has succeeded.`}
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
              {ref && <TargetHistory target={ref} />}
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
                <EmptyState variant="call-to-action" hideImage message={`Nothing has run on ${address} yet.`} />
              ) : (
                <RunsTable runs={runs.data.runs} />
              ))}
          </section>

          <section aria-label="Moved aside by restores">
            <Text element="h3">Moved aside by restores</Text>
            {ref && <AsideList target={ref} reloadKey={finished} />}
          </section>
        </Stack>
        {restoring && target.data && (
          <RestoreModal
            target={target.data}
            address={address}
            snapshot={restoring}
            pickedBecause={
              url.restore === 'latest' || (pointInTime && restoring === newest)
                ? 'The newest snapshot that passed verification.'
                : undefined
            }
            initialChoice={pointInTime ? 'time' : 'snapshot'}
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
    <RestoreAction canRestore={canRestore} onClick={onClick}>
      {`Restore the latest verified (${newest.shortId}, ${formatRelative(newest.time)})…`}
    </RestoreAction>
  );
}

export default TargetPage;
