import React, { useState } from 'react';
import { Alert, Button, Field, Icon, Input, Modal, RadioButtonGroup, Stack, Switch, Text } from '@grafana/ui';
import { backupSla } from '../../api/client';
import { ServiceError, toServiceError } from '../../api/errors';
import type { Restore, Run, Snapshot, TargetStatus } from '../../api/types';
import { RunProgress } from '../../components/RunProgress';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { useRun } from '../../data/useRun';
import { formatBytes, formatDuration, formatTime } from '../../utils/format';

type Where = 'same' | 'other';

interface Props {
  target: TargetStatus;
  snapshot: Snapshot;
  onDismiss: () => void;
  /** Called once the restore has finished (either way). */
  onFinished?: (run: Run) => void;
}

/**
 * The restore flow: where to, safety backup (on unless declined), type the target's name to
 * confirm, then POST api/restores and follow the run to its result.
 */
export function RestoreModal({ target, snapshot, onDismiss, onFinished }: Props) {
  const [where, setWhere] = useState<Where>('same');
  const [toName, setToName] = useState('');
  const [safetyBackup, setSafetyBackup] = useState(true);
  const [confirm, setConfirm] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ServiceError | undefined>();
  const [runId, setRunId] = useState<number | null>(null);
  const [restore, setRestore] = useState<Restore | undefined>();

  const { run, error: pollError } = useRun(runId, (finished) => {
    // The restore record names the safety snapshot; fetch it once the run is over.
    backupSla
      .getRestores()
      .then((r) => setRestore(r.restores.find((x) => x.runId === finished.id)))
      .catch(() => undefined);
    onFinished?.(finished);
  });

  // Surrounding blanks (a pasted name) do not count against the confirmation.
  const confirmed = confirm.trim() === target.name;
  const destinationOk = where === 'same' || toName.trim().length > 0;
  const canSubmit = confirmed && destinationOk && !submitting && runId === null;

  const submit = async () => {
    setError(undefined);
    setSubmitting(true);
    try {
      const accepted = await backupSla.startRestore({
        target: target.name,
        snapshot: snapshot.id,
        ...(where === 'other' ? { to: toName.trim() } : {}),
        safetyBackup,
        confirm: confirm.trim(),
      });
      setRunId(accepted.runId);
    } catch (err) {
      setError(toServiceError(err));
    } finally {
      setSubmitting(false);
    }
  };

  const finished = run && run.status !== 'running';
  return (
    <Modal title={`Restore ${target.name}`} isOpen onDismiss={onDismiss}>
      <Stack direction="column" gap={2}>
        <Text>
          Snapshot <code>{snapshot.shortId}</code> of {formatTime(snapshot.time)}
          {snapshot.version ? `, version ${snapshot.version}` : ''}
          {snapshot.bytes !== null ? `, ${formatBytes(snapshot.bytes)}` : ''}
          {snapshot.verification === 'passed'
            ? ', verified usable'
            : snapshot.verification === 'failed'
              ? ', its verification FAILED'
              : ', not verified yet'}
          .
        </Text>
        {runId === null && (
          <>
            <Field
              label="Where to"
              description={
                where === 'same'
                  ? `Replaces the current ${target.name} data with the snapshot.`
                  : 'Restores beside the current data under another name (another database or directory); nothing current is touched.'
              }
            >
              <RadioButtonGroup<Where>
                options={[
                  { label: 'Same place', value: 'same' },
                  { label: 'Another name', value: 'other' },
                ]}
                value={where}
                onChange={setWhere}
              />
            </Field>
            {where === 'other' && (
              <Field label="New name" required>
                <Input
                  aria-label="New name"
                  value={toName}
                  placeholder={`${target.name}_restored`}
                  onChange={(e) => setToName(e.currentTarget.value)}
                />
              </Field>
            )}
            <Field
              label="Safety backup first"
              description="Back up the current state before restoring, so that this restore can itself be undone."
            >
              <Switch
                aria-label="Safety backup first"
                value={safetyBackup}
                onChange={(e) => setSafetyBackup(e.currentTarget.checked)}
              />
            </Field>
            {!safetyBackup && where === 'same' && (
              <Alert severity="warning" title="No way back">
                Without a safety backup, the current {target.name} data is lost once the restore starts.
              </Alert>
            )}
            <Field
              label={`Type "${target.name}" to confirm`}
              description={
                confirmed ? 'Name confirmed: Restore is enabled.' : `Restore stays disabled until the name matches.`
              }
            >
              {/* No placeholder: a greyed "mysql" in the box looked as if it were typed already. */}
              <Input
                aria-label="Confirm target name"
                value={confirm}
                autoComplete="off"
                spellCheck={false}
                suffix={confirmed ? <Icon name="check" aria-label="Name confirmed" /> : undefined}
                onChange={(e) => setConfirm(e.currentTarget.value)}
              />
            </Field>
            {error && (
              <ServiceErrorAlert
                error={error}
                action="Starting the restore"
                severity={error.kind === 'busy' ? 'warning' : 'error'}
              />
            )}
          </>
        )}
        {run?.status === 'running' && <RunProgress run={run} />}
        {pollError && <ServiceErrorAlert error={pollError} action="Following the restore" severity="warning" />}
        {finished && run.status !== 'failed' && (
          <Alert severity="success" title="Restore finished">
            {`${target.name} was restored from snapshot ${snapshot.shortId}`}
            {restore?.to ? ` to "${restore.to}"` : where === 'other' ? ` to "${toName.trim()}"` : ' in place'}
            {run.durationSeconds !== null &&
              ` in ${formatDuration(run.durationSeconds)} (RTO ${formatDuration(target.policy.rtoSeconds)})`}
            .{' '}
            {restore?.safetySnapshotId
              ? `The state before the restore is kept as snapshot ${restore.safetySnapshotId.slice(0, 8)}.`
              : safetyBackup
                ? ''
                : 'No safety backup was taken.'}
          </Alert>
        )}
        {finished && run.status === 'failed' && (
          <Alert severity="error" title="Restore failed">
            {run.error ?? 'The service gave no error text.'}
            {restore?.safetySnapshotId &&
              ` The state before the restore is kept as snapshot ${restore.safetySnapshotId.slice(0, 8)}.`}
          </Alert>
        )}
      </Stack>
      <Modal.ButtonRow>
        <Button variant="secondary" fill="outline" onClick={onDismiss}>
          {finished ? 'Close' : runId !== null ? 'Hide (the restore goes on)' : 'Cancel'}
        </Button>
        {runId === null && (
          <Button
            variant={canSubmit ? 'destructive' : 'secondary'}
            icon="history"
            disabled={!canSubmit}
            onClick={submit}
            data-variant={canSubmit ? 'destructive' : 'secondary'}
          >
            {submitting ? 'Starting…' : 'Restore'}
          </Button>
        )}
      </Modal.ButtonRow>
    </Modal>
  );
}
