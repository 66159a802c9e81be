/**
 * kind: files — installed application files (AGAMA: `agama.py` served by uWSGI). A versioned
 * target: a snapshot is saved only when the *content* changes, so that `keepLast: 2` holds the
 * current and the previous version, as the SLA asks.
 *
 * The content identifies a version (the hash of paths, modes and contents). `versionFrom:
 * {file, pattern}` only gives it a readable label (e.g. `v0.3`, from the footer of agama.py): the
 * version is then `<label>-<hash8>`, else `<hash12>`. The label is best effort — a new upstream
 * release may write its version in another form — so a pattern that no longer matches is a
 * warning (kept with the snapshot), never a failed backup. A damaged application is caught by the
 * verification instead (py_compile and the smoke run), and retention keeps working versions.
 *
 * Snapshot layout: `backup-sla.json` (manifest: original paths, version, label, content hash) and
 * `files/<name>` for each configured path (name = its basename, unique per target).
 *
 * Verification restores into the temp dir, checks the contents against the recorded hash,
 * compiles every .py with the system Python (py_compile; Debian's Flask and uWSGI use
 * /usr/bin/python3, a pyenv python3 on PATH may lack them), runs the optional `command` (must exit
 * 0) and the optional smoke run: the restored app started on a free port — under uWSGI with
 * `smoke.wsgi` (`--http-socket`, `--wsgi-file`, `--callable`), or by any `smoke.command` — must
 * answer the URL with the expected status before the timeout. Commands are argument arrays run in
 * {dir} with the placeholders {dir} (the restored copy of the first path when it is a directory,
 * i.e. the application directory; else the dir holding every path by name), {port} (a free port)
 * and {tmp} (a scratch dir, e.g. for `AGAMA_DATABASE_URI=sqlite:///{tmp}/agama.db`), also in the
 * smoke `url` and `env` values. A Python or uWSGI that is not installed is "could not verify".
 *
 * Restore in place puts each configured path back (only the configured paths are ever written,
 * whatever the snapshot's manifest names), staged beside it, checked, then swapped in with what was
 * there moved aside as `<path>.before-restore-<time>`, and runs `afterRestore` (e.g. restart
 * uWSGI). With `to`, into that directory (`<to>/<name>`), which must lie below the target's
 * `restoreRoots` (kit/directories.ts).
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from 'pino';
import { doc, durationField } from '../config/schema';
import { parseDuration } from '../config/duration';
import { UnavailableError } from '../util/errors';
import { CommandError, CommandSpec, TailBuffer, lastLine, run, start } from '../util/subprocess';
import { freePort } from './tools';
import { filesRecord, readFilesMetadata } from './files/metadata';
import {
  BackupContext,
  DoctorCheck,
  DriverContext,
  Metadata,
  MovedAside,
  RestoreContext,
  TargetDriver,
  VerifyContext,
} from './types';
import {
  asideItem,
  directoryKind,
  isInside,
  movedAsideOf,
  removeStaging,
  RestoreRoots,
  restoreRootsField,
  stageBeside,
  Swap,
  swapAll,
  swapInto,
} from './kit/directories';
import { locateProgram, notStarted, requireProgram, stopGracefully, toolCheck } from './kit/process';
import {
  byPath,
  contentHash,
  copyDirectoryModes,
  copyTree,
  exists,
  moveTree,
  treeBytes,
  treeEntries,
  TreeEntry,
  walk,
} from './kit/tree';
import { restoreVersion, writeManifest } from './kit/versioned';

export interface SmokeSettings {
  /** The app under uWSGI: `--wsgi-file <file> --callable <callable>` in {dir}. */
  wsgi?: { file: string; callable?: string; plugin?: string };
  /** Any other way to start it (argument array, placeholders allowed). */
  command?: string[];
  url?: string;
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
  restoreRoots?: RestoreRoots;
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
  /** The label read with versionFrom, or null (absent in snapshots of earlier releases). */
  label?: string | null;
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
const PYTHON_HINT = 'install python3 (Debian: apt-get install python3) or set verify.python';
const UWSGI_HINT = 'install uwsgi-core and uwsgi-plugin-python3 (Debian), or use verify.smoke.command';

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

function nameOf(p: string): string {
  return path.basename(p);
}

/** A name the snapshot may use for a path: one plain path component (a manifest is not trusted). */
function plainName(n: unknown): n is string {
  return typeof n === 'string' && n !== '' && n !== '.' && n !== '..' && !/[\\/\0]/.test(n);
}

/** Where the version file sits in the snapshot's files/ dir (`<name>/<rel>`). */
function versionFileInSnapshot(paths: string[], file: string): string | null {
  for (const p of paths) {
    if (isInside(file, p)) {
      return path.join(nameOf(p), path.relative(p, file));
    }
  }
  return null;
}

/** The version label of a file, or why there is none (best effort: never an error). */
function readLabel(file: string, pattern: string, shownAs: string): { label: string | null; warning: string | null } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { label: null, warning: `version file ${shownAs} cannot be read (${(e as NodeJS.ErrnoException).code})` };
  }
  const m = new RegExp(pattern, 'm').exec(text);
  if (!m || !m[1]) {
    return {
      label: null,
      warning: `version pattern /${pattern}/ not found in ${shownAs}: the version is named by its content hash (a new release may write its version in another form: adjust versionFrom)`,
    };
  }
  return { label: m[1].replace(/[^A-Za-z0-9._+-]/g, '_').slice(0, 40), warning: null };
}

function versionName(label: string | null, hash: string): string {
  return label ? `${label}-${hash.slice(0, 8)}` : hash.slice(0, 12);
}

/** Every file of the given paths, as `<name>/<rel>` entries rooted at each path's parent. */
async function listEntries(paths: string[], exclude: (name: string) => boolean): Promise<Map<string, TreeEntry[]>> {
  const out = new Map<string, TreeEntry[]>();
  for (const p of paths) {
    const name = nameOf(p);
    const st = statSync(p);
    const rels = st.isDirectory() ? walk(p, exclude).map((r) => path.join(name, r)) : [name];
    out.set(p, await treeEntries(path.dirname(p), rels));
  }
  return out;
}

function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(dir|port|tmp)\}/g, (_m, k: string) => vars[k]);
}

function pythonFor(v: FilesSettings['verify']): string {
  if (v.python) {
    return requireProgram([v.python], PYTHON_HINT);
  }
  return requireProgram(existsSync(DEFAULT_PYTHON) ? [DEFAULT_PYTHON] : ['python3'], PYTHON_HINT);
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
  const python = pythonFor(ctx.target.settings.verify ?? {});
  try {
    await run(
      {
        command: python,
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
    if (notStarted(e)) {
      throw new UnavailableError(`${python} does not start: ${(e as Error).message}`);
    }
    throw e;
  }
}

/** The smoke run's command: uWSGI over the WSGI file, or the configured command. */
function smokeCommand(smoke: SmokeSettings): string[] {
  if (smoke.wsgi) {
    const uwsgi = requireProgram(['uwsgi'], UWSGI_HINT);
    return [
      uwsgi,
      '--need-plugin',
      smoke.wsgi.plugin ?? 'python3',
      '--http-socket',
      '127.0.0.1:{port}',
      '--chdir',
      '{dir}',
      '--wsgi-file',
      smoke.wsgi.file,
      '--callable',
      smoke.wsgi.callable ?? 'app',
      '--master',
      '--processes',
      '1',
      '--need-app',
      '--die-on-term',
      '--disable-logging',
    ];
  }
  const cmd = smoke.command!;
  if (!cmd[0].includes('{')) {
    requireProgram([cmd[0]], 'install it, or change verify.smoke.command');
  }
  return cmd;
}

/** Starts the app from the restored copy and waits for the expected HTTP answer; always stops it. */
async function smokeRun(
  ctx: DriverContext<FilesSettings>,
  smoke: SmokeSettings,
  vars: Record<string, string>
): Promise<{ ok: boolean; detail: string }> {
  const timeoutS = smoke.timeout ? parseDuration(smoke.timeout)! : SMOKE_TIMEOUT_S;
  const expect = smoke.expectStatus ?? 200;
  const url = substitute(smoke.url ?? 'http://127.0.0.1:{port}/', vars);
  const cmd = smokeCommand(smoke).map((a) => substitute(a, vars));
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
  let exited: { error: unknown } | null = null;
  proc.done.then(
    () => (exited = { error: null }),
    (e) => (exited = { error: e })
  );
  const deadline = Date.now() + timeoutS * 1000;
  let last = 'no answer';
  try {
    while (Date.now() < deadline && !ctx.signal.aborted) {
      if (exited) {
        const text = `${proc.stderr.toString()}\n${out.toString()}`;
        if (notStarted((exited as { error: unknown }).error) || /unable to load plugin/i.test(text)) {
          throw new UnavailableError(`smoke run: ${cmd[0]} cannot run here: ${lastLine(text) || 'not installed'}`);
        }
        const why = lastLine(proc.stderr.toString()) || lastLine(out.toString()) || `${path.basename(cmd[0])} exited`;
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
      await new Promise((r) => setTimeout(r, 200));
    }
    return { ok: false, detail: `smoke run: ${url} did not answer ${expect} within ${timeoutS} s (last: ${last})` };
  } finally {
    await stopGracefully(proc, { group: true, graceMs: 5000 });
  }
}

async function runAfterRestore(ctx: DriverContext<FilesSettings>, cmd: string[]): Promise<string | null> {
  ctx.progress('after restore');
  try {
    await run(
      { command: cmd[0], args: cmd.slice(1), timeoutMs: Math.min(ctx.target.timeoutSeconds, 3600) * 1000 },
      { signal: ctx.signal }
    );
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** What to do after a restore in place when nothing restarted the application. */
function restartAdvice(s: FilesSettings): string {
  return s.verify?.smoke?.wsgi
    ? 'restart uWSGI so that it serves the restored files (no afterRestore configured)'
    : 'restart the application so that it loads the restored files (no afterRestore configured)';
}

/** Where this kind's live data lies: restores in place replace it (kit/directories.ts). */
const dirs = directoryKind<FilesSettings>((s) => s.source.paths);

/** The snapshot restored into the temp dir and its files checked against the recorded hash (`what` names them). */
function restoreFiles(ctx: VerifyContext<FilesSettings> | RestoreContext<FilesSettings>, what: string) {
  return restoreVersion<Manifest>(ctx, ctx.reader, ctx.snapshot, path.join(ctx.tmpDir, 'restore'), {
    kind: 'files',
    content: FILES,
    what,
    expectedHash: (m, rec) => readFilesMetadata(rec)?.contentHash ?? m.contentHash,
  });
}

/**
 * The content hash the previous snapshot recorded; undefined when it has none (a rebuilt catalog,
 * an unreadable record): the version name then tells whether the content is already held.
 */
function recordedHash(meta: Metadata | null, log: Logger): string | undefined {
  try {
    return readFilesMetadata(meta)?.contentHash;
  } catch (e) {
    log.warn({ err: String(e) }, "the previous snapshot's record is unreadable: its version name is compared");
    return undefined;
  }
}

export const filesDriver: TargetDriver<FilesSettings> = {
  kind: 'files',
  settingsShape: (h) => ({
    source: doc(
      z
        .strictObject({
          paths: doc(
            z.array(h.path()).min(1, 'name at least one file or directory'),
            'the files and directories of the application (their names must differ)',
            ['/opt/agama']
          ),
          versionFrom: doc(
            z.strictObject({
              file: doc(h.path(), 'the file holding the label (one of the paths or inside one)', '/opt/agama/agama.py'),
              pattern: doc(
                z.string().refine(
                  (p) => {
                    try {
                      return new RegExp(`${p}|`).exec('')!.length > 1;
                    } catch {
                      return false;
                    }
                  },
                  { message: 'must be a regular expression with one capture group, e.g. "AGAMA(?:</a>)? (v[0-9.]+)"' }
                ),
                'a regular expression whose first capture group is the label',
                'AGAMA(?:</a>)? (v[0-9.]+)'
              ),
            }),
            'labels each version (the content identifies it): a pattern that stops matching is a warning, never a failed backup',
            { file: '/opt/agama/agama.py', pattern: 'AGAMA(?:</a>)? (v[0-9.]+)' }
          ).optional(),
          exclude: doc(
            z.array(z.string().min(1)),
            'names (simple globs: * and ?) left out anywhere in the tree; default: __pycache__, *.pyc, *.pyo',
            ['__pycache__', '*.pyc', '*.log']
          ).optional(),
        })
        .superRefine((s, c) => {
          const seen = new Set<string>();
          s.paths.map(nameOf).forEach((n, i) => {
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
      'what is backed up: a new version whenever the content changes',
      { paths: ['/opt/agama'] }
    ),
    afterRestore: doc(
      z.array(z.string().min(1)).min(1, 'a command: program and arguments'),
      'runs after a restore in place (program and arguments, no shell), e.g. so that the server serves the restored files',
      ['systemctl', 'restart', 'uwsgi']
    ).optional(),
    restoreRoots: restoreRootsField(h),
  }),
  verifyShape: () => ({
    python: doc(
      z.string().min(1),
      'the Python that compiles every .py (default /usr/bin/python3)',
      '/usr/bin/python3'
    ).optional(),
    compile: doc(z.boolean(), 'compile every .py of the restored copy (default true)', true).optional(),
    command: doc(
      z.array(z.string().min(1)).min(1, 'a command: program and arguments'),
      'a check of the restored copy that must exit 0 (placeholders {dir}, {port}, {tmp})',
      ['{dir}/selftest', '--quick']
    ).optional(),
    smoke: doc(
      z
        .strictObject({
          wsgi: doc(
            z.strictObject({
              file: doc(
                z
                  .string()
                  .min(1)
                  .refine((f) => !path.isAbsolute(f) && !f.split(/[\\/]/).includes('..'), {
                    message: 'a file of the restored application directory (relative, no ..), e.g. agama.py',
                  }),
                'the WSGI file, in the restored application directory',
                'agama.py'
              ),
              callable: doc(
                z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python name, e.g. app'),
                'the WSGI callable (default app)',
                'app'
              ).optional(),
              plugin: doc(
                z.string().regex(/^[a-z0-9_]+$/, 'a uWSGI plugin name, e.g. python3'),
                "uWSGI's Python plugin (default python3)",
                'python3'
              ).optional(),
            }),
            'run the restored app under uWSGI on a free port',
            { file: 'agama.py', callable: 'app' }
          ).optional(),
          command: doc(
            z.array(z.string().min(1)).min(1, 'a command: program and arguments'),
            'or start it any other way (placeholders {dir}, {port}, {tmp}); needs url',
            ['{dir}/run', '--port', '{port}']
          ).optional(),
          url: doc(
            z.string().regex(/^https?:\/\//, 'must be an http(s) URL, e.g. http://127.0.0.1:{port}/'),
            'where it must answer (default http://127.0.0.1:{port}/)',
            'http://127.0.0.1:{port}/'
          ).optional(),
          expectStatus: doc(
            z.number().int().min(100).max(599),
            'the HTTP status it must answer (default 200)',
            200
          ).optional(),
          expectBody: doc(z.string(), 'text the answer must contain', 'AGAMA').optional(),
          timeout: doc(durationField(), 'how long it may take to answer (default 30s)', '30s').optional(),
          env: doc(
            z.record(z.string(), z.string()),
            "the app's environment (placeholders allowed), e.g. a scratch database",
            { AGAMA_DATABASE_URI: 'sqlite:///{tmp}/agama.db' }
          ).optional(),
        })
        .refine((s) => !!s.wsgi !== !!s.command, {
          message: 'give either wsgi (the app under uWSGI) or command (any other way to start it)',
        })
        .refine((s) => !s.command || s.url, { message: 'url is required with command' }),
      'a smoke run: the restored app started on a free port must answer HTTP',
      { wsgi: { file: 'agama.py', callable: 'app' }, expectBody: 'AGAMA' }
    ).optional(),
  }),
  defaults: {
    schedule: '15 3 * * *',
    rpo: null,
    rto: '5m',
    retention: { keepLast: 2 },
    verifySchedule: '45 3 * * *',
    coverage: 'the installed application files (a new version whenever their content changes)',
    usability: 'python3 -m py_compile on every .py + a smoke run of the app answering HTTP',
  },

  checkRestoreTarget: dirs.checkRestoreTarget,

  destinations: (t) => {
    const s = t.settings;
    return {
      inPlace: {
        replaces: s.source.paths.join(', '),
        movedAsideAs: `${s.source.paths.length > 1 ? '<each path>' : s.source.paths[0]}.before-restore-<time>`,
        note: s.afterRestore
          ? `then runs ${s.afterRestore.join(' ')}`
          : `no afterRestore configured: ${restartAdvice(s).replace(/ \(no afterRestore configured\)$/, '')} yourself`,
        unavailable: null,
      },
      elsewhere: dirs.elsewhere(t, ' (each path goes in by its name)'),
    };
  },

  contents: (meta) => {
    const m = readFilesMetadata(meta)!;
    return {
      summary:
        `${m.label ? `version ${m.label}: ` : ''}${m.files} files (${m.pythonFiles ?? 0} .py), ${m.bytes ?? 0} bytes` +
        (m.labelWarning ? `; ${m.labelWarning}` : ''),
      items: m.paths.map((p) => ({ name: p, count: null, unit: 'path' })),
    };
  },

  async backup(ctx: BackupContext<FilesSettings>) {
    const s = ctx.target.settings.source;
    ctx.progress('reading files');
    const present = s.paths.filter((p) => existsSync(p));
    const missing = s.paths.filter((p) => !present.includes(p));
    if (missing.length && !ctx.safety) {
      throw new Error(`path ${missing[0]} does not exist`);
    }
    if (!present.length) {
      return { kind: 'nothing', reason: `none of the paths exists (${s.paths.join(', ')})` };
    }
    const exclude = globMatcher(s.exclude ?? DEFAULT_EXCLUDE);
    const live = await listEntries(present, exclude);
    const vf = s.versionFrom;
    const prev = ctx.previous;
    /** The newest version already holds this content (a rebuilt catalog has no hash: the name tells). */
    const prevHash = recordedHash(prev?.metadata ?? null, ctx.log);
    const held = (hash: string, labelFile: string | null) =>
      !!prev?.version &&
      (prevHash !== undefined
        ? prevHash === hash
        : prev.version === versionName(vf && labelFile ? readLabel(labelFile, vf.pattern, vf.file).label : null, hash));
    if (held(contentHash([...live.values()].flat().sort(byPath)), vf?.file ?? null)) {
      return { kind: 'unchanged', version: prev!.version! };
    }

    ctx.progress('copying files');
    const snap = path.join(ctx.tmpDir, 'snapshot');
    const filesDir = path.join(snap, FILES);
    const saved: TreeEntry[] = [];
    mkdirSync(filesDir, { recursive: true });
    for (const p of present) {
      saved.push(...(await copyTree(path.dirname(p), filesDir, live.get(p)!)));
      if (statSync(p).isDirectory()) {
        mkdirSync(path.join(filesDir, nameOf(p)), { recursive: true });
        copyDirectoryModes(p, path.join(filesDir, nameOf(p)));
      }
    }
    saved.sort(byPath);
    // The version of what was copied, not of what the source became meanwhile.
    const hash = contentHash(saved);
    const vfile = vf ? versionFileInSnapshot(s.paths, vf.file) : null;
    if (held(hash, vfile && path.join(filesDir, vfile))) {
      return { kind: 'unchanged', version: prev!.version! };
    }
    const { label, warning } = vf
      ? readLabel(path.join(filesDir, vfile!), vf.pattern, vf.file)
      : { label: null, warning: null };
    if (warning) {
      ctx.log.warn({ file: vf!.file }, warning);
    }
    const version = versionName(label, hash);
    const manifest: Manifest = {
      kind: 'files',
      version,
      label,
      contentHash: hash,
      paths: present.map((p) => ({ name: nameOf(p), path: p })),
      versionFrom: vf ? { file: vfile!, pattern: vf.pattern } : null,
    };
    writeManifest(snap, manifest);
    ctx.progress('saving');
    const snapshot = await ctx.store.saveDirectory(snap, { version });
    const metadata = filesRecord({
      paths: present,
      files: saved.length,
      pythonFiles: saved.filter((e) => e.path.endsWith('.py')).length,
      bytes: treeBytes(saved),
      contentHash: hash,
      label,
      labelWarning: warning,
      ...(missing.length ? { missingPaths: missing } : {}),
    });
    return { kind: 'saved', snapshot, version, metadata };
  },

  async verify(ctx) {
    const v = ctx.target.settings.verify ?? {};
    ctx.progress('test restore');
    const r = await restoreFiles(ctx, 'restored files');
    if ('problem' in r) {
      return { ok: false, detail: r.problem };
    }
    const m = r.manifest;
    const found = [`${r.entries.length} files match`];
    if (m.label ?? null) {
      found.push(`version ${m.label}`);
    }

    if (v.compile !== false) {
      const py = r.entries.filter((e) => e.kind === 'file' && e.path.endsWith('.py')).map((e) => e.path);
      if (py.length) {
        ctx.progress('py_compile');
        const problem = await compileAll(ctx, r.content, py);
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
    const firstName = m.paths.map((p) => p.name).find(plainName);
    const first = firstName ? path.join(r.content, firstName) : r.content;
    const dir = statSync(first, { throwIfNoEntry: false })?.isDirectory() ? first : r.content;
    const vars = { dir, port: String(await freePort()), tmp: scratch };
    if (v.command) {
      ctx.progress('verify command');
      const cmd = v.command.map((a) => substitute(a, vars));
      try {
        await run(
          {
            command: cmd[0],
            args: cmd.slice(1),
            cwd: r.content,
            timeoutMs: Math.min(ctx.target.timeoutSeconds, 3600) * 1000,
          },
          { signal: ctx.signal }
        );
      } catch (e) {
        if (notStarted(e)) {
          throw new UnavailableError(`verify command: ${(e as Error).message}`);
        }
        return { ok: false, detail: `verify command failed: ${(e as Error).message}` };
      }
      found.push('verify command passed');
    }
    if (v.smoke) {
      ctx.progress('smoke run');
      const smoke = await smokeRun(ctx, v.smoke, vars);
      if (!smoke.ok) {
        return { ok: false, detail: smoke.detail };
      }
      found.push(smoke.detail);
    }
    return { ok: true, detail: found.join('; ') };
  },

  async restore(ctx) {
    const s = ctx.target.settings;
    const timeoutMs = ctx.target.timeoutSeconds * 1000;
    const to = dirs.to(ctx);
    ctx.progress('restoring snapshot');
    const r = await restoreFiles(ctx, 'the files read from the snapshot');
    if ('problem' in r) {
      throw new Error(`${r.problem}; nothing was restored`);
    }
    const m = r.manifest;
    // Only plain names that the snapshot really holds; the manifest is not trusted beyond that.
    const names = [...new Set(m.paths.map((p) => p.name))].filter(
      (n) => plainName(n) && exists(path.join(r.content, n))
    );
    const entriesOf = (n: string) => r.entries.filter((e) => e.path === n || e.path.startsWith(`${n}/`));
    /** The staged copy of `name` must hash as the checked one did (a cross-filesystem copy may fail). */
    const checkStaged = async (stagedRoot: string, name: string) => {
      const rels = exists(path.join(stagedRoot, name))
        ? statSync(path.join(stagedRoot, name)).isDirectory()
          ? walk(path.join(stagedRoot, name)).map((x) => path.join(name, x))
          : [name]
        : [];
      if (contentHash(await treeEntries(stagedRoot, rels)) !== contentHash(entriesOf(name))) {
        throw new Error(`the staged copy of ${name} differs from the snapshot; nothing was replaced`);
      }
    };
    const restoredEntries = (ns: string[]) => ns.flatMap(entriesOf);

    if (to) {
      const staging = stageBeside(ctx, to);
      try {
        for (const n of names) {
          await moveTree(path.join(r.content, n), path.join(staging, n), timeoutMs, ctx.signal);
          await checkStaged(staging, n);
        }
        const aside = swapInto(staging, to, { keepMode: true });
        const restored = restoredEntries(names);
        return {
          location: `directory ${to}`,
          detail: `version ${m.version}: ${names.join(', ')} in ${to}${aside ? `; what was there was moved to ${aside}` : ''}`,
          counts: { files: restored.length, bytes: treeBytes(restored) },
          movedAside: movedAsideOf(aside, to),
          next: [],
        };
      } finally {
        removeStaging(staging);
      }
    }

    // In place: each configured path that the snapshot holds, by name; nothing else is written.
    const byName = new Map(s.source.paths.map((p) => [nameOf(p), p]));
    const targets = names.filter((n) => byName.has(n));
    if (!targets.length) {
      throw new Error(
        `the snapshot holds none of the configured paths (${s.source.paths.join(', ')}); it holds ${names.join(', ') || 'nothing'}`
      );
    }
    const stagings: string[] = [];
    const swaps: Swap[] = [];
    try {
      ctx.progress('staging');
      for (const n of targets) {
        const dest = byName.get(n)!;
        const staging = stageBeside(ctx, dest);
        stagings.push(staging);
        await moveTree(path.join(r.content, n), path.join(staging, n), timeoutMs, ctx.signal);
        await checkStaged(staging, n);
        swaps.push({ staged: path.join(staging, n), dest });
      }
      ctx.progress('replacing the live files');
      const asides = swapAll(swaps);
      const movedAside: MovedAside[] = swaps.flatMap((w, i) => (asides[i] ? [asideItem(asides[i]!, w.dest)] : []));
      const done = swaps.map((w) => w.dest);
      const restored = restoredEntries(targets);
      const notes: string[] = [];
      const skipped = names.filter((n) => !byName.has(n));
      if (skipped.length) {
        notes.push(`not restored (no longer configured): ${skipped.join(', ')}`);
      }
      const absent = s.source.paths.filter((p) => !targets.includes(nameOf(p)));
      if (absent.length) {
        notes.push(`left as they are (not in this snapshot): ${absent.join(', ')}`);
      }
      const next: string[] = [];
      if (s.afterRestore) {
        const failed = await runAfterRestore(ctx, s.afterRestore);
        if (failed) {
          ctx.log.error({ err: failed }, 'afterRestore failed');
          next.push(`afterRestore (${s.afterRestore.join(' ')}) failed: ${failed}; restart the application yourself`);
        } else {
          notes.push(`ran ${path.basename(s.afterRestore[0])}`);
        }
      } else {
        next.push(restartAdvice(s));
      }
      return {
        location: done.join(', '),
        detail:
          `version ${m.version}` +
          (movedAside.length ? `; the previous files were moved to ${movedAside.map((a) => a.name).join(', ')}` : '') +
          (notes.length ? `; ${notes.join('; ')}` : ''),
        counts: { files: restored.length, bytes: treeBytes(restored) },
        movedAside,
        next,
      };
    } finally {
      stagings.forEach(removeStaging);
    }
  },

  asideExists: dirs.asideExists,
  removeAside: dirs.removeAside,

  async doctor(t) {
    const s = t.settings;
    const checks: DoctorCheck[] = [];
    for (const p of s.source.paths) {
      try {
        accessSync(p, constants.R_OK | (statSync(p).isDirectory() ? constants.X_OK : 0));
        let parentWritable = true;
        try {
          accessSync(path.dirname(p), constants.W_OK);
        } catch {
          parentWritable = false;
        }
        checks.push(
          parentWritable
            ? { name: `path ${p}`, level: 'ok', detail: 'exists and is readable' }
            : {
                name: `path ${p}`,
                level: 'warning',
                detail: `readable, but ${path.dirname(p)} is not writable: a restore in place could not stage beside it`,
              }
        );
      } catch (e) {
        checks.push({
          name: `path ${p}`,
          level: 'failed',
          detail: `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not readable'}: backups fail until it is there and readable`,
        });
      }
    }
    if (s.source.versionFrom) {
      const { label, warning } = readLabel(
        s.source.versionFrom.file,
        s.source.versionFrom.pattern,
        s.source.versionFrom.file
      );
      checks.push(
        label
          ? { name: 'version label', level: 'ok', detail: `${label} (from ${s.source.versionFrom.file})` }
          : { name: 'version label', level: 'warning', detail: warning! }
      );
    }
    const v = s.verify ?? {};
    if (v.compile !== false || v.smoke?.command?.[0] === 'python3') {
      const py = v.python ?? (existsSync(DEFAULT_PYTHON) ? DEFAULT_PYTHON : 'python3');
      checks.push(await toolCheck('python', [py], ['--version'], /Python (\S+)/, PYTHON_HINT));
    }
    if (v.smoke?.wsgi) {
      const plugin = v.smoke.wsgi.plugin ?? 'python3';
      const c = await toolCheck('uwsgi', ['uwsgi'], ['--need-plugin', plugin, '--version'], /^(\d\S*)/m, UWSGI_HINT);
      if (c.level !== 'ok' && locateProgram(['uwsgi'])) {
        c.detail = `uwsgi cannot load its ${plugin} plugin: ${UWSGI_HINT}`;
      }
      checks.push(c);
    } else if (v.smoke?.command && !v.smoke.command[0].includes('{')) {
      const p = locateProgram([v.smoke.command[0]]);
      checks.push(
        p
          ? { name: 'smoke command', level: 'ok', detail: p }
          : { name: 'smoke command', level: 'failed', detail: `${v.smoke.command[0]} is not installed` }
      );
    }
    if (s.afterRestore) {
      const p = locateProgram([s.afterRestore[0]]);
      checks.push(
        p
          ? { name: 'afterRestore', level: 'ok', detail: `${s.afterRestore.join(' ')}` }
          : { name: 'afterRestore', level: 'failed', detail: `${s.afterRestore[0]} is not installed` }
      );
    }
    return checks;
  },
};
