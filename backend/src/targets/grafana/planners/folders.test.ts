/** The folders planner: parents first, by uid, and where each folder's objects go. */
import type { JsonObject } from '../client';
import type { FolderObject } from '../export';
import { planFolders, topological } from './folders';
import { contextOf, shown } from './testing/context';

const folder = (uid: string, title: string, parentUid: string | null = null, version = 1): FolderObject => ({
  uid,
  title,
  parentUid,
  version,
});

describe('folders planner', () => {
  test('parents before children, whatever the order in the backup', () => {
    const order = topological([folder('c', 'C', 'b'), folder('b', 'B', 'a'), folder('a', 'A')]).map((f) => f.uid);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  test('a folder of the same title with another uid is another folder: the backed-up one is created as itself', () => {
    const ctx = contextOf({
      live: { folders: new Map([['new', { uid: 'new', title: 'Infrastructure', version: 1 }]]) },
      backup: { folders: [folder('infra', 'Infrastructure'), folder('db', 'Databases', 'infra')] },
    });
    const items = planFolders(ctx);
    expect(items.map((i) => [i.key, shown(i)])).toEqual([
      ['infra', { action: 'create', applies: true }],
      ['db', { action: 'create', reason: 'in Infrastructure', applies: true }],
    ]);
    expect(ctx.folders.target('db')).toBe('db');
    expect(ctx.folders.target('')).toBe('');
  });

  test('renamed and moved: one update saying both; changed after the backup: kept unless forced', () => {
    const live = {
      folders: new Map<string, JsonObject>([
        ['a', { uid: 'a', title: 'A', version: 1 }],
        ['b', { uid: 'b', title: 'B renamed', parentUid: 'a', version: 1 }],
      ]),
    };
    const backup = { folders: [folder('a', 'A'), folder('b', 'B')] };
    expect(planFolders(contextOf({ live, backup })).map(shown)).toEqual([
      { action: 'unchanged', applies: false },
      { action: 'update', reason: "title 'B renamed' → 'B', parent A → General", applies: true },
    ]);
    live.folders.get('b')!.version = 4;
    expect(planFolders(contextOf({ live, backup }))[1].action).toBe('skipped-newer');
  });

  test('a parent neither in the backup nor in Grafana: an error, and so is what lies in the child', () => {
    const ctx = contextOf({ backup: { folders: [folder('child', 'Child', 'gone')] } });
    expect(planFolders(ctx).map(shown)).toEqual([
      { action: 'error', reason: 'parent its folder gone is neither in the backup nor in Grafana', applies: false },
    ]);
    expect(ctx.folders.target('child')).toBeUndefined();
    expect(ctx.folders.missing('child')).toBe('its folder Child cannot be restored');
  });
});
