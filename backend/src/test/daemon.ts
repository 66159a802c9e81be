/** The built `backup-sla serve` as a child process, for tests that need the real daemon. */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from './process';

const ROOT = path.resolve(__dirname, '../../..');
const BACKEND = path.join(ROOT, 'backend');
export const BIN = path.join(BACKEND, 'bin/backup-sla.js');

/** Rebuilds dist/ when a source file is newer than it (the daemon and the CLI run from the build, as users run them). */
export function buildIfStale(): void {
  const built = path.join(BACKEND, 'dist/cli/main.js');
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          return e.name === 'test' ? 0 : newest(p);
        }
        return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? statSync(p).mtimeMs : 0;
      })
    );
  if (!existsSync(built) || newest(path.join(BACKEND, 'src')) > statSync(built).mtimeMs) {
    execFileSync('npm', ['run', 'build', '-w', 'backend'], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
  }
}

export interface Daemon {
  child: ChildProcess;
  /** http://host:port */
  address: string;
  /** The log line that announced the addresses ({api, metrics, ...}). */
  ready: Record<string, any>;
  /** Every log line so far, parsed (pino JSON; other lines as {msg}). */
  lines: Array<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `backup-sla --config FILE serve` and waits for the line that names its address. */
export async function startDaemon(configFile: string, env: Record<string, string> = {}): Promise<Daemon> {
  const child = spawn(process.execPath, [BIN, '--config', configFile, 'serve'], {
    env: { ...process.env, BACKUP_SLA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, any>> = [];
  let buffer = '';
  child.stderr!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal }))
  );
  await waitFor(
    () => lines.some((l) => /^backup-sla serving/.test(l.msg)) || child.exitCode !== null,
    30_000,
    'the daemon to listen'
  );
  const ready = lines.find((l) => /^backup-sla serving/.test(l.msg));
  if (!ready) {
    throw new Error(`the daemon did not start: ${lines.map((l) => l.msg).join(' | ')}`);
  }
  return { child, address: ready.api.replace(/\/api$/, ''), ready, lines, exited };
}
