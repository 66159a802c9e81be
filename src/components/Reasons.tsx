import React, { useState } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, useStyles2 } from '@grafana/ui';
import type { SlaLevel, TargetStatus } from '../api/types';
import { checkOfReason, levelOfReason } from '../utils/levels';

interface Props {
  target: TargetStatus;
  small?: boolean;
  /** Show only the first (worst) reasons; the others behind "+N more". */
  limit?: number;
  /** Prefix each reason, e.g. "ansible: " for a service covered by ansible. */
  prefix?: string;
}

/**
 * Why a target is not ok, worst first, each in the colour of its own check's level: the sentence a
 * person reads first, and the tool's own error (the check's cause) behind a toggle.
 */
export function Reasons({ target, small = false, limit, prefix = '' }: Props) {
  const styles = useStyles2(getStyles);
  const [all, setAll] = useState(false);
  if (target.reasons.length === 0) {
    return null;
  }
  const shown = limit && !all ? target.reasons.slice(0, limit) : target.reasons;
  const hidden = target.reasons.length - shown.length;
  return (
    <ul className={cx(styles.list, small && styles.small)} aria-label={`Reasons for ${target.name}`}>
      {shown.map((r) => {
        const level = levelOfReason(target, r);
        return (
          <li key={r} className={styles[level] ?? styles.unknown} data-level={level}>
            <span className={styles.text}>
              {prefix}
              {r}
            </span>
            <Cause cause={checkOfReason(target, r)?.cause} />
          </li>
        );
      })}
      {hidden > 0 && (
        <li className={styles.more}>
          <Button size="sm" fill="text" variant="secondary" onClick={() => setAll(true)} className={styles.toggle}>
            {`+${hidden} more`}
          </Button>
        </li>
      )}
    </ul>
  );
}

/** The raw error behind a sentence, shown on request. */
export function Cause({ cause }: { cause: string | null | undefined }) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  if (!cause) {
    return null;
  }
  return (
    <>
      {' '}
      <Button
        size="sm"
        fill="text"
        variant="secondary"
        className={styles.toggle}
        icon={open ? 'angle-up' : 'angle-down'}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {open ? 'Hide the error' : 'Show the error'}
      </Button>
      {open && <pre className={styles.cause}>{cause}</pre>}
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => {
  const marker = (color: string) => css({ '&::marker': { color } });
  const styles: Record<SlaLevel, string> & Record<'list' | 'small' | 'text' | 'toggle' | 'cause' | 'more', string> = {
    list: css({ margin: 0, paddingLeft: theme.spacing(2) }),
    small: css({ fontSize: theme.typography.bodySmall.fontSize }),
    text: css({ color: theme.colors.text.secondary }),
    toggle: css({ height: 'auto', padding: theme.spacing(0, 0.5), verticalAlign: 'baseline' }),
    cause: css({
      whiteSpace: 'pre-wrap',
      wordBreak: 'break-word',
      margin: theme.spacing(0.5, 0),
      padding: theme.spacing(1),
      fontSize: theme.typography.bodySmall.fontSize,
      maxHeight: 200,
      overflowY: 'auto',
    }),
    more: css({ listStyle: 'none', marginLeft: theme.spacing(-2) }),
    ok: marker(theme.colors.success.text),
    warning: marker(theme.colors.warning.text),
    critical: marker(theme.colors.error.text),
    unknown: marker(theme.colors.text.disabled),
  };
  return styles;
};
