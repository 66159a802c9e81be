/**
 * A restic repository, driven as a subprocess with --json (docs/design.md §2: no home-made format).
 * Storage backends (path, sftp:, rest:, s3:) are restic's; this module only knows restic's CLI.
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { RepositoryConfig } from '../config/types';
import { RwLock } from './rwlock';
import { readSecret } from '../config/secret';
import { CommandError, CommandSpec, run, start, lastLine } from '../util/subprocess';
import { redact } from '../util/redact';
import { killMatching } from '../util/processes';
import { tags } from './tags';

export interface ResticSnapshot {
  id: string;
  short_id: string;
  time: string;
  hostname: string;
  tags?: string[];
  paths: string[];
  /** Set on snapshots made by `restic copy`: the id in the repository it was copied from. */
  original?: string;
}

export interface BackupProgress {
  phase: string;
  bytesDone: number;
  totalBytes?: number;
}

export interface BackupOptions {
  tags: string[];
  /** Snapshot time (restic --time), for imports and tests of retention. */
  time?: Date;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  /** Sees a streamed producer's output chunk by chunk on its way to restic (never held). */
  onData?: (chunk: Buffer) => void;
  /** The snapshot restic compares files with (unchanged files are not read again). */
  parent?: string;
}

export interface BackupSummary {
  snapshotId: string;
  bytes: number;
  dataAdded: number;
}

export class RepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryError';
  }
}

/**
 * The repository could not be reached or opened (no repository at the URL, wrong password, the
 * server or network down): nothing was learned about the snapshots in it. A verification that
 * meets this is "could not verify", never "failed".
 */
export class RepositoryUnavailableError extends RepositoryError {
  readonly unavailable = true;
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryUnavailableError';
  }
}

/** There is no repository at the URL (mistyped, not created yet: only a backup creates one). */
export class NoRepositoryError extends RepositoryUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'NoRepositoryError';
  }
}

/** The repository is locked by a live process (rule 5: respected, never broken). */
export class RepositoryLockedError extends RepositoryError {
  constructor(repo: string, detail: string) {
    super(`repository ${repo} is locked by another running process: ${detail}`);
    this.name = 'RepositoryLockedError';
  }
}

const LOCKED = /repository is already locked|unable to create lock/i;
const NOT_A_REPO = /Is there a repository at the following location|does not exist|unable to open config file/i;
/** What the storage under the repository says (restic then fails to write, even its lock). */
const NO_SPACE = /no space left on device/i;
const READ_ONLY = /read-only file system/i;
const WRONG_PASSWORD = /wrong password or no key found/i;
/**
 * The storage refused the credentials or its certificate is not trusted: checked before
 * NOT_A_REPO, since restic then also asks "Is there a repository at the following location?".
 */
const BACKEND_REFUSED =
  /x509:|certificate signed by unknown authority|tls: |Access Key Id you provided does not exist|SignatureDoesNotMatch|signature we calculated does not match|InvalidAccessKeyId|Access Denied|AccessDenied/i;
/** Inherited by restic only when configured (repositories.<name>.s3). */
const AWS_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'];

/** An environment without the variables set to undefined (dropped on purpose). */
function withoutUnset(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}
const UNREACHABLE =
  /connection refused|no such host|network is unreachable|i\/o timeout|connection reset|ssh command exited|unable to start the sftp session|connection lost|server misbehaving|permission denied/i;
/** Waits between attempts when the repository is locked by a live process (≈ 15 s in all). */
const LOCK_RETRY_MS = [1000, 2000, 4000, 8000];
/** Bounds for restic commands that are not backups (those get the target's timeout). */
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

export function resticTime(d: Date): string {
  // restic --time takes local time "YYYY-MM-DD HH:MM:SS"
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export interface ResticOptions {
  /** restic's cache directory (--cache-dir); default: restic's own (the running user's ~/.cache). */
  cacheDir?: string;
}

/** Marks a restic process as this service's, in its environment (killOrphans finds it there). */
const MARK = 'BACKUP_SLA_RESTIC';

export class ResticRepository {
  private initialized = false;
  private initializing: Promise<void> | null = null;
  /** Keeps this process's own restic commands from colliding on the repository lock. */
  private readonly lock = new RwLock();
  readonly host = os.hostname();

  constructor(
    readonly config: RepositoryConfig,
    private readonly options: ResticOptions = {}
  ) {}

  get name(): string {
    return this.config.name;
  }

  /**
   * Environment for restic. The repository URL (it may hold credentials: rest:https://user:pw@…)
   * and the password travel in the environment, never on the command line (docs/design.md §5
   * rule 6), where every local user can read them in the process table.
   */
  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, RESTIC_PROGRESS_FPS: '2' };
    for (const name of Object.keys(env).filter((n) => n.startsWith('RESTIC_') && n !== 'RESTIC_PROGRESS_FPS')) {
      delete env[name];
    }
    env.RESTIC_REPOSITORY = this.config.url;
    env[MARK] = '1';
    if (this.config.password.file) {
      env.RESTIC_PASSWORD_FILE = this.config.password.file;
    } else {
      env.RESTIC_PASSWORD = readSecret(this.config.password, `repository ${this.name}`);
    }
    return { ...env, ...this.backendEnv() };
  }

  /**
   * The storage backend's credentials, by environment only (never argv, never the URL): an s3:
   * repository's key pair as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Inherited AWS_* values are
   * dropped, so that restic uses exactly the credentials the configuration names.
   */
  backendEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const name of AWS_VARIABLES) {
      env[name] = undefined;
    }
    if (this.config.s3) {
      env.AWS_ACCESS_KEY_ID = readSecret(this.config.s3.accessKey, `repository ${this.name}: s3 access key`);
      env.AWS_SECRET_ACCESS_KEY = readSecret(this.config.s3.secretKey, `repository ${this.name}: s3 secret key`);
    }
    return env;
  }

  /** restic's global options for this repository: `-o` options and a private CA (--cacert). */
  globalArgs(): string[] {
    const opts = Object.entries(this.config.options).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
    return [...opts, ...(this.config.caFile ? ['--cacert', this.config.caFile] : [])];
  }

  private spec(args: string[], timeoutMs = DEFAULT_TIMEOUT_MS, extraEnv: NodeJS.ProcessEnv = {}): CommandSpec {
    const cache = this.options.cacheDir ? ['--cache-dir', this.options.cacheDir] : [];
    return {
      command: 'restic',
      args: [...cache, ...this.globalArgs(), ...args],
      env: withoutUnset({ ...this.env(), ...extraEnv }),
      timeoutMs,
    };
  }

  private describe(e: unknown): Error {
    if (e instanceof CommandError) {
      let line = lastLine(e.stderr) || e.message;
      // restic's verdict is its "Fatal: …" message; cleanup errors printed after it (or glued to it:
      // "error in cleanup handler: ssh command exited" when an sftp server went away) say less.
      const fatal = [...e.stderr.matchAll(/Fatal: ([^\n]+)/g)].pop()?.[1]?.trim();
      if (fatal && line !== `Fatal: ${fatal}`) {
        line = fatal;
      }
      // restic ends a run of read errors with a count; the first error says what is wrong.
      if (/^There were \d+ errors?/.test(line)) {
        const first = e.stderr
          .split('\n')
          .find((l) => /error|ciphertext|does not match|invalid/i.test(l) && !/^There were/.test(l.trim()));
        if (first) {
          line = `${first.trim()} (${line})`;
        }
      }
      const said = redact(line.replace(/^Fatal: /, ''));
      // The storage's own cause first: a full or read-only disk also makes taking the lock fail,
      // which is not another process holding it.
      if (NO_SPACE.test(e.stderr)) {
        return new RepositoryError(
          `repository ${this.name}: no space left on device where it is stored: free space there (or apply retention to a copy) and run again; the snapshots it holds are untouched`
        );
      }
      if (READ_ONLY.test(e.stderr)) {
        return new RepositoryError(
          `repository ${this.name}: its file system is read-only: remount it read-write (or fix the mount) and run again; the snapshots it holds are untouched`
        );
      }
      if (BACKEND_REFUSED.test(e.stderr)) {
        return new RepositoryUnavailableError(
          `repository ${this.name}: the storage refused the connection (credentials or certificate: check s3 and caFile): ${said}`
        );
      }
      if (NOT_A_REPO.test(e.stderr) && !/\bpack\b|\bblob\b/i.test(line)) {
        return new NoRepositoryError(
          `repository ${this.name}: no repository at ${redact(this.config.url)} (only a backup creates one)`
        );
      }
      if (WRONG_PASSWORD.test(e.stderr)) {
        return new RepositoryUnavailableError(`repository ${this.name}: wrong password or no key found`);
      }
      if (LOCKED.test(e.stderr)) {
        return new RepositoryLockedError(this.name, redact(line));
      }
      if (UNREACHABLE.test(e.stderr)) {
        return new RepositoryUnavailableError(`repository ${this.name}: ${said}`);
      }
      return new RepositoryError(`repository ${this.name}: ${said}`);
    }
    return e as Error;
  }

  /**
   * Runs a restic command; if it meets a lock, clears stale locks (`restic unlock` removes only
   * locks of dead processes on this host or older than 30 min) and tries again, waiting a little
   * for a live holder (another process: the CLI beside the daemon) before giving up.
   */
  private async exec(args: string[], timeoutMs?: number, signal?: AbortSignal): Promise<string> {
    for (const waitMs of [0, ...LOCK_RETRY_MS]) {
      if (waitMs) {
        await new Promise((r) => setTimeout(r, waitMs));
      }
      try {
        return await run(this.spec(args, timeoutMs), { signal });
      } catch (e) {
        if (
          !(this.describe(e) instanceof RepositoryLockedError) ||
          waitMs === LOCK_RETRY_MS[LOCK_RETRY_MS.length - 1]
        ) {
          throw this.describe(e);
        }
        await this.unlockStale();
      }
    }
    throw new RepositoryError(`repository ${this.name}: unreachable`);
  }

  /** Removes stale locks only: a live process's lock is left alone (docs/design.md §5 rule 5). */
  async unlockStale(): Promise<void> {
    try {
      await run(this.spec(['unlock'], 60_000));
    } catch (e) {
      throw this.describe(e);
    }
  }

  /**
   * Kills restic processes on this repository still running for a dead service process, found by
   * their tags on the command line (this host only). Needed after a kill -9 of the service: its
   * `restic backup --stdin` sees its input end and would commit what it had read as a snapshot,
   * possibly after the restart has cleaned up. Returns how many were killed.
   */
  async killOrphans(tags: string[]): Promise<number> {
    // The repository is named in restic's environment (not its command line): read it there.
    return killMatching(
      (p) =>
        /(^|\/)restic$/.test(p.args[0] ?? '') &&
        tags.every((t) => p.args.some((a, i) => a === t && p.args[i - 1] === '--tag')) &&
        p.env().includes(`${MARK}=1`) &&
        p.env().includes(`RESTIC_REPOSITORY=${this.config.url}`)
    );
  }

  /**
   * Whether the repository is there and its password opens it, without changing anything (never
   * initialises one, takes no lock): `restic cat config`. For `backup-sla doctor`.
   */
  async probe(): Promise<{ state: 'ok' | 'missing' | 'wrong-password' | 'unreachable'; detail: string }> {
    try {
      await run(this.spec(['cat', 'config', '--no-lock'], 60_000));
      return { state: 'ok', detail: 'reachable; the password opens it' };
    } catch (e) {
      const stderr = e instanceof CommandError ? e.stderr : '';
      if (/wrong password|no key found/i.test(stderr)) {
        return {
          state: 'wrong-password',
          detail: 'the password does not open it (wrong passwordFile or passwordEnv?)',
        };
      }
      if (NOT_A_REPO.test(stderr)) {
        return { state: 'missing', detail: 'no repository there yet: the first backup creates it' };
      }
      return { state: 'unreachable', detail: this.describe(e).message };
    }
  }

  /** restic's version ("0.14.0"), or null when restic is not installed. */
  static async version(): Promise<string | null> {
    try {
      const out = await run({ command: 'restic', args: ['version'], timeoutMs: 30_000 });
      return /restic (\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.trim();
    } catch {
      return null;
    }
  }

  async exists(): Promise<boolean> {
    try {
      await run(this.spec(['cat', 'config'], 120_000));
      return true;
    } catch (e) {
      if (e instanceof CommandError && NOT_A_REPO.test(e.stderr) && !BACKEND_REFUSED.test(e.stderr)) {
        return false;
      }
      throw this.describe(e);
    }
  }

  /**
   * Creates the repository on first use (format 2: compression). Concurrent first uses (several
   * targets' first backups at once) share one initialisation: two `restic init` on the same
   * empty repository leave it with a config that matches neither key.
   */
  async ensureInitialized(copyChunkerFrom?: ResticRepository): Promise<void> {
    if (this.initialized) {
      return;
    }
    this.initializing ??= this.initialize(copyChunkerFrom).finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  private async initialize(copyChunkerFrom?: ResticRepository): Promise<void> {
    // A local repository's config file says it is there without a restic call and its key
    // derivation (the command that follows checks the key): one derivation per CLI run, not two.
    const local = this.localDir();
    if (!(local && existsSync(path.join(local, 'config'))) && !(await this.exists())) {
      if (!this.config.prune) {
        // Two instances creating one repository at once leave it with a config that matches
        // neither key: a shared repository is created by its pruning instance only.
        throw new NoRepositoryError(
          `repository ${this.name}: no repository at ${redact(this.config.url)} yet: it is shared, and instance ${this.config.pruneBy} (its pruning instance) creates it with its first backup`
        );
      }
      const args = ['init', '--repository-version', '2'];
      let extraEnv: NodeJS.ProcessEnv = {};
      if (copyChunkerFrom) {
        // Same chunker parameters as the source, so that copies deduplicate as well as the original.
        this.sameBackendCredentials(copyChunkerFrom);
        // The source is named by environment (fromEnv); its global options serve it too.
        args.push('--copy-chunker-params', ...copyChunkerFrom.globalArgs());
        extraEnv = copyChunkerFrom.fromEnv();
      }
      try {
        await run(this.spec(args, 120_000, extraEnv));
      } catch (e) {
        throw this.describe(e);
      }
    }
    this.initialized = true;
  }

  /** Environment naming this repository as the source of `copy` / `init --copy-chunker-params`. */
  private fromEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { RESTIC_FROM_REPOSITORY: this.config.url, ...this.sourceBackendEnv() };
    if (this.config.password.file) {
      env.RESTIC_FROM_PASSWORD_FILE = this.config.password.file;
    } else {
      env.RESTIC_FROM_PASSWORD = readSecret(this.config.password, `repository ${this.name}`);
    }
    return env;
  }

  /**
   * This repository's S3 credentials when it is the source of `copy` or `init
   * --copy-chunker-params`. restic 0.14 reads one set of AWS_* variables for both repositories,
   * so a source's key pair serves for both (see sameBackendCredentials).
   */
  private sourceBackendEnv(): NodeJS.ProcessEnv {
    return this.config.s3 ? withoutUnset(this.backendEnv()) : {};
  }

  /** Refuses a copy between two s3: repositories with different key pairs (restic 0.14 has one set). */
  private sameBackendCredentials(source: ResticRepository): void {
    if (!this.config.s3 || !source.config.s3) {
      return;
    }
    const mine = this.backendEnv();
    const theirs = source.backendEnv();
    if (
      mine.AWS_ACCESS_KEY_ID !== theirs.AWS_ACCESS_KEY_ID ||
      mine.AWS_SECRET_ACCESS_KEY !== theirs.AWS_SECRET_ACCESS_KEY
    ) {
      throw new RepositoryError(
        `repository ${this.name}: cannot copy from ${source.name}: both are s3: repositories with different key pairs, and restic 0.14 uses one key pair for both`
      );
    }
  }

  private backupArgs(opts: BackupOptions): string[] {
    const args = ['backup', '--json', '--host', this.host];
    for (const t of opts.tags) {
      args.push('--tag', t);
    }
    if (opts.time) {
      args.push('--time', resticTime(opts.time));
    }
    if (opts.parent) {
      args.push('--parent', opts.parent);
    }
    return args;
  }

  /**
   * Streams a producer's stdout into a one-file snapshot, never through memory or a temp file.
   * Rule 1: if the producer fails, restic is killed before it can commit; should it have committed
   * anyway, the caller forgets snapshots by the run's tag.
   */
  backupStream(
    producer: CommandSpec,
    filename: string,
    opts: BackupOptions,
    timeoutMs: number
  ): Promise<BackupSummary> {
    return this.lock.shared(() => this.backupStreamNow(producer, filename, opts, timeoutMs));
  }

  private async backupStreamNow(
    producer: CommandSpec,
    filename: string,
    opts: BackupOptions,
    timeoutMs: number
  ): Promise<BackupSummary> {
    await this.ensureInitialized();
    const resticProc = start(
      this.spec([...this.backupArgs(opts), '--stdin', '--stdin-filename', filename], timeoutMs),
      {
        stdin: 'pipe',
        signal: opts.signal,
      }
    );
    const prod = start({ ...producer, timeoutMs: producer.timeoutMs ?? timeoutMs }, { signal: opts.signal });
    let bytes = 0;
    let summary: BackupSummary | undefined;
    const stdin = resticProc.child.stdin!;
    stdin.on('error', () => undefined); // EPIPE when restic dies first: reported through resticProc.done
    prod.child.stdout!.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      opts.onData?.(chunk);
    });
    prod.child.stdout!.pipe(stdin, { end: false });
    const tick = setInterval(() => opts.onProgress?.({ phase: 'uploading', bytesDone: bytes }), 500);
    this.readJsonLines(resticProc.child.stdout!, (msg) => {
      if (msg.message_type === 'summary') {
        summary = { snapshotId: msg.snapshot_id, bytes, dataAdded: msg.data_added ?? 0 };
      }
    });
    // If restic dies (repository unreachable, disk full), stop the producer too.
    let resticFailed: unknown;
    resticProc.done.catch((e) => {
      resticFailed = e;
      prod.child.kill('SIGTERM');
    });
    try {
      try {
        await prod.done;
      } catch (producerError) {
        resticProc.child.kill('SIGKILL');
        await resticProc.done.catch(() => undefined);
        // Killed, restic could not remove its lock: clear it now (it is stale: its process is gone).
        await this.unlockStale().catch(() => undefined);
        if (resticFailed && !(resticFailed instanceof CommandError && resticFailed.signal === 'SIGKILL')) {
          throw this.describe(resticFailed);
        }
        throw producerError;
      }
      stdin.end();
      try {
        await resticProc.done;
      } catch (e) {
        throw this.describe(e);
      }
    } finally {
      clearInterval(tick);
    }
    opts.onProgress?.({ phase: 'uploading', bytesDone: bytes });
    return this.withFullId(summary, opts.tags);
  }

  /** Saves a directory's contents (paths inside the snapshot are relative to `dir`). */
  backupDirectory(dir: string, opts: BackupOptions, timeoutMs: number): Promise<BackupSummary> {
    return this.lock.shared(() => this.backupDirectoryNow(dir, opts, timeoutMs));
  }

  private async backupDirectoryNow(dir: string, opts: BackupOptions, timeoutMs: number): Promise<BackupSummary> {
    await this.ensureInitialized();
    const spec = { ...this.spec([...this.backupArgs(opts), '.'], timeoutMs), cwd: dir };
    const proc = start(spec, { signal: opts.signal });
    let summary: BackupSummary | undefined;
    this.readJsonLines(proc.child.stdout!, (msg) => {
      if (msg.message_type === 'status') {
        opts.onProgress?.({ phase: 'uploading', bytesDone: msg.bytes_done ?? 0, totalBytes: msg.total_bytes });
      } else if (msg.message_type === 'summary') {
        summary = {
          snapshotId: msg.snapshot_id,
          bytes: msg.total_bytes_processed ?? 0,
          dataAdded: msg.data_added ?? 0,
        };
      }
    });
    try {
      await proc.done;
    } catch (e) {
      throw this.describe(e);
    }
    return this.withFullId(summary, opts.tags);
  }

  /**
   * A local repository's directory (null for remote ones): some questions are answered by its
   * files, each saving a restic call (≈ 0.7 s of key derivation).
   */
  private localDir(): string | null {
    return /^[a-z0-9]+:/.test(this.config.url) ? null : this.config.url;
  }

  /** restic 0.14's summary names the snapshot by its short id; the catalog keeps full ids. */
  private async withFullId(summary: BackupSummary | undefined, tags: string[]): Promise<BackupSummary> {
    if (!summary) {
      throw new RepositoryError(`repository ${this.name}: restic finished without a snapshot summary`);
    }
    if (summary.snapshotId.length >= 64) {
      return summary;
    }
    // A local repository's snapshot files are named by their full ids.
    const local = this.localDir();
    const ids = local ? readdirSync(path.join(local, 'snapshots')) : (await this.snapshots(tags)).map((s) => s.id);
    const full = ids.find((id) => id.startsWith(summary.snapshotId));
    if (!full) {
      throw new RepositoryError(`repository ${this.name}: snapshot ${summary.snapshotId} not found after backup`);
    }
    return { ...summary, snapshotId: full };
  }

  private readJsonLines(stream: Readable, onMessage: (msg: any) => void): void {
    const rl = createInterface({ input: stream });
    rl.on('line', (line) => {
      if (!line.startsWith('{')) {
        return;
      }
      try {
        onMessage(JSON.parse(line));
      } catch {
        // restic prints the odd non-JSON line even with --json; those carry nothing we need.
      }
    });
  }

  /**
   * The snapshots with all these tags. Never creates the repository: a mistyped URL must say
   * "no repository at URL", not start an empty one (only a backup creates a repository).
   */
  async snapshots(tags: string[] = []): Promise<ResticSnapshot[]> {
    const args = ['snapshots', '--json', '--no-lock'];
    if (tags.length) {
      args.push('--tag', tags.join(','));
    }
    const out = await this.exec(args, 300_000);
    return (JSON.parse(out || '[]') as ResticSnapshot[] | null) ?? [];
  }

  /**
   * Forgets these snapshots and, where this instance prunes the repository, prunes the data only
   * they referenced. A shared repository is pruned by one instance only (`pruneBy`): the others
   * forget without --prune, and the pruning instance's prune gives the space back.
   */
  forget(ids: string[], prune = this.config.prune): Promise<void> {
    return this.lock.exclusive(() => this.forgetNow(ids, prune));
  }

  private async forgetNow(ids: string[], prune: boolean): Promise<void> {
    if (!ids.length) {
      return;
    }
    await this.exec(['forget', ...(prune ? ['--prune'] : []), ...ids], DEFAULT_TIMEOUT_MS);
  }

  /** `restic prune`: gives back the space of every snapshot forgotten (by any instance) since the last. */
  prune(): Promise<void> {
    if (!this.config.prune) {
      return Promise.reject(
        new RepositoryError(`repository ${this.name} is pruned by instance ${this.config.pruneBy}, not by this one`)
      );
    }
    return this.lock.exclusive(() => this.exec(['prune'], DEFAULT_TIMEOUT_MS).then(() => undefined));
  }

  /**
   * Forgets what one run of one target wrote (a failed backup's partial snapshot): selected by
   * target *and* run identity, never by one of them alone (docs/design.md §5 rule 7). `keep`: snapshots
   * of that run the catalog recorded as complete (a restore's safety snapshot).
   */
  async forgetRun(target: string, runUid: string, keep: Set<string> = new Set()): Promise<string[]> {
    let found: ResticSnapshot[];
    try {
      found = (await this.snapshots([tags.ofRun(target, runUid)])).filter((s) => !keep.has(s.id));
    } catch (e) {
      if (e instanceof NoRepositoryError) {
        return []; // no repository: the run cannot have written anything
      }
      throw e;
    }
    await this.forget(
      found.map((s) => s.id),
      false
    );
    return found.map((s) => s.id);
  }

  dump(snapshotId: string, filename: string, signal?: AbortSignal): { stream: Readable; done: Promise<void> } {
    const proc = start(
      this.spec(['dump', '--no-lock', snapshotId, `/${filename.replace(/^\//, '')}`], DEFAULT_TIMEOUT_MS),
      {
        signal,
      }
    );
    return { stream: proc.child.stdout!, done: proc.done.catch((e) => Promise.reject(this.describe(e))) };
  }

  async restore(snapshotId: string, dir: string, signal?: AbortSignal): Promise<void> {
    await this.exec(['restore', '--no-lock', snapshotId, '--target', dir], DEFAULT_TIMEOUT_MS, signal);
  }

  /** `restic check`; with readData, every pack is read and its MAC verified. */
  check(readData = false): Promise<void> {
    return this.lock.exclusive(() => this.checkNow(readData));
  }

  private async checkNow(readData = false): Promise<void> {
    await this.exec(['check', ...(readData ? ['--read-data'] : [])], DEFAULT_TIMEOUT_MS);
  }

  /**
   * Copies these snapshots of `source` that this repository does not hold yet (restic skips the
   * ones it holds). By id, not by tag: in a repository shared by several instances a tag such as
   * `target=files` may name another instance's snapshots too.
   */
  copyFrom(source: ResticRepository, ids: string[], signal?: AbortSignal): Promise<void> {
    if (!ids.length) {
      return Promise.resolve();
    }
    return this.lock.shared(() => this.copyFromNow(source, ids, signal));
  }

  private async copyFromNow(source: ResticRepository, ids: string[], signal?: AbortSignal): Promise<void> {
    this.sameBackendCredentials(source);
    await this.ensureInitialized(source);
    // restic's global options (-o, --cacert) serve both repositories of a copy: the source's too.
    const args = ['copy', ...source.globalArgs(), ...ids];
    try {
      await run(this.spec(args, DEFAULT_TIMEOUT_MS, source.fromEnv()), { signal });
    } catch (e) {
      if (e instanceof CommandError && LOCKED.test(e.stderr)) {
        await this.unlockStale();
        await source.unlockStale();
        try {
          await run(this.spec(args, DEFAULT_TIMEOUT_MS, source.fromEnv()), { signal });
          return;
        } catch (e2) {
          throw this.describe(e2);
        }
      }
      throw this.describe(e);
    }
  }
}
