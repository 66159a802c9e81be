import { timeSpan, timeTicks } from '../components/LineChart';
import {
  describeRetention,
  describeSchedule,
  formatAge,
  formatAxisTime,
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

  it('labels a time axis with seconds when the range is short, the date when it spans days', () => {
    const t = Date.parse('2026-11-27T11:55:29Z');
    expect(formatAxisTime(t, 30_000)).toBe('11:55:29');
    expect(formatAxisTime(t, 3 * 3600_000)).toBe('11:55');
    expect(formatAxisTime(t, 3 * 86400_000)).toBe('11-27 11:55');
    expect(formatAxisTime(t, 30 * 86400_000)).toBe('2026-11-27');
    expect(formatTime('2026-11-27T11:55:29Z', true)).toBe('2026-11-27 11:55:29');
  });

  it('never repeats a time-axis label, even when every point is in the same minute', () => {
    const t = Date.parse('2026-11-27T11:55:29Z');
    const ticks = timeTicks(t, t + 29_000);
    expect(ticks.map((x) => x.label)).toEqual(['11:55:29', '11:55:38', '11:55:48', '11:55:58']);
    expect(timeTicks(t, t + 2_000).map((x) => x.label)).toEqual(['11:55:29', '11:55:30', '11:55:31']);
    expect(timeTicks(t, t)).toEqual([{ t, label: '11:55:29' }]);
    expect(timeSpan(t, t + 29_000)).toBe('2026-11-27 11:55:29 – 11:55:58');
    expect(timeSpan(t, t + 86400_000)).toBe('2026-11-27 11:55:29 – 2026-11-28 11:55:29');
    expect(timeSpan(t, t)).toBe('2026-11-27 11:55:29');
  });
});
