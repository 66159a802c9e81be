import { readInfluxMetadata } from './metadata';
import { recorded, stateMetadata } from './state';
import type { ShardRecord } from './shards';
import { MetadataError } from '../kit/metadata';
import { influxdbDriver } from '../influxdb';

const before = {
  telegraf: {
    autogen: { cpu: { points: 300, fields: { idle: 300, user: 280 } }, mem: { points: 10, fields: { used: 10 } } },
  },
};
const after = { telegraf: { autogen: { ...before.telegraf.autogen, mem: { points: 11, fields: { used: 11 } } } } };
const CUTOFF = '2026-11-30T10:00:00.000Z';
const shard = (id: number, state: Record<string, any>, stateAfter?: Record<string, any>): ShardRecord => ({
  database: 'telegraf',
  rp: 'autogen',
  id,
  start: `2026-11-${String(id).padStart(2, '0')}T00:00:00.000Z`,
  end: `2026-11-${String(id + 7).padStart(2, '0')}T00:00:00.000Z`,
  sha256: 'a'.repeat(64),
  countedAt: CUTOFF,
  state,
  ...(stateAfter ? { stateAfter } : {}),
});
/** cpu spread over two shards, mem in the newest one, written into during the backup. */
const shards = [
  shard(9, { cpu: { points: 200, fields: { idle: 200, user: 190 } } }),
  shard(
    16,
    { cpu: { points: 100, fields: { idle: 100, user: 90 } }, mem: before.telegraf.autogen.mem },
    {
      cpu: { points: 100, fields: { idle: 100, user: 90 } },
      mem: after.telegraf.autogen.mem,
    }
  ),
];
/** As today's backup writes it (influxdb.ts backup → stateMetadata): late writes, a configured database gone. */
const today = stateMetadata(['telegraf'], CUTOFF, shards, ['gone']);

describe('influxdb metadata', () => {
  it("today's record parses as written", () => {
    expect(today).toMatchObject({ measurements: 2, points: 310, changedDuringBackup: true, missing: ['gone'] });
    expect(readInfluxMetadata(today)).toEqual(today);
    expect(recorded(readInfluxMetadata(today))).toEqual({ cutoff: CUTOFF, before, after, shards });
    expect(influxdbDriver.contents(today)).toEqual({
      summary: '1 database, 2 measurements, 310 points',
      items: [{ name: 'telegraf', count: 310, unit: 'points' }],
    });
  });

  it('a record without late writes or missing databases (the common one) parses', () => {
    const quiet = stateMetadata(['telegraf'], CUTOFF, [shard(9, before.telegraf.autogen)], []);
    expect(quiet).not.toHaveProperty('stateAfter');
    expect(quiet).not.toHaveProperty('missing');
    expect(recorded(readInfluxMetadata(quiet))!.after).toBeUndefined();
  });

  it("the databases' state is the sum of the shards' (before, and after where late writes changed it)", () => {
    expect(today.state).toEqual(before);
    expect(today.stateAfter).toEqual(after);
    expect(readInfluxMetadata(today)!.shards!.map((r) => r.id)).toEqual([9, 16]);
  });

  it('a record from before shards were recorded parses (the next backup then counts every shard)', () => {
    const { shards: _shards, ...older } = today;
    expect(readInfluxMetadata(older)!.shards).toBeUndefined();
    expect(recorded(readInfluxMetadata(older))).toEqual({ cutoff: CUTOFF, before, after, shards: undefined });
  });

  it('no metadata (catalog rebuilt) is null', () => {
    expect(recorded(readInfluxMetadata(null))).toBeNull();
  });

  it('a malformed record is one clear message naming the field', () => {
    const bad = JSON.parse(JSON.stringify(today));
    bad.state.telegraf.autogen.cpu.fields.idle = 'many';
    expect(() => readInfluxMetadata(bad)).toThrow(MetadataError);
    expect(() => readInfluxMetadata(bad)).toThrow(
      'the metadata recorded for this influxdb snapshot is malformed (state.telegraf.autogen.cpu.fields.idle: expected number, received string): it cannot be compared with the snapshot'
    );
    const { cutoff: _cutoff, ...withoutCutoff } = today;
    expect(() => readInfluxMetadata(withoutCutoff)).toThrow('(cutoff is missing)');
    expect(() => influxdbDriver.contents({ ...today, state: null })).toThrow(MetadataError);
  });
});
