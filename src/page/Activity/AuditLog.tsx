import React, { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { Badge, InteractiveTable } from '@grafana/ui';
import type { AuditEntry } from '../../api/types';
import type { TableColumn } from '../../components/tableColumn';
import { TimeText } from '../../components/TimeText';
import { targetUrl } from '../../utils/routing';

const RESULT = {
  ok: { color: 'green', text: 'ok' },
  failed: { color: 'red', text: 'failed' },
  started: { color: 'blue', text: 'started' },
} as const;

/** Who did what, when, and how it ended. */
export function AuditLog({ entries }: { entries: AuditEntry[] }) {
  const columns = useMemo<Array<TableColumn<AuditEntry>>>(
    () => [
      { id: 'at', header: 'When', cell: ({ row: { original: e } }) => <TimeText iso={e.at} /> },
      { id: 'actor', header: 'Who' },
      { id: 'action', header: 'What' },
      {
        id: 'target',
        header: 'Target',
        cell: ({ row: { original: e } }) => (e.target ? <Link to={targetUrl(e.target)}>{e.target}</Link> : '—'),
      },
      { id: 'detail', header: 'Detail' },
      {
        id: 'result',
        header: 'Result',
        cell: ({ row: { original: e } }) => {
          const look = RESULT[e.result] ?? { color: 'darkgrey' as const, text: e.result };
          return <Badge color={look.color} text={look.text} />;
        },
      },
    ],
    []
  );
  return <InteractiveTable columns={columns} data={entries} getRowId={(e: AuditEntry) => String(e.id)} pageSize={25} />;
}
