import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Tooltip, useStyles2 } from '@grafana/ui';
import type { PitrStatus } from '../api/types';
import { GAP_KIND_TEXT, formatPoint } from '../utils/pitr';

interface Piece {
  start: number;
  end: number;
  /** null: recoverable */
  gap: { text: string } | null;
}

const ms = (iso: string) => Date.parse(iso);

/**
 * The recoverable stretches and the gaps between them, oldest first. A stretch between two ranges
 * that the service named no gap for is still not recoverable, and drawn as one.
 */
export function pitrPieces(pitr: PitrStatus): Piece[] {
  const out: Piece[] = [];
  pitr.ranges.forEach((r, i) => {
    if (i > 0) {
      const start = ms(pitr.ranges[i - 1].end) + 1000;
      const end = ms(r.start) - 1000;
      const gap = pitr.gaps.find((g) => ms(g.start) <= end && ms(g.end) >= start);
      out.push({
        start,
        end: Math.max(start, end),
        gap: { text: gap ? `${GAP_KIND_TEXT[gap.kind]}: ${gap.reason}` : 'Not recoverable' },
      });
    }
    out.push({ start: ms(r.start), end: ms(r.end), gap: null });
  });
  return out;
}

interface Props {
  pitr: PitrStatus;
  /** The point in time chosen in the restore dialog, marked on the bar. */
  marker?: number | null;
}

/**
 * The recoverable window as a bar (issue 13): the ranges a restore with `at` can reach, with the
 * gaps cut out, each gap with its reason as a tooltip and as text for screen readers.
 */
export function PitrBar({ pitr, marker }: Props) {
  const styles = useStyles2(getStyles);
  const pieces = pitrPieces(pitr);
  if (!pieces.length) {
    return null;
  }
  const from = pieces[0].start;
  const to = pieces[pieces.length - 1].end;
  const span = Math.max(1, to - from);
  const markerAt = marker !== null && marker !== undefined && marker >= from && marker <= to ? marker : null;
  return (
    <div className={styles.wrap}>
      <ul className={styles.bar} aria-label="Recoverable window">
        {pieces.map((p) => {
          const when = `${formatPoint(p.start)} – ${formatPoint(p.end)}`;
          const grow = Math.max(1, p.end - p.start + 1000);
          if (!p.gap) {
            return (
              <li key={p.start} className={styles.range} style={{ flexGrow: grow }} title={`Recoverable: ${when}`}>
                <span className={styles.hidden}>{`Recoverable: ${when}`}</span>
              </li>
            );
          }
          return (
            <Tooltip key={p.start} content={`Gap ${when}. ${p.gap.text}`}>
              <li className={styles.gap} style={{ flexGrow: grow }} tabIndex={0} data-testid="pitr-gap">
                <span className={styles.hidden}>{`Gap ${when}: ${p.gap.text}`}</span>
              </li>
            </Tooltip>
          );
        })}
        {markerAt !== null && (
          <li
            className={styles.marker}
            style={{ left: `${((markerAt - from) / span) * 100}%` }}
            aria-label={`Chosen: ${formatPoint(markerAt)}`}
          />
        )}
      </ul>
      <div className={styles.axis} aria-hidden>
        <span>{formatPoint(from)}</span>
        <span>{formatPoint(to)}</span>
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrap: css({ display: 'grid', rowGap: theme.spacing(0.5), maxWidth: 720 }),
  bar: css({
    position: 'relative',
    display: 'flex',
    height: theme.spacing(2),
    margin: 0,
    padding: 0,
    listStyle: 'none',
    borderRadius: theme.shape.radius.default,
    overflow: 'visible',
    background: theme.colors.background.secondary,
  }),
  range: css({ flexBasis: 0, minWidth: 2, background: theme.colors.success.main }),
  // A gap of a minute in a week's window is still seen and hovered.
  gap: css({
    flexBasis: 0,
    minWidth: 6,
    background: `repeating-linear-gradient(45deg, ${theme.colors.warning.main} 0 4px, transparent 4px 8px)`,
    outline: `1px solid ${theme.colors.warning.border}`,
    cursor: 'help',
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.border}` },
  }),
  marker: css({
    position: 'absolute',
    top: -3,
    bottom: -3,
    width: 2,
    marginLeft: -1,
    background: theme.colors.text.primary,
  }),
  axis: css({
    display: 'flex',
    justifyContent: 'space-between',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    fontVariantNumeric: 'tabular-nums',
  }),
  hidden: css({
    position: 'absolute',
    width: 1,
    height: 1,
    overflow: 'hidden',
    clipPath: 'inset(50%)',
    whiteSpace: 'nowrap',
  }),
});
