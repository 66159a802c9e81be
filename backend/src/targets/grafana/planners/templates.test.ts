/** The templates planner: by name; one managed elsewhere (provenance) is left alone. */
import { planTemplate } from './templates';
import { contextOf, shown } from './testing/context';

const t = { name: 'lab', template: '{{ define "lab" }}x{{ end }}' };

describe('templates planner', () => {
  test('absent: created; the same: unchanged; other text: updated', () => {
    expect(shown(planTemplate(contextOf(), t, null))).toEqual({ action: 'create', applies: true });
    expect(planTemplate(contextOf(), t, { ...t, provenance: '' }).action).toBe('unchanged');
    expect(planTemplate(contextOf(), t, { name: 'lab', template: 'y', provenance: '' }).action).toBe('update');
  });

  test('managed by a provisioning file: skipped, with the file to restore', () => {
    expect(shown(planTemplate(contextOf(), t, { name: 'lab', template: 'y', provenance: 'file' }))).toEqual({
      action: 'skipped-provisioned',
      reason: 'managed by a provisioning file: Grafana refuses other changes',
      human: 'restore its provisioning file (Ansible)',
      applies: false,
    });
  });
});
