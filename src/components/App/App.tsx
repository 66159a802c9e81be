import React from 'react';
import { Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { ROUTES } from '../../constants';

const OverviewPage = React.lazy(() => import('../../page/Overview/OverviewPage'));
const TargetPage = React.lazy(() => import('../../page/Target/TargetPage'));
const ActivityPage = React.lazy(() => import('../../page/Activity/ActivityPage'));

function App(_props: AppRootProps) {
  return (
    <Routes>
      <Route path={ROUTES.Overview} element={<OverviewPage />} />
      <Route path={`${ROUTES.Target}/:name`} element={<TargetPage />} />
      <Route path={ROUTES.Activity} element={<ActivityPage />} />
      {/* Default page: the overview (rendered, not redirected, so any unknown path lands somewhere useful) */}
      <Route path="*" element={<OverviewPage />} />
    </Routes>
  );
}

export default App;
