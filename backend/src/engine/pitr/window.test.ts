/**
 * The recoverable window from the catalog's records alone: ranges from each dump through the
 * archive without a break, cut at restores in place; gaps with their kind and reason; the dump a
 * restore to a second starts from and the files it replays; refusals with the nearest times.
 */
import type { ArchivedFile, ArchiverState } from '../../catalog/archive';
import { planLogRetention } from '../retention';
import { pitrWindow, planPointInTime, WindowInput } from './window';

let nextId = 1;
function file(name: string, first: number, last: number, o: Partial<ArchivedFile> = {}): ArchivedFile {
  return {
    id: nextId++,
    target: 'mysql',
    file: name,
    end: 10_000,
    complete: true,
    pieces: 3,
    firstEventAt: first,
    lastEventAt: last,
    snapshotId: `snap-${name}`,
    gapBefore: null,
    startedAt: new Date(first * 1000).toISOString(),
    savedAt: new Date(last * 1000).toISOString(),
    ...o,
  };
}

const dump = (id: string, f: string, position: number, atSeconds: number) => ({
  id,
  position: { file: f, position, at: atSeconds * 1000 + 250, gtid: '0-1-1' },
});

function input(o: Partial<WindowInput>): WindowInput {
  return { files: [], state: null, dumps: [], restores: [], now: 10_000_000, stalledAfterSeconds: 900, ...o };
}

const following = (caughtUpAt: number | null): ArchiverState => ({
  target: 'mysql',
  state: 'following',
  detail: null,
  caughtUpAt,
  restarts: 0,
  pid: 1,
  updatedAt: '',
  copiedAt: null,
  copyError: null,
});

describe('the recoverable window', () => {
  const files = [
    file('binlog.000001', 1000, 1999),
    file('binlog.000002', 2000, 2999),
    file('binlog.000003', 3000, 3500, { complete: false }),
  ];

  it('reaches from the oldest dump in the archive to the newest whole second the archive holds', () => {
    const w = pitrWindow(
      input({
        files,
        dumps: [dump('a', 'binlog.000001', 500, 1200), dump('b', 'binlog.000002', 10, 2100)],
        now: 3_510_000,
      })
    );
    expect(w.ranges).toEqual([{ start: 1200, end: 3499 }]);
    expect(w.gaps).toEqual([]);
    expect(w.lagSeconds).toBe(10);
    expect(w.stalled).toBeNull();
    // Caught up with the server later than the newest event: the window reaches that second.
    const caught = pitrWindow(
      input({ files, dumps: [dump('a', 'binlog.000001', 500, 1200)], state: following(3_600_500), now: 3_601_000 })
    );
    expect(caught.end).toBe(3599);
    expect(caught.lagSeconds).toBe(0.5);
  });

  it('a file purged before it was archived: a gap of kind archive, recoverable again from the next dump', () => {
    const broken = [
      file('binlog.000001', 1000, 1999, { complete: false }),
      file('binlog.000003', 3000, 3999, {
        gapBefore: 'binlog.000001 was purged from the server before it was archived to its end',
      }),
    ];
    const w = pitrWindow(
      input({
        files: broken,
        dumps: [dump('a', 'binlog.000001', 500, 1200), dump('b', 'binlog.000003', 900, 3100)],
        now: 4_000_000,
      })
    );
    expect(w.ranges).toEqual([
      { start: 1200, end: 1998 },
      { start: 3100, end: 3998 },
    ]);
    expect(w.gaps).toEqual([
      {
        start: 1999,
        end: 3099,
        kind: 'archive',
        reason: expect.stringMatching(
          /^binlog.000001 was purged .*; recoverable again from the first backup after it$/
        ),
      },
    ]);
    const refused = planPointInTime(
      input({
        files: broken,
        dumps: [dump('a', 'binlog.000001', 500, 1200), dump('b', 'binlog.000003', 900, 3100)],
        now: 4_000_000,
      }),
      2500
    );
    expect(refused).toEqual({
      refused:
        '1970-01-01T00:41:40Z cannot be recovered: it lies in a gap of the archive (1970-01-01T00:33:19Z – 1970-01-01T00:51:39Z: binlog.000001 was purged from the server before it was archived to its end; recoverable again from the first backup after it); nearest recoverable: 1970-01-01T00:33:18Z (the latest before) or 1970-01-01T00:51:40Z (the earliest after)',
    });
  });

  it('a restore in place ends what the dumps before it reach; the next dump starts again', () => {
    const w = pitrWindow(
      input({
        files,
        dumps: [dump('a', 'binlog.000001', 500, 1200), dump('b', 'binlog.000002', 900, 2500)],
        restores: [{ startedAt: 2_000_000, finishedAt: 2_030_000 }],
        now: 3_600_000,
      })
    );
    expect(w.ranges).toEqual([
      { start: 1200, end: 1999 },
      { start: 2500, end: 3499 },
    ]);
    expect(w.gaps).toEqual([
      {
        start: 2000,
        end: 2499,
        kind: 'restore',
        reason: expect.stringMatching(/^restored in place at 1970-01-01T00:33:20Z/),
      },
    ]);
  });

  it('a dump the archive has not reached yet, or that lies before the archive, opens no range', () => {
    const young = [file('binlog.000005', 5000, 5010, { end: 400, complete: false })];
    expect(
      pitrWindow(input({ files: young, dumps: [dump('a', 'binlog.000005', 900, 5005)], now: 5_020_000 })).ranges
    ).toEqual([]);
    expect(
      pitrWindow(input({ files: young, dumps: [dump('a', 'binlog.000004', 900, 4005)], now: 5_020_000 })).ranges
    ).toEqual([]);
    expect(planPointInTime(input({ files: young, now: 5_020_000 }), 5005)).toEqual({
      refused: "nothing is recoverable to a point in time yet: the archive holds no log from a backup's position on",
    });
  });

  it('an archive that stopped: stalled, with why, once beyond stalledAfter', () => {
    const w = pitrWindow(
      input({ files, dumps: [dump('a', 'binlog.000001', 500, 1200)], now: 3_500_000 + 1000 * 1000 })
    );
    expect(w.stalled).toMatch(
      /^the archive holds nothing newer than 1000 s ago \(over 900 s\): the archiver is not running/
    );
  });

  it('a restore to a second starts from the newest dump before it and replays the files up to it', () => {
    const i = input({
      files,
      dumps: [dump('a', 'binlog.000001', 500, 1200), dump('b', 'binlog.000002', 10, 2100)],
      now: 3_510_000,
    });
    const p1 = planPointInTime(i, 1500);
    expect('dump' in p1 && [p1.dump.id, p1.files.map((f) => f.file)]).toEqual(['a', ['binlog.000001']]);
    const p2 = planPointInTime(i, 3100);
    expect('dump' in p2 && [p2.dump.id, p2.files.map((f) => f.file)]).toEqual([
      'b',
      ['binlog.000002', 'binlog.000003'],
    ]);
    expect(planPointInTime(i, 3600)).toEqual({
      refused: expect.stringMatching(
        /cannot be recovered: the archive holds the log only through 1970-01-01T00:58:19Z; nearest recoverable: 1970-01-01T00:58:19Z \(the latest before\)$/
      ),
    });
    expect(planPointInTime(i, 100)).toEqual({
      refused: expect.stringMatching(
        /it is before the oldest backup the archived log starts from; nearest recoverable: 1970-01-01T00:20:00Z \(the earliest after\)$/
      ),
    });
  });
});

describe('log retention', () => {
  const files = [
    { id: 1, file: 'binlog.000001', firstEventAt: 1000 },
    { id: 2, file: 'binlog.000002', firstEventAt: 2000 },
    { id: 3, file: 'binlog.000003', firstEventAt: 3000 },
    { id: 4, file: 'binlog.000001', firstEventAt: 9000 }, // the log was reset: the name comes back
  ];

  it('keeps the files from the oldest kept dump on; forgets those before it', () => {
    expect(
      planLogRetention(files, [
        { file: 'binlog.000002', at: 2500_000 },
        { file: 'binlog.000003', at: 3100_000 },
      ])
    ).toEqual([1]);
    expect(planLogRetention(files, [{ file: 'binlog.000003', at: 3100_000 }])).toEqual([1, 2]);
    // A reused name is the file of the dump's time.
    expect(planLogRetention(files, [{ file: 'binlog.000001', at: 9100_000 }])).toEqual([1, 2, 3]);
  });

  it('forgets nothing when no kept dump lies in the archive', () => {
    expect(planLogRetention(files, [])).toEqual([]);
    expect(planLogRetention(files, [{ file: 'binlog.000000', at: 500_000 }])).toEqual([]);
  });
});
