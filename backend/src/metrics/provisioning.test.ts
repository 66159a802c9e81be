/**
 * The provisioned alert rules, dashboard and scrape job work for a lab of several instances: every
 * aggregation keeps `instance` apart (two machines may both have a target named `files`), the
 * dashboard filters and names series by instance, and an instance whose metrics are missing alerts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '../../..');
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');

interface Rule {
  uid: string;
  noDataState: string;
  data: Array<{ model: { expr?: string } }>;
  annotations: Record<string, string>;
}

describe('provisioning for a lab of several instances', () => {
  const rules: Rule[] = YAML.parse(read('provisioning/alerting/backup-sla-rules.yaml')).groups[0].rules;
  const scrape = YAML.parse(read('provisioning/prometheus/backup-sla-scrape.yml'));

  it('every rule on the targets groups by instance and target, and names both', () => {
    const targetRules = rules.filter((r) => r.uid !== 'backup-sla-instance-down');
    expect(targetRules.length).toBeGreaterThanOrEqual(7);
    for (const r of targetRules) {
      for (const q of r.data.filter((d) => d.model.expr)) {
        expect({ uid: r.uid, expr: q.model.expr }).toEqual({
          uid: r.uid,
          expr: expect.stringMatching(/^(max|min) by \(instance, target\) \(/),
        });
      }
      expect(r.annotations.summary).toContain('{{ $labels.instance }}/{{ $labels.target }}');
    }
  });

  it('an instance whose metrics are missing alerts (up == 0, or no backup-sla job at all)', () => {
    const down = rules.find((r) => r.uid === 'backup-sla-instance-down')!;
    expect(down.data[0].model.expr).toBe(`min by (instance) (up{job="${scrape.scrape_configs[0].job_name}"})`);
    expect(down.noDataState).toBe('Alerting');
    expect(down.annotations.summary).toContain('{{ $labels.instance }}');
  });

  it('the scrape job names each machine by its instance name', () => {
    const job = scrape.scrape_configs[0];
    expect(job.job_name).toBe('backup-sla');
    expect(job.static_configs.map((c: { labels: { instance: string } }) => c.labels.instance)).toEqual([
      'app1',
      'mon1',
    ]);
  });

  it('the dashboard selects and names series by instance and target', () => {
    const dashboard = JSON.parse(read('src/dashboards/backup-sla.json'));
    expect(dashboard.templating.list.map((v: { name: string }) => v.name)).toEqual(['instance', 'target']);
    const queries = dashboard.panels.flatMap(
      (p: { targets?: Array<{ expr: string; legendFormat: string }> }) => p.targets ?? []
    );
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      for (const selector of q.expr.match(/backup_sla_\w+\{[^}]*\}/g) ?? []) {
        expect(selector).toContain('instance=~"$instance"');
      }
      expect(q.legendFormat.startsWith('{{instance}}/{{target}}')).toBe(true);
    }
  });
});
