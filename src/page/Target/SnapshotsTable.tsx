import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import {
  Badge,
  Dropdown,
  Icon,
  IconButton,
  InteractiveTable,
  Menu,
  Stack,
  Text,
  Tooltip,
  useStyles2,
} from '@grafana/ui';
import type { Snapshot } from '../../api/types';
import type { TableColumn } from '../../components/tableColumn';
import { TimeText } from '../../components/TimeText';
import { NEEDS, useRole } from '../../data/useRole';
import { formatBytes, formatDuration, formatTime } from '../../utils/format';

const MARK = {
  passed: { icon: 'check-circle', color: 'green', text: 'verified' },
  failed: { icon: 'times-circle', color: 'red', text: 'verification failed' },
  unverified: { icon: 'circle', color: 'gray', text: 'not verified' },
} as const;

export function VerificationMark({ snapshot: s }: { snapshot: Snapshot }) {
  const mark = MARK[s.verification] ?? MARK.unverified;
  const tip = [mark.text, s.verifiedAt ? formatTime(s.verifiedAt) : null, s.verificationDetail]
    .filter(Boolean)
    .join(': ');
  return (
    <Tooltip content={tip}>
      <span>
        <Stack gap={0.5} alignItems="center">
          <Icon name={mark.icon} color={mark.color} aria-hidden />
          <span style={{ whiteSpace: 'nowrap' }}>{mark.text}</span>
        </Stack>
      </span>
    </Tooltip>
  );
}

export function SafetyBadge({ retentionSeconds }: { retentionSeconds?: number }) {
  return (
    <Badge
      color="purple"
      text="safety backup"
      tooltip={`The state just before a restore, kept ${
        retentionSeconds ? `for ${formatDuration(retentionSeconds)}` : 'apart'
      }: not one of the SLA's versions. Restoring it undoes that restore.`}
    />
  );
}

/** What a snapshot holds, in one short line ("database agama: 1 table, 1042 rows"). */
export function holdsText(s: Snapshot): string {
  const parts = [s.version ? `version ${s.version}` : null, s.contents?.summary ?? null].filter(Boolean);
  return parts.join(' · ') || '—';
}

interface Props {
  snapshots: Snapshot[];
  safetyRetentionSeconds?: number;
  /** Starts the restore flow for that snapshot (Admins; others see the item disabled with the reason). */
  onRestore: (snapshot: Snapshot) => void;
  /** Verifies that snapshot (Editors and Admins). */
  onVerify: (snapshot: Snapshot) => void;
  /** An operation runs on the target: nothing else can start. */
  busy: boolean;
}

export function SnapshotsTable({ snapshots, safetyRetentionSeconds, onRestore, onVerify, busy }: Props) {
  const styles = useStyles2(getStyles);
  const { canOperate, canRestore } = useRole();
  const columns = useMemo<Array<TableColumn<Snapshot>>>(
    () => [
      { id: 'time', header: 'Time', cell: ({ row: { original: s } }) => <TimeText iso={s.time} /> },
      {
        id: 'shortId',
        header: 'ID',
        cell: ({ row: { original: s } }) => (
          <Stack gap={1} alignItems="center" wrap="wrap">
            <code title={s.id}>{s.shortId}</code>
            {s.safety && <SafetyBadge retentionSeconds={safetyRetentionSeconds} />}
          </Stack>
        ),
      },
      {
        id: 'contents',
        header: 'Holds',
        cell: ({ row: { original: s } }) => (
          <Text variant="bodySmall" color="secondary">
            {holdsText(s)}
          </Text>
        ),
      },
      {
        id: 'bytes',
        header: 'Size',
        cell: ({ row: { original: s } }) => <span className={styles.nowrap}>{formatBytes(s.bytes)}</span>,
      },
      { id: 'verification', header: 'Usable', cell: ({ row: { original: s } }) => <VerificationMark snapshot={s} /> },
      { id: 'heldBy', header: 'Held by', cell: ({ row: { original: s } }) => s.heldBy.join(', ') || '—' },
      {
        id: 'actions',
        header: '',
        disableGrow: true,
        cell: ({ row: { original: s } }) => (
          <Dropdown
            placement="bottom-end"
            overlay={
              <Menu ariaLabel={`Actions for snapshot ${s.shortId}`}>
                <Menu.Item
                  label="Restore this snapshot…"
                  ariaLabel={`Restore snapshot ${s.shortId}`}
                  icon="history"
                  disabled={!canRestore}
                  description={canRestore ? undefined : NEEDS.restore}
                  onClick={() => onRestore(s)}
                />
                <Menu.Item
                  label="Verify this snapshot"
                  ariaLabel={`Verify snapshot ${s.shortId}`}
                  icon="check-circle"
                  disabled={!canOperate || busy}
                  description={
                    !canOperate ? NEEDS.operate : busy ? 'An operation is running on this target' : 'A test restore'
                  }
                  onClick={() => onVerify(s)}
                />
              </Menu>
            }
          >
            <IconButton name="ellipsis-v" aria-label={`Actions for snapshot ${s.shortId}`} />
          </Dropdown>
        ),
      },
    ],
    [styles, canOperate, canRestore, busy, onRestore, onVerify, safetyRetentionSeconds]
  );

  return (
    <InteractiveTable
      columns={columns}
      data={snapshots}
      getRowId={(s: Snapshot) => s.id}
      pageSize={20}
      className={styles.table}
    />
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({ td: { verticalAlign: 'middle' } }),
  nowrap: css({ whiteSpace: 'nowrap' }),
});
