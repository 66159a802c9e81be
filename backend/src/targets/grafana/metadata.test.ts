import { grafanaRecord, readGrafanaMetadata } from './metadata';
import { MetadataError } from '../kit/metadata';
import { grafanaDriver } from '../grafana';

const counts = {
  folders: 3,
  dashboards: 5,
  datasources: 2,
  libraryPanels: 1,
  alertRules: 2,
  alertRuleGroups: 1,
  contactPoints: 1,
  muteTimings: 0,
  templates: 0,
  policies: 1,
};
/** As today's backup writes it (grafana.ts backup, from the export's manifest). */
const today = grafanaRecord({
  grafanaVersion: '11.3.0',
  url: 'http://127.0.0.1:3000',
  contentHash: 'f'.repeat(64),
  counts,
  provisionedDashboards: ['node-exporter'],
  secureFields: { datasources: { influx: ['password'] }, contactPoints: {} },
});

describe('grafana metadata', () => {
  it("today's record parses as written", () => {
    expect(readGrafanaMetadata(today)).toEqual(today);
    const contents = grafanaDriver.contents(today)!;
    expect(contents.summary).toBe(
      '3 folders, 5 dashboards, 2 datasources, 1 libraryPanels, 2 alertRules, 1 alertRuleGroups, 1 contactPoints, 0 muteTimings, 0 templates, 1 policies'
    );
    expect(contents.items[1]).toEqual({ name: 'dashboards', count: 5, unit: 'objects' });
  });

  it('no metadata (catalog rebuilt) is null', () => {
    expect(readGrafanaMetadata(null)).toBeNull();
  });

  it('a malformed record is one clear message naming the field', () => {
    const bad = { ...today, counts: { ...counts, dashboards: '5' } };
    expect(() => readGrafanaMetadata(bad)).toThrow(MetadataError);
    expect(() => readGrafanaMetadata(bad)).toThrow(
      'the metadata recorded for this grafana snapshot is malformed (counts.dashboards: expected number, received string): it cannot be compared with the snapshot'
    );
    const { counts: _counts, ...withoutCounts } = today;
    expect(() => grafanaDriver.contents(withoutCounts)).toThrow('(counts is missing)');
  });
});
