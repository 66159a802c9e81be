/**
 * What the backup-age panel shows in the room it has (issue 15.7): every entry when it fits, else
 * the worst ones and "+4 OK" for the rest; a summary when it is tiny.
 */
import type { SlaLevel } from '../../api/types';
import type { DisplayMode } from './types';

export const ROW_HEIGHT = 30;
export const CHIP_WIDTH = 150;
export const CHIP_HEIGHT = 28;
const SUMMARY_BELOW_HEIGHT = 2 * ROW_HEIGHT;
const COMPACT_BELOW_WIDTH = 320;

export function resolveMode(mode: DisplayMode, width: number, height: number): Exclude<DisplayMode, 'auto'> {
  if (mode !== 'auto') {
    return mode;
  }
  if (height < SUMMARY_BELOW_HEIGHT) {
    return 'summary';
  }
  return width < COMPACT_BELOW_WIDTH ? 'compact' : 'list';
}

/** How many entries fit: list rows one above the other, compact chips in rows across. */
export function capacity(mode: 'list' | 'compact', width: number, height: number): number {
  if (mode === 'list') {
    return Math.max(1, Math.floor(height / ROW_HEIGHT));
  }
  const perRow = Math.max(1, Math.floor(width / CHIP_WIDTH));
  return Math.max(1, perRow * Math.max(1, Math.floor(height / CHIP_HEIGHT)));
}

export interface Fitted<T> {
  shown: T[];
  /** What did not fit, counted per level ("+4 OK"). */
  rest: Array<{ level: SlaLevel; count: number }>;
}

const ORDER: SlaLevel[] = ['critical', 'warning', 'unknown', 'ok'];

/** The first entries (already worst first) that fit, keeping the last slot for "+N ..." when some do not. */
export function fit<T>(items: T[], room: number, levelOf: (item: T) => SlaLevel): Fitted<T> {
  if (items.length <= room) {
    return { shown: items, rest: [] };
  }
  const shown = items.slice(0, Math.max(0, room - 1));
  const hidden = items.slice(shown.length);
  const rest = ORDER.map((level) => ({ level, count: hidden.filter((i) => levelOf(i) === level).length })).filter(
    (r) => r.count > 0
  );
  return { shown, rest };
}

const WORD: Record<SlaLevel, string> = { critical: 'critical', warning: 'warning', unknown: 'unknown', ok: 'OK' };

export function restText(rest: Array<{ level: SlaLevel; count: number }>): string {
  return rest.map((r) => `+${r.count} ${WORD[r.level]}`).join(', ');
}
