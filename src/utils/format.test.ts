import {
  describeRetention,
  describeSchedule,
  formatAge,
  formatCount,
  formatBytes,
  formatDuration,
  formatTime,
} from './format';

describe('format', () => {
  it.each([
    [12, '12 s'],
    [600, '10 min'],
    [86400, '24 h'],
    [31 * 3600, '31 h'],
    [3 * 86400, '3 d'],
    [30 * 86400, '30 d'],
  ])('formatDuration(%s) = %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it('says "never" without a backup', () => expect(formatAge(null)).toBe('never'));

  it('formats sizes in decimal units', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(12_300_000)).toBe('12 MB');
    expect(formatBytes(1_500_000_000)).toBe('1.5 GB');
    expect(formatBytes(null)).toBe('—');
  });

  it('puts common schedules in words', () => {
    expect(describeSchedule('0 2 * * *')).toBe('daily at 02:00');
    expect(describeSchedule('30 4 * * 0')).toBe('weekly on Sunday at 04:30');
    expect(describeSchedule('0 3 1 * *')).toBe('monthly on day 1 at 03:00');
    expect(describeSchedule('*/15 * * * *')).toBe('cron "*/15 * * * *"');
    expect(describeSchedule(null)).toBe('not scheduled');
  });

  it('words a retention policy when the service gives none', () => {
    expect(describeRetention({ keepWeekly: 4 })).toBe('keeps 4 weekly versions');
    expect(describeRetention({ keepLast: 3, keepWithin: '30d' })).toBe('keeps 3 last versions, everything within 30d');
  });

  it('formats times and counts', () => {
    expect(formatTime('2026-11-27T11:55:29Z', true)).toBe('2026-11-27 11:55:29');
    expect(formatCount(1, 'rows')).toBe('1 row');
    expect(formatCount(1042, 'rows')).toBe('1,042 rows');
    expect(formatCount(null, 'files')).toBe('files');
  });
});
