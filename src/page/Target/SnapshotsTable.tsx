import React, { useMemo } from 'react';
import { Badge, Button, Icon, InteractiveTable, Stack, Tooltip } from '@grafana/ui';
import type { Snapshot } from '../../api/types';
import type { TableColumn } from '../../components/tableColumn';
import { TimeText } from '../../components/TimeText';
import { formatBytes, formatTime } from '../../utils/format';

const MARK = {
  passed: { icon: 'check-circle', color: 'green', text: 'verified' },
  failed: { icon: 'times-circle', color: 'red', text: 'verification failed' },
  unverified: { icon: 'circle', color: 'gray', text: 'not verified' },
} as const;

export function VerificationMark({ snapshot: s }: { snapshot: Snapshot }) {
  const mark = MARK[s.verification] ?? MARK.unverified;
  const tip = [mark.text, s.verifiedAt ? formatTime(s.verifiedAt) : null, s.verificationDetail]
    .filter(Boolean)
    .join(' — ');
  return (
    <Tooltip content={tip}>
      <span>
        <Stack gap={0.5} alignItems="center">
          <Icon name={mark.icon} color={mark.color} aria-hidden />
          <span>{mark.text}</span>
        </Stack>
      </span>
    </Tooltip>
  );
}

interface Props {
  snapshots: Snapshot[];
  /** Safety snapshots (taken before a restore): snapshot id → the restore's run id. */
  safety?: Map<string, number>;
  /** Given for Admins only: starts the restore flow for that snapshot. */
  onRestore?: (snapshot: Snapshot) => void;
}

export function SnapshotsTable({ snapshots, safety, onRestore }: Props) {
  const columns = useMemo<Array<TableColumn<Snapshot>>>(() => {
    const cols: Array<TableColumn<Snapshot>> = [
      { id: 'time', header: 'Time', cell: ({ row: { original: s } }) => <TimeText iso={s.time} /> },
      {
        id: 'shortId',
        header: 'ID',
        cell: ({ row: { original: s } }) => {
          const before = safety?.get(s.id);
          return (
            <Stack gap={1} alignItems="center">
              <code title={s.id}>{s.shortId}</code>
              {before !== undefined && (
                <Badge
                  color="purple"
                  text="safety backup"
                  tooltip={`The state just before restore run ${before}: restoring it undoes that restore.`}
                />
              )}
            </Stack>
          );
        },
      },
      { id: 'version', header: 'Version', cell: ({ row: { original: s } }) => s.version ?? '—' },
      { id: 'bytes', header: 'Size', cell: ({ row: { original: s } }) => formatBytes(s.bytes) },
      { id: 'verification', header: 'Usable', cell: ({ row: { original: s } }) => <VerificationMark snapshot={s} /> },
      { id: 'heldBy', header: 'Held by', cell: ({ row: { original: s } }) => s.heldBy.join(', ') || '—' },
    ];
    if (onRestore) {
      cols.push({
        id: 'restore',
        header: '',
        cell: ({ row: { original: s } }) => (
          <Button
            size="sm"
            variant="secondary"
            icon="history"
            onClick={() => onRestore(s)}
            aria-label={`Restore snapshot ${s.shortId}`}
          >
            Restore…
          </Button>
        ),
      });
    }
    return cols;
  }, [onRestore, safety]);

  return <InteractiveTable columns={columns} data={snapshots} getRowId={(s: Snapshot) => s.id} pageSize={20} />;
}
