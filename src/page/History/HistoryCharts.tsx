import React, { useEffect, useMemo, useState } from 'react';
import { initPluginTranslations } from '@grafana/i18n';
import { getDataSourceSrv } from '@grafana/runtime';
import { loadResources, UrlSyncContextProvider } from '@grafana/scenes';
import { EmptyState, LinkButton, LoadingPlaceholder, Text } from '@grafana/ui';
import { CONFIG_PAGE_URL, PLUGIN_ID } from '../../constants';
import { useAppSettings } from '../../data/useAppSettings';
import { useLab } from '../../data/useLab';
import { refKey, TargetRef } from '../../utils/lab';
import { useRole } from '../../data/useRole';
import { historyScene } from './scene';

/** Scenes' own words (time picker, panel menu) are translations the app loads once, as scenes apps do. */
let translations: Promise<unknown> | undefined;
function useScenesTranslations(): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    translations ??= initPluginTranslations(PLUGIN_ID, [loadResources]).catch(() => undefined);
    translations.then(() => live && setReady(true));
    return () => {
      live = false;
    };
  }, []);
  return ready;
}

/** The history scene on the configured Prometheus data source, or what to do when there is none. */
export function HistoryCharts({ targets }: { targets: TargetRef[] }) {
  const { prometheusUid } = useAppSettings();
  const { multi } = useLab();
  const { role } = useRole();
  const ready = useScenesTranslations();
  const datasource = getDataSourceSrv().getInstanceSettings(prometheusUid);
  // A new scene only when what is charted changes (not on every new array of the same targets).
  const targetsKey = targets.map(refKey).join(',');
  const scene = useMemo(
    () =>
      historyScene({
        datasourceUid: prometheusUid,
        multi,
        targets: targetsKey
          ? targetsKey
              .split(',')
              .map((k) => ({ instance: k.slice(0, k.indexOf('/')), name: k.slice(k.indexOf('/') + 1) }))
          : [],
      }),
    [prometheusUid, targetsKey, multi]
  );

  if (!datasource) {
    return (
      <EmptyState
        variant="not-found"
        hideImage
        message={`No Prometheus data source with uid ${prometheusUid}`}
        button={
          role === 'Admin' ? (
            <LinkButton href={CONFIG_PAGE_URL} variant="secondary" icon="cog">
              Choose the data source
            </LinkButton>
          ) : undefined
        }
      >
        <Text element="p" color="secondary">
          The charts read the service&apos;s metrics from the Prometheus that scrapes it. Add that Prometheus as a
          Grafana data source and choose it on the app&apos;s configuration page.
        </Text>
      </EmptyState>
    );
  }
  if (!ready) {
    return <LoadingPlaceholder text="Loading the charts…" />;
  }
  return (
    <UrlSyncContextProvider scene={scene} updateUrlOnInit={true} createBrowserHistorySteps={false}>
      <scene.Component model={scene} />
    </UrlSyncContextProvider>
  );
}
