/**
 * Point-in-time recovery in the app's words (issue 13): which seconds a restore with `at` can reach,
 * judged from the target's `pitr` status exactly as the service judges it (backend
 * engine/pitr/window.ts planPointInTime), so that a time the service would refuse is refused in the
 * dialog before anything is sent, with the nearest recoverable times.
 *
 * Times are whole seconds (the binary log's resolution); a range [start, end] includes both ends.
 * Times are read and written in the user's time zone through Grafana's date helpers, as every
 * other time in the app.
 */
import { dateTimeFormat, dateTimeParse } from '@grafana/data';
import type { PitrGap, PitrStatus } from '../api/types';
import { formatDuration, formatTime } from './format';

/** How the app writes a point in time and reads it back. */
export const POINT_FORMAT = 'YYYY-MM-DD HH:mm:ss';

const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A point in time in the user's time zone, to the second: "2026-11-29 14:32:05". */
export function formatPoint(iso: string | number): string {
  return dateTimeFormat(typeof iso === 'number' ? iso : Date.parse(iso), { format: POINT_FORMAT });
}

/**
 * What a person typed ("2026-11-29 14:32:05", seconds optional), read in their time zone; null when
 * it is not such a time (moment alone accepts "2026-11" or "now-1h").
 */
export function parsePoint(text: string): number | null {
  const t = text.trim().replace('T', ' ');
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(t)) {
    return null;
  }
  const parsed = dateTimeParse(t.length === 16 ? `${t}:00` : t, { format: POINT_FORMAT });
  return parsed.isValid() ? parsed.valueOf() : null;
}

/** The request's `at`: ISO 8601 with the offset of the user's time zone ("2026-11-29T14:32:05+01:00"). */
export function pointToIso(ms: number): string {
  return dateTimeFormat(ms, { format: 'YYYY-MM-DDTHH:mm:ssZ' });
}

export type PointCheck =
  | { ok: true }
  | {
      ok: false;
      /** In words, the reason first and the nearest recoverable times after it. */
      message: string;
      /** The nearest recoverable seconds (ISO), to offer as a click. */
      before: string | null;
      after: string | null;
    };

/** Whether a restore to `ms` can be made, and if not why, with the nearest recoverable times. */
export function checkPoint(pitr: PitrStatus, ms: number): PointCheck {
  const at = Math.floor(ms / 1000);
  if (pitr.ranges.some((r) => second(r.start) <= at && at <= second(r.end))) {
    return { ok: true };
  }
  if (pitr.ranges.length === 0) {
    return {
      ok: false,
      message: `Nothing is recoverable to a point in time yet: the archive holds no log from a backup on.${
        pitr.stalled ? ` ${sentence(pitr.stalled)}` : ''
      }`,
      before: null,
      after: null,
    };
  }
  const before = [...pitr.ranges].reverse().find((r) => second(r.end) < at)?.end ?? null;
  const after = pitr.ranges.find((r) => second(r.start) > at)?.start ?? null;
  const gap = pitr.gaps.find((g) => second(g.start) <= at && at <= second(g.end));
  const why = gap
    ? `it lies in a gap of the archive (${formatPoint(gap.start)} – ${formatPoint(gap.end)}): ${gap.reason}`
    : after && before
      ? 'no backup and archived log reach it'
      : after
        ? 'it is before the oldest backup the archived log starts from'
        : `the archive holds the log only through ${formatPoint(pitr.windowEnd ?? before!)}${
            pitr.stalled ? ` (${pitr.stalled})` : ''
          }`;
  const nearest = [
    before && `${formatPoint(before)} (the latest before)`,
    after && `${formatPoint(after)} (the earliest after)`,
  ]
    .filter(Boolean)
    .join(' or ');
  return {
    ok: false,
    message: `${formatPoint(ms)} cannot be recovered: ${why}. Nearest recoverable: ${nearest}.`,
    before,
    after,
  };
}

/** A service sentence as a sentence: capitalised, with its full stop. */
export function sentence(s: string): string {
  const t = s.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}

/** The archiver's state in words: "Following the server's binary log, 3 s behind". */
export function archiverText(pitr: PitrStatus): string {
  const lag =
    pitr.lagSeconds === null
      ? 'nothing archived yet'
      : pitr.lagSeconds < 1
        ? 'up to date'
        : `${formatDuration(pitr.lagSeconds)} behind the server`;
  switch (pitr.archiver) {
    case 'following':
      return `Following the server's binary log, ${lag}`;
    case 'retrying':
      return `Retrying after it stopped, ${lag}`;
    default:
      return `Stopped, ${lag}`;
  }
}

/** What a gap means, the human sentence before the service's reason. */
export const GAP_KIND_TEXT: Record<PitrGap['kind'], string> = {
  archive: 'The archive broke',
  restore: 'A restore in place replaced the database',
  base: 'No backup with a known log position covers it',
};

/** "2026-11-29 14:32 – 2026-11-29 15:10": a stretch of time in the user's zone, to the minute or second. */
export function spanText(start: string, end: string, withSeconds = false): string {
  return `${formatTime(start, withSeconds)} – ${formatTime(end, withSeconds)}`;
}
