import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Icon, Spinner, Text, useStyles2 } from '@grafana/ui';
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
  if (run.operation === 'verify' && run.verification?.outcome === 'unknown') {
    return `Could not verify${took}: ${run.verification.detail}`;
  }
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
  const unknown = run.operation === 'verify' && run.verification?.outcome === 'unknown';
  const color = unknown
    ? 'warning'
    : run.status === 'failed'
      ? 'error'
      : run.status === 'running'
        ? 'primary'
        : 'success';
  return (
    <Text color={color} element="span" variant="bodySmall" data-testid="run-progress">
      {run.status === 'running' && <Spinner inline size="sm" />} {describeRun(run)}
    </Text>
  );
}

/**
 * Every phase of a run with its own byte count (safety backup, load, check, swap for a restore):
 * done ones ticked with how long they took, the current one spinning.
 */
export function RunPhases({ run, now }: { run: Run; now?: number }) {
  const styles = useStyles2(getStyles);
  if (run.phases.length === 0) {
    return null;
  }
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : now;
  return (
    <ol className={styles.list} aria-label="Phases">
      {run.phases.map((p, i) => {
        const next = run.phases[i + 1];
        const current = !next && run.status === 'running';
        const failed = !next && run.status === 'failed';
        const until = next ? new Date(next.startedAt).getTime() : end;
        const took = until === undefined ? null : formatDuration((until - new Date(p.startedAt).getTime()) / 1000);
        return (
          <li
            key={`${p.name}-${i}`}
            className={styles.item}
            data-state={current ? 'running' : failed ? 'failed' : 'done'}
          >
            {current ? (
              <Spinner inline size="sm" />
            ) : failed ? (
              <Icon name="times-circle" className={styles.failed} />
            ) : (
              <Icon name="check" className={styles.done} />
            )}
            <span className={styles.name}>{p.name}</span>
            <span className={styles.detail}>
              {[p.bytesDone !== null ? formatBytes(p.bytesDone) : null, took && (current ? `${took} so far` : took)]
                .filter(Boolean)
                .join(', ')}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  list: css({ listStyle: 'none', margin: 0, padding: 0, display: 'grid', rowGap: theme.spacing(0.5) }),
  item: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center' }),
  name: css({ fontWeight: theme.typography.fontWeightMedium }),
  detail: css({ color: theme.colors.text.secondary, fontVariantNumeric: 'tabular-nums' }),
  done: css({ color: theme.colors.success.text }),
  failed: css({ color: theme.colors.error.text }),
});
