import React from 'react';
import { Alert, Stack, Text } from '@grafana/ui';
import type { Restore, Run, TargetStatus } from '../../../api/types';
import { formatCount, formatDuration } from '../../../utils/format';

interface Props {
  target: TargetStatus;
  run: Run;
  /** The restore's record (safety snapshot), once loaded. */
  restore: Restore | undefined;
  snapshotShortId: string;
  /** A restore to a point in time: the second restored, as the user chose it. */
  asOf?: string;
}

/** How a restore ended (issue 10.9): what was put back, where the old data went, what to do next. */
export function RestoreResult({ target, run, restore, snapshotShortId, asOf }: Props) {
  const outcome = run.restore ?? restore?.outcome ?? null;
  const counts = outcome ? Object.entries(outcome.counts).map(([unit, n]) => formatCount(n, unit)) : [];
  const safety = restore?.safetySnapshotId
    ? `The state before the restore is kept as snapshot ${restore.safetySnapshotId.slice(0, 8)}.`
    : restore?.safetyBackup === 'nothing'
      ? 'There was nothing to save before the restore.'
      : restore?.safetyBackup === 'declined'
        ? 'No safety backup was taken.'
        : null;
  const details = (
    <Stack direction="column" gap={1}>
      {counts.length > 0 && <div>{`Restored: ${counts.join(', ')}.`}</div>}
      {outcome && outcome.movedAside.length > 0 && (
        <div>
          The data that was there before was moved aside and kept:{' '}
          {outcome.movedAside.map((m, i) => (
            <React.Fragment key={m}>
              {i > 0 && ', '}
              <code>{m}</code>
            </React.Fragment>
          ))}
          . It is listed under &quot;Moved aside by restores&quot; until an admin removes it.
        </div>
      )}
      {safety && <div>{safety}</div>}
      {outcome && outcome.next.length > 0 && (
        <div>
          <Text weight="medium">What to do next:</Text>
          <ul>
            {outcome.next.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </div>
      )}
    </Stack>
  );

  if (run.status === 'failed') {
    return (
      <Alert severity="error" title="Restore failed">
        <Stack direction="column" gap={1}>
          <div>{run.error ?? 'The service gave no error text.'}</div>
          {outcome?.detail && <div>{outcome.detail}</div>}
          {details}
        </Stack>
      </Alert>
    );
  }
  // To a point in time: the dump the service started from, then its archived log up to that second.
  const from = asOf
    ? `to its state as of ${asOf}${snapshotShortId ? ` (snapshot ${snapshotShortId} and the archived binary log)` : ''}`
    : `from snapshot ${snapshotShortId}`;
  const where = outcome?.location ?? run.restoredTo ?? restore?.to ?? null;
  const took =
    run.durationSeconds !== null
      ? ` in ${formatDuration(run.durationSeconds)} (RTO ${formatDuration(target.policy.rtoSeconds)})`
      : '';
  return (
    <Alert severity="success" title="Restore finished">
      <Stack direction="column" gap={1}>
        <div>{`${target.name} was restored ${from}${where ? ` to ${where}` : ''}${took}.`}</div>
        {details}
      </Stack>
    </Alert>
  );
}
