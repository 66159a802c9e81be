/**
 * Jest global setup for the service's tests: starts the real services on loopback
 * (`scripts/services.sh start`, idempotent: already-running services are left alone) and puts
 * their coordinates (`scripts/services.sh env`, the BSLA_* variables) into process.env, which the
 * test environments inherit. Read them through `services()` from ./services.
 *
 * BSLA_SKIP_SERVICES=1 (or BSLA_SERVICES_STARTED=1, set by scripts/test-all.sh after it started
 * them) skips the start; BSLA_* variables already set then win over the defaults printed by env.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVICES_SCRIPT = path.join(REPO_ROOT, 'scripts', 'services.sh');

function runServices(args: string[], timeoutMs: number): string {
  try {
    return execFileSync('bash', [SERVICES_SCRIPT, ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const output = [e.stdout, e.stderr].filter(Boolean).join('\n').trim();
    throw new Error(`bash scripts/services.sh ${args.join(' ')} failed: ${e.message}\n${output}`);
  }
}

/**
 * Parses the `export NAME='value'` lines printed by `services.sh env` (single-quoted values in
 * which a quote is written '\'' ; bare words and backslash escapes are accepted too).
 */
export function parseExports(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const m = /^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      throw new Error(`unexpected line from services.sh env: ${line}`);
    }
    result[m[1]] = unquoteShellWord(m[2]);
  }
  return result;
}

function unquoteShellWord(word: string): string {
  let out = '';
  let i = 0;
  while (i < word.length) {
    const c = word[i];
    if (c === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) {
        throw new Error(`unterminated quote in: ${word}`);
      }
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (c === '\\' && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

export default async function globalSetup(): Promise<void> {
  const skip = process.env.BSLA_SKIP_SERVICES === '1' || process.env.BSLA_SERVICES_STARTED === '1';
  if (!skip) {
    runServices(['start'], 300_000);
  }
  const vars = parseExports(runServices(['env'], 30_000));
  for (const [name, value] of Object.entries(vars)) {
    if (skip && process.env[name] !== undefined) {
      continue;
    }
    process.env[name] = value;
  }
}
