import React from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { SlaLevel, TargetStatus } from '../api/types';
import { levelOfReason } from '../utils/levels';

/** Why a target is not ok, worst first; each reason marked in the colour of its own check's level. */
export function Reasons({ target, small = false }: { target: TargetStatus; small?: boolean }) {
  const styles = useStyles2(getStyles);
  if (target.reasons.length === 0) {
    return null;
  }
  return (
    <ul className={cx(styles.list, small && styles.small)} aria-label="Reasons">
      {target.reasons.map((r) => {
        const level = levelOfReason(target, r);
        return (
          <li key={r} className={styles[level] ?? styles.unknown} data-level={level}>
            <span className={styles.text}>{r}</span>
          </li>
        );
      })}
    </ul>
  );
}

const getStyles = (theme: GrafanaTheme2) => {
  const marker = (color: string) => css({ '&::marker': { color } });
  const styles: Record<SlaLevel, string> & Record<'list' | 'small' | 'text', string> = {
    list: css({ margin: 0, paddingLeft: theme.spacing(2) }),
    small: css({ fontSize: theme.typography.bodySmall.fontSize }),
    text: css({ color: theme.colors.text.secondary }),
    ok: marker(theme.colors.success.text),
    warning: marker(theme.colors.warning.text),
    critical: marker(theme.colors.error.text),
    unknown: marker(theme.colors.text.disabled),
  };
  return styles;
};
