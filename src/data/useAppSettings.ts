import { createContext, useContext } from 'react';

/** jsonData of the app: the service URL and the Prometheus data source. Tokens live in secureJsonData. */
export interface AppSettings {
  serviceUrl?: string;
  prometheusDatasourceUid?: string;
}

/** The uid the provisioned data source, dashboard and alert rules use. */
export const DEFAULT_PROMETHEUS_UID = 'backup-sla-prometheus';

export interface AppSettingsState {
  settings: AppSettings;
  /** False until an admin has saved a service URL: the proxy routes cannot work yet. */
  configured: boolean;
  prometheusUid: string;
}

export function settingsState(settings: AppSettings | undefined): AppSettingsState {
  const s = settings ?? {};
  return {
    settings: s,
    configured: Boolean(s.serviceUrl),
    prometheusUid: s.prometheusDatasourceUid || DEFAULT_PROMETHEUS_UID,
  };
}

/** The app's saved settings (plugin meta), given by the App root to every page. */
export const AppSettingsContext = createContext<AppSettingsState>(settingsState({ serviceUrl: 'unknown' }));

export function useAppSettings(): AppSettingsState {
  return useContext(AppSettingsContext);
}
