/**
 * Where the real test services run (started by scripts/services.sh from the Jest global setup,
 * which copies `services.sh env` into process.env). Every value comes from a BSLA_* variable.
 */
import { readFileSync } from 'node:fs';

export interface Services {
  /** BSLA_SERVICES_DIR: the services' state (data, logs, pid files). */
  dir: string;
  mysql: {
    host: string;
    port: number;
    /** Unix socket: `root` logs in here without a password (unix_socket auth). */
    socket: string;
    /** `backup` user: ALL PRIVILEGES, TCP or socket, password in passwordFile. */
    user: string;
    passwordFile: string;
    /** A [client] defaults file for the backup user (`mariadb --defaults-file=…`). */
    defaultsFile: string;
    /** The least-privilege account of docs/mysql-privileges.md (`backup_sla`, TCP only). */
    leastUser: string;
    leastPasswordFile: string;
  };
  influx: {
    /** HTTP API, e.g. http://127.0.0.1:18086 */
    url: string;
    /** host:port of the backup/restore RPC (`influxd backup -portable -host …`). */
    rpc: string;
  };
  prometheus: {
    /** e.g. http://127.0.0.1:19090 (admin API enabled) */
    url: string;
    /** --storage.tsdb.path: snapshots land in <dataDir>/snapshots/<name>. */
    dataDir: string;
  };
  ssh: {
    host: string;
    port: number;
    user: string;
    /** Private key accepted by the test sshd. */
    key: string;
    knownHosts: string;
  };
  sftp: {
    /** A directory on the "remote" side where sftp repositories may be created. */
    repoBase: string;
    /** Value for restic's `-o sftp.command=…` (ends in `-s sftp`). */
    command: string;
  };
  rest: {
    /** `rest:http://127.0.0.1:18000/`; append `NAME/` for a repository. */
    url: string;
    /** The server-side directory holding the rest repositories. */
    dir: string;
  };
  s3: {
    /** `s3:https://127.0.0.1:19570/backup-sla` (the bucket); append `/NAME` for a repository. */
    url: string;
    /** The self-signed certificate of the server: the CA restic needs (--cacert). */
    ca: string;
    accessKeyFile: string;
    secretKeyFile: string;
    /** Where the server keeps the bucket's objects (one file per object). */
    dir: string;
  };
}

/** A restic repository location plus the global options restic needs for it. */
export interface RemoteRepository {
  url: string;
  /** restic `-o` options (name → value). */
  options: Record<string, string>;
  /** The same options as restic arguments: ['-o', 'k=v', …]. */
  args: string[];
}

function need(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: run the backend tests through Jest (globalSetup starts the services and sets it) ` +
        `or eval "$(bash scripts/services.sh env)" after "bash scripts/services.sh start"`
    );
  }
  return value;
}

function needPort(name: string): number {
  const value = need(name);
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${name}=${value} is not a port number`);
  }
  return port;
}

export function services(): Services {
  return {
    dir: need('BSLA_SERVICES_DIR'),
    mysql: {
      host: need('BSLA_MYSQL_HOST'),
      port: needPort('BSLA_MYSQL_PORT'),
      socket: need('BSLA_MYSQL_SOCKET'),
      user: need('BSLA_MYSQL_USER'),
      passwordFile: need('BSLA_MYSQL_PASSWORD_FILE'),
      defaultsFile: need('BSLA_MYSQL_DEFAULTS_FILE'),
      leastUser: need('BSLA_MYSQL_LEAST_USER'),
      leastPasswordFile: need('BSLA_MYSQL_LEAST_PASSWORD_FILE'),
    },
    influx: { url: need('BSLA_INFLUX_URL'), rpc: need('BSLA_INFLUX_RPC') },
    prometheus: { url: need('BSLA_PROM_URL'), dataDir: need('BSLA_PROM_DATA_DIR') },
    ssh: {
      host: need('BSLA_SSH_HOST'),
      port: needPort('BSLA_SSH_PORT'),
      user: need('BSLA_SSH_USER'),
      key: need('BSLA_SSH_KEY'),
      knownHosts: need('BSLA_SSH_KNOWN_HOSTS'),
    },
    sftp: { repoBase: need('BSLA_SFTP_REPO_BASE'), command: need('BSLA_SFTP_COMMAND') },
    rest: { url: need('BSLA_REST_URL'), dir: need('BSLA_REST_DIR') },
    s3: {
      url: need('BSLA_S3_URL'),
      ca: need('BSLA_S3_CA'),
      accessKeyFile: need('BSLA_S3_ACCESS_KEY_FILE'),
      secretKeyFile: need('BSLA_S3_SECRET_KEY_FILE'),
      dir: need('BSLA_S3_DIR'),
    },
  };
}

/** The backup user's MariaDB password. */
export function mysqlPassword(): string {
  return readFileSync(services().mysql.passwordFile, 'utf8').trim();
}

function withArgs(url: string, options: Record<string, string>): RemoteRepository {
  return { url, options, args: Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]) };
}

/** An sftp: repository `name` on the test sshd (created by `restic init`). */
export function sftpRepository(name: string): RemoteRepository {
  const s = services();
  return withArgs(`sftp:${s.ssh.user}@${s.ssh.host}:${s.sftp.repoBase}/${name}`, { 'sftp.command': s.sftp.command });
}

/** A rest: repository `name` on the test rclone REST server (created by `restic init`). */
export function restRepository(name: string): RemoteRepository {
  const s = services();
  const base = s.rest.url.endsWith('/') ? s.rest.url : `${s.rest.url}/`;
  return withArgs(`${base}${name}/`, {});
}

/**
 * An s3: repository `name` on the test s3rver, as a `repositories:` entry (without its password):
 * the key pair from files, the server's certificate as the CA.
 */
export function s3RepositoryConfig(name: string): Record<string, unknown> {
  const s = services().s3;
  return {
    url: `${s.url}/${name}`,
    s3: { accessKeyFile: s.accessKeyFile, secretKeyFile: s.secretKeyFile },
    caFile: s.ca,
  };
}
