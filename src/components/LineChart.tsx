import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { formatTime } from '../utils/format';

export interface ChartSeries {
  name: string;
  points: Array<{ t: number; v: number }>;
}

interface Props {
  title: string;
  series: ChartSeries[];
  formatValue: (v: number) => string;
  height?: number;
}

const WIDTH = 600;
const PAD = { left: 64, right: 12, top: 10, bottom: 24 };

/**
 * A small, dependency-free SVG line chart: one line per series, time on x, value on y from zero.
 * Hovering a point shows its time and value (SVG <title>).
 */
export function LineChart({ title, series, formatValue, height = 180 }: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    return null;
  }
  const tMin = Math.min(...all.map((p) => p.t));
  const tMax = Math.max(...all.map((p) => p.t));
  const vMax = Math.max(...all.map((p) => p.v)) || 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (tMax === tMin ? plotW / 2 : ((t - tMin) / (tMax - tMin)) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / vMax) * plotH;
  const palette = theme.visualization.palette;
  const color = (i: number) => theme.visualization.getColorByName(palette[i % palette.length]);
  const gridColor = theme.colors.border.weak;
  const textColor = theme.colors.text.secondary;

  return (
    <figure className={styles.figure}>
      <figcaption className={styles.caption}>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={title} className={styles.svg}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(vMax * f)} y2={y(vMax * f)} stroke={gridColor} />
            <text x={PAD.left - 6} y={y(vMax * f) + 4} textAnchor="end" fontSize={11} fill={textColor}>
              {formatValue(vMax * f)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={height - 6} fontSize={11} fill={textColor}>
          {formatTime(new Date(tMin).toISOString())}
        </text>
        <text x={WIDTH - PAD.right} y={height - 6} fontSize={11} fill={textColor} textAnchor="end">
          {formatTime(new Date(tMax).toISOString())}
        </text>
        {series.map((s, i) => (
          <g key={s.name}>
            <polyline
              fill="none"
              stroke={color(i)}
              strokeWidth={2}
              points={s.points.map((p) => `${x(p.t)},${y(p.v)}`).join(' ')}
            />
            {s.points.map((p) => (
              <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={3} fill={color(i)}>
                <title>{`${s.name}, ${formatTime(new Date(p.t).toISOString())}: ${formatValue(p.v)}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <ul className={styles.legend}>
        {series.map((s, i) => (
          <li key={s.name}>
            <span className={styles.swatch} style={{ background: color(i) }} />
            {s.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  figure: css({ margin: 0, flex: '1 1 420px', minWidth: 0 }),
  caption: css({ ...theme.typography.h5, marginBottom: theme.spacing(1) }),
  svg: css({ width: '100%', height: 'auto', display: 'block' }),
  legend: css({
    listStyle: 'none',
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    margin: theme.spacing(1, 0, 0, 0),
    padding: 0,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  swatch: css({
    display: 'inline-block',
    width: 10,
    height: 10,
    borderRadius: 2,
    marginRight: theme.spacing(0.5),
  }),
});
