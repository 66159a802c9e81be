/** The validated, normalised configuration that the rest of the service works with. */

export interface Retention {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  /** restic duration such as "30d" */
  keepWithin?: string;
}

/** A secret is read from a file or an environment variable, never written in the config itself. */
export interface SecretRef {
  file?: string;
  env?: string;
}

export interface RepositoryConfig {
  name: string;
  /** restic repository: a path, sftp:…, rest:…, s3:… */
  url: string;
  password: SecretRef;
  /** extra restic `-o key=value` options, e.g. sftp.command */
  options: Record<string, string>;
}

export interface TargetConfig<S = Record<string, unknown>> {
  name: string;
  kind: string;
  /** The kind-specific part (connection, source, verify options, hooks), validated by the driver. */
  settings: S;
  schedule: string;
  rpoSeconds: number | null;
  rtoSeconds: number;
  retention: Retention;
  /** How long safety snapshots (taken before restores) are kept; they are not versions. */
  safetyRetentionSeconds: number;
  verifySchedule: string | null;
  repository: string;
  copies: string[];
  coverage: string;
  usability: string;
  /** Upper bound for one backup / verify / restore of this target. */
  timeoutSeconds: number;
}

export interface CoveredService {
  name: string;
  coveredBy: string;
  note: string;
}

export type Role = 'viewer' | 'operator' | 'admin';

/** Who asks for an operation: a name for the audit log, and the role of the token used (null: scheduler, CLI). */
export interface Actor {
  name: string;
  role: Role | null;
}

/** A client other than Grafana (a script, a Prometheus with metricsAuth) with a token of its own. */
export interface ApiClient {
  name: string;
  role: Role;
  token: SecretRef;
}

export interface ApiConfig {
  listen: { host: string; port: number };
  /** The three tokens Grafana's plugin proxy holds (app provisioning); X-Grafana-User is accepted only with these. */
  tokens: Record<Role, SecretRef>;
  /** Other clients: recorded under their own name; X-Grafana-User from them is refused. */
  clients: ApiClient[];
  /** Built-in TLS (paths of the PEM certificate chain and key); null: plain HTTP. */
  tls: { cert: string; key: string } | null;
  /** /metrics needs no token unless this is true (Prometheus scrapes it). */
  metricsAuth: boolean;
  bodyLimitBytes: number;
}

export interface Config {
  /** The file it was read from (for messages). */
  file: string;
  catalog: string;
  /** Private working space for dumps that must pass through disk (influx, prometheus, grafana). */
  workDir: string;
  /** restic's cache (--cache-dir): beside the catalog unless configured (systemd: CacheDirectory=). */
  cacheDir: string;
  repositories: Record<string, RepositoryConfig>;
  targets: Record<string, TargetConfig>;
  covered: CoveredService[];
  api: ApiConfig | null;
}
