import { rmSync } from 'node:fs';
import { makeLab, Lab } from '../test/harness';
import { createAgama, mysqlTarget } from '../test/mysql';
import { rebuildCatalog } from './rebuild';

describe('rebuilding a lost catalog from the repositories', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('agama_rebuild', 40);
    lab = makeLab({
      repositories: {
        main: { url: './repo', passwordFile: './repo.pass' },
        flash: { url: './flash', passwordFile: './repo.pass' },
      },
      targets: { mysql: mysqlTarget('agama_rebuild', { copies: ['flash'] }) },
    });
  });
  afterAll(() => lab.cleanup());

  it('finds every snapshot again, with the copies that hold it, and can still verify and restore', async () => {
    const first = await lab.engine.backup('mysql', 'test');
    lab.clock.advance(7 * 86400); // another week: weekly retention keeps both
    const second = await lab.engine.backup('mysql', 'test');
    const before = lab.engine.snapshots('mysql').map((s) => ({ id: s.id, heldBy: s.heldBy }));

    // The catalog file is lost.
    lab.engine.catalog.close();
    rmSync(lab.engine.config.catalog);
    rmSync(`${lab.engine.config.catalog}-wal`, { force: true });
    rmSync(`${lab.engine.config.catalog}-shm`, { force: true });
    const engine = lab.reopen();
    expect(engine.snapshots('mysql')).toEqual([]);

    const report = await rebuildCatalog(engine);
    expect(report).toEqual([{ target: 'mysql', found: 2, added: 2, dropped: 0 }]);
    const after = engine.snapshots('mysql');
    expect(after.map((s) => ({ id: s.id, heldBy: s.heldBy }))).toEqual(before);
    expect(after.map((s) => s.id)).toEqual([second.snapshotId, first.snapshotId]);
    // The run identity comes back from the tags (the run numbers were the lost catalog's own).
    expect(after.every((s) => s.metadata === null && /^[0-9a-f-]{36}$/.test(s.runUid ?? ''))).toBe(true);

    // Without the metadata recorded at backup time, verification restores and says what it could not compare.
    const v = await engine.verify('mysql', 'latest', 'test');
    expect(v.status).toBe('success');
    expect(v.detail.result).toMatch(/^restored 1 table \(no recorded state to compare: catalog was rebuilt\)$/);
    // A second rebuild adds nothing.
    expect(await rebuildCatalog(engine)).toEqual([{ target: 'mysql', found: 2, added: 0, dropped: 0 }]);
  });
});
