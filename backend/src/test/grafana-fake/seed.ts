/**
 * Seeds for the Grafana fake. `demo` is the lab of the SLA document: nested folders, dashboards
 * for the machines, MySQL and the AGAMA app (one of them provisioned from a file, as the product's
 * own dashboard is), Prometheus and InfluxDB data sources (InfluxDB with a password Grafana never
 * exports), a library panel, alert rules in two groups, a Slack contact point with a secret
 * webhook URL, a notification policy tree with a mute timing, and a message template.
 * Everything goes through the same methods the HTTP API uses, so the seed obeys the same rules.
 */
import { GrafanaState, Reply } from './server';

export type SeedName = 'demo' | 'empty';
export const SEEDS: SeedName[] = ['demo', 'empty'];

function must(r: Reply, what: string): any {
  if (r.status >= 300) {
    throw new Error(`seeding ${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return r.body;
}

const NO_PROVENANCE = { 'x-disable-provenance': 'true' };

function timeseries(id: number, title: string, expr: string, gridPos: { x: number; y: number }) {
  return {
    id,
    type: 'timeseries',
    title,
    datasource: { type: 'prometheus', uid: 'prometheus' },
    targets: [{ refId: 'A', expr, datasource: { type: 'prometheus', uid: 'prometheus' } }],
    gridPos: { h: 8, w: 12, ...gridPos },
  };
}

function dashboard(uid: string, title: string, tags: string[], panels: unknown[]) {
  return {
    uid,
    title,
    tags,
    timezone: 'browser',
    schemaVersion: 39,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    panels,
  };
}

function rule(uid: string, title: string, folderUID: string, ruleGroup: string, expr: string, severity: string) {
  return {
    uid,
    title,
    folderUID,
    ruleGroup,
    condition: 'C',
    data: [
      {
        refId: 'A',
        datasourceUid: 'prometheus',
        relativeTimeRange: { from: 600, to: 0 },
        model: { refId: 'A', expr, instant: true },
      },
      {
        refId: 'C',
        datasourceUid: '__expr__',
        relativeTimeRange: { from: 0, to: 0 },
        model: {
          refId: 'C',
          type: 'threshold',
          expression: 'A',
          conditions: [{ evaluator: { type: 'lt', params: [1] } }],
        },
      },
    ],
    noDataState: 'Alerting',
    execErrState: 'Error',
    for: '5m',
    annotations: { summary: `${title}: {{ $labels.instance }}` },
    labels: { severity },
  };
}

export function seed(state: GrafanaState, name: SeedName): GrafanaState {
  if (name === 'empty') {
    return state;
  }
  must(state.createFolder({ uid: 'infra', title: 'Infrastructure' }), 'folder infra');
  must(state.createFolder({ uid: 'infra-db', title: 'Databases', parentUid: 'infra' }), 'folder infra-db');
  must(state.createFolder({ uid: 'apps', title: 'Applications' }), 'folder apps');

  must(
    state.createDatasource({
      uid: 'prometheus',
      name: 'Prometheus',
      type: 'prometheus',
      access: 'proxy',
      url: 'http://127.0.0.1:9090',
      isDefault: true,
      jsonData: { httpMethod: 'POST', timeInterval: '15s' },
    }),
    'data source prometheus'
  );
  must(
    state.createDatasource({
      uid: 'influxdb',
      name: 'InfluxDB telegraf',
      type: 'influxdb',
      access: 'proxy',
      url: 'http://127.0.0.1:8086',
      user: 'grafana',
      database: 'telegraf',
      jsonData: { httpMode: 'GET' },
      secureJsonData: { password: 'influx-demo-secret' },
    }),
    'data source influxdb'
  );

  must(
    state.createLibraryElement({
      uid: 'lib-cpu',
      folderUid: 'infra',
      name: 'CPU usage',
      kind: 1,
      model: timeseries(
        1,
        'CPU usage',
        '100 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100',
        { x: 0, y: 0 }
      ),
    }),
    'library panel'
  );

  must(
    state.saveDashboard({
      folderUid: 'infra',
      dashboard: dashboard(
        'node-overview',
        'Node overview',
        ['lab', 'nodes'],
        [
          { id: 1, gridPos: { h: 8, w: 12, x: 0, y: 0 }, libraryPanel: { uid: 'lib-cpu', name: 'CPU usage' } },
          timeseries(2, 'Memory available', 'node_memory_MemAvailable_bytes', { x: 12, y: 0 }),
        ]
      ),
    }),
    'dashboard node-overview'
  );
  must(
    state.saveDashboard({
      folderUid: 'infra-db',
      dashboard: dashboard(
        'mysql-overview',
        'MySQL',
        ['lab', 'mysql'],
        [timeseries(1, 'Queries per second', 'rate(mysql_global_status_queries[5m])', { x: 0, y: 0 })]
      ),
    }),
    'dashboard mysql-overview'
  );
  must(
    state.saveDashboard({
      folderUid: 'apps',
      dashboard: dashboard(
        'agama-app',
        'AGAMA app',
        ['lab', 'agama'],
        [timeseries(1, 'HTTP requests', 'rate(nginx_http_requests_total[5m])', { x: 0, y: 0 })]
      ),
    }),
    'dashboard agama-app'
  );
  must(
    state.saveDashboard({
      dashboard: dashboard(
        'lab-home',
        'Lab home',
        ['lab'],
        [{ id: 1, type: 'text', title: 'Welcome', options: { content: 'Lab 9' }, gridPos: { h: 4, w: 24, x: 0, y: 0 } }]
      ),
    }),
    'dashboard lab-home'
  );
  state.provisionDashboard(
    dashboard(
      'backup-sla-overview',
      'Backup SLA',
      ['backup'],
      [timeseries(1, 'Backup age', 'time() - backup_sla_last_success_timestamp_seconds', { x: 0, y: 0 })]
    ),
    'apps',
    'backup-sla/overview.json'
  );

  must(
    state.createAlertRule(
      rule('node-down', 'Node down', 'infra', 'infrastructure', 'up{job="node"}', 'critical'),
      NO_PROVENANCE
    ),
    'alert rule node-down'
  );
  must(
    state.createAlertRule(
      rule('mysql-down', 'MySQL down', 'infra-db', 'databases', 'mysql_up', 'critical'),
      NO_PROVENANCE
    ),
    'alert rule mysql-down'
  );
  must(state.putRuleGroup('infra-db', 'databases', { interval: 120 }, NO_PROVENANCE), 'rule group databases');

  must(
    state.putTemplate(
      'ops.message',
      { template: '{{ define "ops.message" }}{{ len .Alerts.Firing }} firing: {{ .CommonLabels.alertname }}{{ end }}' },
      NO_PROVENANCE
    ),
    'template'
  );
  must(
    state.createContactPoint(
      {
        uid: 'ops-slack',
        name: 'ops-slack',
        type: 'slack',
        settings: {
          recipient: '#ops',
          url: 'https://hooks.slack.invalid/services/T000/B000/demo-secret',
          text: '{{ template "ops.message" . }}',
        },
      },
      NO_PROVENANCE
    ),
    'contact point'
  );
  must(
    state.createMuteTiming({ name: 'weekends', time_intervals: [{ weekdays: ['saturday', 'sunday'] }] }, NO_PROVENANCE),
    'mute timing'
  );
  must(
    state.putPolicies(
      {
        receiver: 'grafana-default-email',
        group_by: ['grafana_folder', 'alertname'],
        routes: [
          {
            receiver: 'ops-slack',
            object_matchers: [['severity', '=', 'critical']],
            mute_time_intervals: ['weekends'],
          },
        ],
      },
      NO_PROVENANCE
    ),
    'policies'
  );
  return state;
}

export function seededState(token: string, name: SeedName = 'demo'): GrafanaState {
  return seed(new GrafanaState(token), name);
}
