/** The contact points planner: by uid, else name and type; redacted secrets said as what a person does. */
import { liveContactPoint, planContactPoint } from './contact-points';
import { contextOf, shown } from './testing/context';

const slack = { uid: 'ops-slack', name: 'ops', type: 'slack', settings: { url: '[REDACTED]', recipient: '#ops' } };

describe('contact points planner', () => {
  test('absent: created, its redacted settings to enter again', () => {
    expect(shown(planContactPoint(contextOf(), slack, null))).toEqual({
      action: 'create',
      human: 're-enter its secure settings (url): Grafana never exports them',
      applies: true,
    });
  });

  test('found by uid, else by name and type; the same: unchanged (the uid does not count)', () => {
    const byName = { uid: 'other', name: 'ops', type: 'slack', settings: slack.settings };
    const ctx = contextOf({ live: { contactPoints: [byName] } });
    expect(liveContactPoint(ctx, slack)).toBe(byName);
    expect(liveContactPoint(ctx, { ...slack, type: 'email' })).toBeNull();
    expect(planContactPoint(ctx, slack, byName).action).toBe('unchanged');
  });

  test('other settings: updated (a redacted secret keeps the one Grafana holds); managed elsewhere: skipped', () => {
    const live = { ...slack, settings: { url: '[REDACTED]', recipient: '#other' } };
    expect(shown(planContactPoint(contextOf(), slack, live))).toEqual({ action: 'update', applies: true });
    expect(planContactPoint(contextOf(), slack, { ...live, provenance: 'file' }).action).toBe('skipped-provisioned');
  });
});
