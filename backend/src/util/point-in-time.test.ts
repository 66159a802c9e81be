import { parsePointInTime } from './point-in-time';

describe('restore --at: a point in time as a person writes it', () => {
  it('reads the local time of the service, seconds optional', () => {
    expect(parsePointInTime('2026-11-29 14:32:05')).toEqual(new Date(2026, 10, 29, 14, 32, 5));
    expect(parsePointInTime('2026-11-29T14:32')).toEqual(new Date(2026, 10, 29, 14, 32, 0));
  });

  it('reads ISO 8601 with an offset or Z', () => {
    expect(parsePointInTime('2026-11-29T14:32:05+01:00')).toEqual(new Date('2026-11-29T13:32:05Z'));
    expect(parsePointInTime('2026-11-29T14:32:05-0330')).toEqual(new Date('2026-11-29T18:02:05Z'));
    expect(parsePointInTime('2026-11-29T14:32:05.250Z')).toEqual(new Date('2026-11-29T14:32:05.250Z'));
  });

  it('refuses what is not a time, and dates that do not exist', () => {
    expect(parsePointInTime('yesterday')).toEqual({
      problem: expect.stringMatching(
        /is not a time: use the local time "YYYY-MM-DD HH:MM:SS" or ISO 8601 with an offset/
      ),
    });
    expect(parsePointInTime('2026-02-30 10:00:00')).toEqual({
      problem: expect.stringMatching(/does not exist in the service's local time/),
    });
    expect(parsePointInTime('2026-11-29 25:00:00')).toEqual({ problem: expect.stringMatching(/does not exist/) });
  });
});
