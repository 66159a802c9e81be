import React, { useMemo } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Field, LinkButton, LoadingPlaceholder, MultiCombobox, Stack } from '@grafana/ui';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { useStatus } from '../../data/useStatus';
import { useUrlState } from '../../data/useUrlState';
import { alertRulesUrl, dashboardUrl } from '../../utils/routing';
import { HistoryCharts } from './HistoryCharts';

const URL_DEFAULTS = { targets: '' };

/**
 * Backup success, size, duration and restore time against the RTO, over time (issue 15.5): Grafana's
 * time series panels on the service's Prometheus metrics, for the targets chosen (kept in the URL).
 */
export function HistoryPage() {
  const status = useStatus(0);
  const [url, setUrl] = useUrlState(URL_DEFAULTS);
  const chosen = useMemo(() => url.targets.split(',').filter(Boolean), [url.targets]);
  const options = useMemo(
    () => (status.data?.targets ?? []).map((t) => ({ label: t.name, value: t.name, description: t.kind })),
    [status.data]
  );
  const target = chosen.length === 1 ? chosen[0] : undefined;
  const actions = (
    <Stack gap={1}>
      <LinkButton size="sm" variant="secondary" icon="apps" href={dashboardUrl(target)}>
        Dashboard
      </LinkButton>
      <LinkButton size="sm" variant="secondary" icon="bell" href={alertRulesUrl(target)}>
        Alert rules
      </LinkButton>
    </Stack>
  );
  return (
    <PluginPage actions={actions}>
      <Stack direction="column" gap={2}>
        {status.error && (
          <ServiceErrorAlert error={status.error} action="Loading the targets" onRetry={status.reload} />
        )}
        {status.loading ? (
          <LoadingPlaceholder text="Loading the targets…" />
        ) : (
          <Field label="Targets" description="None chosen shows every target." htmlFor="history-targets" noMargin>
            <MultiCombobox
              id="history-targets"
              width={40}
              options={options}
              value={chosen}
              placeholder="All targets"
              onChange={(values) => setUrl({ targets: values.map((v) => v.value).join(',') })}
            />
          </Field>
        )}
        <HistoryCharts targets={chosen} />
      </Stack>
    </PluginPage>
  );
}

export default HistoryPage;
