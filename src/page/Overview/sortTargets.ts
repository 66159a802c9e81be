import type { SlaLevel, TargetStatus } from '../../api/types';
import { compareWorstFirst, displayLevel } from '../../utils/levels';

/** The columns the overview sorts by; "-state" (worst first) is the default. */
export type SortKey = 'state' | 'name' | 'age' | 'next';

export interface Sort {
  key: SortKey;
  desc: boolean;
}

export const DEFAULT_SORT = '-state';

/** "-state" → {key: 'state', desc: true}; anything unknown is the default. */
export function parseSort(text: string): Sort {
  const desc = text.startsWith('-');
  const key = (desc ? text.slice(1) : text) as SortKey;
  return ['state', 'name', 'age', 'next'].includes(key) ? { key, desc } : parseSort(DEFAULT_SORT);
}

export function formatSort(sort: Sort): string {
  return `${sort.desc ? '-' : ''}${sort.key}`;
}

const time = (iso: string | null) => (iso ? new Date(iso).getTime() : Number.POSITIVE_INFINITY);
/** Never backed up is the oldest of all. */
const age = (t: TargetStatus) => t.ageSeconds ?? Number.POSITIVE_INFINITY;

const ASCENDING: Record<SortKey, (a: TargetStatus, b: TargetStatus) => number> = {
  // Ascending state is best first; the default (descending) is worst first.
  state: (a, b) => -compareWorstFirst(a, b),
  name: (a, b) => a.name.localeCompare(b.name),
  age: (a, b) => age(a) - age(b) || a.name.localeCompare(b.name),
  next: (a, b) => time(a.nextRunAt) - time(b.nextRunAt) || a.name.localeCompare(b.name),
};

export function sortTargets(targets: TargetStatus[], sort: Sort): TargetStatus[] {
  const compare = ASCENDING[sort.key];
  return [...targets].sort((a, b) => (sort.desc ? -compare(a, b) : compare(a, b)));
}

/** "critical,warning" → the levels to show; empty = all. */
export function parseLevels(text: string): SlaLevel[] {
  return text.split(',').filter((l): l is SlaLevel => ['ok', 'warning', 'critical', 'unknown'].includes(l));
}

export function filterByLevel(targets: TargetStatus[], levels: SlaLevel[]): TargetStatus[] {
  return levels.length === 0 ? targets : targets.filter((t) => levels.includes(displayLevel(t)));
}
