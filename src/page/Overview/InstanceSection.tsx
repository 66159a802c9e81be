import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, Icon, Text, useStyles2 } from '@grafana/ui';
import { SlaBadge } from '../../components/SlaBadge';
import { formatRelative, formatTime } from '../../utils/format';
import type { InstanceGroup } from './sortTargets';

interface Props {
  group: InstanceGroup;
  /** The targets' table (already filtered and sorted). */
  children: React.ReactNode;
}

/**
 * One machine of the lab on the overview: its name and worst level, whether it is the service
 * Grafana talks to, and, when it does not answer, since when and why, above its last known targets.
 */
export function InstanceSection({ group, children }: Props) {
  const styles = useStyles2(getStyles);
  const { instance, level, total } = group;
  const silent = !instance.reachable;
  return (
    <section aria-label={`Instance ${instance.name}`} className={styles.section} data-instance={instance.name}>
      <div className={styles.header}>
        <Icon name="database" aria-hidden className={styles.icon} />
        <Text element="h3" variant="h4">
          {instance.name}
        </Text>
        <SlaBadge level={level} />
        <Text color="secondary" variant="bodySmall">
          {`${total} ${total === 1 ? 'target' : 'targets'}`}
        </Text>
        {instance.self && (
          <Badge
            color="blue"
            text="answers for the lab"
            tooltip="The Backup SLA service Grafana talks to: it asks the others for their targets and forwards what concerns them."
          />
        )}
      </div>
      {silent && (
        <Alert
          severity="warning"
          title={`${instance.name} does not answer${
            instance.unreachableSince
              ? ` since ${formatTime(instance.unreachableSince, true)} (${formatRelative(instance.unreachableSince)})`
              : ''
          }`}
        >
          {instance.error ? `${instance.error}. ` : ''}
          {total > 0
            ? `Its targets are shown as last known${
                instance.lastSeenAt ? ` (${formatRelative(instance.lastSeenAt)})` : ''
              }; nothing can be started there until it answers again.`
            : 'It has not answered since the service started: its targets are not known yet.'}
        </Alert>
      )}
      {children}
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  header: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
    h3: { margin: 0 },
  }),
  icon: css({ color: theme.colors.text.secondary }),
});
