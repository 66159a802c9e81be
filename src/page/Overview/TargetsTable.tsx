import React, { useCallback, useMemo } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { InteractiveTable, Stack, Text, useStyles2, type FetchDataFunc } from '@grafana/ui';
import type { Run, TargetStatus } from '../../api/types';
import { CheckChips } from '../../components/CheckChips';
import { CheckText } from '../../components/CheckText';
import { Reasons } from '../../components/Reasons';
import { SlaBadge } from '../../components/SlaBadge';
import { TargetMenu } from '../../components/TargetMenu';
import { TargetRun } from '../../components/TargetRun';
import { NoWrap, TimeText } from '../../components/TimeText';
import type { TableColumn } from '../../components/tableColumn';
import { formatAge, formatRelative } from '../../utils/format';
import { useAddress } from '../../data/useLab';
import { refKey } from '../../utils/lab';
import { displayLevel } from '../../utils/levels';
import { targetUrl } from '../../utils/routing';
import { rpoText } from '../../utils/targetText';
import { Sort, SortKey } from './sortTargets';

interface Props {
  /** Already filtered and sorted by the page. */
  targets: TargetStatus[];
  sort: Sort;
  onSortChange: (sort: Sort) => void;
  onRunFinished: (run: Run) => void;
  /** One of several tables (one per instance): fixed column widths, so that they line up. */
  aligned?: boolean;
}

/**
 * One line per target (issue 15.1): name, state with the worst reason in words, last good backup
 * against the RPO, versions · verification · copies folded together, next run, and a menu.
 */
export function TargetsTable({ targets, sort, onSortChange, onRunFinished, aligned = false }: Props) {
  const styles = useStyles2(getStyles);
  const address = useAddress();
  const columns = useMemo<Array<TableColumn<TargetStatus>>>(
    () => [
      {
        id: 'name',
        header: 'Target',
        sortType: 'string',
        cell: ({ row: { original: t } }) => (
          <div className={styles.name}>
            <Link to={targetUrl(address(t))} className={styles.link}>
              {t.name}
            </Link>
            <Text variant="bodySmall" color="secondary">
              {t.kind}
            </Text>
          </div>
        ),
      },
      {
        id: 'state',
        header: 'State',
        sortType: 'string',
        sortDescFirst: true,
        cell: ({ row: { original: t } }) => (
          <div className={styles.state}>
            <SlaBadge level={displayLevel(t)} reasons={t.reasons} />
            <div className={styles.stateText}>
              <Reasons target={t} small limit={1} />
              <TargetRun target={t} onFinished={onRunFinished} />
            </div>
          </div>
        ),
      },
      {
        id: 'age',
        header: 'Last good backup',
        sortType: 'number',
        cell: ({ row: { original: t } }) => (
          <Stack direction="column" gap={0}>
            <CheckText check={t.checks.fresh}>
              <NoWrap>{formatAge(t.ageSeconds)}</NoWrap>
            </CheckText>
            <Text variant="bodySmall" color="secondary">
              {rpoText(t)}
            </Text>
          </Stack>
        ),
      },
      {
        id: 'checks',
        header: 'Versions · verification · copies',
        cell: ({ row: { original: t } }) => <CheckChips target={t} />,
      },
      {
        id: 'next',
        header: 'Next run',
        sortType: 'datetime',
        cell: ({ row: { original: t } }) =>
          t.nextRunAt ? (
            <TimeText iso={t.nextRunAt}>{formatRelative(t.nextRunAt)}</TimeText>
          ) : (
            <NoWrap>not scheduled</NoWrap>
          ),
      },
      {
        id: 'actions',
        header: '',
        disableGrow: true,
        cell: ({ row: { original: t } }) => <TargetMenu target={t} />,
      },
    ],
    [styles, onRunFinished, address]
  );

  // Sorting is the page's (kept in the URL): the table reports header clicks, the page sorts.
  const initialSortBy = useMemo(() => [{ id: sort.key, desc: sort.desc }], [sort.key, sort.desc]);
  const onFetch = useCallback<FetchDataFunc<TargetStatus>>(
    ({ sortBy }) => {
      const first = sortBy[0];
      const next: Sort = first ? { key: first.id as SortKey, desc: Boolean(first.desc) } : { key: 'state', desc: true };
      if (next.key !== sort.key || next.desc !== sort.desc) {
        onSortChange(next);
      }
    },
    [sort.key, sort.desc, onSortChange]
  );

  return (
    <InteractiveTable
      columns={columns}
      data={targets}
      getRowId={(t: TargetStatus) => refKey(t)}
      initialSortBy={initialSortBy}
      fetchData={onFetch}
      className={aligned ? `${styles.table} ${styles.aligned}` : styles.table}
    />
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({ td: { verticalAlign: 'top' } }),
  // Target, state, last good backup, checks, next run, menu: the same widths in every instance's table.
  aligned: css({
    tableLayout: 'fixed',
    width: '100%',
    'th:nth-of-type(1)': { width: '15%' },
    'th:nth-of-type(2)': { width: '33%' },
    'th:nth-of-type(3)': { width: '14%' },
    'th:nth-of-type(4)': { width: '22%' },
    'th:nth-of-type(5)': { width: '11%' },
    'th:nth-of-type(6)': { width: 48 },
    'td, th': { overflowWrap: 'anywhere' },
    // A fixed column is narrower than a long header at 1000 px: let the header wrap, not run into the next.
    'th, th > button': { whiteSpace: 'normal' },
  }),
  name: css({ display: 'flex', flexDirection: 'column' }),
  link: css({ fontWeight: theme.typography.fontWeightMedium, color: theme.colors.text.link }),
  state: css({
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'flex-start',
    minWidth: 200,
    // The badge keeps its one line: the reason beside it wraps (overflow-wrap "anywhere" would break the badge letter by letter).
    '& > :first-child': { flexShrink: 0, whiteSpace: 'nowrap' },
  }),
  stateText: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5), paddingTop: 2, minWidth: 0 }),
});
