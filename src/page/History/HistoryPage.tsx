import React, { useMemo } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Field, LinkButton, LoadingPlaceholder, MultiCombobox, Stack } from '@grafana/ui';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { useAddress, useLab, useLabStatus } from '../../data/useLab';
import { refOf, TargetRef } from '../../utils/lab';
import { useUrlState } from '../../data/useUrlState';
import { alertRulesUrl, dashboardUrl } from '../../utils/routing';
import { HistoryCharts } from './HistoryCharts';

const URL_DEFAULTS = { targets: '' };

/**
 * Backup success, size, duration and restore time against the RTO, over time (issue 15.5): Grafana's
 * time series panels on the service's Prometheus metrics, for the targets chosen (kept in the URL).
 */
export function HistoryPage() {
  const status = useLabStatus();
  const lab = useLab();
  const address = useAddress();
  const [url, setUrl] = useUrlState(URL_DEFAULTS);
  // Targets by address (`mysql`, `mon1/prometheus`), as the rest of the app names them.
  const chosen = useMemo(() => url.targets.split(',').filter(Boolean), [url.targets]);
  const refs = useMemo(
    // A bare name while the lab is not known (the status failed): by name alone, as on one instance.
    () => chosen.map((a): TargetRef => refOf(a, lab.self) ?? { instance: '', name: a }),
    [chosen, lab.self]
  );
  const options = useMemo(
    () => (status.data?.targets ?? []).map((t) => ({ label: address(t), value: address(t), description: t.kind })),
    [status.data, address]
  );
  const target = refs.length === 1 ? refs[0] : undefined;
  const actions = (
    <Stack gap={1}>
      <LinkButton size="sm" variant="secondary" icon="apps" href={dashboardUrl(target, lab.multi)}>
        Dashboard
      </LinkButton>
      <LinkButton size="sm" variant="secondary" icon="bell" href={alertRulesUrl(target, lab.multi)}>
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
        {/* Until the lab is known, a bare name cannot be placed on its instance: the charts wait. */}
        {status.loading && chosen.length > 0 ? (
          <LoadingPlaceholder text="Loading the charts…" />
        ) : (
          <HistoryCharts targets={refs} />
        )}
      </Stack>
    </PluginPage>
  );
}

export default HistoryPage;
