import { dateTimeFormat } from '@grafana/data';
import type { Retention, SlaLevel } from '../api/types';

/** A duration in the units people use for RPO/RTO: "45 s", "12 min", "31 h", "3 d". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '—';
  }
  const s = Math.max(0, seconds);
  if (s > 0 && s < 0.5) {
    // Rounds to "0 s", which reads as "nothing measured".
    return '< 1 s';
  }
  if (s < 90) {
    return `${Math.round(s)} s`;
  }
  if (s < 90 * 60) {
    return `${Math.round(s / 60)} min`;
  }
  if (s < 72 * 3600) {
    return `${Math.round(s / 3600)} h`;
  }
  return `${Math.round(s / 86400)} d`;
}

export function formatAge(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? 'never' : `${formatDuration(seconds)} ago`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return '—';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatTime(iso: string | null | undefined, withSeconds = false): string {
  if (!iso) {
    return '—';
  }
  return dateTimeFormat(iso, { format: withSeconds ? 'YYYY-MM-DD HH:mm:ss' : 'YYYY-MM-DD HH:mm' });
}

/** Seconds from now until `iso` (negative when in the past). */
export function secondsUntil(iso: string, now = Date.now()): number {
  return (new Date(iso).getTime() - now) / 1000;
}

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) {
    return '—';
  }
  const s = secondsUntil(iso, now);
  return s >= 0 ? `in ${formatDuration(s)}` : `${formatDuration(-s)} ago`;
}

export const LEVEL_TEXT: Record<SlaLevel, string> = {
  ok: 'OK',
  warning: 'Warning',
  critical: 'Critical',
  unknown: 'Unknown',
};

/** Grafana's named colours for the SLA levels: ok green, warning orange, critical red, unknown grey. */
export const LEVEL_COLOR: Record<SlaLevel, 'green' | 'orange' | 'red' | 'darkgrey'> = {
  ok: 'green',
  warning: 'orange',
  critical: 'red',
  unknown: 'darkgrey',
};

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Cron in words for the common shapes ("daily at 02:00"); anything else is shown as the cron itself. */
export function describeSchedule(cron: string | null | undefined): string {
  if (!cron) {
    return 'not scheduled';
  }
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) {
    return cron;
  }
  const [minute, hour, dom, month, dow] = parts;
  if (!/^\d+$/.test(minute) || !/^\d+$/.test(hour) || month !== '*') {
    return `cron "${cron}"`;
  }
  const at = `at ${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
  if (dom === '*' && dow === '*') {
    return `daily ${at}`;
  }
  if (dom === '*' && /^[0-7]$/.test(dow)) {
    return `weekly on ${WEEKDAYS[Number(dow) % 7]} ${at}`;
  }
  if (/^\d+$/.test(dom) && dow === '*') {
    return `monthly on day ${dom} ${at}`;
  }
  return `cron "${cron}"`;
}

/** Fallback wording of a retention policy when the service sent no `retentionText`. */
export function describeRetention(retention: Retention): string {
  const parts: string[] = [];
  const add = (n: number | undefined, what: string) => n && parts.push(`${n} ${what}${n === 1 ? '' : 's'}`);
  add(retention.keepLast, 'last version');
  add(retention.keepDaily, 'daily version');
  add(retention.keepWeekly, 'weekly version');
  add(retention.keepMonthly, 'monthly version');
  if (retention.keepWithin) {
    parts.push(`everything within ${retention.keepWithin}`);
  }
  return parts.length ? `keeps ${parts.join(', ')}` : 'keeps everything';
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? dateTimeFormat(iso, { format: 'YYYY-MM-DD' }) : '—';
}

/** "1 row", "1042 rows": a count with its unit, singular where it is one. */
export function formatCount(count: number | null | undefined, unit: string): string {
  if (count === null || count === undefined) {
    return unit;
  }
  const singular = count === 1 && unit.endsWith('s') ? unit.slice(0, -1) : unit;
  return `${count.toLocaleString('en-US')} ${singular}`;
}
