import React, { useEffect, useMemo, useRef } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2, PanelProps, locationUtil } from '@grafana/data';
import { LoadingPlaceholder, Tooltip, useStyles2, useTheme2 } from '@grafana/ui';
import { describeError } from '../../api/errors';
import type { SlaLevel, StatusResponse, TargetStatus } from '../../api/types';
import { useStatus } from '../../data/useStatus';
import { formatAge, LEVEL_COLOR, LEVEL_TEXT } from '../../utils/format';
import { addressOf, labOf, matchesAddress, refKey } from '../../utils/lab';
import {
  compareWorstFirst,
  countLevels,
  coveredLevel,
  coveringTarget,
  displayLevel,
  LEVEL_RANK,
} from '../../utils/levels';
import { prefixRoute, targetUrl } from '../../utils/routing';
import { rpoText } from '../../utils/targetText';
import { ROUTES } from '../../constants';
import { capacity, fit, resolveMode, restText } from './layout';
import { BackupAgeOptions, ColourBy, DEFAULT_OPTIONS, SortBy } from './types';

export { rpoText };

/** How far into its RPO the last good backup is (0..1+), or null without an RPO or a backup. */
export function rpoFraction(t: TargetStatus): number | null {
  if (t.policy.rpoSeconds === null || t.ageSeconds === null || t.policy.rpoSeconds <= 0) {
    return null;
  }
  return t.ageSeconds / t.policy.rpoSeconds;
}

/** The chosen targets (by address; a bare name is the asked instance's) of the chosen instances. */
export function selectTargets(
  all: TargetStatus[],
  wanted: string[] | undefined,
  self: string | null,
  instances: string[] = []
): TargetStatus[] {
  return all.filter(
    (t) =>
      (instances.length === 0 || instances.includes(t.instance)) &&
      (!wanted?.length || wanted.some((w) => matchesAddress(t, w, self)))
  );
}

/** One line of the panel: a target or a covered service, with the level it is coloured by. */
export interface Entry {
  /** Unique in the panel: the target's `<instance>/<name>`, or the covered service's. */
  key: string;
  /** As shown: the name, or `<instance>/<name>` when the panel shows several instances. */
  name: string;
  level: SlaLevel;
  /** Why, in words (the tooltip). */
  why: string;
  href: string;
  target?: TargetStatus;
  coveredBy?: string;
}

/** The panel's entries, coloured as chosen and sorted (worst first by default, as the app). */
export function entries(status: StatusResponse, options: BackupAgeOptions): Entry[] {
  const colourBy: ColourBy = options.colourBy ?? DEFAULT_OPTIONS.colourBy;
  const sortBy: SortBy = options.sortBy ?? DEFAULT_OPTIONS.sortBy;
  const { self } = labOf(status);
  let targets = selectTargets(status.targets, options.targets, self, options.instances);
  const covered = options.showCovered
    ? status.covered.filter((c) => !options.instances?.length || options.instances.includes(c.instance))
    : [];
  // Where it matters, a line names its machine: when what is shown spans several instances.
  const several = new Set([...targets.map((t) => t.instance), ...covered.map((c) => c.instance)]).size > 1;
  const label = (ref: { instance: string; name: string }) => (several ? refKey(ref) : ref.name);
  if (sortBy === 'worst') {
    targets =
      colourBy === 'overall'
        ? [...targets].sort(compareWorstFirst)
        : [...targets].sort(
            (a, b) => LEVEL_RANK[b.checks.fresh.level] - LEVEL_RANK[a.checks.fresh.level] || compareWorstFirst(a, b)
          );
  } else if (sortBy === 'name') {
    targets = [...targets].sort((a, b) => a.name.localeCompare(b.name));
  } else {
    targets = [...targets].sort((a, b) => (b.ageSeconds ?? Infinity) - (a.ageSeconds ?? Infinity));
  }
  const out: Entry[] = targets.map((t) => {
    const level = colourBy === 'overall' ? displayLevel(t) : t.checks.fresh.level;
    const why =
      colourBy === 'overall' ? t.reasons.join('; ') || 'within its SLA' : t.checks.fresh.reason || 'within its RPO';
    return { key: refKey(t), name: label(t), level, why, href: targetUrl(addressOf(t, self)), target: t };
  });
  for (const c of covered) {
    const by = coveringTarget(c, status.targets);
    const coveredBy = label({ instance: c.instance, name: c.coveredBy });
    out.push({
      key: `covered:${c.instance}/${c.name}`,
      name: label(c),
      level: coveredLevel(c, status.targets),
      why: `covered by ${coveredBy}${by && by.reasons.length ? `: ${by.reasons[0]}` : ''}`,
      href: targetUrl(addressOf({ instance: c.instance, name: c.coveredBy }, self)),
      coveredBy,
    });
  }
  return out;
}

/**
 * The age of each target's last good backup against its RPO, coloured like the app (the target's
 * SLA state, or freshness only), worst first, in the room the panel has. Needs no query: it reads
 * GET api/status through the Backup SLA app's proxy, again whenever the dashboard refreshes.
 */
export function BackupAgePanel({ options: raw, width, height, timeRange }: PanelProps<BackupAgeOptions>) {
  const options = useMemo(() => ({ ...DEFAULT_OPTIONS, ...raw }), [raw]);
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const status = useStatus(0);
  const colorOf = (level: SlaLevel) =>
    theme.visualization.getColorByName(LEVEL_COLOR[level] === 'darkgrey' ? 'gray' : LEVEL_COLOR[level]);

  // A dashboard refresh gives the panel a new time range: that is when the state is read again.
  const { reload } = status;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    reload();
  }, [timeRange, reload]);

  const all = useMemo(() => (status.data ? entries(status.data, options) : []), [status.data, options]);

  if (status.loading) {
    return <LoadingPlaceholder text="Loading backup state…" />;
  }
  if (status.error && !status.data) {
    const { title, text } = describeError(status.error);
    return (
      <div className={styles.message} role="alert">
        <strong>{title}</strong>
        <p>{text}</p>
      </div>
    );
  }
  if (all.length === 0) {
    return (
      <div className={styles.message}>
        {options.targets?.length
          ? 'None of the chosen targets exists in the service.'
          : 'The service has no targets yet.'}
      </div>
    );
  }

  const mode = resolveMode(options.displayMode, width, height);
  const overview = locationUtil.assureBaseUrl(prefixRoute(ROUTES.Overview));
  if (mode === 'summary') {
    const counts = countLevels(all.map((e) => e.level));
    const worst = all[0];
    return (
      <a
        className={styles.summary}
        href={overview}
        data-testid="backup-age-summary"
        style={{ width, height, fontSize: height < 40 ? theme.typography.body.fontSize : theme.typography.h4.fontSize }}
      >
        {(['critical', 'warning', 'unknown', 'ok'] as SlaLevel[])
          .filter((l) => counts[l] > 0)
          .map((l) => (
            <span key={l} className={styles.count} style={{ color: colorOf(l) }} data-level={l}>
              {`${counts[l]} ${l === 'ok' ? 'OK' : l}`}
            </span>
          ))}
        {worst.level !== 'ok' && <span className={styles.rpo}>{`worst: ${worst.name}`}</span>}
      </a>
    );
  }

  const { shown, rest } = fit(all, capacity(mode, width, height), (e) => e.level);
  const more = rest.length > 0 && (
    <li className={cx(styles.row, styles.more)} data-testid="backup-age-more">
      <a className={styles.link} href={overview} title="Open the Backup SLA overview">
        <span />
        <span className={styles.rpo}>{restText(rest)}</span>
      </a>
    </li>
  );

  if (mode === 'compact') {
    return (
      <div className={styles.container} style={{ width, height }}>
        <ul className={styles.chips}>
          {shown.map((e) => (
            <li key={e.key} data-testid={`backup-age-${e.name}`} data-level={e.level}>
              <Tooltip content={e.why}>
                <a className={styles.chip} href={locationUtil.assureBaseUrl(e.href)}>
                  <span className={styles.dot} style={{ background: colorOf(e.level) }} aria-hidden />
                  <span className={styles.name}>{e.name}</span>
                  <span className={styles.age} style={{ color: colorOf(e.level) }}>
                    {e.target ? formatAge(e.target.ageSeconds) : `via ${e.coveredBy}`}
                  </span>
                </a>
              </Tooltip>
            </li>
          ))}
          {rest.length > 0 && (
            <li data-testid="backup-age-more">
              <a className={styles.chip} href={overview}>
                {restText(rest)}
              </a>
            </li>
          )}
        </ul>
      </div>
    );
  }

  return (
    <div className={styles.container} style={{ width, height }}>
      <ul className={styles.list}>
        {shown.map((e) => {
          const t = e.target;
          const fraction = t ? rpoFraction(t) : null;
          return (
            <li key={e.key} className={styles.row} data-testid={`backup-age-${e.name}`} data-level={e.level}>
              <Tooltip content={`${LEVEL_TEXT[e.level]}: ${e.why}`}>
                <a className={styles.link} href={locationUtil.assureBaseUrl(e.href)}>
                  <span className={styles.dot} style={{ background: colorOf(e.level) }} aria-hidden />
                  <span className={styles.name}>{e.name}</span>
                  {t ? (
                    <>
                      <span className={styles.age} style={{ color: colorOf(e.level) }}>
                        {formatAge(t.ageSeconds)}
                      </span>
                      <span className={styles.rpo}>{rpoText(t)}</span>
                    </>
                  ) : (
                    <span className={cx(styles.rpo, styles.coveredNote)}>covered by {e.coveredBy}</span>
                  )}
                </a>
              </Tooltip>
              {fraction !== null && (
                <div className={styles.bar} aria-hidden>
                  <div style={{ width: `${Math.min(100, fraction * 100)}%`, background: colorOf(e.level) }} />
                </div>
              )}
            </li>
          );
        })}
        {more}
      </ul>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ overflow: 'hidden' }),
  // One grid for the whole list (rows and links are subgrids), so that ages and RPOs line up.
  list: css({
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'grid',
    gridTemplateColumns: 'auto minmax(4em, 1fr) auto auto',
    columnGap: theme.spacing(1),
  }),
  row: css({
    gridColumn: '1 / -1',
    display: 'grid',
    gridTemplateColumns: 'subgrid',
    alignContent: 'center',
    position: 'relative',
    height: 30,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  more: css({ borderBottom: 'none' }),
  link: css({
    gridColumn: '1 / -1',
    display: 'grid',
    gridTemplateColumns: 'subgrid',
    alignItems: 'center',
    color: theme.colors.text.primary,
    '&:hover': { background: theme.colors.action.hover },
  }),
  dot: css({ width: 10, height: 10, borderRadius: '50%', display: 'inline-block', flexShrink: 0 }),
  name: css({
    fontWeight: theme.typography.fontWeightMedium,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  age: css({
    fontVariantNumeric: 'tabular-nums',
    fontWeight: theme.typography.fontWeightBold,
    textAlign: 'right',
    whiteSpace: 'nowrap',
  }),
  rpo: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize, whiteSpace: 'nowrap' }),
  coveredNote: css({ gridColumn: '3 / -1' }),
  // How far into its RPO: a thin line along the row's bottom edge, so every row has the same height.
  bar: css({
    position: 'absolute',
    left: 0,
    right: 0,
    bottom: 0,
    height: 2,
    background: theme.colors.background.secondary,
    div: { height: '100%' },
  }),
  chips: css({
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(140px, 1fr))',
    gap: theme.spacing(0.5),
  }),
  chip: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.75),
    height: 24,
    padding: theme.spacing(0, 1),
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.secondary,
    color: theme.colors.text.primary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
  }),
  summary: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'center',
    columnGap: theme.spacing(2),
    color: theme.colors.text.primary,
    overflow: 'hidden',
    lineHeight: 1.2,
  }),
  count: css({
    fontWeight: theme.typography.fontWeightBold,
    whiteSpace: 'nowrap',
  }),
  message: css({ padding: theme.spacing(1), color: theme.colors.text.secondary }),
});
