import React, { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { InteractiveTable, Text, useStyles2 } from '@grafana/ui';
import type { Run } from '../api/types';
import { formatBytes, formatDuration } from '../utils/format';
import { targetUrl } from '../utils/routing';
import { RunStatusBadge } from './RunStatusBadge';
import { TimeText } from './TimeText';
import type { TableColumn } from './tableColumn';

interface Props {
  runs: Run[];
  /** Show the target column (the Activity page lists every target). */
  showTarget?: boolean;
  pageSize?: number;
}

/** Runs, newest first, with the error text of failed ones. */
export function RunsTable({ runs, showTarget = false, pageSize = 20 }: Props) {
  const styles = useStyles2(getStyles);
  const columns = useMemo<Array<TableColumn<Run>>>(() => {
    const cols: Array<TableColumn<Run>> = [
      { id: 'startedAt', header: 'Started', cell: ({ row: { original: r } }) => <TimeText iso={r.startedAt} /> },
    ];
    if (showTarget) {
      cols.push({
        id: 'target',
        header: 'Target',
        cell: ({ row: { original: r } }) => <Link to={targetUrl(r.target)}>{r.target}</Link>,
      });
    }
    cols.push(
      { id: 'operation', header: 'Operation' },
      { id: 'status', header: 'Result', cell: ({ row: { original: r } }) => <RunStatusBadge status={r.status} /> },
      {
        id: 'durationSeconds',
        header: 'Took',
        cell: ({ row: { original: r } }) =>
          r.status === 'running' ? (r.phase ?? 'running') : formatDuration(r.durationSeconds),
      },
      { id: 'bytesDone', header: 'Size', cell: ({ row: { original: r } }) => formatBytes(r.bytesDone) },
      {
        id: 'snapshotId',
        header: 'Snapshot',
        cell: ({ row: { original: r } }) =>
          r.snapshotId ? <code title={r.snapshotId}>{r.snapshotId.slice(0, 8)}</code> : '—',
      },
      { id: 'actor', header: 'Who' },
      {
        id: 'error',
        header: 'Error',
        cell: ({ row: { original: r } }) =>
          r.error ? (
            <Text color="error" variant="bodySmall">
              <span className={styles.error}>{r.error}</span>
            </Text>
          ) : (
            ''
          ),
      }
    );
    return cols;
  }, [showTarget, styles]);

  return <InteractiveTable columns={columns} data={runs} getRowId={(r: Run) => String(r.id)} pageSize={pageSize} />;
}

const getStyles = (theme: GrafanaTheme2) => ({
  error: css({ whiteSpace: 'pre-wrap', wordBreak: 'break-word', display: 'inline-block', maxWidth: 480 }),
});
