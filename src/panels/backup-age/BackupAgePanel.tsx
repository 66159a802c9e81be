import React from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2, PanelProps, locationUtil } from '@grafana/data';
import { LoadingPlaceholder, Tooltip, useStyles2, useTheme2 } from '@grafana/ui';
import { describeError } from '../../api/errors';
import type { SlaLevel, TargetStatus } from '../../api/types';
import { useStatus } from '../../data/useStatus';
import { formatAge, formatDuration, LEVEL_COLOR } from '../../utils/format';
import { targetUrl } from '../../utils/routing';
import type { BackupAgeOptions } from './types';

/** How far into its RPO the last good backup is (0..1+), or null without an RPO or a backup. */
export function rpoFraction(t: TargetStatus): number | null {
  if (t.policy.rpoSeconds === null || t.ageSeconds === null || t.policy.rpoSeconds <= 0) {
    return null;
  }
  return t.ageSeconds / t.policy.rpoSeconds;
}

/** Beside the age: the RPO, or where the SLA sets none, whether the current version is held. */
export function rpoText(t: Pick<TargetStatus, 'policy' | 'versionsHeld'>): string {
  if (t.policy.rpoSeconds === null) {
    return t.versionsHeld > 0 ? 'no RPO — current version held' : 'no RPO — no version held';
  }
  return `RPO ${formatDuration(t.policy.rpoSeconds)}`;
}

export function selectTargets(all: TargetStatus[], wanted: string[] | undefined): TargetStatus[] {
  if (!wanted || wanted.length === 0) {
    return all;
  }
  return all.filter((t) => wanted.includes(t.name));
}

/**
 * The age of each target's last good backup against its RPO, coloured by the service's own
 * freshness check (ok green, warning orange, critical red, unknown grey). Needs no query: it reads
 * GET api/status through the Backup SLA app's proxy.
 */
export function BackupAgePanel({ options, width, height }: PanelProps<BackupAgeOptions>) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const status = useStatus(60_000);
  const colorOf = (level: SlaLevel) =>
    theme.visualization.getColorByName(LEVEL_COLOR[level] === 'darkgrey' ? 'gray' : LEVEL_COLOR[level]);

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
  const targets = selectTargets(status.data?.targets ?? [], options.targets);
  if (targets.length === 0) {
    return (
      <div className={styles.message}>
        {options.targets?.length
          ? 'None of the chosen targets exists in the service.'
          : 'The service has no targets yet.'}
      </div>
    );
  }
  const covered = options.showCovered ? (status.data?.covered ?? []) : [];

  return (
    <div className={styles.container} style={{ width, height }}>
      <ul className={styles.list}>
        {targets.map((t) => {
          const level = t.checks.fresh.level;
          const fraction = rpoFraction(t);
          return (
            <li key={t.name} className={styles.row} data-testid={`backup-age-${t.name}`} data-level={level}>
              <Tooltip content={t.checks.fresh.reason || t.reasons.join('; ') || 'within its SLA'}>
                <a className={styles.link} href={locationUtil.assureBaseUrl(targetUrl(t.name))}>
                  <span className={styles.dot} style={{ background: colorOf(level) }} aria-hidden />
                  <span className={styles.name}>{t.name}</span>
                  <span className={styles.age} style={{ color: colorOf(level) }}>
                    {formatAge(t.ageSeconds)}
                  </span>
                  <span className={styles.rpo}>{rpoText(t)}</span>
                </a>
              </Tooltip>
              {fraction !== null && (
                <div className={styles.bar} aria-hidden>
                  <div style={{ width: `${Math.min(100, fraction * 100)}%`, background: colorOf(level) }} />
                </div>
              )}
            </li>
          );
        })}
        {covered.map((c) => (
          <li key={c.name} className={styles.row} data-testid={`backup-age-${c.name}`} data-level={c.level}>
            <a className={styles.link} href={locationUtil.assureBaseUrl(targetUrl(c.coveredBy))}>
              <span className={styles.dot} style={{ background: colorOf(c.level) }} aria-hidden />
              <span className={styles.name}>{c.name}</span>
              <span className={cx(styles.rpo, styles.coveredNote)}>covered by {c.coveredBy}</span>
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ overflow: 'auto' }),
  // One grid for the whole list (rows and links are subgrids), so that ages and RPOs line up.
  list: css({
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'grid',
    gridTemplateColumns: 'auto minmax(6em, 1fr) auto auto',
    columnGap: theme.spacing(1),
  }),
  row: css({
    gridColumn: '1 / -1',
    display: 'grid',
    gridTemplateColumns: 'subgrid',
    padding: theme.spacing(0.5, 0),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  link: css({
    gridColumn: '1 / -1',
    display: 'grid',
    gridTemplateColumns: 'subgrid',
    alignItems: 'center',
    color: theme.colors.text.primary,
    '&:hover': { background: theme.colors.action.hover },
  }),
  dot: css({ width: 10, height: 10, borderRadius: '50%', display: 'inline-block' }),
  name: css({ fontWeight: theme.typography.fontWeightMedium }),
  age: css({ fontVariantNumeric: 'tabular-nums', fontWeight: theme.typography.fontWeightBold, textAlign: 'right' }),
  rpo: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  coveredNote: css({ gridColumn: '3 / -1' }),
  bar: css({
    gridColumn: '1 / -1',
    height: 3,
    marginTop: 2,
    background: theme.colors.background.secondary,
    div: { height: '100%' },
  }),
  message: css({ padding: theme.spacing(1), color: theme.colors.text.secondary }),
});
