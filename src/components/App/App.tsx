import React, { useMemo } from 'react';
import { Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { ROUTES } from '../../constants';
import { AppSettings, AppSettingsContext, settingsState } from '../../data/useAppSettings';
import { LabProvider } from '../../data/useLab';
import { ConnectEmptyState } from '../ConnectEmptyState';

const OverviewPage = React.lazy(() => import('../../page/Overview/OverviewPage'));
const TargetPage = React.lazy(() => import('../../page/Target/TargetPage'));
const ActivityPage = React.lazy(() => import('../../page/Activity/ActivityPage'));
const HistoryPage = React.lazy(() => import('../../page/History/HistoryPage'));

function App({ meta }: AppRootProps<AppSettings>) {
  const settings = useMemo(() => settingsState(meta?.jsonData), [meta?.jsonData]);
  if (!settings.configured) {
    return <ConnectEmptyState />;
  }
  return (
    <AppSettingsContext.Provider value={settings}>
      <LabProvider>
        <Routes>
          <Route path={ROUTES.Overview} element={<OverviewPage />} />
          {/* A target of the instance Grafana talks to, or a peer's: target/mon1/prometheus */}
          <Route path={`${ROUTES.Target}/:name`} element={<TargetPage />} />
          <Route path={`${ROUTES.Target}/:instance/:name`} element={<TargetPage />} />
          <Route path={ROUTES.Activity} element={<ActivityPage />} />
          <Route path={ROUTES.History} element={<HistoryPage />} />
          {/* Default page: the overview (rendered, not redirected, so any unknown path lands somewhere useful) */}
          <Route path="*" element={<OverviewPage />} />
        </Routes>
      </LabProvider>
    </AppSettingsContext.Provider>
  );
}

export default App;
