import React from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, useStyles2, useTheme2 } from '@grafana/ui';
import type { SlaLevel } from '../../api/types';
import { LEVEL_COLOR } from '../../utils/format';

const ORDER: SlaLevel[] = ['critical', 'warning', 'unknown', 'ok'];
const WORD: Record<SlaLevel, string> = { critical: 'critical', warning: 'warning', unknown: 'unknown', ok: 'OK' };

interface Props {
  counts: Record<SlaLevel, number>;
  /** The levels shown; empty = all. */
  selected: SlaLevel[];
  onChange: (levels: SlaLevel[]) => void;
}

/**
 * "1 critical · 3 warning · 2 OK": how the targets stand, each count a filter (kept in the URL by
 * the page). Levels nobody is at are left out.
 */
export function LevelSummary({ counts, selected, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const present = ORDER.filter((l) => counts[l] > 0);
  const toggle = (level: SlaLevel) =>
    onChange(selected.includes(level) ? selected.filter((l) => l !== level) : [...selected, level]);
  return (
    <div className={styles.line} role="group" aria-label="Targets by state">
      {present.map((level, i) => (
        <React.Fragment key={level}>
          {i > 0 && (
            <span className={styles.dot} aria-hidden>
              ·
            </span>
          )}
          <button
            type="button"
            className={cx(styles.item, selected.includes(level) && styles.selected)}
            aria-pressed={selected.includes(level)}
            onClick={() => toggle(level)}
            title={selected.includes(level) ? `Stop filtering on ${WORD[level]}` : `Show only ${WORD[level]} targets`}
          >
            <span
              className={styles.swatch}
              style={{
                background: theme.visualization.getColorByName(
                  LEVEL_COLOR[level] === 'darkgrey' ? 'gray' : LEVEL_COLOR[level]
                ),
              }}
              aria-hidden
            />
            {`${counts[level]} ${WORD[level]}`}
          </button>
        </React.Fragment>
      ))}
      {selected.length > 0 && (
        <Button size="sm" variant="secondary" fill="text" icon="times" onClick={() => onChange([])}>
          Show all
        </Button>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  line: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: theme.spacing(0.5) }),
  item: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.75),
    border: `1px solid transparent`,
    borderRadius: theme.shape.radius.pill,
    background: 'none',
    color: theme.colors.text.primary,
    padding: theme.spacing(0.25, 1),
    fontSize: theme.typography.body.fontSize,
    cursor: 'pointer',
    '&:hover': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  selected: css({
    borderColor: theme.colors.border.strong,
    background: theme.colors.action.selected,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  swatch: css({ width: 10, height: 10, borderRadius: '50%' }),
  dot: css({ color: theme.colors.text.disabled }),
});
