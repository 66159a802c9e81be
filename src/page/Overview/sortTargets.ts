import type { InstanceState, SlaLevel, StatusResponse, TargetStatus } from '../../api/types';
import { compareWorstFirst, displayLevel, LEVEL_RANK, worstLevel } from '../../utils/levels';

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

/** One machine of the lab on the overview: its state and its targets as shown (filtered, sorted). */
export interface InstanceGroup {
  instance: InstanceState;
  /** Its worst target as shown (unknown while it does not answer). */
  level: SlaLevel;
  targets: TargetStatus[];
  /** How many targets it has in all, before the filter. */
  total: number;
}

/**
 * The overview of a lab of several instances: one group per instance, targets worst first within
 * each (or in the chosen order), and the groups worst first too (best first when the state sort is
 * turned; else the instance Grafana talks to first, then by name). With a state filter, an
 * instance with nothing in that state is left out.
 */
export function groupByInstance(status: StatusResponse, levels: SlaLevel[], sort: Sort): InstanceGroup[] {
  const instances = [...(status.instances ?? [])];
  // An instance named by a target but not listed (an older peer): shown all the same.
  for (const t of status.targets) {
    if (!instances.some((i) => i.name === t.instance)) {
      instances.push({
        name: t.instance,
        self: false,
        reachable: true,
        unreachableSince: null,
        lastSeenAt: null,
        error: null,
        level: t.level,
      });
    }
  }
  const groups = instances.map((instance): InstanceGroup => {
    const all = status.targets.filter((t) => t.instance === instance.name);
    const level = !instance.reachable ? 'unknown' : all.length ? worstLevel(all.map(displayLevel)) : instance.level;
    return { instance, level, targets: sortTargets(filterByLevel(all, levels), sort), total: all.length };
  });
  const selfFirst = (a: InstanceGroup, b: InstanceGroup) =>
    Number(b.instance.self) - Number(a.instance.self) || a.instance.name.localeCompare(b.instance.name);
  const byState = (a: InstanceGroup, b: InstanceGroup) => {
    const worse = LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || badnessOf(b) - badnessOf(a);
    return sort.desc ? worse : -worse;
  };
  return groups
    .filter((g) => levels.length === 0 || g.targets.length > 0)
    .sort((a, b) => (sort.key === 'state' ? byState(a, b) : 0) || selfFirst(a, b));
}

/** Between two instances of one level: the one with more targets at that level is worse. */
function badnessOf(g: InstanceGroup): number {
  return g.targets.filter((t) => displayLevel(t) === g.level).length;
}
