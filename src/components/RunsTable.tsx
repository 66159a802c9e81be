import React, { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { InteractiveTable, Text, useStyles2 } from '@grafana/ui';
import type { Run } from '../api/types';
import { formatBytes, formatDuration } from '../utils/format';
import { useAddress } from '../data/useLab';
import { runKey } from '../utils/lab';
import { targetUrl } from '../utils/routing';
import { RunDetails } from './RunDetails';
import { RunStatusBadge } from './RunStatusBadge';
import { TimeText } from './TimeText';
import type { TableColumn } from './tableColumn';

interface Props {
  runs: Run[];
  /** Show the target column (the Activity page lists every target). */
  showTarget?: boolean;
  pageSize?: number;
}

/** Runs, newest first; the first line of an error in the row, everything a run recorded when expanded. */
export function RunsTable({ runs, showTarget = false, pageSize = 20 }: Props) {
  const styles = useStyles2(getStyles);
  const address = useAddress();
  // Where restores went, when the list has restores (a column of blanks costs the width of one).
  const showRestoredTo = runs.some((r) => r.restoredTo);
  const columns = useMemo<Array<TableColumn<Run>>>(() => {
    const cols: Array<TableColumn<Run>> = [
      { id: 'startedAt', header: 'Started', cell: ({ row: { original: r } }) => <TimeText iso={r.startedAt} /> },
    ];
    if (showTarget) {
      cols.push({
        id: 'target',
        header: 'Target',
        cell: ({ row: { original: r } }) => {
          const at = address({ instance: r.instance, name: r.target });
          return <Link to={targetUrl(at)}>{at}</Link>;
        },
      });
    }
    cols.push(
      { id: 'operation', header: 'Operation' },
      {
        id: 'status',
        header: 'Result',
        cell: ({ row: { original: r } }) => (
          <div className={styles.result}>
            <RunStatusBadge run={r} />
            {(r.error || r.verification?.outcome === 'unknown') && (
              <Text color="secondary" variant="bodySmall">
                <span className={styles.error} title={r.error ?? r.verification?.detail}>
                  {r.error ?? r.verification?.detail}
                </span>
              </Text>
            )}
          </div>
        ),
      },
      {
        id: 'durationSeconds',
        header: 'Took',
        cell: ({ row: { original: r } }) => (
          <span className={styles.nowrap}>
            {r.status === 'running' ? (r.phase ?? 'running') : formatDuration(r.durationSeconds)}
          </span>
        ),
      },
      {
        id: 'bytesDone',
        header: 'Size',
        cell: ({ row: { original: r } }) => <span className={styles.nowrap}>{formatBytes(r.bytesDone)}</span>,
      },
      {
        id: 'snapshotId',
        header: 'Snapshot',
        cell: ({ row: { original: r } }) => <SnapshotCell run={r} />,
      },
      ...(showRestoredTo
        ? [
            {
              id: 'restoredTo',
              header: 'Restored to',
              cell: ({ row: { original: r } }: { row: { original: Run } }) =>
                r.restoredTo ? <span className={styles.restoredTo}>{r.restoredTo}</span> : '',
            },
          ]
        : []),
      { id: 'actor', header: 'Who' }
    );
    return cols;
  }, [showTarget, showRestoredTo, styles, address]);

  return (
    <InteractiveTable
      columns={columns}
      data={runs}
      getRowId={(r: Run) => runKey(r)}
      pageSize={pageSize}
      renderExpandedRow={(r: Run) => <RunDetails run={r} />}
      className={styles.table}
    />
  );
}

/** The run's snapshot; struck through once retention has removed it (issue 15.9). */
function SnapshotCell({ run: r }: { run: Run }) {
  const styles = useStyles2(getStyles);
  if (!r.snapshotId) {
    return <>—</>;
  }
  if (r.snapshotHeld === false) {
    return (
      <span className={styles.removed} title={`${r.snapshotId}: removed by retention`}>
        <code>{r.snapshotId.slice(0, 8)}</code>
        <Text variant="bodySmall" color="secondary">
          removed by retention
        </Text>
      </span>
    );
  }
  return <code title={r.snapshotId}>{r.snapshotId.slice(0, 8)}</code>;
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({ td: { verticalAlign: 'top' } }),
  result: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.25), alignItems: 'flex-start' }),
  error: css({
    display: 'block',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    maxWidth: 180,
  }),
  nowrap: css({ whiteSpace: 'nowrap' }),
  restoredTo: css({ wordBreak: 'break-word' }),
  removed: css({
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'flex-start',
    code: { textDecoration: 'line-through', opacity: 0.7 },
  }),
});
