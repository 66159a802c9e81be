import React, { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { InteractiveTable, Stack, Text, useStyles2 } from '@grafana/ui';
import type { CoveredService, TargetStatus } from '../../api/types';
import { CheckText } from '../../components/CheckText';
import { SlaBadge } from '../../components/SlaBadge';
import { TargetActions } from '../../components/TargetActions';
import type { TableColumn } from '../../components/tableColumn';
import { formatAge, formatDuration, formatRelative } from '../../utils/format';
import { targetUrl } from '../../utils/routing';

/** "31 h ago / RPO 24 h", or against the current version where the SLA sets no RPO. */
export function freshnessText(t: TargetStatus): string {
  const rpo =
    t.policy.rpoSeconds === null
      ? 'no RPO, current version must be held'
      : `RPO ${formatDuration(t.policy.rpoSeconds)}`;
  return `${formatAge(t.ageSeconds)} / ${rpo}`;
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
          <Stack direction="column" gap={0.5} alignItems="flex-start">
            <SlaBadge level={t.level} reasons={t.reasons} />
            {t.reasons.length > 0 && (
              <ul className={styles.reasons}>
                {t.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            )}
          </Stack>
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
          <CheckText check={t.checks.versions}>{`${t.versionsHeld} held / ${t.versionsRequired} required`}</CheckText>
        ),
      },
      {
        id: 'lastVerification',
        header: 'Last verification',
        cell: ({ row: { original: t } }) => <CheckText check={t.checks.verified}>{verificationText(t)}</CheckText>,
      },
      {
        id: 'copiesHeld',
        header: 'Copies',
        cell: ({ row: { original: t } }) => (
          <CheckText check={t.checks.copies}>{`${t.copiesHeld} held / ${t.copiesRequired} required`}</CheckText>
        ),
      },
      {
        id: 'nextRunAt',
        header: 'Next run',
        cell: ({ row: { original: t } }) => <span>{t.nextRunAt ? formatRelative(t.nextRunAt) : 'not scheduled'}</span>,
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
        cell: ({ row: { original: c } }) => <SlaBadge level={c.level} />,
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
    []
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
  reasons: css({
    margin: 0,
    paddingLeft: theme.spacing(2),
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
});
