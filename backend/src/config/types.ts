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
  /** s3: repositories: the key pair, given to restic as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
  s3: { accessKey: SecretRef; secretKey: SecretRef } | null;
  /** A CA certificate file for a private certificate (restic --cacert). */
  caFile: string | null;
  /** Whether this instance prunes the repository (a shared one is pruned by `pruneBy` only). */
  prune: boolean;
  /** The instance that prunes a shared repository; null: not shared, this instance prunes. */
  pruneBy: string | null;
  /** When this instance prunes the repository besides after its own forgets; null: never on a schedule. */
  pruneSchedule: string | null;
}

/** Another machine's service (a peer): asked for its targets, sent the operations on them. */
export interface PeerConfig {
  name: string;
  /** Base URL, without a trailing slash. */
  url: string;
  /** The peer's own role tokens: a caller's request goes on with the token of the caller's role. */
  tokens: Record<Role, SecretRef>;
  /** CA certificate for an https peer with a private certificate. */
  caFile: string | null;
  /** How long a peer may take to answer before it counts as unreachable. */
  timeoutMs: number;
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
  /** This machine's service in the lab (default: the host name): tags its snapshots, names it to peers. */
  instance: string;
  /** The services on the other machines. */
  peers: Record<string, PeerConfig>;
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
