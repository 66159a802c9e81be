/** The dashboards planner: by uid, provisioned ones left to their files, newer ones kept unless forced. */
import type { DashboardObject } from '../export';
import { planDashboard } from './dashboards';
import { contextOf, shown } from './testing/context';

const mysql = (meta: Partial<DashboardObject['meta']> = {}): DashboardObject => ({
  dashboard: { uid: 'mysql-overview', title: 'MySQL', panels: [] },
  meta: {
    folderUid: 'db',
    folderTitle: 'Databases',
    version: 3,
    provisioned: false,
    provisionedExternalId: '',
    updated: '',
    ...meta,
  },
});
const live = { folders: new Map([['db', { uid: 'db', title: 'Databases' }]]) };
const current = (version: number, title = 'MySQL', meta: Record<string, unknown> = {}) => ({
  dashboard: { id: 7, uid: 'mysql-overview', title, panels: [], version },
  meta: { folderUid: 'db', version, ...meta },
});

describe('dashboards planner', () => {
  test('named by folder and title; absent: created; its folder gone: an error', () => {
    const item = planDashboard(contextOf({ live }), mysql(), null);
    expect([item.name, shown(item)]).toEqual(['Databases/MySQL', { action: 'create', applies: true }]);
    expect(shown(planDashboard(contextOf(), mysql(), null))).toEqual({
      action: 'error',
      reason: 'its folder db is neither in the backup nor in Grafana',
      applies: false,
    });
  });

  test('the same model in the same folder: unchanged (ids and versions do not count)', () => {
    expect(planDashboard(contextOf({ live }), mysql(), current(9)).action).toBe('unchanged');
  });

  test('changed after the backup: skipped, or with force updated saying so', () => {
    expect(shown(planDashboard(contextOf({ live }), mysql(), current(5, 'MySQL v3')))).toEqual({
      action: 'skipped-newer',
      reason: 'changed in Grafana after the backup (version 5 > 3); force overwrites',
      applies: false,
    });
    expect(shown(planDashboard(contextOf({ live, force: true }), mysql(), current(5, 'MySQL v3')))).toEqual({
      action: 'update',
      reason: 'overwrites newer version 5 (force)',
      applies: true,
    });
  });

  test('provisioned from a file, live or gone: skipped, with the file to restore', () => {
    const item = planDashboard(
      contextOf({ live }),
      mysql(),
      current(3, 'x', { provisioned: true, provisionedExternalId: 'db.json' })
    );
    expect(shown(item)).toEqual({
      action: 'skipped-provisioned',
      reason: 'provisioned from a file: Grafana refuses to save it through the API',
      human: 'restore its provisioning file db.json (Ansible)',
      applies: false,
    });
    const gone = planDashboard(contextOf({ live }), mysql({ provisioned: true }), null);
    expect(gone.reason).toBe('was provisioned from a file and is gone from Grafana');
  });
});
