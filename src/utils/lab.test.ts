import { makeLabStatus, makeStatus } from '../test/fixtures';
import { addressOf, auditTargetOf, labOf, matchesAddress, refOf } from './lab';
import { dashboardUrl, restoreUrl, targetUrl } from './routing';
import { targetPath } from '../api/client';

describe('targets in a lab of several instances (issue 14)', () => {
  it("address its own targets by name and the peers' as <instance>/<name>, in calls and URLs", () => {
    expect(addressOf({ instance: 'app1', name: 'mysql' }, 'app1')).toBe('mysql');
    expect(addressOf({ instance: 'mon1', name: 'prometheus' }, 'app1')).toBe('mon1/prometheus');
    // While it is not known which instance is asked, always with the instance (the service takes both).
    expect(addressOf({ instance: 'app1', name: 'mysql' }, null)).toBe('app1/mysql');
    expect(refOf('mon1/prometheus', 'app1')).toEqual({ instance: 'mon1', name: 'prometheus' });
    expect(refOf('mysql', 'app1')).toEqual({ instance: 'app1', name: 'mysql' });
    expect(refOf('mysql', null)).toBeNull();
    expect(matchesAddress({ instance: 'mon1', name: 'mysql' }, 'mysql', 'app1')).toBe(false);
    expect(matchesAddress({ instance: 'mon1', name: 'mysql' }, 'mon1/mysql', 'app1')).toBe(true);
    // Readable URLs, never %2F (Grafana unescapes the proxied path).
    expect(targetUrl('mon1/prometheus')).toBe('/a/labops-backupsla-app/target/mon1/prometheus');
    expect(restoreUrl('mon1/prometheus')).toBe('/a/labops-backupsla-app/target/mon1/prometheus?restore=latest');
    expect(targetPath('mon1/a b')).toBe('mon1/a%20b');
    expect(dashboardUrl({ instance: 'mon1', name: 'prometheus' }, false)).toBe('/d/backup-sla?var-target=prometheus');
  });

  it('know the lab from the status: the instance asked, the instances, whether there are several', () => {
    expect(labOf(makeStatus())).toEqual({ self: 'app1', instances: makeStatus().instances, multi: false });
    expect(labOf(makeLabStatus()).multi).toBe(true);
    expect(labOf(undefined)).toEqual({ self: null, instances: [], multi: false });
  });

  it("place an audit entry's target: its own instance's, or the peer's it forwarded the operation to", () => {
    expect(auditTargetOf({ instance: 'app1', target: 'mysql' })).toEqual({ instance: 'app1', name: 'mysql' });
    expect(auditTargetOf({ instance: 'app1', target: 'mon1/mysql' })).toEqual({ instance: 'mon1', name: 'mysql' });
    expect(auditTargetOf({ instance: 'app1', target: null })).toBeNull();
  });
});
