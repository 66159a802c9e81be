/**
 * The provisioning files (../provisioning) and the dashboard shipped in the plugin agree with each
 * other: one dashboard, one Prometheus data source uid, the backup-age panel, the SLA metrics.
 */
import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';
import pluginJson from './plugin.json';

const root = path.resolve(__dirname, '..');
const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');
const DS_UID = 'backup-sla-prometheus';

describe('provisioning', () => {
  const dashboard = JSON.parse(read('src/dashboards/backup-sla.json'));

  it('provisions the dashboard by one path only: the provider reads the JSON inside the installed plugin', () => {
    // Not in the app's includes (enabling the app would import it a second time, same uid).
    expect(pluginJson.includes.filter((i) => i.type === 'dashboard')).toEqual([]);
    expect(fs.existsSync(path.join(root, 'provisioning/dashboards/backup-sla.json'))).toBe(false);
    const provider = parse(read('provisioning/dashboards/backup-sla.yaml')).providers[0];
    expect(provider.options.path).toBe(`/var/lib/grafana/plugins/${pluginJson.id}/dashboards`);
    expect(dashboard.uid).toBe('backup-sla');
  });

  it('puts the dashboard and the alert rules in the same folder, whose uid is no dashboard uid', () => {
    const provider = parse(read('provisioning/dashboards/backup-sla.yaml')).providers[0];
    const rules = parse(read('provisioning/alerting/backup-sla-rules.yaml'));
    // Alert rule provisioning finds its folder by title (and runs first): the provider does too.
    expect(rules.groups.map((g: { folder: string }) => g.folder)).toEqual([provider.folder]);
    expect(provider.folderUid).toBeUndefined();
    for (const rule of rules.groups[0].rules) {
      expect(rule.uid).not.toBe(dashboard.uid);
    }
  });

  it('uses the backup-age panel and only the one Prometheus data source', () => {
    expect(dashboard.panels.some((p: { type: string }) => p.type === 'labops-backupage-panel')).toBe(true);
    const uids = new Set<string>();
    JSON.stringify(dashboard, (key, value) => {
      if (key === 'datasource' && value && typeof value === 'object') {
        uids.add(value.uid);
      }
      return value;
    });
    expect([...uids]).toEqual([DS_UID]);
  });

  it('provisions that data source with that uid', () => {
    const ds = parse(read('provisioning/datasources/backup-sla-prometheus.yaml'));
    expect(ds.datasources).toEqual([expect.objectContaining({ uid: DS_UID, type: 'prometheus' })]);
  });

  it('has alert rules for overdue, failed backup, failed or overdue verification, versions and copies', () => {
    const file = parse(read('provisioning/alerting/backup-sla-rules.yaml'));
    expect(file.apiVersion).toBe(1);
    expect(file.groups).toHaveLength(1);
    const rules = file.groups[0].rules;
    const exprs = rules.map((r: { data: Array<{ model: { expr?: string } }> }) =>
      r.data.map((d) => d.model.expr ?? '').join(' ')
    );
    for (const metric of [
      'backup_sla_last_success_timestamp_seconds',
      'backup_sla_rpo_seconds',
      'backup_sla_last_run_success',
      'backup_sla_last_verify_success',
      'backup_sla_last_verify_timestamp_seconds',
      'backup_sla_snapshots_required',
      'backup_sla_copies_ok',
      'backup_sla_copies_required',
    ]) {
      expect(exprs.join('\n')).toContain(metric);
    }
    for (const rule of rules) {
      expect(rule.uid.length).toBeLessThanOrEqual(40);
      expect(rule.data.map((d: { refId: string }) => d.refId)).toContain(rule.condition);
      expect(Object.keys(rule.annotations)).toEqual(['summary', 'description', 'what_to_do']);
      for (const query of rule.data) {
        expect([DS_UID, '__expr__']).toContain(query.datasourceUid);
      }
    }
  });

  it('provisions the app with the service URL and the tokens from files, never inline', () => {
    const apps = parse(read('provisioning/plugins/apps.yaml')).apps;
    expect(apps[0].type).toBe(pluginJson.id);
    expect(apps[0].jsonData).toEqual({ serviceUrl: 'http://127.0.0.1:8470', prometheusDatasourceUid: DS_UID });
    // Grafana's own copies (0640 root:grafana): the service's token files are private to its user.
    expect(apps[0].secureJsonData).toEqual({
      viewerToken: '$__file{/etc/grafana/backup-sla/viewer.token}',
      operatorToken: '$__file{/etc/grafana/backup-sla/operator.token}',
      adminToken: '$__file{/etc/grafana/backup-sla/admin.token}',
    });
  });

  it('lists the nested backup-age panel in the app', () => {
    const panel = JSON.parse(read('src/panels/backup-age/plugin.json'));
    expect(panel).toMatchObject({ id: 'labops-backupage-panel', type: 'panel', skipDataQuery: true });
    expect(pluginJson.includes).toContainEqual(expect.objectContaining({ type: 'panel', name: panel.name }));
  });
});
