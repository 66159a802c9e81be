/**
 * `backup-sla doctor` and GET /api/doctor: whether this machine can do what the configuration
 * asks, one line per check, per target. It changes nothing: no repository is initialised, no lock
 * taken, no catalog written. What a kind knows about its own source (connection, privileges) is
 * the driver's `doctor()`; this module adds what every target shares: restic and the kind's
 * tools with their versions, the repositories (reachable, the password right), free space at the
 * repositories and the work directory, the modes of secret files, and the API tokens' strength.
 */
import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { formatBytes } from '../util/format';
import type { DoctorCheck, DoctorReport, DoctorSection } from '@labops/backup-sla-contract';
import type { Catalog } from '../catalog/catalog';
import type { Config, RepositoryConfig, Role, TargetConfig } from '../config/types';
import { configFileProblem, readSecret, secretFileProblem, tokenProblem } from '../config/secret';
import { ResticRepository } from '../repository/restic';
import { drivers } from '../targets/registry';
import { silentLogger } from '../util/log';
import { redact } from '../util/redact';

export type { DoctorCheck, DoctorReport, DoctorSection };

/** The oldest restic whose repository format and JSON output the service relies on. */
export const MIN_RESTIC = '0.14.0';

function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) {
      return (a[i] ?? 0) > (b[i] ?? 0);
    }
  }
  return true;
}

const isRemote = (url: string) => /^[a-z0-9]+:/.test(url);

/** The nearest existing directory at or above `p` (a repository not created yet lives there). */
function existingAncestor(p: string): string {
  let dir = path.resolve(p);
  while (!existsSync(dir) && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
  }
  return dir;
}

/**
 * Free space where `dir` is: failed below 512 MiB or below what the largest recent backup needs
 * (`needs` bytes), warning below 10 % of the file system or below three times that.
 */
export function freeSpace(name: string, dir: string, needs: number): DoctorCheck {
  try {
    const s = statfsSync(existingAncestor(dir));
    const free = s.bavail * s.bsize;
    const total = s.blocks * s.bsize;
    const share = total ? Math.round((free / total) * 100) : 100;
    const what = `${formatBytes(free)} free at ${dir} (${share} % of ${formatBytes(total)})${needs ? `; the last backup read ${formatBytes(needs)}` : ''}`;
    if (free < 512 * 1024 ** 2 || free < needs) {
      return { name, level: 'failed', detail: `${what}: too little for the next backup` };
    }
    if (share < 10 || free < 3 * needs) {
      return { name, level: 'warning', detail: `${what}: running low` };
    }
    return { name, level: 'ok', detail: what };
  } catch (e) {
    return { name, level: 'failed', detail: `cannot measure ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}` };
  }
}

/** The secret files a target's settings name (passwordFile, tokenFile, vaultPasswordFile...). */
function secretFilesOf(value: unknown, out: string[] = []): string[] {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (/^(password|token|vaultPassword)File$/.test(k) && typeof v === 'string') {
        out.push(v);
      } else {
        secretFilesOf(v, out);
      }
    }
  }
  return out;
}

function secretFiles(name: string, files: string[]): DoctorCheck {
  if (!files.length) {
    return { name, level: 'ok', detail: 'none (secrets from environment variables only)' };
  }
  const problems = files.flatMap((f) => {
    const p = secretFileProblem(f);
    if (p) {
      return [p];
    }
    try {
      accessSync(f, constants.R_OK);
      return [];
    } catch {
      return [`${f} is not readable by ${os.userInfo().username}`];
    }
  });
  if (problems.length) {
    return { name, level: 'failed', detail: problems.join('; ') };
  }
  const modes = [...new Set(files.map((f) => `0${(statSync(f).mode & 0o777).toString(8)}`))].join('/');
  return { name, level: 'ok', detail: `${files.length} file${files.length > 1 ? 's' : ''}, private (${modes})` };
}

function verdict(checks: DoctorCheck[]): 'ok' | 'warning' | 'failed' {
  return checks.some((c) => c.level === 'failed')
    ? 'failed'
    : checks.some((c) => c.level === 'warning')
      ? 'warning'
      : 'ok';
}

export interface DoctorOptions {
  log?: Logger;
  /** For the size of the last backups (free space); read only. */
  catalog?: Catalog | null;
  /** Only these targets (default: all). */
  targets?: string[];
  now?: () => Date;
}

/** The checks of the service itself: configuration file, API tokens, work directory. */
function serviceSection(config: Config, needs: number): DoctorSection {
  const checks: DoctorCheck[] = [];
  const cfgProblem = configFileProblem(config.file);
  checks.push(
    cfgProblem
      ? { name: 'configuration', level: 'failed', detail: cfgProblem }
      : { name: 'configuration', level: 'ok', detail: `${config.file}: valid; only its owner may write it` }
  );
  if (config.api) {
    const tokens = [
      ...(Object.entries(config.api.tokens) as Array<[Role, { file?: string; env?: string }]>).map(([role, ref]) => ({
        who: role,
        ref,
      })),
      ...config.api.clients.map((c) => ({ who: `client ${c.name}`, ref: c.token })),
    ];
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const t of tokens) {
      try {
        const value = readSecret(t.ref, t.who);
        const p = tokenProblem(value);
        if (p) {
          problems.push(`${t.who}: ${p}`);
        }
        if (seen.has(value)) {
          problems.push(`${t.who}: the same token as another role or client`);
        }
        seen.add(value);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    checks.push(
      problems.length
        ? { name: 'api tokens', level: 'failed', detail: problems.join('; ') }
        : {
            name: 'api tokens',
            level: 'ok',
            detail: `${tokens.length} tokens, each of 32 characters or more, all different`,
          }
    );
    checks.push(
      secretFiles(
        'api token files',
        tokens.flatMap((t) => (t.ref.file ? [t.ref.file] : []))
      )
    );
    checks.push(
      config.api.tls
        ? { name: 'api', level: 'ok', detail: `https on ${config.api.listen.host}:${config.api.listen.port}` }
        : /^(127\.|::1$|localhost$)/.test(config.api.listen.host)
          ? { name: 'api', level: 'ok', detail: `http on loopback ${config.api.listen.host}:${config.api.listen.port}` }
          : {
              name: 'api',
              level: 'warning',
              detail: `http on ${config.api.listen.host}:${config.api.listen.port}, beyond loopback without TLS: set api.tls or put a TLS proxy in front`,
            }
    );
  }
  checks.push(freeSpace('work directory', config.workDir, needs));
  return { target: null, kind: null, level: verdict(checks), checks };
}

export async function doctor(config: Config, options: DoctorOptions = {}): Promise<DoctorReport> {
  const log = options.log ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const targets = Object.values(config.targets).filter((t) => !options.targets || options.targets.includes(t.name));
  const lastBytes = (t: TargetConfig) => options.catalog?.lastRun(t.name, 'backup', ['success'])?.bytesDone ?? 0;

  // Each repository and tool is asked once, whichever targets share it.
  const probes = new Map<string, ReturnType<ResticRepository['probe']>>();
  const probe = (r: RepositoryConfig) => {
    if (!probes.has(r.name)) {
      probes.set(r.name, new ResticRepository(r, { cacheDir: config.cacheDir }).probe());
    }
    return probes.get(r.name)!;
  };
  const resticVersion = ResticRepository.version();
  const sections: DoctorSection[] = [serviceSection(config, Math.max(0, ...targets.map(lastBytes)))];
  for (const t of targets) {
    const checks: DoctorCheck[] = [];
    const v = await resticVersion;
    checks.push(
      v === null
        ? { name: 'restic', level: 'failed', detail: 'not installed (apt-get install restic)' }
        : versionAtLeast(v, MIN_RESTIC)
          ? { name: 'restic', level: 'ok', detail: v }
          : { name: 'restic', level: 'failed', detail: `${v}: ${MIN_RESTIC} or newer is needed` }
    );
    for (const [i, name] of [t.repository, ...t.copies].entries()) {
      const repo = config.repositories[name];
      const label = `repository ${name}${i === 0 ? '' : ' (copy)'}`;
      const p = await probe(repo);
      checks.push({
        name: label,
        level: p.state === 'ok' ? 'ok' : p.state === 'missing' ? 'warning' : 'failed',
        detail: redact(p.detail),
      });
      checks.push(
        isRemote(repo.url)
          ? {
              name: `free space ${name}`,
              level: 'skipped',
              detail: `${repo.url.split(':')[0]}: repository: not measurable from here`,
            }
          : freeSpace(`free space ${name}`, repo.url, lastBytes(t))
      );
    }
    checks.push(
      secretFiles('secret files', [
        ...secretFilesOf(t.settings),
        ...[t.repository, ...t.copies].flatMap((n) =>
          config.repositories[n].password.file ? [config.repositories[n].password.file!] : []
        ),
      ])
    );
    const driver = drivers[t.kind];
    let own: DoctorCheck[] = [];
    if (driver.doctor) {
      try {
        own = await driver.doctor(t, log.child({ target: t.name }));
      } catch (e) {
        own = [{ name: `${t.kind} checks`, level: 'failed', detail: redact((e as Error).message) }];
      }
    } else {
      own = [
        { name: `${t.kind} checks`, level: 'skipped', detail: `the ${t.kind} driver has no checks of its own yet` },
      ];
    }
    // The kind's own checks name the tools it runs, with their versions.
    checks.push(...own);
    sections.push({ target: t.name, kind: t.kind, level: verdict(checks), checks });
  }
  const all = sections.flatMap((s) => s.checks);
  return { generatedAt: now().toISOString(), level: verdict(all), sections };
}

/** The report as `backup-sla doctor` prints it: a heading per section, one line per check. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  for (const s of report.sections) {
    lines.push(s.target === null ? 'service' : `${s.target} (${s.kind})`);
    for (const c of s.checks) {
      lines.push(`  ${c.level.toUpperCase().padEnd(8)} ${c.name.padEnd(22)} ${c.detail}`);
    }
  }
  lines.push(`doctor: ${report.level}`);
  return `${lines.join('\n')}\n`;
}
