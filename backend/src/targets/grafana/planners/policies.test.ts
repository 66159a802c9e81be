/** The policy tree planner: every contact point and mute timing it names must be there after the restore. */
import type { JsonObject } from '../client';
import { namedIn, planPolicies } from './policies';
import { contextOf, shown } from './testing/context';

const tree: JsonObject = {
  receiver: 'ops',
  routes: [{ receiver: 'db-team', mute_time_intervals: ['nights'] }, { receiver: 'ops' }],
};

describe('policies planner', () => {
  test('names every receiver and mute timing of the tree, nested routes too', () => {
    expect(namedIn(tree, 'receiver')).toEqual(['ops', 'db-team', 'ops']);
    expect(namedIn(tree, 'mute_time_intervals')).toEqual(['nights']);
  });

  test('names nothing that will be there: an error naming them', () => {
    const ctx = contextOf({ backup: { policies: tree, contactPoints: [{ name: 'ops', type: 'email' }] } });
    expect(planPolicies(ctx).map(shown)).toEqual([
      {
        action: 'error',
        reason:
          'names contact points db-team and names mute timings nights, which are neither in the backup nor in Grafana',
        applies: false,
      },
    ]);
  });

  test('all there: the same tree unchanged, another one replaced, one managed elsewhere left alone', () => {
    const live = {
      contactPoints: [{ name: 'db-team' }],
      muteTimings: new Map([['nights', { name: 'nights' }]]),
      policies: { ...tree, provenance: '' },
    };
    const backup = { policies: tree, contactPoints: [{ name: 'ops', type: 'email' }] };
    expect(planPolicies(contextOf({ live, backup }))[0].action).toBe('unchanged');
    const other = { ...live, policies: { receiver: 'db-team' } };
    expect(shown(planPolicies(contextOf({ live: other, backup }))[0])).toEqual({ action: 'update', applies: true });
    const managed = { ...live, policies: { receiver: 'db-team', provenance: 'file' } };
    expect(planPolicies(contextOf({ live: managed, backup }))[0].action).toBe('skipped-provisioned');
    expect(planPolicies(contextOf())).toEqual([]);
  });
});
