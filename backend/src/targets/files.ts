/**
 * kind: files — installed application files (AGAMA: the app directory served by uWSGI). Like
 * ansible, a versioned target: a snapshot is saved only when the *version* changes, so that
 * `keepLast: 2` holds the current and the previous version, as the SLA asks. The version is read
 * from a file (`versionFrom: {file, pattern}`, one capture group, e.g. `AGAMA (v[0-9.]+)` on
 * agama.py) or, without versionFrom, is the content hash of the files.
 *
 * With versionFrom, the version string decides: an edit that keeps the version is not a new
 * version (logged), and a file where the pattern is gone fails the backup rather than saving a
 * damaged application over a good one.
 *
 * Snapshot layout: `backup-sla.json` (manifest: original paths, version, content hash) and
 * `files/<name>` for each configured path (name = its basename, unique per target).
 *
 * Verification restores into a temp dir, checks contents against the recorded hash, compiles
 * every .py with the system Python (py_compile; Debian's Flask and uWSGI use /usr/bin/python3,
 * a pyenv python3 on PATH may lack them), then runs the optional `command` (must exit 0) and the
 * optional smoke run: a server started from the restored copy on a free port that must answer
 * the URL with the expected status before the timeout. Commands are argument arrays (run in
 * {dir}) with the placeholders {dir} (the restored copy of the first path when it is a directory,
 * i.e. the application directory; else the dir holding every path by name), {port} (a free port)
 * and {tmp} (a scratch dir), also in the smoke `url` and `env` values.
 *
 * Restore puts the version back at its original paths (what was there is moved aside as
 * `<path>.before-restore-<ts>`, never deleted; the engine also takes a safety backup first) and
 * then runs `afterRestore` (e.g. restart uWSGI); with `to`, into that directory instead
 * (`<to>/<name>`), without afterRestore.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { durationField } from '../config/schema';
import { parseDuration } from '../config/duration';
import { CommandError, CommandSpec, TailBuffer, killGroup, lastLine, run, start } from '../util/subprocess';
import { findProgram, freePort } from './tools';
import { DriverContext, Metadata, TargetDriver } from './types';
import {
  contentHash,
  copyDirectoryModes,
  copyEntry,
  exists,
  isEmptyDir,
  moveTree,
  swapInto,
  treeEntries,
  TreeEntry,
  truncate,
  walk,
  MANIFEST,
  readManifest,
} from './version';

export interface SmokeSettings {
  command: string[];
  url: string;
  expectStatus?: number;
  expectBody?: string;
  timeout?: string;
  env?: Record<string, string>;
}

export interface FilesSettings {
  source: {
    paths: string[];
    versionFrom?: { file: string; pattern: string };
    /** Names (simple globs: * and ?) left out anywhere in the tree. */
    exclude?: string[];
  };
  afterRestore?: string[];
  verify: {
    /** Python used for py_compile (default /usr/bin/python3). */
    python?: string;
    /** Compile every .py (default true). */
    compile?: boolean;
    command?: string[];
    smoke?: SmokeSettings;
  };
}

interface Manifest {
  kind: 'files';
  version: string;
  contentHash: string;
  paths: Array<{ name: string; path: string }>;
  /** The version file inside the snapshot's files/ dir, and its pattern. */
  versionFrom: { file: string; pattern: string } | null;
}

const FILES = 'files';
/** Bytecode caches change whenever Python runs the app: not part of a version. */
const DEFAULT_EXCLUDE = ['__pycache__', '*.pyc', '*.pyo'];
const DEFAULT_PYTHON = '/usr/bin/python3';
const SMOKE_TIMEOUT_S = 30;

function globMatcher(patterns: string[]): (name: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`
      )
  );
  return (name) => res.some((r) => r.test(name));
}

function names(paths: string[]): string[] {
  return paths.map((p) => path.basename(p));
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Where the version file sits in the snapshot's files/ dir (`<name>/<rel>`). */
function versionFileInSnapshot(paths: string[], file: string): string | null {
  for (const p of paths) {
    if (isInside(file, p)) {
      return path.join(path.basename(p), path.relative(p, file));
    }
  }
  return null;
}

function extractVersion(file: string, pattern: string, shownAs: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`version file ${shownAs} cannot be read`);
  }
  const m = new RegExp(pattern, 'm').exec(text);
  if (!m || !m[1]) {
    throw new Error(
      `version pattern /${pattern}/ not found in ${shownAs}: the application looks changed or damaged, nothing saved`
    );
  }
  return m[1];
}

/** Every file of every configured path, as `<name>/<rel>` entries rooted at each path's parent. */
async function listEntries(s: FilesSettings['source'], root?: string): Promise<TreeEntry[]> {
  const exclude = globMatcher(s.exclude ?? DEFAULT_EXCLUDE);
  const all: TreeEntry[] = [];
  for (const p of s.paths) {
    const name = path.basename(p);
    const base = root ?? path.dirname(p);
    const abs = path.join(base, name);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new Error(root ? `restored copy lacks ${name}` : `path ${p} does not exist`);
    }
    const rels = st.isDirectory() ? walk(abs, exclude).map((r) => path.join(name, r)) : [name];
    all.push(...(await treeEntries(base, rels)));
  }
  return all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(dir|port|tmp)\}/g, (_m, k: string) => vars[k]);
}

function pythonFor(v: FilesSettings['verify']): string {
  if (v.python) {
    return v.python;
  }
  return existsSync(DEFAULT_PYTHON) ? DEFAULT_PYTHON : findProgram(['python3']);
}

// Reads NUL-separated relative paths on stdin; reports every file that does not compile.
const COMPILE_ALL = `
import sys, py_compile
bad = 0
files = [f for f in sys.stdin.read().split('\\0') if f]
for f in files:
    try:
        py_compile.compile(f, doraise=True)
    except py_compile.PyCompileError as e:
        bad += 1
        sys.stderr.write('%s: %s: %s\\n' % (f, e.exc_type_name, str(e.exc_value).replace('\\n', ' ')))
sys.exit(1 if bad else 0)
`;

async function compileAll(ctx: DriverContext<FilesSettings>, dir: string, pyFiles: string[]): Promise<string | null> {
  try {
    await run(
      {
        command: pythonFor(ctx.target.settings.verify ?? {}),
        args: ['-I', '-c', COMPILE_ALL],
        cwd: dir,
        // Caches go to the temp dir: the restored copy stays as it was saved.
        env: { ...process.env, PYTHONPYCACHEPREFIX: path.join(ctx.tmpDir, 'pycache') },
        timeoutMs: Math.min(ctx.target.timeoutSeconds, 3600) * 1000,
      },
      { input: pyFiles.join('\0'), signal: ctx.signal }
    );
    return null;
  } catch (e) {
    if (e instanceof CommandError && e.exitCode === 1 && e.stderr.trim()) {
      const errors = e.stderr.trim().split('\n');
      return `py_compile failed for ${errors.length} of ${pyFiles.length} .py files: ${errors.slice(0, 5).join('; ')}`;
    }
    throw e;
  }
}

/** Starts the app from the restored copy and waits for the expected HTTP answer; always stops it. */
async function smokeRun(
  ctx: DriverContext<FilesSettings>,
  smoke: SmokeSettings,
  vars: Record<string, string>
): Promise<{ ok: boolean; detail: string }> {
  const timeoutS = smoke.timeout ? parseDuration(smoke.timeout)! : SMOKE_TIMEOUT_S;
  const expect = smoke.expectStatus ?? 200;
  const url = substitute(smoke.url, vars);
  const cmd = smoke.command.map((a) => substitute(a, vars));
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPYCACHEPREFIX: path.join(ctx.tmpDir, 'pycache') };
  for (const [k, v] of Object.entries(smoke.env ?? {})) {
    env[k] = substitute(v, vars);
  }
  const spec: CommandSpec = {
    command: cmd[0],
    args: cmd.slice(1),
    cwd: vars.dir,
    env,
    timeoutMs: (timeoutS + 30) * 1000,
  };
  const proc = start(spec, { processGroup: true, signal: ctx.signal });
  const out = new TailBuffer(8 * 1024);
  proc.child.stdout!.on('data', (d: Buffer) => out.push(d));
  let exited: string | null = null;
  proc.done.then(
    () => {
      exited = `${cmd[0]} exited`;
    },
    (e) => {
      exited = e instanceof Error ? e.message : String(e);
    }
  );
  const deadline = Date.now() + timeoutS * 1000;
  let last = 'no answer';
  try {
    while (Date.now() < deadline && !ctx.signal.aborted) {
      if (exited) {
        const why = lastLine(proc.stderr.toString()) || lastLine(out.toString()) || exited;
        return { ok: false, detail: `smoke run: the app stopped before answering ${url}: ${why}` };
      }
      try {
        const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
        const body = await res.text();
        if (res.status === expect && (smoke.expectBody === undefined || body.includes(smoke.expectBody))) {
          return { ok: true, detail: `smoke run: ${url} answered ${res.status}` };
        }
        last = res.status === expect ? `${res.status} without '${smoke.expectBody}' in the body` : `HTTP ${res.status}`;
      } catch (e) {
        last = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return { ok: false, detail: `smoke run: ${url} did not answer ${expect} within ${timeoutS} s (last: ${last})` };
  } finally {
    killGroup(proc.child, 'SIGTERM');
    let grace: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      proc.done.then(
        () => true,
        () => true
      ),
      new Promise<boolean>((r) => {
        grace = setTimeout(() => r(false), 5000);
      }),
    ]);
    clearTimeout(grace);
    if (!stopped) {
      killGroup(proc.child, 'SIGKILL');
      await proc.done.catch(() => undefined);
    }
  }
}

function stagingName(dest: string): string {
  return path.join(
    path.dirname(dest),
    `.${path.basename(dest)}.restoring-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`
  );
}

export const filesDriver: TargetDriver<FilesSettings> = {
  kind: 'files',
  settingsShape: (h) => ({
    source: z
      .strictObject({
        paths: z.array(h.path()).min(1, 'name at least one file or directory'),
        versionFrom: z
          .strictObject({
            file: h.path(),
            pattern: z.string().refine(
              (p) => {
                try {
                  return new RegExp(`${p}|`).exec('')!.length > 1;
                } catch {
                  return false;
                }
              },
              { message: 'must be a regular expression with one capture group, e.g. "AGAMA (v[0-9.]+)"' }
            ),
          })
          .optional(),
        exclude: z.array(z.string().min(1)).optional(),
      })
      .superRefine((s, c) => {
        const seen = new Set<string>();
        names(s.paths).forEach((n, i) => {
          if (seen.has(n)) {
            c.addIssue({
              code: 'custom',
              path: ['paths', i],
              message: `another path is also named '${n}': names must differ`,
            });
          }
          seen.add(n);
        });
        if (s.versionFrom && !versionFileInSnapshot(s.paths, s.versionFrom.file)) {
          c.addIssue({
            code: 'custom',
            path: ['versionFrom', 'file'],
            message: 'must be one of the paths or inside one of them',
          });
        }
      }),
    afterRestore: z.array(z.string().min(1)).min(1, 'a command: program and arguments').optional(),
  }),
  verifyShape: () => ({
    python: z.string().min(1).optional(),
    compile: z.boolean().optional(),
    command: z.array(z.string().min(1)).min(1, 'a command: program and arguments').optional(),
    smoke: z
      .strictObject({
        command: z.array(z.string().min(1)).min(1, 'a command: program and arguments'),
        url: z.string().regex(/^https?:\/\//, 'must be an http(s) URL, e.g. http://127.0.0.1:{port}/'),
        expectStatus: z.number().int().min(100).max(599).optional(),
        expectBody: z.string().optional(),
        timeout: durationField().optional(),
        env: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
  }),
  defaults: {
    schedule: '15 3 * * *',
    rpo: null,
    rto: '5m',
    retention: { keepLast: 2 },
    verifySchedule: '45 3 * * *',
    coverage: 'the installed application files (a new version when the application version changes)',
    usability: 'python3 -m py_compile on every .py + a smoke run of the app answering HTTP',
  },

  checkRestoreTarget: (to) =>
    path.isAbsolute(to) && path.resolve(to) !== '/' ? null : 'give an absolute directory path (not /)',

  destinations: (t) => ({
    inPlace: {
      replaces: t.settings.source.paths.join(', '),
      movedAsideAs: `${t.settings.source.paths.length > 1 ? 'each path' : t.settings.source.paths[0]}.before-restore-<time>`,
      note: t.settings.afterRestore ? `then runs ${t.settings.afterRestore.join(' ')}` : null,
      unavailable: null,
    },
    elsewhere: {
      kind: 'directory',
      hint: 'an absolute path to a new or empty directory (each path goes in by its name)',
      example: `/var/tmp/${t.name}-restored`,
    },
  }),

  contents: (meta) =>
    typeof meta.files === 'number'
      ? {
          summary: `${meta.files} files (${meta.pythonFiles ?? 0} .py), ${meta.bytes ?? 0} bytes`,
          items: ((meta.paths ?? []) as string[]).map((p) => ({ name: p, count: null, unit: 'path' })),
        }
      : null,

  async backup(ctx) {
    const s = ctx.target.settings.source;
    ctx.progress('reading files');
    const vf = s.versionFrom;
    let version: string;
    let entries: TreeEntry[] | null = null;
    if (vf) {
      version = extractVersion(vf.file, vf.pattern, vf.file);
    } else {
      entries = await listEntries(s);
      version = contentHash(entries).slice(0, 12);
    }
    if (ctx.previous?.version === version) {
      if (vf && ctx.previous.metadata?.contentHash) {
        const now = contentHash(await listEntries(s));
        if (now !== ctx.previous.metadata.contentHash) {
          ctx.log.warn({ version }, 'files changed but the version did not: the held copy of this version is kept');
        }
      }
      return { kind: 'unchanged', version };
    }
    entries ??= await listEntries(s);

    ctx.progress('copying files');
    const snap = path.join(ctx.tmpDir, 'snapshot');
    const filesDir = path.join(snap, FILES);
    mkdirSync(filesDir, { recursive: true });
    const copied: string[] = [];
    for (const p of s.paths) {
      const name = path.basename(p);
      for (const e of entries.filter((x) => x.path === name || x.path.startsWith(`${name}/`))) {
        if (copyEntry(path.dirname(p), filesDir, e.path)) {
          copied.push(e.path);
        }
      }
      copyDirectoryModes(p, path.join(filesDir, name));
    }
    // The version and hash of what was copied, not of what the source became meanwhile.
    const saved = await treeEntries(filesDir, copied);
    const hash = contentHash(saved);
    const vfile = vf ? versionFileInSnapshot(s.paths, vf.file)! : null;
    const finalVersion = vf ? extractVersion(path.join(filesDir, vfile!), vf.pattern, vf.file) : hash.slice(0, 12);
    const manifest: Manifest = {
      kind: 'files',
      version: finalVersion,
      contentHash: hash,
      paths: s.paths.map((p) => ({ name: path.basename(p), path: p })),
      versionFrom: vf ? { file: vfile!, pattern: vf.pattern } : null,
    };
    writeFileSync(path.join(snap, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    ctx.progress('saving');
    const snapshot = await ctx.store.saveDirectory(snap, { version: finalVersion });
    const metadata: Metadata = {
      paths: s.paths,
      files: saved.length,
      pythonFiles: saved.filter((e) => e.path.endsWith('.py')).length,
      bytes: saved.reduce((n, e) => n + e.size, 0),
      contentHash: hash,
      versionFrom: vf ? 'pattern' : 'content',
    };
    return { kind: 'saved', snapshot, version: finalVersion, metadata };
  },

  async verify(ctx) {
    const v = ctx.target.settings.verify ?? {};
    const restored = path.join(ctx.tmpDir, 'restore');
    ctx.progress('test restore');
    await ctx.reader.restoreTo(restored);
    const m = readManifest<Manifest>(restored, 'files');
    const filesDir = path.join(restored, FILES);
    mkdirSync(filesDir, { recursive: true });
    const found: string[] = [];

    const entries = await treeEntries(filesDir, walk(filesDir));
    const hash = contentHash(entries);
    const expected = (ctx.snapshot.metadata?.contentHash as string | undefined) ?? m.contentHash;
    if (hash !== expected) {
      return {
        ok: false,
        detail: `restored files differ from the backup (${entries.length} files, hash ${hash.slice(0, 8)}, expected ${expected.slice(0, 8)})`,
      };
    }
    found.push(`${entries.length} files match`);
    if (m.versionFrom) {
      const got = extractVersion(path.join(filesDir, m.versionFrom.file), m.versionFrom.pattern, m.versionFrom.file);
      if (ctx.snapshot.version && got !== ctx.snapshot.version) {
        return { ok: false, detail: `restored copy is version ${got}, expected ${ctx.snapshot.version}` };
      }
      found.push(`version ${got}`);
    }

    if (v.compile !== false) {
      const py = entries.filter((e) => e.kind === 'file' && e.path.endsWith('.py')).map((e) => e.path);
      if (py.length) {
        ctx.progress('py_compile');
        const problem = await compileAll(ctx, filesDir, py);
        if (problem) {
          return { ok: false, detail: problem };
        }
        found.push(`${py.length} .py files compile`);
      } else {
        found.push('no .py files');
      }
    }

    const scratch = path.join(ctx.tmpDir, 'scratch');
    mkdirSync(scratch, { recursive: true });
    // {dir}: the application directory (the first path, if a directory), else the files root.
    const first = path.join(filesDir, m.paths[0]?.name ?? '');
    const dir = m.paths.length && statSync(first, { throwIfNoEntry: false })?.isDirectory() ? first : filesDir;
    const vars = { dir, port: String(await freePort()), tmp: scratch };
    if (v.command) {
      ctx.progress('verify command');
      const cmd = v.command.map((a) => substitute(a, vars));
      try {
        await run(
          {
            command: cmd[0],
            args: cmd.slice(1),
            cwd: filesDir,
            timeoutMs: Math.min(ctx.target.timeoutSeconds, 3600) * 1000,
          },
          { signal: ctx.signal }
        );
      } catch (e) {
        return { ok: false, detail: `verify command failed: ${(e as Error).message}` };
      }
      found.push('verify command passed');
    }
    if (v.smoke) {
      ctx.progress('smoke run');
      const r = await smokeRun(ctx, v.smoke, vars);
      if (!r.ok) {
        return { ok: false, detail: r.detail };
      }
      found.push(r.detail);
    }
    return { ok: true, detail: found.join('; ') };
  },

  async restore(ctx) {
    const s = ctx.target.settings;
    const restored = path.join(ctx.tmpDir, 'restore');
    ctx.progress('restoring snapshot');
    await ctx.reader.restoreTo(restored);
    const m = readManifest<Manifest>(restored, 'files');
    const filesDir = path.join(restored, FILES);
    const timeoutMs = ctx.target.timeoutSeconds * 1000;

    if (ctx.options.to !== undefined) {
      const to = ctx.options.to;
      if (exists(to) && !isEmptyDir(to) && !ctx.options.force) {
        throw new Error(
          `directory ${to} is not empty; choose another or force (it is then moved aside, never deleted)`
        );
      }
      mkdirSync(path.dirname(to), { recursive: true });
      const staged = stagingName(to);
      mkdirSync(staged);
      try {
        for (const p of m.paths) {
          if (exists(path.join(filesDir, p.name))) {
            await moveTree(path.join(filesDir, p.name), path.join(staged, p.name), timeoutMs);
          }
        }
        const aside = swapInto(staged, to);
        return {
          location: `directory ${to}`,
          detail: `version ${m.version}: ${m.paths.map((p) => p.name).join(', ')}${aside ? `; the previous content was moved to ${aside}` : ''}`,
        };
      } finally {
        rmSync(staged, { recursive: true, force: true });
      }
    }

    // Back to the original paths, one at a time: staged beside each, then swapped in.
    const done: string[] = [];
    const asides: string[] = [];
    for (const p of m.paths) {
      const src = path.join(filesDir, p.name);
      if (!exists(src)) {
        continue;
      }
      mkdirSync(path.dirname(p.path), { recursive: true });
      const staged = stagingName(p.path);
      try {
        await moveTree(src, staged, timeoutMs);
        const aside = swapInto(staged, p.path);
        if (aside) {
          asides.push(aside);
        }
        done.push(p.path);
      } catch (e) {
        rmSync(staged, { recursive: true, force: true });
        throw new Error(
          `restoring ${p.path} failed: ${(e as Error).message}${done.length ? ` (already restored: ${done.join(', ')})` : ''}`
        );
      }
    }
    let after = '';
    if (s.afterRestore) {
      ctx.progress('after restore');
      const [cmd, ...args] = s.afterRestore;
      try {
        await run(
          { command: cmd, args, timeoutMs: Math.min(ctx.target.timeoutSeconds, 3600) * 1000 },
          { signal: ctx.signal }
        );
      } catch (e) {
        throw new Error(`files restored to ${done.join(', ')}, but afterRestore failed: ${(e as Error).message}`);
      }
      after = `; ran ${path.basename(cmd)}`;
    }
    return {
      location: done.join(', '),
      detail: `version ${m.version}${asides.length ? `; the previous files were moved to ${asides.join(', ')}` : ''}${after}`,
    };
  },
};
