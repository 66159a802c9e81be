export interface BackupAgeOptions {
  /** Targets to show; empty shows every target. */
  targets?: string[];
  /** Also list the services covered by another target (Nginx, uWSGI, ...). */
  showCovered: boolean;
}
