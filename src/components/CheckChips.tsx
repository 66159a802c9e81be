import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { TargetStatus } from '../api/types';
import { copiesShort, versionsLong, versionsShort, verificationShort } from '../utils/targetText';
import { CheckText } from './CheckText';

/**
 * Versions, verification and copies of a target folded into one line, each in the colour of the
 * service's own check (the tooltip gives the check's reason).
 */
export function CheckChips({ target: t }: { target: TargetStatus }) {
  const styles = useStyles2(getStyles);
  return (
    <span className={styles.line}>
      <CheckText check={{ ...t.checks.versions, reason: `${t.checks.versions.reason} (${versionsLong(t)})` }}>
        {versionsShort(t)}
      </CheckText>
      <span className={styles.dot} aria-hidden>
        ·
      </span>
      <CheckText check={t.checks.verified}>{verificationShort(t)}</CheckText>
      <span className={styles.dot} aria-hidden>
        ·
      </span>
      <CheckText check={t.checks.copies}>{copiesShort(t)}</CheckText>
    </span>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  line: css({
    display: 'inline-flex',
    flexWrap: 'wrap',
    columnGap: theme.spacing(0.75),
    fontSize: theme.typography.bodySmall.fontSize,
    '& > span': { whiteSpace: 'nowrap' },
  }),
  dot: css({ color: theme.colors.text.disabled }),
});
