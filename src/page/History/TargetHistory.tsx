import React from 'react';
import { Stack, TextLink } from '@grafana/ui';
import { useLab } from '../../data/useLab';
import type { TargetRef } from '../../utils/lab';
import { alertRulesUrl, dashboardUrl } from '../../utils/routing';
import { HistoryCharts } from './HistoryCharts';

/** A target's charts on its page, with the links out (a lazy chunk: Grafana's scenes load only here). */
export default function TargetHistory({ target }: { target: TargetRef }) {
  const { multi } = useLab();
  return (
    <Stack direction="column" gap={1}>
      <Stack gap={2} wrap="wrap">
        <TextLink href={dashboardUrl(target, multi)} icon="apps" inline={false}>
          Backup SLA dashboard
        </TextLink>
        <TextLink href={alertRulesUrl(target, multi)} icon="bell" inline={false}>
          Alert rules
        </TextLink>
      </Stack>
      <HistoryCharts targets={[target]} />
    </Stack>
  );
}
