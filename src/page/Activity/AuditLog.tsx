import React, { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Badge, InteractiveTable, Text, useStyles2 } from '@grafana/ui';
import type { TableColumn } from '../../components/tableColumn';
import { TimeText } from '../../components/TimeText';
import { formatDuration } from '../../utils/format';
import { useAddress } from '../../data/useLab';
import { targetUrl } from '../../utils/routing';
import type { AuditRow } from './activityFilters';

const RESULT = {
  ok: { color: 'green', text: 'ok' },
  failed: { color: 'red', text: 'failed' },
  running: { color: 'blue', text: 'running' },
  forwarded: { color: 'purple', text: 'forwarded' },
} as const;

/** Who did what, when, and how it ended: one row per action. */
export function AuditLog({ rows }: { rows: AuditRow[] }) {
  const styles = useStyles2(getStyles);
  const address = useAddress();
  const columns = useMemo<Array<TableColumn<AuditRow>>>(
    () => [
      { id: 'at', header: 'When', cell: ({ row: { original: e } }) => <TimeText iso={e.at} /> },
      {
        id: 'actor',
        header: 'Who',
        cell: ({ row: { original: e } }) => (
          <span>
            {e.actor}
            {e.role && e.role !== e.actor && <Text variant="bodySmall" color="secondary">{` (${e.role})`}</Text>}
          </span>
        ),
      },
      { id: 'action', header: 'What' },
      {
        id: 'target',
        header: 'Target',
        cell: ({ row: { original: e } }) => {
          if (!e.about) {
            return '—';
          }
          const at = address(e.about);
          return (
            <span>
              <Link to={targetUrl(at)}>{at}</Link>
              {e.via && <Text variant="bodySmall" color="secondary">{` (asked through ${e.via})`}</Text>}
            </span>
          );
        },
      },
      { id: 'detail', header: 'Detail' },
      {
        id: 'result',
        header: 'Result',
        cell: ({ row: { original: e } }) => {
          const look = RESULT[e.result] ?? { color: 'darkgrey' as const, text: e.result };
          const took = e.endedAt
            ? `after ${formatDuration((new Date(e.endedAt).getTime() - new Date(e.at).getTime()) / 1000)}`
            : null;
          return (
            <span className={styles.result}>
              <Badge color={look.color} text={look.text} />
              {took && (
                <Text variant="bodySmall" color="secondary">
                  {took}
                </Text>
              )}
            </span>
          );
        },
      },
    ],
    [styles, address]
  );
  return (
    <InteractiveTable columns={columns} data={rows} getRowId={(e: AuditRow) => `${e.instance}/${e.id}`} pageSize={25} />
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  result: css({ display: 'inline-flex', gap: theme.spacing(0.75), alignItems: 'center', whiteSpace: 'nowrap' }),
});
