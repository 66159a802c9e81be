import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { TargetStatus } from '../../api/types';
import { CheckText } from '../../components/CheckText';
import { describeRetention, describeSchedule, formatAge, formatDuration, formatRelative } from '../../utils/format';
import { verificationShort, versionsLong } from '../../utils/targetText';

/** The target's SLA entry in words, each line with where the target stands against it. */
export function PolicyDetails({ target: t }: { target: TargetStatus }) {
  const styles = useStyles2(getStyles);
  const p = t.policy;
  const v = t.lastVerification;
  const safety = `safety backups taken before restores are kept apart for ${formatDuration(p.safetyRetentionSeconds)}`;
  const rows: Array<[string, React.ReactNode]> = [
    ['What is captured', p.coverage],
    [
      'Schedule',
      <>
        {describeSchedule(p.schedule)}
        {t.nextRunAt && `; next run ${formatRelative(t.nextRunAt)}`}
      </>,
    ],
    [
      'RPO',
      <>
        {p.rpoSeconds === null
          ? 'none set: the current version must always be held'
          : `at most ${formatDuration(p.rpoSeconds)} of changes may be lost`}
        {' — '}
        <CheckText check={t.checks.fresh}>last good backup {formatAge(t.ageSeconds)}</CheckText>
      </>,
    ],
    [
      'Versions kept',
      <>
        {p.retentionText || describeRetention(p.retention)}
        {`; ${safety}`}
        {' — '}
        <CheckText check={t.checks.versions}>{versionsLong(t)}</CheckText>
      </>,
    ],
    [
      'Usability check',
      <>
        {p.usability}
        {p.verifySchedule ? `; runs ${describeSchedule(p.verifySchedule)}` : '; runs after every backup'}
        {' — '}
        <CheckText check={t.checks.verified}>{v ? `last ${verificationShort(t)}` : 'never run yet'}</CheckText>
      </>,
    ],
    [
      'RTO',
      <>
        restore within {formatDuration(p.rtoSeconds)}
        {' — '}
        <CheckText check={t.checks.recovery}>
          {t.recoverySeconds === null
            ? 'no restore measured yet'
            : `last measured ${formatDuration(t.recoverySeconds)}`}
        </CheckText>
      </>,
    ],
    [
      'Copies',
      <>
        kept in {p.repository}
        {p.copies.length > 0 ? ` and copied to ${p.copies.join(', ')}` : ', no extra copies required'}
        {t.copiesRequired > 0 && (
          <>
            {' — '}
            <CheckText check={t.checks.copies}>
              {t.copiesHeld} of {t.copiesRequired} copies hold the latest snapshot
            </CheckText>
          </>
        )}
      </>,
    ],
  ];
  return (
    <dl className={styles.list} aria-label="Policy">
      {rows.map(([term, value]) => (
        <React.Fragment key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

/** A definition list of facts: the name in a column of its own, the value beside it (also PitrSection). */
export const factListStyle = (theme: GrafanaTheme2) =>
  css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(3),
    rowGap: theme.spacing(1),
    margin: 0,
    dt: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
    dd: { margin: 0 },
  });

const getStyles = (theme: GrafanaTheme2) => ({
  list: factListStyle(theme),
});
