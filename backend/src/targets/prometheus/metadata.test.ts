import { blockRecord, readPrometheusMetadata } from './metadata';
import { MetadataError } from '../kit/metadata';
import { prometheusDriver } from '../prometheus';

const blocks = [
  { ulid: '01M8NJKN9REQ92E11EDP18GPV9', minTime: 0, maxTime: 7_200_000, series: 40, samples: 1000, chunks: 50 },
  { ulid: '01M8NJKN9REQ92E11EDP18GPVA', minTime: 7_200_000, maxTime: 9_000_000, series: 42, samples: 300, chunks: 45 },
];

describe('prometheus metadata', () => {
  it("today's records parse as written: an admin-API snapshot, and a data directory saved from disk", () => {
    const api = blockRecord(blocks, { snapshot: '20261130T100000Z-abc' });
    expect(api).toMatchObject({ series: 42, samples: 1300, minTime: 0, maxTime: 9_000_000 });
    expect(readPrometheusMetadata(api)).toEqual(api);
    const disk = blockRecord(blocks, { source: 'data directory', dataDir: '/var/lib/prometheus' });
    expect(readPrometheusMetadata(disk)).toEqual(disk);
    expect(prometheusDriver.contents(disk)!.summary).toMatch(
      /^2 blocks, 1300 samples, .* \(the data directory as it was on disk\)$/
    );
    expect(prometheusDriver.contents(api)!.items.map((i) => i.count)).toEqual([40, 42]);
  });

  it('an empty TSDB records no time range', () => {
    const empty = blockRecord([], { snapshot: 'x' });
    expect(readPrometheusMetadata(empty)).toMatchObject({ blocks: [], minTime: null, maxTime: null, series: 0 });
    expect(prometheusDriver.contents(empty)!.summary).toBe('an empty TSDB (no blocks)');
  });

  it('no metadata (catalog rebuilt) is null', () => {
    expect(readPrometheusMetadata(null)).toBeNull();
  });

  it('a malformed record is one clear message naming the field', () => {
    const bad = JSON.parse(JSON.stringify(blockRecord(blocks, { snapshot: 'x' })));
    bad.blocks[1].chunks = null;
    expect(() => readPrometheusMetadata(bad)).toThrow(MetadataError);
    expect(() => readPrometheusMetadata(bad)).toThrow(
      'the metadata recorded for this prometheus snapshot is malformed (blocks.1.chunks: expected number, received null): it cannot be compared with the snapshot'
    );
    expect(() => prometheusDriver.contents({ ...bad, blocks: 'none' })).toThrow(
      '(blocks: expected array, received string)'
    );
  });
});
