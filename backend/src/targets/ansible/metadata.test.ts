import { ansibleRecord, readAnsibleMetadata } from './metadata';
import { MetadataError } from '../kit/metadata';
import { ansibleDriver } from '../ansible';

/** As today's backup writes it (ansible.ts backup → ansibleRecord). */
const today = ansibleRecord({
  path: '/srv/ansible',
  commit: '0123456789abcdef0123456789abcdef01234567',
  branch: 'main',
  files: 400,
  bytes: 1_000_000,
  dirty: true,
  refs: 3,
  contentHash: 'c'.repeat(64),
  treeHash: 't'.repeat(64),
});

describe('ansible metadata', () => {
  it("today's record parses as written", () => {
    expect(readAnsibleMetadata(today)).toEqual(today);
    expect(ansibleDriver.contents(today)).toEqual({
      summary: '400 files, commit 01234567 on main, with uncommitted changes',
      items: [{ name: '/srv/ansible', count: 400, unit: 'files' }],
    });
  });

  it('a repository without commits, and an older record without hashes, parse', () => {
    const empty = ansibleRecord({ path: '/srv/ansible', commit: null, branch: null, files: 2 });
    expect(ansibleDriver.contents(empty)!.summary).toBe('2 files, no commits');
    expect(readAnsibleMetadata({ path: '/srv/ansible', files: 2 })!.treeHash).toBeUndefined();
  });

  it('no metadata (catalog rebuilt) is null; a malformed record is one clear message naming the field', () => {
    expect(readAnsibleMetadata(null)).toBeNull();
    const bad = { ...today, files: '400' };
    expect(() => readAnsibleMetadata(bad)).toThrow(MetadataError);
    expect(() => readAnsibleMetadata(bad)).toThrow(
      'the metadata recorded for this ansible snapshot is malformed (files: expected number, received string): it cannot be compared with the snapshot'
    );
  });
});
