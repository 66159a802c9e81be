/**
 * Loads and validates the YAML configuration. Every problem is reported, each naming the file,
 * the field path and what is wrong; nothing starts with a config that has one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration';
import { apiSchema, helpers, parseListen, repositorySchema, targetSchema, topSchema } from './schema';
import { configFileProblem, readSecret, tokenProblem } from './secret';
import { ApiConfig, Config, CoveredService, RepositoryConfig, Role, SecretRef, TargetConfig } from './types';
import { drivers } from '../targets/registry';
import { checkNames, defaultInstance, instanceField, parsePeers, sharedRepository, sharedRepositoryShape } from './lab';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[]
  ) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Nginx, uWSGI, Telegraf and DNS have no backup of their own: the SLA covers them by Ansible. */
export const DEFAULT_COVERED: Array<Omit<CoveredService, 'coveredBy'>> = [
  { name: 'nginx', note: 'configuration is built by Ansible; no manual changes' },
  { name: 'uwsgi', note: 'static configuration installed by Ansible' },
  { name: 'telegraf', note: 'installed and configured by Ansible; its data is in the InfluxDB backup' },
  { name: 'dns', note: 'zones and configuration are in the Ansible code' },
];

/** Safety snapshots (the state before a restore) are kept this long unless the target says otherwise. */
export const DEFAULT_SAFETY_RETENTION = '30d';

/** Where the configuration is when --config does not say: never a file in the current directory. */
export const SYSTEM_CONFIG = '/etc/backup-sla/backup-sla.yaml';

export function defaultConfigPath(): string {
  return process.env.BACKUP_SLA_CONFIG || SYSTEM_CONFIG;
}

function describeIssue(prefix: string, issue: z.core.$ZodIssue): string {
  const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as unknown as { keys: string[] }).keys;
    return `${where || '(top level)'}: unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `${where}: is required`;
  }
  return `${where || '(top level)'}: ${issue.message}`;
}

function validate<T>(schema: z.ZodType<T>, value: unknown, prefix: string, problems: string[]): T | undefined {
  const result = schema.safeParse(value);
  if (!result.success) {
    problems.push(...result.error.issues.map((i) => describeIssue(prefix, i)));
    return undefined;
  }
  return result.data;
}

function secretRef(fields: { passwordFile?: string; passwordEnv?: string }): SecretRef {
  return { file: fields.passwordFile, env: fields.passwordEnv };
}

export function loadConfig(file = defaultConfigPath()): Config {
  const abs = path.resolve(file);
  const modeProblem = configFileProblem(abs);
  if (modeProblem) {
    throw new ConfigError(abs, [modeProblem]);
  }
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError(abs, [`cannot read the configuration: ${(e as NodeJS.ErrnoException).code ?? e}`]);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(
      abs,
      doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`)
    );
  }
  return parseConfig(doc.toJS(), abs);
}

export function parseConfig(raw: unknown, file: string): Config {
  const baseDir = path.dirname(file);
  let h = helpers(baseDir);
  const problems: string[] = [];
  const top = validate(topSchema(h), raw ?? {}, '', problems);
  if (!top) {
    throw new ConfigError(file, problems);
  }
  const workDir = top.workDir ?? path.join(baseDir, 'data', 'work');
  // Targets may name the restore area below the work dir (directory kinds' restoreRoots).
  h = helpers(baseDir, workDir);

  const instance =
    top.instance === undefined
      ? defaultInstance()
      : (validate(instanceField(), top.instance, 'instance', problems) ?? '');
  const peers = parsePeers(top.peers, instance, h, (s, v, p) => validate(s, v, p, problems), problems);
  const peerNames = Object.keys(top.peers ?? {});
  checkNames(Object.keys(top.targets), instance, peerNames, problems);

  const repositories: Record<string, RepositoryConfig> = {};
  for (const [name, value] of Object.entries(top.repositories)) {
    const r = validate(repositorySchema(h, sharedRepositoryShape(h)), value, `repositories.${name}`, problems);
    if (r) {
      // A local repository path is relative to the config file; backend URLs are taken as they are.
      const url = /^[a-z0-9]+:/.test(r.url) && !/^[A-Za-z]:\\/.test(r.url) ? r.url : path.resolve(baseDir, r.url);
      repositories[name] = {
        name,
        url,
        password: secretRef(r),
        options: r.options ?? {},
        ...sharedRepository(name, r as typeof r & { url: string }, instance, peerNames, problems),
      };
    }
  }
  if (Object.keys(top.repositories).length === 0) {
    problems.push('repositories: at least one repository is needed');
  }
  const firstRepository = Object.keys(top.repositories)[0];

  const targets: Record<string, TargetConfig> = {};
  for (const [name, value] of Object.entries(top.targets)) {
    const prefix = `targets.${name}`;
    const kind = (value as { kind?: unknown } | null)?.kind;
    const driver = typeof kind === 'string' ? drivers[kind] : undefined;
    if (!driver) {
      problems.push(
        `${prefix}.kind: ${kind === undefined ? 'is required' : `unknown kind '${String(kind)}'`} (one of: ${Object.keys(drivers).join(', ')})`
      );
      continue;
    }
    const t = validate(targetSchema(driver, h), value, prefix, problems) as Record<string, any> | undefined;
    // Cross-references are checked even when other fields are wrong, so every problem shows at once.
    const rawRef = value as { repository?: unknown; copies?: unknown };
    const repository = typeof rawRef.repository === 'string' ? rawRef.repository : firstRepository;
    const copies = Array.isArray(rawRef.copies) ? rawRef.copies.filter((c): c is string => typeof c === 'string') : [];
    if (!top.repositories[repository]) {
      problems.push(`${prefix}.repository: unknown repository '${repository}'`);
    }
    copies.forEach((c, i) => {
      if (!top.repositories[c]) {
        problems.push(
          `${prefix}.copies.${i}: unknown repository '${c}' (defined: ${Object.keys(top.repositories).join(', ')})`
        );
      } else if (c === repository) {
        problems.push(`${prefix}.copies.${i}: '${c}' is the target's own repository, not a copy`);
      }
    });
    if (!t) {
      continue;
    }
    const {
      kind: _k,
      schedule,
      rpo,
      rto,
      retention,
      safetyRetention,
      repository: _r,
      copies: _c,
      coverage,
      usability,
      timeout,
      verify,
      ...own
    } = t;
    const { schedule: verifySchedule, ...verifyOwn } = verify ?? {};
    // A kind's defaults may follow the target's own settings (mysql with pitr: RPO 4 h).
    const d = { ...driver.defaults, ...driver.defaultsFor?.(own) };
    const rpoText = rpo === undefined ? d.rpo : rpo;
    targets[name] = {
      name,
      kind: driver.kind,
      settings: { ...own, verify: verifyOwn },
      schedule: schedule ?? d.schedule,
      rpoSeconds: rpoText === null ? null : parseDuration(rpoText),
      rtoSeconds: parseDuration(rto ?? d.rto)!,
      retention: retention ?? d.retention,
      safetyRetentionSeconds: parseDuration(safetyRetention ?? DEFAULT_SAFETY_RETENTION)!,
      verifySchedule: verifySchedule === undefined ? d.verifySchedule : verifySchedule,
      repository,
      copies,
      coverage: coverage ?? d.coverage,
      usability: usability ?? d.usability,
      timeoutSeconds: timeout ? parseDuration(timeout)! : 6 * 3600,
    };
  }

  let covered: CoveredService[] = [];
  if (top.covered) {
    covered = top.covered.map((c) => ({ name: c.name, coveredBy: c.coveredBy, note: c.note ?? '' }));
  } else {
    // The SLA covers these by the Ansible backup: only where an ansible target exists to do so.
    const ansible = Object.values(targets).find((t) => t.kind === 'ansible');
    covered = ansible ? DEFAULT_COVERED.map((c) => ({ ...c, coveredBy: ansible.name })) : [];
  }
  top.covered?.forEach((c, i) => {
    if (!top.targets[c.coveredBy]) {
      problems.push(`covered.${i}.coveredBy: unknown target '${c.coveredBy}'`);
    }
  });

  let api: ApiConfig | null = null;
  if (top.api !== undefined) {
    const a = validate(apiSchema(h, baseDir), top.api, 'api', problems);
    if (a) {
      const tokens: ApiConfig['tokens'] = {
        viewer: { file: a.tokens.viewer },
        operator: { file: a.tokens.operator },
        admin: { file: a.tokens.admin },
      };
      const clients = (a.clients ?? []).map((c) => ({
        name: c.name,
        role: c.role as Role,
        token: { file: c.tokenFile },
      }));
      checkTokens(tokens, clients, problems);
      api = {
        listen: parseListen(a.listen ?? '127.0.0.1:8470')!,
        tokens,
        clients,
        tls: a.tls ?? null,
        metricsAuth: a.metricsAuth ?? false,
        bodyLimitBytes: a.bodyLimit ?? 64 * 1024,
      };
    }
  }

  if (problems.length) {
    throw new ConfigError(file, problems);
  }
  const dataDir = path.join(baseDir, 'data');
  const catalog = top.catalog ?? path.join(dataDir, 'catalog.db');
  return {
    file,
    instance,
    peers,
    catalog,
    workDir,
    // restic's cache beside the service's state: the running user's home may be hidden (ProtectHome).
    cacheDir: top.cacheDir ?? path.join(path.dirname(catalog), 'cache'),
    repositories,
    targets,
    covered,
    api,
  };
}

/**
 * Every API token (the three Grafana holds and any other client's) must be strong and different
 * from every other: two roles with one token would make the weaker as strong as the other.
 */
function checkTokens(tokens: ApiConfig['tokens'], clients: ApiConfig['clients'], problems: string[]): void {
  const seen = new Map<string, string>();
  const all = [
    ...(Object.entries(tokens) as Array<[Role, SecretRef]>).map(([role, ref]) => ({
      where: `api.tokens.${role}`,
      ref,
    })),
    ...clients.map((c, i) => ({ where: `api.clients.${i}.tokenFile`, ref: c.token })),
  ];
  for (const { where, ref } of all) {
    let token: string;
    try {
      token = readSecret(ref, where);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message.replace(`${where}: `, '')}`);
      continue;
    }
    const problem = tokenProblem(token);
    if (problem) {
      problems.push(`${where}: ${problem}`);
    }
    const other = seen.get(token);
    if (other) {
      problems.push(`${where}: the same token as ${other}; each role and client needs its own token`);
    }
    seen.set(token, where);
  }
}
