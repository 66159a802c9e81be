export type ColourBy = 'overall' | 'freshness';
export type SortBy = 'worst' | 'name' | 'age';
/** auto: a list when it fits, compact chips when narrow, a summary when tiny. */
export type DisplayMode = 'auto' | 'list' | 'compact' | 'summary';

export interface BackupAgeOptions {
  /** Targets to show, by address (`mysql`, `mon1/prometheus`); empty shows every target. */
  targets?: string[];
  /** Instances (machines) whose targets to show; empty shows every instance's. */
  instances?: string[];
  /** Also list the services covered by another target (Nginx, uWSGI, ...). */
  showCovered: boolean;
  /** overall: the target's SLA state, as the app shows it; freshness: the age against the RPO only. */
  colourBy: ColourBy;
  sortBy: SortBy;
  displayMode: DisplayMode;
}

export const DEFAULT_OPTIONS: BackupAgeOptions = {
  showCovered: false,
  colourBy: 'overall',
  sortBy: 'worst',
  displayMode: 'auto',
};
