/** The one decide step every planner goes through: its order (absent, same, provisioned, newer, update). */
import { byProvenance, decide, newerUpdate, newerVersion } from './decide';
import { shown } from './testing/context';

const base = { kind: 'folder' as const, key: 'f', name: 'F' };
const change = { apply: async () => undefined, reason: 'title changed', human: 'check it' };
const file = { reason: 'from a file', human: 'restore its file' };

describe('decide', () => {
  test('absent: create, unless it came from a file (then its file is what to restore)', () => {
    expect(shown(decide(base, { exists: false, same: false, force: false }, change))).toEqual({
      action: 'create',
      reason: 'title changed',
      human: 'check it',
      applies: true,
    });
    expect(shown(decide(base, { exists: false, same: false, provisioned: file, force: true }, change))).toEqual({
      action: 'skipped-provisioned',
      reason: 'from a file',
      human: 'restore its file',
      applies: false,
    });
  });

  test('the same: unchanged, whatever else holds (a person may still have something to do)', () => {
    const facts = { exists: true, same: true, provisioned: file, newer: newerVersion(5, 3), force: false };
    expect(shown(decide(base, facts, change))).toEqual({ action: 'unchanged', human: 'check it', applies: false });
  });

  test('provisioned before newer: Grafana refuses the change even when forced', () => {
    const facts = { exists: true, same: false, provisioned: file, newer: newerVersion(5, 3), force: true };
    expect(shown(decide(base, facts, change)).action).toBe('skipped-provisioned');
  });

  test('newer: skipped unless forced; forced, the update says what it overwrites', () => {
    const facts = { exists: true, same: false, newer: newerVersion(5, 3), force: false };
    expect(shown(decide(base, facts, change))).toEqual({
      action: 'skipped-newer',
      reason: 'changed in Grafana after the backup (version 5 > 3); force overwrites',
      applies: false,
    });
    expect(shown(decide(base, { ...facts, force: true }, change))).toEqual({
      action: 'update',
      reason: 'title changed; overwrites newer version 5 (force)',
      human: 'check it',
      applies: true,
    });
  });

  test('otherwise: update', () => {
    expect(shown(decide(base, { exists: true, same: false, newer: newerVersion(3, 3), force: false }, change))).toEqual(
      {
        action: 'update',
        reason: 'title changed',
        human: 'check it',
        applies: true,
      }
    );
  });

  test('newer by version or by update time; provenance in words', () => {
    expect(newerVersion(2, 3)).toBeNull();
    expect(newerUpdate('2025-02-01T00:00:00Z', '2025-01-01T00:00:00Z')).toEqual({
      detail: '2025-02-01T00:00:00Z',
      live: 'version of 2025-02-01T00:00:00Z',
    });
    expect(newerUpdate('', '2025-01-01T00:00:00Z')).toBeNull();
    expect(byProvenance({ provenance: '' })).toBeNull();
    expect(byProvenance({ provenance: 'file' })).toEqual({
      reason: 'managed by a provisioning file: Grafana refuses other changes',
      human: 'restore its provisioning file (Ansible)',
    });
    expect(byProvenance({ provenance: 'terraform' })?.human).toBe('change it where it is managed (terraform)');
  });
});
