import React, { Suspense, useEffect } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import { AppRootProps, PluginType } from '@grafana/data';
import { render } from '@testing-library/react';
import App from '../components/App/App';
import { PLUGIN_BASE_URL, PLUGIN_ID } from '../constants';
import type { AppSettings } from '../data/useAppSettings';

export const CONFIGURED: AppSettings = { serviceUrl: 'http://127.0.0.1:8470' };

let current = { pathname: '', search: '' };

/** Where the app's router is now (pathname and query), for tests of state kept in the URL. */
export function currentLocation() {
  return { ...current, params: new URLSearchParams(current.search) };
}

function LocationProbe() {
  const location = useLocation();
  useEffect(() => {
    current = { pathname: location.pathname, search: location.search };
  }, [location]);
  return null;
}

/**
 * Renders the app the way Grafana mounts it (under /a/<plugin id>/*) at the given app path, e.g.
 * "target/mysql" or "overview?state=critical", with the app's saved settings (connected by default).
 */
export function renderApp(appPath = 'overview', settings: AppSettings = CONFIGURED) {
  const appProps = {
    basename: PLUGIN_BASE_URL,
    meta: { id: PLUGIN_ID, name: 'Backup SLA', type: PluginType.app, enabled: true, jsonData: settings },
    query: {},
    path: '',
    onNavChanged: jest.fn(),
  } as unknown as AppRootProps;
  return render(
    <MemoryRouter
      initialEntries={[`${PLUGIN_BASE_URL}/${appPath}`]}
      future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
    >
      <LocationProbe />
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
