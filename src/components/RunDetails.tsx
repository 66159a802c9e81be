import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Stack, Text, useStyles2 } from '@grafana/ui';
import type { Run } from '../api/types';
import { formatCount } from '../utils/format';
import { RunPhases } from './RunProgress';

const CHANGE_KIND = {
  unapplied: 'A newer version of the code than what was last applied: not applied yet, nothing drifted.',
  drift: 'Drift: the live infrastructure moved away from the code.',
} as const;

/** Everything a run recorded, for its expanded row: error, verification and its changes, restore outcome, phases. */
export function RunDetails({ run }: { run: Run }) {
  const styles = useStyles2(getStyles);
  const v = run.verification;
  const r = run.restore;
  return (
    <Stack direction="column" gap={1.5}>
      {run.error && <pre className={styles.pre}>{run.error}</pre>}
      {v && (
        <div>
          <Text weight="medium">{v.outcome === 'unknown' ? 'Could not verify: ' : 'Verification: '}</Text>
          {v.detail}
        </div>
      )}
      {v?.changes && v.changes.length > 0 && (
        <div aria-label="Changes check mode would make">
          {v.changeKind && (
            <Text element="p" color={v.changeKind === 'drift' ? 'warning' : 'secondary'}>
              {CHANGE_KIND[v.changeKind]}
            </Text>
          )}
          <table className={styles.changes}>
            <thead>
              <tr>
                <th>Host</th>
                <th>Task</th>
                <th>Diff</th>
              </tr>
            </thead>
            <tbody>
              {v.changes.map((c, i) => (
                <tr key={`${c.host}-${c.task}-${i}`}>
                  <td>{c.host}</td>
                  <td>{c.task}</td>
                  <td>
                    {c.diff ? <pre className={styles.pre}>{c.diff}</pre> : <Text color="secondary">no diff</Text>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r && (
        <Stack direction="column" gap={0.5}>
          <div>
            <Text weight="medium">Restored to: </Text>
            {r.location}
            {Object.keys(r.counts).length > 0 &&
              ` (${Object.entries(r.counts)
                .map(([unit, n]) => formatCount(n, unit))
                .join(', ')})`}
          </div>
          {r.movedAside.length > 0 && (
            <div>
              <Text weight="medium">Moved aside and kept: </Text>
              {r.movedAside.join(', ')}
            </div>
          )}
          {r.next.length > 0 && (
            <div>
              <Text weight="medium">Next: </Text>
              {r.next.join('; ')}
            </div>
          )}
        </Stack>
      )}
      <RunPhases run={run} />
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  pre: css({
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-word',
    margin: 0,
    padding: theme.spacing(1),
    fontSize: theme.typography.bodySmall.fontSize,
    maxHeight: 300,
    overflow: 'auto',
  }),
  changes: css({
    width: '100%',
    th: { textAlign: 'left', color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
    'td, th': { padding: theme.spacing(0.5, 1), verticalAlign: 'top' },
  }),
});
