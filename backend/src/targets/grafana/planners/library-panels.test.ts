/** The library panels planner: by uid, in their folder. */
import type { LibraryPanelObject } from '../export';
import { planLibraryPanel } from './library-panels';
import { contextOf, shown } from './testing/context';

const cpu: LibraryPanelObject = {
  uid: 'lib-cpu',
  name: 'CPU',
  kind: 1,
  type: 'timeseries',
  description: '',
  folderUid: 'infra',
  model: { type: 'timeseries', title: 'CPU' },
  version: 2,
};
const infra = { folders: new Map([['infra', { uid: 'infra', title: 'Infrastructure' }]]) };

describe('library panels planner', () => {
  test('absent: created; its folder gone: an error', () => {
    expect(shown(planLibraryPanel(contextOf({ live: infra }), cpu, null))).toEqual({ action: 'create', applies: true });
    expect(shown(planLibraryPanel(contextOf(), cpu, null))).toEqual({
      action: 'error',
      reason: 'its folder infra is neither in the backup nor in Grafana',
      applies: false,
    });
  });

  test('a panel of that name in that folder with another uid: an error', () => {
    const ctx = contextOf({ live: { ...infra, libraryPanels: [{ uid: 'other', name: 'CPU', folderUid: 'infra' }] } });
    expect(planLibraryPanel(ctx, cpu, null).reason).toBe(
      "a library panel named 'CPU' exists in Infrastructure with another uid (other)"
    );
  });

  test('the same: unchanged; another model: updated, or kept when changed after the backup', () => {
    const live = { uid: 'lib-cpu', name: 'CPU', folderUid: 'infra', model: cpu.model, version: 2 };
    expect(planLibraryPanel(contextOf({ live: infra }), cpu, live).action).toBe('unchanged');
    const edited = { ...live, model: { type: 'stat' } };
    expect(planLibraryPanel(contextOf({ live: infra }), cpu, edited).action).toBe('update');
    expect(planLibraryPanel(contextOf({ live: infra }), cpu, { ...edited, version: 3 }).action).toBe('skipped-newer');
  });
});
