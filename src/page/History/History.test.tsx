import { screen, waitFor, within } from '@testing-library/react';
import { VizPanel, SceneQueryRunner, SceneTimePicker, SceneRefreshPicker } from '@grafana/scenes';
import { mockBackend } from '../../test/mockBackend';
import { mockDataSources } from '../../test/dataSources';
import { makeLabStatus, makeStatus } from '../../test/fixtures';
import { currentLocation, renderApp } from '../../test/render';
import { setRole } from '../../test/role';
import { chartDefinitions, exploreUrl, targetMatcher } from './queries';
import { historyScene } from './scene';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
  PluginPage: jest.requireActual('../../test/pluginPage').TestPluginPage,
}));

describe('History charts (issue 15.5)', () => {
  it('query the service metrics of the chosen targets: success, size, duration, restore time against the RTO', () => {
    const all = chartDefinitions([]);
    expect(all.map((c) => c.title)).toEqual([
      'Backup success rate',
      'Backup size',
      'Backup duration',
      'Restore time against the RTO',
    ]);
    expect(all.map((c) => c.unit)).toEqual(['percentunit', 'decbytes', 's', 's']);
    // The success rate over the preceding day, from the runs counter (restart-proof: counted by the catalog).
    expect(all[0].queries[0].expr).toBe(
      'sum by (target) (increase(backup_sla_runs_total{operation="backup",status=~"success|unchanged",target=~".+"}[1d])) / ' +
        'sum by (target) (increase(backup_sla_runs_total{operation="backup",target=~".+"}[1d]))'
    );
    expect(all[3].queries.map((q) => q.expr)).toEqual([
      'max by (target) (backup_sla_last_restore_duration_seconds{target=~".+"})',
      'max by (target) (backup_sla_rto_seconds{target=~".+"})',
    ]);
    expect(all[3].queries.map((q) => q.legendFormat)).toEqual(['{{target}} restore', '{{target}} RTO']);

    const one = chartDefinitions([{ instance: 'app1', name: 'mysql' }]);
    expect(one[1].queries[0]).toMatchObject({
      expr: 'max by (target) (backup_sla_last_backup_bytes{target="mysql"})',
      legendFormat: 'mysql',
    });
    expect(targetMatcher(['mysql', 'db.main'])).toBe('target=~"mysql|db\\\\.main"');
  });

  it('in a lab of several instances, select each target on its instance and name series <instance>/<target>', () => {
    const lab = chartDefinitions([], true);
    expect(lab[1].queries[0]).toEqual({
      refId: 'A',
      expr: 'max by (instance, target) (backup_sla_last_backup_bytes{target=~".+"})',
      legendFormat: '{{instance}}/{{target}}',
    });
    const chosen = chartDefinitions(
      [
        { instance: 'app1', name: 'mysql' },
        { instance: 'mon1', name: 'mysql' },
        { instance: 'mon1', name: 'prometheus' },
      ],
      true
    );
    expect(chosen[1].queries[0].expr).toBe(
      'max by (instance, target) (backup_sla_last_backup_bytes{instance="app1",target="mysql"} or ' +
        'backup_sla_last_backup_bytes{instance="mon1",target=~"mysql|prometheus"})'
    );
    expect(chosen[0].queries[0].expr).toBe(
      'sum by (instance, target) (increase(backup_sla_runs_total{operation="backup",status=~"success|unchanged",instance="app1",target="mysql"}[1d]) or ' +
        'increase(backup_sla_runs_total{operation="backup",status=~"success|unchanged",instance="mon1",target=~"mysql|prometheus"}[1d])) / ' +
        'sum by (instance, target) (increase(backup_sla_runs_total{operation="backup",instance="app1",target="mysql"}[1d]) or ' +
        'increase(backup_sla_runs_total{operation="backup",instance="mon1",target=~"mysql|prometheus"}[1d]))'
    );
    const peer = chartDefinitions([{ instance: 'mon1', name: 'prometheus' }], true);
    expect(peer[1].queries[0].legendFormat).toBe('mon1/prometheus');
    expect(peer[3].queries.map((q) => q.legendFormat)).toEqual(['restore', 'RTO']);
  });

  it('are a scene of Grafana time series panels on the configured data source, with time range and refresh pickers', () => {
    const scene = historyScene({
      datasourceUid: 'prom-1',
      targets: [{ instance: 'app1', name: 'mysql' }],
      from: 'now-24h',
    });
    expect(scene.state.$timeRange?.state).toMatchObject({ from: 'now-24h', to: 'now' });
    const controls = scene.state.controls ?? [];
    expect(controls.some((c) => c instanceof SceneTimePicker)).toBe(true);
    expect(controls.some((c) => c instanceof SceneRefreshPicker)).toBe(true);
    const panels: VizPanel[] = [];
    scene.forEachChild(function walk(child) {
      if (child instanceof VizPanel) {
        panels.push(child);
      }
      child.forEachChild(walk);
    });
    expect(panels.map((p) => p.state.pluginId)).toEqual(['timeseries', 'timeseries', 'timeseries', 'timeseries']);
    const runner = panels[3].state.$data as SceneQueryRunner;
    expect(runner.state.datasource).toEqual({ type: 'prometheus', uid: 'prom-1' });
    expect(runner.state.queries.map((q) => q.refId)).toEqual(['A', 'B']);
    expect(panels[3].state.fieldConfig.defaults.unit).toBe('s');
    // The RTO is dashed.
    expect(panels[3].state.fieldConfig.overrides[0]).toEqual({
      matcher: { id: 'byFrameRefID', options: 'B' },
      properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
    });
  });

  it('link each panel to Explore with its queries and time range', () => {
    const url = exploreUrl({ type: 'prometheus', uid: 'prom-1' }, [{ refId: 'A', expr: 'up' }], {
      from: 'now-7d',
      to: 'now',
    });
    expect(url.startsWith('/explore?schemaVersion=1&panes=')).toBe(true);
    const panes = JSON.parse(decodeURIComponent(url.split('panes=')[1].split('&')[0]));
    expect(panes.backupsla).toMatchObject({
      datasource: 'prom-1',
      queries: [{ refId: 'A', expr: 'up', datasource: { type: 'prometheus', uid: 'prom-1' } }],
      range: { from: 'now-7d', to: 'now' },
    });
  });

  it('read the data source uid the app is configured with, and say what to do when it does not exist', async () => {
    setRole('Admin');
    mockDataSources([{ uid: 'other', name: 'Other Prometheus' }]);
    mockBackend({ 'GET api/status': makeStatus() });
    renderApp('history', { serviceUrl: 'http://127.0.0.1:8470', prometheusDatasourceUid: 'backup-prom' });
    expect(await screen.findByText('No Prometheus data source with uid backup-prom')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Choose the data source' })).toHaveAttribute(
      'href',
      '/plugins/labops-backupsla-app'
    );
  });

  it('link out to the provisioned dashboard and the alert rules, for the one target chosen', async () => {
    setRole('Viewer');
    mockDataSources([]);
    mockBackend({ 'GET api/status': makeStatus() });
    renderApp('history?targets=mysql');
    expect(await screen.findByRole('link', { name: 'Dashboard' })).toHaveAttribute(
      'href',
      '/d/backup-sla?var-target=mysql'
    );
    expect(screen.getByRole('link', { name: 'Alert rules' })).toHaveAttribute(
      'href',
      `/alerting/list?search=${encodeURIComponent('group:backup-sla label:target=mysql')}`
    );
    expect(currentLocation().params.get('targets')).toBe('mysql');
    // Viewers are told what is missing, without a button they could not use.
    const empty = await screen.findByText('No Prometheus data source with uid backup-sla-prometheus');
    expect(within(empty.closest('div')!.parentElement!).queryByRole('link')).toBeNull();
  });

  it("in a lab of two machines: a peer's target by its address, linked out with its instance", async () => {
    setRole('Viewer');
    mockDataSources([]);
    mockBackend({ 'GET api/status': makeLabStatus() });
    renderApp('history?targets=mon1/prometheus');
    // The links know the lab once the status has come (before, the page is one instance's).
    await waitFor(() =>
      expect(screen.getByRole('link', { name: 'Dashboard' })).toHaveAttribute(
        'href',
        '/d/backup-sla?var-target=prometheus&var-instance=mon1'
      )
    );
    expect(screen.getByRole('link', { name: 'Alert rules' })).toHaveAttribute(
      'href',
      `/alerting/list?search=${encodeURIComponent('group:backup-sla label:target=prometheus label:instance=mon1')}`
    );
    expect(screen.getByText('mon1/prometheus')).toBeInTheDocument();
  });
});
