import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { formatAxisTime, formatTime } from '../utils/format';

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
const PAD = { left: 64, right: 16, top: 12, bottom: 26 };
/** Room left and right of the first and last point, as a share of the plot width. */
const EDGE = 0.04;
const X_TICKS = 4;

/**
 * Ticks of the time axis: evenly spaced over [tMin, tMax], labelled with seconds when the range is
 * short (all backups in the same minute) and never the same label twice; one tick when all points
 * are at the same time.
 */
export function timeTicks(tMin: number, tMax: number, count = X_TICKS): Array<{ t: number; label: string }> {
  const range = tMax - tMin;
  if (range <= 0) {
    return [{ t: tMin, label: formatAxisTime(tMin, 0) }];
  }
  const ticks: Array<{ t: number; label: string }> = [];
  for (let i = 0; i < count; i++) {
    const t = tMin + (range * i) / (count - 1);
    const label = formatAxisTime(t, range);
    if (!ticks.some((x) => x.label === label)) {
      ticks.push({ t, label });
    }
  }
  return ticks;
}

/** "2026-11-27 11:55:29 – 11:55:58": the time span the chart covers, the date once when it is one day. */
export function timeSpan(tMin: number, tMax: number): string {
  const from = formatTime(new Date(tMin).toISOString(), true);
  if (tMin === tMax) {
    return from;
  }
  const to = formatTime(new Date(tMax).toISOString(), true);
  return from.slice(0, 10) === to.slice(0, 10) ? `${from} – ${to.slice(11)}` : `${from} – ${to}`;
}

/**
 * A small, dependency-free SVG line chart: one line per series, time on x, value on y from zero.
 * Hovering a point shows its series, time and value (SVG <title>); the legend gives each series'
 * latest value, so a series of one point reads as well as a line.
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
  const x = (t: number) =>
    PAD.left + (tMax === tMin ? plotW / 2 : (EDGE + ((t - tMin) / (tMax - tMin)) * (1 - 2 * EDGE)) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / vMax) * plotH;
  const palette = theme.visualization.palette;
  const color = (i: number) => theme.visualization.getColorByName(palette[i % palette.length]);
  const gridColor = theme.colors.border.weak;
  const textColor = theme.colors.text.secondary;
  const ticks = timeTicks(tMin, tMax);
  const span = timeSpan(tMin, tMax);

  return (
    <figure className={styles.figure}>
      <figcaption className={styles.caption}>
        {title}
        <span className={styles.span}>{span}</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={title} className={styles.svg}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(vMax * f)} y2={y(vMax * f)} stroke={gridColor} />
            <text x={PAD.left - 6} y={y(vMax * f) + 4} textAnchor="end" fontSize={11} fill={textColor}>
              {formatValue(vMax * f)}
            </text>
          </g>
        ))}
        {ticks.map((tick, i) => (
          <g key={tick.t} data-testid="x-tick">
            <line x1={x(tick.t)} x2={x(tick.t)} y1={PAD.top + plotH} y2={PAD.top + plotH + 4} stroke={gridColor} />
            <text
              x={x(tick.t)}
              y={height - 6}
              fontSize={11}
              fill={textColor}
              textAnchor={
                ticks.length > 1 && i === 0 ? 'start' : ticks.length > 1 && i === ticks.length - 1 ? 'end' : 'middle'
              }
            >
              {tick.label}
            </text>
          </g>
        ))}
        {series.map((s, i) => (
          <g key={s.name} data-testid={`series-${s.name}`}>
            {s.points.length > 1 && (
              <polyline
                fill="none"
                stroke={color(i)}
                strokeWidth={2}
                strokeLinejoin="round"
                points={s.points.map((p) => `${x(p.t)},${y(p.v)}`).join(' ')}
              />
            )}
            {s.points.map((p) => (
              <g key={p.t} className={styles.point}>
                <circle
                  cx={x(p.t)}
                  cy={y(p.v)}
                  r={5}
                  fill={color(i)}
                  stroke={theme.colors.background.primary}
                  strokeWidth={1.5}
                />
                {/* A larger, invisible target, so that the tooltip is easy to reach. */}
                <circle cx={x(p.t)} cy={y(p.v)} r={10} fill="transparent">
                  <title>{`${s.name}, ${formatTime(new Date(p.t).toISOString(), true)}: ${formatValue(p.v)}`}</title>
                </circle>
              </g>
            ))}
          </g>
        ))}
      </svg>
      <ul className={styles.legend} aria-label={`${title}: legend`}>
        {series.map((s, i) => {
          const last = s.points[s.points.length - 1];
          return (
            <li
              key={s.name}
              title={`${s.name}: ${s.points.length} backup${s.points.length === 1 ? '' : 's'}, latest ${formatValue(last.v)}`}
            >
              <span className={styles.swatch} style={{ background: color(i) }} />
              {s.name}
              <span className={styles.latest}>{formatValue(last.v)}</span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  figure: css({ margin: 0, flex: '1 1 420px', minWidth: 0 }),
  caption: css({
    ...theme.typography.h5,
    marginBottom: theme.spacing(1),
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'baseline',
    columnGap: theme.spacing(1),
  }),
  span: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightRegular,
  }),
  svg: css({ width: '100%', height: 'auto', display: 'block', overflow: 'visible' }),
  point: css({
    cursor: 'default',
    '&:hover circle:first-of-type': { r: 7 },
  }),
  legend: css({
    listStyle: 'none',
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5, 2),
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
  latest: css({
    color: theme.colors.text.secondary,
    marginLeft: theme.spacing(0.5),
    fontVariantNumeric: 'tabular-nums',
  }),
});
