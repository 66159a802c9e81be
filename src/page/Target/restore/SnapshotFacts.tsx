import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Icon, Text, useStyles2 } from '@grafana/ui';
import type { Snapshot } from '../../../api/types';
import { formatBytes, formatCount, formatRelative, formatTime } from '../../../utils/format';

const MAX_ITEMS = 8;

/** What a snapshot holds and whether it was proven usable: the facts to restore with (issue 15.4). */
export function SnapshotFacts({ snapshot: s }: { snapshot: Snapshot }) {
  const styles = useStyles2(getStyles);
  const items = s.contents?.items ?? [];
  return (
    <div className={styles.facts} aria-label="The snapshot">
      <div>
        Snapshot <code>{s.shortId}</code> of {formatTime(s.time)}
        {s.version ? `, version ${s.version}` : ''}
        {s.bytes !== null ? `, ${formatBytes(s.bytes)}` : ''}
        {s.safety ? ' (a safety backup: the state before a restore)' : ''}
      </div>
      <Verified snapshot={s} />
      <div>
        <Text color="secondary">Holds: </Text>
        {s.contents ? s.contents.summary : 'not recorded (the catalog was rebuilt from the repository)'}
        {items.length > 0 && (
          <ul className={styles.items} aria-label="What the snapshot holds">
            {items.slice(0, MAX_ITEMS).map((item) => (
              <li key={item.name}>
                <code>{item.name}</code> <Text color="secondary">{formatCount(item.count, item.unit)}</Text>
              </li>
            ))}
            {items.length > MAX_ITEMS && <li>{`and ${items.length - MAX_ITEMS} more`}</li>}
          </ul>
        )}
      </div>
    </div>
  );
}

function Verified({ snapshot: s }: { snapshot: Snapshot }) {
  const styles = useStyles2(getStyles);
  const when = s.verifiedAt ? ` ${formatRelative(s.verifiedAt)} (${formatTime(s.verifiedAt)})` : '';
  const detail = s.verificationDetail ? `: ${s.verificationDetail}` : '';
  switch (s.verification) {
    case 'passed':
      return (
        <div className={styles.passed}>
          <Icon name="check-circle" /> Verified usable{when}
          {detail}
        </div>
      );
    case 'failed':
      return (
        <div className={styles.failed}>
          <Icon name="times-circle" /> Its verification failed{when}
          {detail}. Restore it only if nothing better is left.
        </div>
      );
    default:
      return (
        <div className={styles.unverified}>
          <Icon name="question-circle" /> Not verified yet: no test restore has proven it usable.
        </div>
      );
  }
}

const getStyles = (theme: GrafanaTheme2) => ({
  facts: css({ display: 'grid', rowGap: theme.spacing(0.75) }),
  items: css({
    margin: theme.spacing(0.5, 0, 0, 0),
    paddingLeft: theme.spacing(2),
    columns: '2 14em',
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  passed: css({ color: theme.colors.success.text }),
  failed: css({ color: theme.colors.error.text }),
  unverified: css({ color: theme.colors.warning.text }),
});
