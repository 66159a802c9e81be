import React, { Suspense } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { AppRootProps, PluginType } from '@grafana/data';
import { render } from '@testing-library/react';
import App from '../components/App/App';
import { PLUGIN_BASE_URL, PLUGIN_ID } from '../constants';

const appProps = {
  basename: PLUGIN_BASE_URL,
  meta: { id: PLUGIN_ID, name: 'Backup SLA', type: PluginType.app, enabled: true, jsonData: {} },
  query: {},
  path: '',
  onNavChanged: jest.fn(),
} as unknown as AppRootProps;

/** Renders the app the way Grafana mounts it (under /a/<plugin id>/*) at the given app path, e.g. "target/mysql". */
export function renderApp(appPath = 'overview') {
  return render(
    <MemoryRouter
      initialEntries={[`${PLUGIN_BASE_URL}/${appPath}`]}
      future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
    >
      <Routes>
        <Route
          path={`${PLUGIN_BASE_URL}/*`}
          element={
            <Suspense fallback="loading page">
              <App {...appProps} />
            </Suspense>
          }
        />
      </Routes>
    </MemoryRouter>
  );
}
