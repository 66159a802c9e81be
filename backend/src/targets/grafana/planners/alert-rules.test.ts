/** The alert rules planner: in a folder, on data sources that exist, and their groups' intervals after them. */
import { planAlertRule, planAlertRules, planRuleGroup } from './alert-rules';
import { contextOf, shown } from './testing/context';

const rule = {
  uid: 'node-down',
  title: 'Node down',
  folderUID: 'infra',
  ruleGroup: 'nodes',
  updated: '2025-01-01T00:00:00Z',
  data: [
    { refId: 'A', datasourceUid: 'prom' },
    { refId: 'B', datasourceUid: '__expr__' },
  ],
};
const infra = { folders: new Map([['infra', { uid: 'infra', title: 'Infrastructure' }]]) };
const prom = new Set(['prom']);

describe('alert rules planner', () => {
  test('absent: created; in General or a folder that is gone: an error', () => {
    expect(shown(planAlertRule(contextOf({ live: infra }), rule, null, prom))).toEqual({
      action: 'create',
      applies: true,
    });
    expect(planAlertRule(contextOf({ live: infra }), { ...rule, folderUID: '' }, null, prom).reason).toBe(
      'alert rules need a folder'
    );
    expect(planAlertRule(contextOf(), rule, null, prom).reason).toBe(
      'its folder infra is neither in the backup nor in Grafana'
    );
  });

  test('a query on a data source neither in the backup nor in Grafana: an error (expressions are no data source)', () => {
    expect(planAlertRule(contextOf({ live: infra }), rule, null, new Set()).reason).toBe(
      'queries data source prom, which is neither in the backup nor in Grafana'
    );
  });

  test('the same but for what Grafana sets itself: unchanged; updated later: kept unless forced', () => {
    const live = { ...rule, id: 12, orgID: 1, provenance: '', updated: '2025-03-01T00:00:00Z' };
    expect(planAlertRule(contextOf({ live: infra }), rule, live, prom).action).toBe('unchanged');
    const edited = { ...live, title: 'Node down!' };
    expect(shown(planAlertRule(contextOf({ live: infra }), rule, edited, prom))).toEqual({
      action: 'skipped-newer',
      reason: 'changed in Grafana after the backup (2025-03-01T00:00:00Z); force overwrites',
      applies: false,
    });
    expect(planAlertRule(contextOf({ live: infra, force: true }), rule, edited, prom).action).toBe('update');
  });

  test("a group's interval: set after its rules, only for groups whose rules can be restored", async () => {
    const group = { folderUid: 'infra', title: 'nodes', interval: 120 };
    expect(shown(planRuleGroup(contextOf({ live: infra }), group, 'infra', null))).toEqual({
      action: 'create',
      reason: 'evaluation interval 120 s',
      applies: true,
    });
    expect(planRuleGroup(contextOf({ live: infra }), group, 'infra', { interval: 60 }).reason).toBe(
      'evaluation interval 60 s → 120 s'
    );
    expect(planRuleGroup(contextOf({ live: infra }), group, 'infra', { interval: 120 }).action).toBe('unchanged');
    // The rule's folder is gone: the rule is the error; its group is not planned at all (nothing is read).
    const items = await planAlertRules(contextOf({ backup: { alertRules: [rule], alertRuleGroups: [group] } }));
    expect(items.map((i) => [i.kind, i.action])).toEqual([['alert rule', 'error']]);
  });
});
