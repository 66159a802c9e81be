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

/** The column's own order, ascending; ties always go by name, A to Z, whichever the direction. */
const ASCENDING: Record<SortKey, (a: TargetStatus, b: TargetStatus) => number> = {
  // Ascending state is best first; the default (descending) is worst first.
  state: (a, b) => -compareWorstFirst(a, b),
  name: (a, b) => a.name.localeCompare(b.name),
  age: (a, b) => age(a) - age(b),
  next: (a, b) => time(a.nextRunAt) - time(b.nextRunAt),
};

export function sortTargets(targets: TargetStatus[], sort: Sort): TargetStatus[] {
  const compare = ASCENDING[sort.key];
  const primary = (a: TargetStatus, b: TargetStatus) =>
    sort.key === 'state' ? withoutName(compare, a, b) : compare(a, b);
  return [...targets].sort((a, b) => (sort.desc ? -primary(a, b) : primary(a, b)) || a.name.localeCompare(b.name));
}

/** compareWorstFirst ends on the name; the sort puts the name last itself, A to Z in both directions. */
function withoutName(compare: (a: TargetStatus, b: TargetStatus) => number, a: TargetStatus, b: TargetStatus): number {
  return compare(a, { ...b, name: a.name });
}

/** "critical,warning" → the levels to show; empty = all. */
export function parseLevels(text: string): SlaLevel[] {
  return text.split(',').filter((l): l is SlaLevel => ['ok', 'warning', 'critical', 'unknown'].includes(l));
}

export function filterByLevel(targets: TargetStatus[], levels: SlaLevel[]): TargetStatus[] {
  return levels.length === 0 ? targets : targets.filter((t) => levels.includes(displayLevel(t)));
}
