import React, { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { InteractiveTable, Stack, Text, useStyles2 } from '@grafana/ui';
import type { CoveredService, TargetStatus } from '../../api/types';
import { CheckText } from '../../components/CheckText';
import { SlaBadge } from '../../components/SlaBadge';
import { Reasons } from '../../components/Reasons';
import { TargetActions } from '../../components/TargetActions';
import { NoWrap, TimeText } from '../../components/TimeText';
import type { TableColumn } from '../../components/tableColumn';
import { formatAge, formatDuration, formatRelative } from '../../utils/format';
import { coveredLevel, displayLevel } from '../../utils/levels';
import { targetUrl } from '../../utils/routing';

/** Where the SLA sets no RPO, what counts is that the current version is held. */
export function noRpoText(t: Pick<TargetStatus, 'versionsHeld'>): string {
  return t.versionsHeld > 0 ? 'no RPO — current version held' : 'no RPO — no version held';
}

/** "31 h ago / RPO 24 h", or "2 h ago / no RPO — current version held" where the SLA sets no RPO. */
export function freshnessText(t: TargetStatus): string {
  const rpo = t.policy.rpoSeconds === null ? noRpoText(t) : `RPO ${formatDuration(t.policy.rpoSeconds)}`;
  return `${formatAge(t.ageSeconds)} / ${rpo}`;
}

/** "2 held / 2 required", or "none required" where the SLA asks for no extra copies. */
export function copiesText(t: Pick<TargetStatus, 'copiesHeld' | 'copiesRequired'>): string {
  return t.copiesRequired === 0 ? 'none required' : `${t.copiesHeld} held / ${t.copiesRequired} required`;
}

export function verificationText(t: TargetStatus): string {
  const v = t.lastVerification;
  if (!v) {
    return 'never verified';
  }
  const ago = formatRelative(v.at);
  return v.success ? `passed ${ago}` : `failed ${ago}`;
}

interface Props {
  targets: TargetStatus[];
  covered: CoveredService[];
  onChanged: () => void;
}

export function TargetsTable({ targets, covered, onChanged }: Props) {
  const styles = useStyles2(getStyles);
  const columns = useMemo<Array<TableColumn<TargetStatus>>>(
    () => [
      {
        id: 'name',
        header: 'Target',
        cell: ({ row: { original: t } }) => (
          <Stack direction="column" gap={0}>
            <Link to={targetUrl(t.name)} className={styles.name}>
              {t.name}
            </Link>
            <Text variant="bodySmall" color="secondary">
              {t.kind}
            </Text>
          </Stack>
        ),
      },
      {
        id: 'level',
        header: 'State',
        cell: ({ row: { original: t } }) => (
          <div className={t.reasons.length > 0 ? styles.state : undefined}>
            <Stack direction="column" gap={0.5} alignItems="flex-start">
              <SlaBadge level={displayLevel(t)} reasons={t.reasons} />
              <Reasons target={t} small />
            </Stack>
          </div>
        ),
      },
      {
        id: 'ageSeconds',
        header: 'Last good backup',
        cell: ({ row: { original: t } }) => <CheckText check={t.checks.fresh}>{freshnessText(t)}</CheckText>,
      },
      {
        id: 'versionsHeld',
        header: 'Versions',
        cell: ({ row: { original: t } }) => (
          <Stack direction="column" gap={0}>
            <CheckText check={t.checks.versions}>
              <NoWrap>{`${t.versionsHeld} held / ${t.versionsRequired} required`}</NoWrap>
            </CheckText>
            {/* The service counts a new target still collecting its versions as ok: say why. */}
            {t.checks.versions.level === 'ok' && t.versionsHeld > 0 && t.versionsHeld < t.versionsRequired && (
              <Text variant="bodySmall" color="secondary">
                building up
              </Text>
            )}
          </Stack>
        ),
      },
      {
        id: 'lastVerification',
        header: 'Last verification',
        cell: ({ row: { original: t } }) => (
          <CheckText check={t.checks.verified}>
            <NoWrap>{verificationText(t)}</NoWrap>
          </CheckText>
        ),
      },
      {
        id: 'copiesHeld',
        header: 'Copies',
        cell: ({ row: { original: t } }) => (
          <CheckText check={t.checks.copies}>
            <NoWrap>{copiesText(t)}</NoWrap>
          </CheckText>
        ),
      },
      {
        id: 'nextRunAt',
        header: 'Next run',
        cell: ({ row: { original: t } }) =>
          t.nextRunAt ? (
            <TimeText iso={t.nextRunAt}>{formatRelative(t.nextRunAt)}</TimeText>
          ) : (
            <NoWrap>not scheduled</NoWrap>
          ),
      },
      {
        id: 'actions',
        header: '',
        cell: ({ row: { original: t } }) => <TargetActions target={t} onFinished={onChanged} />,
      },
    ],
    [styles, onChanged]
  );

  const coveredColumns = useMemo<Array<TableColumn<CoveredService>>>(
    () => [
      { id: 'name', header: 'Service' },
      {
        id: 'level',
        header: 'State',
        cell: ({ row: { original: c } }) => (
          <SlaBadge level={coveredLevel(c, targets)} reasons={targets.find((t) => t.name === c.coveredBy)?.reasons} />
        ),
      },
      {
        id: 'coveredBy',
        header: 'Backup',
        cell: ({ row: { original: c } }) => (
          <span>
            covered by <Link to={targetUrl(c.coveredBy)}>{c.coveredBy}</Link>
          </span>
        ),
      },
      { id: 'note', header: 'Why' },
    ],
    [targets]
  );

  return (
    <Stack direction="column" gap={3}>
      <InteractiveTable columns={columns} data={targets} getRowId={(t: TargetStatus) => t.name} />
      {covered.length > 0 && (
        <section aria-label="Services covered by another target">
          <Text element="h3">Covered by another target</Text>
          <InteractiveTable columns={coveredColumns} data={covered} getRowId={(c: CoveredService) => c.name} />
        </section>
      )}
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  name: css({ fontWeight: theme.typography.fontWeightMedium, color: theme.colors.text.link }),
  // Room for a reason on one or two lines, rather than a narrow column of three.
  state: css({ minWidth: 220 }),
});
