import { makeLabStatus, makeStatus, makeTarget } from '../test/fixtures';
import { coveredLevel, displayLevel, levelOfReason, overallLevel, worstLevel } from './levels';

const unknownOnly = () =>
  makeTarget({
    level: 'warning',
    reasons: ['no restore measured yet, RTO 5 min'],
    recoverySeconds: null,
    checks: {
      ...makeTarget().checks,
      recovery: { level: 'unknown', reason: 'no restore measured yet, RTO 5 min' },
    },
  });

describe('levels', () => {
  it('orders ok < unknown < warning < critical, as the service does', () => {
    expect(worstLevel([])).toBe('ok');
    expect(worstLevel(['ok', 'unknown'])).toBe('unknown');
    expect(worstLevel(['unknown', 'warning', 'ok'])).toBe('warning');
    expect(worstLevel(['critical', 'warning'])).toBe('critical');
  });

  it('shows a target whose only open check is unknown as unknown', () => {
    const t = unknownOnly();
    expect(displayLevel(t)).toBe('unknown');
    expect(levelOfReason(t, 'no restore measured yet, RTO 5 min')).toBe('unknown');
  });

  it("keeps the service's level when a check is really wrong", () => {
    const t = unknownOnly();
    t.checks.verified = { level: 'warning', reason: 'never verified' };
    t.reasons = ['never verified', 'no restore measured yet, RTO 5 min'];
    expect(displayLevel(t)).toBe('warning');
    expect(levelOfReason(t, 'never verified')).toBe('warning');
    const status = makeStatus();
    expect(status.targets.map(displayLevel)).toEqual(status.targets.map((t) => t.level));
  });

  it('keeps the overall level and the covered services consistent with the targets as shown', () => {
    const status = makeStatus();
    expect(overallLevel(status)).toBe('critical');
    const t = { ...unknownOnly(), name: 'ansible' };
    const only = { ...status, level: 'warning' as const, targets: [t, makeTarget({ name: 'agama' })] };
    expect(overallLevel(only)).toBe('unknown');
    expect(coveredLevel({ coveredBy: 'ansible', level: 'warning' }, only.targets)).toBe('unknown');
    expect(coveredLevel({ coveredBy: 'gone', level: 'warning' }, only.targets)).toBe('warning');
    expect(overallLevel({ ...status, targets: [] })).toBe('critical');
  });

  it("takes a covered service's level from the covering target on the service's own instance", () => {
    const lab = makeLabStatus();
    // mon1 covers "Grafana alerts" by its influxdb; app1 has no influxdb at all.
    expect(coveredLevel({ instance: 'mon1', coveredBy: 'influxdb', level: 'critical' }, lab.targets)).toBe('ok');
    expect(coveredLevel({ instance: 'app1', coveredBy: 'influxdb', level: 'critical' }, lab.targets)).toBe('critical');
    // Both have a mysql: app1's is critical, mon1's ok.
    expect(coveredLevel({ instance: 'app1', coveredBy: 'mysql', level: 'ok' }, lab.targets)).toBe('critical');
    expect(coveredLevel({ instance: 'mon1', coveredBy: 'mysql', level: 'ok' }, lab.targets)).toBe('ok');
  });
});
