import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contentHash, treeEntries, walk } from './tree';

// treeEntries hashes several files at once and small files from one read: the entries must be
// exactly those of reading every file on its own, in path order, and any change must show.
describe('kit/tree: treeEntries', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-tree-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  it('gives every file its own content hash, mode and size, sorted by path, whatever the read order', async () => {
    for (let i = 0; i < 60; i++) {
      mkdirSync(path.join(dir, `d${i % 7}`), { recursive: true });
      writeFileSync(path.join(dir, `d${i % 7}`, `f${i}.yml`), `file ${i}\n`.repeat(i * 10));
    }
    // Larger than one read: streamed.
    writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    chmodSync(path.join(dir, 'd0', 'f0.yml'), 0o600);
    symlinkSync('d1/f1.yml', path.join(dir, 'link'));

    const rels = walk(dir);
    const entries = await treeEntries(dir, [...rels].reverse());
    expect(entries.map((e) => e.path)).toEqual(rels);
    for (const e of entries) {
      if (e.kind === 'file') {
        expect(e.sha256).toBe(sha(path.join(dir, e.path)));
        expect(e.size).toBe(readFileSync(path.join(dir, e.path)).length);
      }
    }
    expect(entries.find((e) => e.path === 'd0/f0.yml')!.mode).toBe(0o600);
    expect(entries.find((e) => e.path === 'link')).toMatchObject({ kind: 'symlink', size: 'd1/f1.yml'.length });

    const before = contentHash(entries);
    // One byte at the end of the streamed file, a mode, a small file: each changes the hash.
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    big[big.length - 1] = 8;
    writeFileSync(path.join(dir, 'big.bin'), big);
    const afterBig = contentHash(await treeEntries(dir, rels));
    expect(afterBig).not.toBe(before);
    chmodSync(path.join(dir, 'd3', 'f3.yml'), 0o755);
    const afterMode = contentHash(await treeEntries(dir, rels));
    expect(afterMode).not.toBe(afterBig);
    writeFileSync(path.join(dir, 'd5', 'f5.yml'), 'other\n');
    expect(contentHash(await treeEntries(dir, rels))).not.toBe(afterMode);
  });

  it('skips a path that vanished', async () => {
    writeFileSync(path.join(dir, 'a'), 'a');
    expect((await treeEntries(dir, ['a', 'gone'])).map((e) => e.path)).toEqual(['a']);
    expect(await treeEntries(dir, [])).toEqual([]);
  });
});
