/**
 * The services Grafana's frontend registers at start that a plugin (or the scenes it bundles)
 * reaches through @grafana/runtime, reduced to what a Prometheus-backed chart needs:
 *
 *  - setTemplateSrv: variables given in scopedVars ($__interval, ...); the rest is left for the
 *    server, as Grafana's Prometheus backend interpolates $__rate_interval and $__range itself;
 *  - setDataSourceSrv over the boot data's data sources; a Prometheus instance is a
 *    DataSourceWithBackend (the real class from @grafana/runtime), so its queries go to
 *    POST /api/ds/query as in Grafana, and the harness server asks a real Prometheus;
 *  - setRunRequest: Grafana's runRequest (query → PanelData stream with Loading/Done/Error);
 *  - setPluginImportUtils: Grafana's core panel plugins by id ("timeseries", panels/timeseries.js);
 *  - setAppEvents.
 */
import { createTimeSeriesPanel } from './panels/timeseries';

export function installGrafanaServices(shared) {
  const data = shared['@grafana/data'];
  const runtime = shared['@grafana/runtime'];
  const rxjs = shared.rxjs;
  const { map, catchError, takeUntil } = shared['rxjs/operators'];
  const config = runtime.config;

  // ---------------------------------------------------------------------------------------------
  // Template variables

  const VARIABLE = /\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]/g;
  const templateSrv = {
    getVariables: () => [],
    containsTemplate: (target) => Boolean(target) && /\$\w+|\$\{\w+|\[\[\w+/.test(target),
    updateTimeRange: () => undefined,
    getAdhocFilters: () => [],
    replace(target, scopedVars) {
      if (!target) {
        return target ?? '';
      }
      return target.replace(VARIABLE, (whole, a, b, _f1, c) => {
        const name = a ?? b ?? c;
        const v = scopedVars?.[name];
        return v && v.value !== undefined && typeof v.value !== 'object' ? String(v.value) : whole;
      });
    },
  };
  runtime.setTemplateSrv(templateSrv);

  // ---------------------------------------------------------------------------------------------
  // Data sources

  class HarnessPrometheusDatasource extends runtime.DataSourceWithBackend {
    constructor(instanceSettings) {
      super(instanceSettings);
      this.interval = instanceSettings.jsonData?.timeInterval;
    }
    filterQuery(query) {
      return !query.hide && Boolean(query.expr);
    }
    applyTemplateVariables(query, scopedVars) {
      return { ...query, expr: templateSrv.replace(query.expr, scopedVars) };
    }
    getQueryDisplayText(query) {
      return query.expr;
    }
  }

  const settingsList = () => Object.values(config.datasources ?? {});
  const findSettings = (ref) => {
    if (ref === null || ref === undefined) {
      return settingsList().find((s) => s.isDefault);
    }
    const key = typeof ref === 'string' ? ref : ref.uid;
    return settingsList().find((s) => s.uid === key || s.name === key);
  };
  const instances = new Map();
  const dataSourceSrv = {
    getInstanceSettings: (ref) => findSettings(ref),
    getList(filters = {}) {
      const types = filters.type ? [].concat(filters.type) : null;
      return settingsList()
        .filter((s) => !types || types.includes(s.type))
        .filter((s) => !filters.pluginId || s.meta.id === filters.pluginId)
        .filter((s) => !filters.metrics || s.meta.metrics)
        .filter((s) => !filters.alerting || s.meta.alerting)
        .filter((s) => !filters.filter || filters.filter(s))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async get(ref) {
      const settings = findSettings(ref);
      if (!settings) {
        const key = typeof ref === 'string' ? ref : ref?.uid;
        throw new Error(`Datasource ${key} was not found`);
      }
      if (settings.type !== 'prometheus') {
        throw new Error(`The harness provides Prometheus data sources only, not ${settings.type}`);
      }
      if (!instances.has(settings.uid)) {
        const ds = new HarnessPrometheusDatasource(settings);
        ds.meta = settings.meta;
        instances.set(settings.uid, ds);
      }
      return instances.get(settings.uid);
    },
    reload: () => undefined,
    registerRuntimeDataSource: () => undefined,
  };
  runtime.setDataSourceSrv(dataSourceSrv);

  // ---------------------------------------------------------------------------------------------
  // runRequest (public/app/features/query/state/runRequest.ts, reduced)

  function processResponsePacket(packet, state) {
    const packets = { ...state.packets, [packet.key || 'A']: packet };
    let loadingState = packet.state || data.LoadingState.Done;
    let error;
    let errors;
    const series = [];
    const annotations = [];
    for (const p of Object.values(packets)) {
      if (p.error || p.errors?.length) {
        loadingState = data.LoadingState.Error;
        error = p.error ?? p.errors[0];
        errors = p.errors ?? [p.error];
      }
      for (const frame of p.data ?? []) {
        if (frame.meta?.dataTopic === data.DataTopic.Annotations) {
          annotations.push(frame);
        } else {
          series.push(frame);
        }
      }
    }
    return {
      packets,
      panelData: {
        state: loadingState,
        series,
        annotations,
        error,
        errors,
        request: state.panelData.request,
        timeRange: state.panelData.request.range,
      },
    };
  }

  function runRequest(datasource, request) {
    let state = {
      panelData: { state: data.LoadingState.Loading, series: [], request, timeRange: request.range },
      packets: {},
    };
    if (!request.targets.length) {
      request.endTime = Date.now();
      return rxjs.of({ ...state.panelData, state: data.LoadingState.Done });
    }
    const query = datasource.query(request);
    const dataObservable = rxjs.from(query).pipe(
      map((packet) => {
        request.endTime = Date.now();
        state = processResponsePacket(packet, state);
        return state.panelData;
      }),
      catchError((err) => {
        const error = runtime.toDataQueryError(err);
        return rxjs.of({ ...state.panelData, state: data.LoadingState.Error, error, errors: [error] });
      }),
      rxjs.share()
    );
    // As Grafana: a Loading state after 200 ms when nothing has come back yet.
    return rxjs.merge(
      rxjs.timer(200).pipe(
        map(() => state.panelData),
        takeUntil(dataObservable)
      ),
      dataObservable
    );
  }
  runtime.setRunRequest(runRequest);

  // ---------------------------------------------------------------------------------------------
  // Core panel plugins

  const corePanels = { timeseries: createTimeSeriesPanel(shared) };
  runtime.setPluginImportUtils({
    importPanelPlugin: async (id) => {
      const plugin = corePanels[id];
      if (!plugin) {
        throw new Error(`Panel plugin ${id} is not one of the harness's core panels`);
      }
      return plugin;
    },
    getPanelPluginFromCache: (id) => corePanels[id],
  });

  runtime.setAppEvents(new data.EventBusSrv());
  return { dataSourceSrv, templateSrv };
}
