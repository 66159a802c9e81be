import { filesRecord, readFilesMetadata } from './metadata';
import { MetadataError } from '../kit/metadata';
import { filesDriver } from '../files';

/** As today's backup writes it (files.ts backup → filesRecord). */
const today = filesRecord({
  paths: ['/opt/agama'],
  files: 12,
  pythonFiles: 3,
  bytes: 40_960,
  contentHash: 'c'.repeat(64),
  label: '1.4.2',
  labelWarning: null,
});

describe('files metadata', () => {
  it("today's record parses as written", () => {
    expect(readFilesMetadata(today)).toEqual(today);
    expect(filesDriver.contents(today)).toEqual({
      summary: 'version 1.4.2: 12 files (3 .py), 40960 bytes',
      items: [{ name: '/opt/agama', count: null, unit: 'path' }],
    });
  });

  it('an older record (paths and files only) parses; its hash is unknown', () => {
    const older = { paths: ['/opt/agama'], files: 12 };
    expect(readFilesMetadata(older)!.contentHash).toBeUndefined();
    expect(filesDriver.contents(older)!.summary).toBe('12 files (0 .py), 0 bytes');
  });

  it('no metadata (catalog rebuilt) is null; a malformed record is one clear message naming the field', () => {
    expect(readFilesMetadata(null)).toBeNull();
    const bad = { ...today, contentHash: 42 };
    expect(() => readFilesMetadata(bad)).toThrow(MetadataError);
    expect(() => readFilesMetadata(bad)).toThrow(
      'the metadata recorded for this files snapshot is malformed (contentHash: expected string, received number): it cannot be compared with the snapshot'
    );
  });
});
