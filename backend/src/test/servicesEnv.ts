/**
 * The coordinates of the real test services (the BSLA_* variables), read from
 * `scripts/services.sh env --json`: the one reader of that output for every TypeScript caller
 * (this package's Jest global setup, the browser tests' global setup, the benchmarks). Shells use
 * the `export` form of the same command (`eval "$(bash scripts/services.sh env)"`).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SERVICES_SCRIPT = path.join(REPO_ROOT, 'scripts', 'services.sh');

/** Runs a command in the repository's root, quietly; on failure the error carries its output. */
export function runCommand(cmd: string, args: string[], timeoutMs: number): string {
  try {
    return execFileSync(cmd, args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const output = [e.stdout, e.stderr].filter(Boolean).join('\n').trim();
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${output}`);
  }
}

/** Runs `bash scripts/services.sh ARGS...`. */
export function runServices(args: string[], timeoutMs: number): string {
  return runCommand('bash', [SERVICES_SCRIPT, ...args], timeoutMs);
}

/** Checks the output of `services.sh env --json`: one object of BSLA_* names to strings. */
export function parseServicesEnv(json: string): Record<string, string> {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('services.sh env --json did not print a JSON object');
  }
  const result: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!/^BSLA_[A-Z0-9_]+$/.test(name) || typeof v !== 'string') {
      throw new Error(`unexpected entry from services.sh env --json: ${name}`);
    }
    result[name] = v;
  }
  return result;
}

/** The services' coordinates, as `services.sh env --json` prints them. */
export function servicesEnv(): Record<string, string> {
  return parseServicesEnv(runServices(['env', '--json'], 30_000));
}

/**
 * Puts the services' coordinates into process.env. keepSet: a variable already set wins (the
 * services were started elsewhere, e.g. by scripts/test-all.sh, possibly on other ports).
 */
export function exportServicesEnv(keepSet: boolean): void {
  for (const [name, value] of Object.entries(servicesEnv())) {
    if (keepSet && process.env[name] !== undefined) {
      continue;
    }
    process.env[name] = value;
  }
}
