/**
 * Grafana's data source service in Jest, set as Grafana sets it at start (setDataSourceSrv), so that
 * the app and @grafana/runtime's own components (DataSourcePicker) find the same data sources.
 */
import { setDataSourceSrv } from '@grafana/runtime';

export function mockDataSources(list: Array<{ uid: string; name: string; type?: string }>) {
  const settings = list.map((d) => ({
    uid: d.uid,
    name: d.name,
    type: d.type ?? 'prometheus',
    meta: { id: d.type ?? 'prometheus', name: 'Prometheus', info: { logos: { small: '' } } },
    jsonData: {},
  }));
  const find = (ref: unknown) => {
    const key = typeof ref === 'string' ? ref : (ref as { uid?: string } | null)?.uid;
    return settings.find((s) => s.uid === key || s.name === key);
  };
  setDataSourceSrv({
    getInstanceSettings: find,
    getList: (filters?: { type?: string }) => settings.filter((s) => !filters?.type || s.type === filters.type),
    get: async (ref: unknown) => {
      throw new Error(`no data source instances in Jest (${JSON.stringify(ref)})`);
    },
    reload: () => undefined,
    registerRuntimeDataSource: () => undefined,
  } as unknown as Parameters<typeof setDataSourceSrv>[0]);
}
