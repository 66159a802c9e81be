import React, { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { InteractiveTable, Text, useStyles2 } from '@grafana/ui';
import type { CoveredService, TargetStatus } from '../../api/types';
import { Reasons } from '../../components/Reasons';
import { SlaBadge } from '../../components/SlaBadge';
import type { TableColumn } from '../../components/tableColumn';
import { useAddress } from '../../data/useLab';
import { coveredLevel, coveringTarget } from '../../utils/levels';
import { targetUrl } from '../../utils/routing';

interface Props {
  covered: CoveredService[];
  targets: TargetStatus[];
}

/**
 * Services with no backup of their own (Nginx, uWSGI, ...): their state is the covering target's,
 * and so is the reason (issue 15.2: the "why" explains the warning, the coverage is said apart).
 */
export function CoveredTable({ covered, targets }: Props) {
  const styles = useStyles2(getStyles);
  const address = useAddress();
  const columns = useMemo<Array<TableColumn<CoveredService>>>(
    () => [
      { id: 'name', header: 'Service' },
      {
        id: 'level',
        header: 'State',
        cell: ({ row: { original: c } }) => {
          const by = coveringTarget(c, targets);
          return (
            <div className={styles.state}>
              <SlaBadge level={coveredLevel(c, targets)} reasons={by?.reasons} />
              {by && <Reasons target={by} small limit={1} prefix={`${address(by)}: `} />}
            </div>
          );
        },
      },
      {
        id: 'coveredBy',
        header: 'Backed up by',
        cell: ({ row: { original: c } }) => {
          const by = address({ instance: c.instance, name: c.coveredBy });
          return (
            <div>
              <span>
                covered by <Link to={targetUrl(by)}>{by}</Link>
              </span>
              {c.note && (
                <Text element="p" variant="bodySmall" color="secondary">
                  {c.note}
                </Text>
              )}
            </div>
          );
        },
      },
    ],
    [targets, styles, address]
  );
  return (
    <InteractiveTable
      columns={columns}
      data={covered}
      getRowId={(c: CoveredService) => `${c.instance}/${c.name}`}
      className={styles.table}
    />
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({ td: { verticalAlign: 'top' } }),
  state: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'flex-start' }),
});
