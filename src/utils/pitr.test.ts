import { setTimeZoneResolver } from '@grafana/data';
import { makePitr } from '../test/fixtures';
import { checkPoint, formatPoint, parsePoint, pointToIso } from './pitr';

describe('points in time in the user time zone', () => {
  afterEach(() => setTimeZoneResolver(() => 'browser'));

  it('reads and writes a time in the time zone Grafana gives the user, and sends it with its offset', () => {
    setTimeZoneResolver(() => 'Europe/Prague');
    const ms = parsePoint('2026-11-29 14:32:05');
    expect(new Date(ms!).toISOString()).toBe('2026-11-29T13:32:05.000Z');
    expect(pointToIso(ms!)).toBe('2026-11-29T14:32:05+01:00');
    expect(formatPoint('2026-11-29T13:32:05Z')).toBe('2026-11-29 14:32:05');
    // Summer time: the offset of that day.
    expect(pointToIso(parsePoint('2026-07-01 09:00')!)).toBe('2026-07-01T09:00:00+02:00');
  });

  it('takes only a whole date and time (seconds optional, T allowed), nothing moment would guess', () => {
    setTimeZoneResolver(() => 'utc');
    expect(parsePoint(' 2025-03-08T09:30 ')).toBe(Date.parse('2025-03-08T09:30:00Z'));
    for (const text of ['', '2025-03', 'now-1h', 'yesterday', '2025-03-08 25:00:00', '2025-02-30 10:00:00']) {
      expect(parsePoint(text)).toBeNull();
    }
  });
});

describe('checkPoint (as the service judges a restore to a point in time)', () => {
  beforeEach(() => setTimeZoneResolver(() => 'utc'));
  afterEach(() => setTimeZoneResolver(() => 'browser'));
  const pitr = makePitr();
  const at = (iso: string) => checkPoint(pitr, Date.parse(iso));

  it('accepts every second of a range, both ends included', () => {
    for (const t of [
      '2025-03-03T02:00:05Z',
      '2025-03-08T09:59:59.900Z',
      '2025-03-09T02:00:07Z',
      '2025-03-10T11:59:55Z',
    ]) {
      expect(at(t)).toEqual({ ok: true });
    }
  });

  it('refuses a gap with its reason and both nearest recoverable times', () => {
    expect(at('2025-03-08T10:00:00Z')).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^2025-03-08 10:00:00 cannot be recovered: it lies in a gap of the archive \(2025-03-08 10:00:00 – 2025-03-09 02:00:06\): binlog\.000042 was purged .*Nearest recoverable: 2025-03-08 09:59:59 \(the latest before\) or 2025-03-09 02:00:07 \(the earliest after\)\.$/
      ),
      before: '2025-03-08T09:59:59Z',
      after: '2025-03-09T02:00:07Z',
    });
  });

  it('refuses before the window and after it, naming a stalled archive', () => {
    expect(at('2025-03-03T02:00:04Z')).toMatchObject({ ok: false, before: null, after: '2025-03-03T02:00:05Z' });
    const stalled = makePitr({ stalled: 'the archiver is not running (is backup-sla serve running?)' });
    expect(checkPoint(stalled, Date.parse('2025-03-10T11:59:56Z'))).toMatchObject({
      ok: false,
      message: expect.stringContaining(
        'the archive holds the log only through 2025-03-10 11:59:55 (the archiver is not running (is backup-sla serve running?))'
      ),
      before: '2025-03-10T11:59:55Z',
      after: null,
    });
    const empty = makePitr({ ranges: [], gaps: [], windowStart: null, windowEnd: null });
    expect(checkPoint(empty, Date.parse('2025-03-10T11:00:00Z'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Nothing is recoverable to a point in time yet/),
    });
  });
});
