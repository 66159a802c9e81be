import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Stack, Text, useStyles2 } from '@grafana/ui';
import type { PitrStatus } from '../../api/types';
import { PitrBar } from '../../components/PitrBar';
import { factListStyle } from './PolicyDetails';
import { RestoreAction } from '../../components/RestoreAction';
import { formatBytes, formatCount } from '../../utils/format';
import { GAP_KIND_TEXT, archiverText, formatPoint, sentence, spanText } from '../../utils/pitr';

interface Props {
  pitr: PitrStatus;
  canRestore: boolean;
  /** Opens the restore dialog on "A point in time"; absent while no snapshot is known. */
  onRestore?: () => void;
}

/**
 * Point-in-time recovery of a target that archives its binary log (issue 13): the recoverable
 * window in the user's time zone, the archiver and its lag in words, the archive's size and the
 * window as a bar with its gaps. What breaks recovery (a stalled archive, a gap) comes first, as
 * a warning whose title is the sentence a person reads.
 */
export function PitrSection({ pitr, canRestore, onRestore }: Props) {
  const styles = useStyles2(getStyles);
  const recoverable = pitr.windowStart !== null && pitr.windowEnd !== null;
  const rows: Array<[string, React.ReactNode]> = [
    [
      'Recoverable',
      recoverable
        ? `${formatPoint(pitr.windowStart!)} – ${formatPoint(pitr.windowEnd!)}${
            pitr.gaps.length ? `, interrupted by ${formatCount(pitr.gaps.length, 'gaps')}` : ', without a gap'
          }`
        : 'nothing yet: no backup with a known log position is followed by archived log',
    ],
    [
      'Archiver',
      <>
        {archiverText(pitr)}
        {pitr.archiverDetail && pitr.archiver !== 'following' && `: ${pitr.archiverDetail}`}
        {pitr.archiverRestarts > 0 && `; started again ${formatCount(pitr.archiverRestarts, 'times')}`}
      </>,
    ],
    ['Archive', `${formatCount(pitr.files, 'log files')}, ${formatBytes(pitr.bytes)}`],
  ];
  return (
    <section aria-label="Point-in-time recovery">
      <Stack direction="column" gap={1.5}>
        <Stack justifyContent="space-between" alignItems="center" wrap="wrap">
          <Text element="h3">Point-in-time recovery</Text>
          {recoverable && onRestore && (
            <RestoreAction canRestore={canRestore} onClick={onRestore}>
              Restore to a point in time…
            </RestoreAction>
          )}
        </Stack>
        {pitr.stalled && (
          <Alert severity="warning" title="The binary log archive has stopped: recent changes cannot be recovered">
            {sentence(pitr.stalled)}
          </Alert>
        )}
        {pitr.gaps.length > 0 && (
          <Alert
            severity="warning"
            title={`The recoverable window is interrupted by ${formatCount(pitr.gaps.length, 'gaps')}: no restore can reach a time in it`}
          >
            <ul className={styles.gaps} aria-label="Gaps">
              {pitr.gaps.map((g) => (
                <li key={g.start}>
                  {`${spanText(g.start, g.end, true)}: ${GAP_KIND_TEXT[g.kind]}. `}
                  <Text color="secondary">{sentence(g.reason)}</Text>
                </li>
              ))}
            </ul>
          </Alert>
        )}
        <dl className={styles.list} aria-label="Point-in-time recovery">
          {rows.map(([term, value]) => (
            <React.Fragment key={term}>
              <dt>{term}</dt>
              <dd>{value}</dd>
            </React.Fragment>
          ))}
        </dl>
        <PitrBar pitr={pitr} />
      </Stack>
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  list: factListStyle(theme),
  gaps: css({ margin: 0, paddingLeft: theme.spacing(2) }),
});
