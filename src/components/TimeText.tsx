import React from 'react';
import { css } from '@emotion/css';
import { useStyles2 } from '@grafana/ui';
import { formatTime } from '../utils/format';

const styles = () => ({ time: css({ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }) });

/** A time in a table cell: on one line, with the seconds in its tooltip. */
export function TimeText({ iso, children }: { iso: string | null | undefined; children?: React.ReactNode }) {
  const s = useStyles2(styles);
  if (!iso) {
    return <span className={s.time}>{children ?? '—'}</span>;
  }
  return (
    <time className={s.time} dateTime={iso} title={formatTime(iso, true)}>
      {children ?? formatTime(iso)}
    </time>
  );
}

/** Any short text that must stay on one line in a table cell ("in 14 h", "passed 2 min ago"). */
export function NoWrap({ children }: { children: React.ReactNode }) {
  const s = useStyles2(styles);
  return <span className={s.time}>{children}</span>;
}
