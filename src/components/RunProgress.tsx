import React from 'react';
import { Spinner, Text } from '@grafana/ui';
import type { Operation, Run } from '../api/types';
import { formatBytes, formatDuration } from '../utils/format';

const DOING: Record<Operation, string> = {
  backup: 'Backing up',
  verify: 'Verifying',
  restore: 'Restoring',
  forget: 'Applying retention',
};
const NOUN: Record<Operation, string> = {
  backup: 'Backup',
  verify: 'Verification',
  restore: 'Restore',
  forget: 'Retention',
};

/** One line saying where a run is: phase and bytes while running, the outcome after. */
export function describeRun(run: Run, now = Date.now()): string {
  const noun = NOUN[run.operation] ?? run.operation;
  if (run.status === 'running') {
    const parts = [run.phase ?? 'starting'];
    if (run.bytesDone !== null) {
      parts.push(`${formatBytes(run.bytesDone)} read`);
    }
    parts.push(`${formatDuration((now - new Date(run.startedAt).getTime()) / 1000)} so far`);
    return `${DOING[run.operation] ?? run.operation}: ${parts.join(', ')}`;
  }
  const took = run.durationSeconds !== null ? ` in ${formatDuration(run.durationSeconds)}` : '';
  if (run.status === 'failed') {
    return `${noun} failed${took}: ${run.error ?? 'no error text'}`;
  }
  if (run.status === 'unchanged') {
    return `${noun} finished${took}: nothing changed since the last snapshot`;
  }
  const snapshot = run.snapshotId ? `, snapshot ${run.snapshotId.slice(0, 8)}` : '';
  const size = run.bytesDone !== null && run.operation === 'backup' ? ` (${formatBytes(run.bytesDone)})` : '';
  return `${noun} finished${took}${snapshot}${size}`;
}

export function RunProgress({ run }: { run: Run }) {
  const color = run.status === 'failed' ? 'error' : run.status === 'running' ? 'primary' : 'success';
  return (
    <Text color={color} element="span" variant="bodySmall" data-testid="run-progress">
      {run.status === 'running' && <Spinner inline size="sm" />} {describeRun(run)}
    </Text>
  );
}
