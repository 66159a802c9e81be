import { readInfluxMetadata } from './metadata';
import { recorded, stateMetadata } from './state';
import { MetadataError } from '../kit/metadata';
import { influxdbDriver } from '../influxdb';

const before = {
  telegraf: {
    autogen: { cpu: { points: 300, fields: { idle: 300, user: 280 } }, mem: { points: 10, fields: { used: 10 } } },
  },
};
const after = { telegraf: { autogen: { ...before.telegraf.autogen, mem: { points: 11, fields: { used: 11 } } } } };
/** As today's backup writes it (influxdb.ts backup → stateMetadata): late writes, a configured database gone. */
const today = stateMetadata(['telegraf'], '2026-11-30T10:00:00.000Z', before, after, ['gone']);

describe('influxdb metadata', () => {
  it("today's record parses as written", () => {
    expect(today).toMatchObject({ measurements: 2, points: 310, changedDuringBackup: true, missing: ['gone'] });
    expect(readInfluxMetadata(today)).toEqual(today);
    expect(recorded(readInfluxMetadata(today))).toEqual({ cutoff: '2026-11-30T10:00:00.000Z', before, after });
    expect(influxdbDriver.contents(today)).toEqual({
      summary: '1 database, 2 measurements, 310 points',
      items: [{ name: 'telegraf', count: 310, unit: 'points' }],
    });
  });

  it('a record without late writes or missing databases (the common one) parses', () => {
    const quiet = stateMetadata(['telegraf'], '2026-11-30T10:00:00.000Z', before, before, []);
    expect(quiet).not.toHaveProperty('stateAfter');
    expect(quiet).not.toHaveProperty('missing');
    expect(recorded(readInfluxMetadata(quiet))!.after).toBeUndefined();
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
