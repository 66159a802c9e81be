/**
 * kind: ansible — the Ansible repository that builds the whole lab (Nginx, uWSGI, Telegraf and DNS
 * are covered by it). A snapshot holds the full git history (`git bundle --all`: every branch,
 * tag, remote-tracking ref and the stash) plus the working tree exactly as it is, uncommitted and
 * untracked files included, ignored files left out:
 *
 *   backup-sla.json   manifest: version, content hash, commit, branch, remotes
 *   repo.bundle       git bundle create --all (absent while the repository has no commit)
 *   tree/             the working tree (paths and permission bits kept, no .git)
 *
 * A new snapshot is a new *version*, saved only when the content (files, modes, HEAD and refs)
 * changed; otherwise the backup answers "unchanged" (the current version is still held), so that
 * `keepLast: 3` keeps the current and two previous distinct versions, as the SLA asks.
 *
 * Verification rebuilds the repository from the snapshot, checks the tree against the recorded
 * hash and the history against the recorded commit, runs `ansible-playbook --syntax-check` on each
 * configured playbook and, with `checkMode: true`, `--check --diff` against the inventory: the
 * version is good only if every host reports changed=0, failed=0 and unreachable=0.
 *
 * Restore writes a version into `to` (a new or empty directory; a non-empty one only with force,
 * and it is then moved aside). Without `to` it replaces the live repository, but only with force:
 * the current directory is moved aside as `<path>.before-restore-<ts>` (never deleted) and the
 * restored tree takes its place, with `.git` rebuilt from the bundle so that the history, the
 * branch and the uncommitted changes (as changes) are all back.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CommandError, CommandSpec, TailBuffer, lastLine, run, start } from '../util/subprocess';
import { findProgram } from './tools';
import { DriverContext, Metadata, TargetDriver } from './types';
import {
  contentHash,
  copyDirectoryModes,
  copyEntry,
  exists,
  isEmptyDir,
  swapInto,
  treeEntries,
  truncate,
  walk,
  MANIFEST,
  readManifest,
} from './version';

export interface AnsibleSettings {
  source: { path: string };
  verify: {
    /** Playbooks to check, relative to the repository root (default: site.yml). */
    playbooks?: string[];
    /**
     * `-i` for ansible-playbook: a path relative to the repository (the backed-up inventory is
     * used), an absolute path, or a host list with a comma ("localhost,"). Default: ansible.cfg's.
     */
    inventory?: string;
    /** Also run `--check --diff` against the inventory (reaches the real hosts). */
    checkMode?: boolean;
    /** `--limit` for the check run. */
    limit?: string;
    vaultPasswordFile?: string;
  };
}

interface Manifest {
  kind: 'ansible';
  version: string;
  contentHash: string;
  treeHash: string;
  commit: string | null;
  branch: string | null;
  files: number;
  remotes: Array<{ name: string; url: string }>;
}

const BUNDLE = 'repo.bundle';
const TREE = 'tree';
/** How much of the `--check --diff` output a verification keeps. */
const DIFF_KEEP = 4096;

const relativePath = () =>
  z
    .string()
    .min(1, 'must not be empty')
    .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..'), {
      message: 'must be a path inside the repository (relative, no ..)',
    });

// --- git ----------------------------------------------------------------------------------------

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  // Never let the caller's environment point git at another repository.
  for (const k of [
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_OBJECT_DIRECTORY',
    'GIT_COMMON_DIR',
    'GIT_NAMESPACE',
  ]) {
    delete env[k];
  }
  return env;
}

function git(ctx: DriverContext<AnsibleSettings>, repo: string, args: string[]): Promise<string> {
  const spec: CommandSpec = {
    command: findProgram(['git']),
    // safe.directory: the service may run as another user than the repository's owner.
    args: ['-c', `safe.directory=${repo}`, '-C', repo, ...args],
    env: gitEnv(),
    timeoutMs: ctx.target.timeoutSeconds * 1000,
  };
  return run(spec, { signal: ctx.signal });
}

/** `git …` that may fail: null instead of an error (no HEAD yet, detached HEAD, no remote). */
async function gitMaybe(ctx: DriverContext<AnsibleSettings>, repo: string, args: string[]): Promise<string | null> {
  try {
    return await git(ctx, repo, args);
  } catch (e) {
    if (e instanceof CommandError && e.exitCode !== null) {
      return null;
    }
    throw e;
  }
}

function gitError(e: unknown): string {
  if (e instanceof CommandError) {
    return lastLine(e.stderr) || e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/** The source must be the top of a git work tree: one clear line otherwise. */
async function checkSource(ctx: DriverContext<AnsibleSettings>): Promise<string> {
  const dir = ctx.target.settings.source.path;
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new Error(`ansible repository ${dir} does not exist`);
  }
  if (!st.isDirectory()) {
    throw new Error(`ansible repository ${dir} is not a directory`);
  }
  let top: string;
  try {
    top = (await git(ctx, dir, ['rev-parse', '--show-toplevel'])).trim();
  } catch (e) {
    throw new Error(`${dir} is not a git repository (${gitError(e)})`);
  }
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  if (real(top) !== real(dir)) {
    throw new Error(`${dir} is not the top of a git repository (its repository is ${top})`);
  }
  return dir;
}

interface RepoState {
  commit: string | null;
  branch: string | null;
  /** HEAD, the branch and every ref with its object: part of the version. */
  refLines: string[];
  files: string[];
  dirty: boolean;
  remotes: Array<{ name: string; url: string }>;
}

async function repoState(ctx: DriverContext<AnsibleSettings>, dir: string): Promise<RepoState> {
  const commit = (await gitMaybe(ctx, dir, ['rev-parse', '--verify', '-q', 'HEAD']))?.trim() || null;
  const branch = (await gitMaybe(ctx, dir, ['symbolic-ref', '--short', '-q', 'HEAD']))?.trim() || null;
  const refs = (await git(ctx, dir, ['for-each-ref', '--format=%(objectname) %(refname)']))
    .split('\n')
    .filter(Boolean)
    .sort();
  const listed = (await git(ctx, dir, ['ls-files', '--cached', '--others', '--exclude-standard', '-z']))
    .split('\0')
    // A trailing '/' is a nested repository (or a submodule's directory): not part of this tree.
    .filter((p) => p && !p.endsWith('/'));
  const status = await git(ctx, dir, ['status', '--porcelain', '-z', '--untracked-files=normal']);
  const remoteLines = (await gitMaybe(ctx, dir, ['config', '--get-regexp', '^remote\\..*\\.url$'])) ?? '';
  const remotes = remoteLines
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [key, ...url] = l.split(' ');
      return { name: key.replace(/^remote\./, '').replace(/\.url$/, ''), url: url.join(' ') };
    });
  return {
    commit,
    branch,
    refLines: [`HEAD ${commit ?? 'none'}`, `branch ${branch ?? '(detached)'}`, ...refs],
    files: [...new Set(listed)].sort(),
    dirty: status.length > 0,
    remotes,
  };
}

function versionOf(commit: string | null, hash: string): string {
  return `${commit ? commit.slice(0, 12) : 'nocommit'}-${hash.slice(0, 8)}`;
}

/**
 * Makes `tree` a git repository again from the bundle: all refs back, HEAD on the branch it was
 * on (or the commit, if detached), the index at HEAD so that uncommitted edits show as changes.
 */
async function rebuildGit(
  ctx: DriverContext<AnsibleSettings>,
  tree: string,
  bundle: string,
  m: Manifest
): Promise<number> {
  await git(ctx, tree, ['init', '-q']);
  let commits = 0;
  if (existsSync(bundle)) {
    await git(ctx, tree, ['fetch', '-q', '--update-head-ok', bundle, 'refs/*:refs/*']);
    if (m.branch) {
      await git(ctx, tree, ['symbolic-ref', 'HEAD', `refs/heads/${m.branch}`]);
    } else if (m.commit) {
      await git(ctx, tree, ['update-ref', '--no-deref', 'HEAD', m.commit]);
    }
    if (m.commit) {
      await git(ctx, tree, ['reset', '-q']);
    }
    commits = Number((await git(ctx, tree, ['rev-list', '--count', '--all'])).trim());
  } else if (m.branch) {
    await git(ctx, tree, ['symbolic-ref', 'HEAD', `refs/heads/${m.branch}`]);
  }
  for (const r of m.remotes) {
    await gitMaybe(ctx, tree, ['remote', 'add', r.name, r.url]);
  }
  return commits;
}

// --- ansible-playbook ---------------------------------------------------------------------------

function ansibleEnv(ctx: DriverContext<AnsibleSettings>, tree: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    // The recap is parsed: the default callback whatever ansible.cfg chooses.
    ANSIBLE_STDOUT_CALLBACK: 'default',
    ANSIBLE_LOCAL_TEMP: path.join(ctx.tmpDir, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: path.join(ctx.tmpDir, 'ansible-remote'),
    PYTHONUNBUFFERED: '1',
  };
  delete env.ANSIBLE_FORCE_COLOR;
  delete env.ANSIBLE_CONFIG;
  // The backed-up ansible.cfg is part of what is verified (roles_path, inventory, ...).
  const cfg = path.join(tree, 'ansible.cfg');
  if (existsSync(cfg)) {
    env.ANSIBLE_CONFIG = cfg;
  }
  return env;
}

/** Runs ansible-playbook; answers its exit code and output instead of throwing on a non-zero exit. */
async function playbook(
  ctx: DriverContext<AnsibleSettings>,
  tree: string,
  args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = start(
    {
      command: findProgram(['ansible-playbook']),
      args,
      cwd: tree,
      env: ansibleEnv(ctx, tree),
      timeoutMs: ctx.target.timeoutSeconds * 1000,
    },
    { signal: ctx.signal }
  );
  const out = new TailBuffer(256 * 1024);
  proc.child.stdout!.on('data', (d: Buffer) => out.push(d));
  try {
    await proc.done;
    return { code: 0, stdout: out.toString(), stderr: proc.stderr.toString() };
  } catch (e) {
    if (e instanceof CommandError && e.exitCode !== null) {
      return { code: e.exitCode, stdout: out.toString(), stderr: proc.stderr.toString() };
    }
    throw e; // not installed, timed out, aborted
  }
}

export interface RecapLine {
  host: string;
  counts: Record<string, number>;
}

/** The PLAY RECAP lines of ansible-playbook's default output (one per host). */
export function parseRecap(stdout: string): RecapLine[] {
  const lines = stdout.split('\n');
  const out: RecapLine[] = [];
  let inRecap = false;
  for (const line of lines) {
    if (/^PLAY RECAP\b/.test(line)) {
      inRecap = true;
      continue;
    }
    if (!inRecap) {
      continue;
    }
    const m = /^(\S+)\s+:\s+(.*\S)\s*$/.exec(line);
    if (!m) {
      if (line.trim() === '') {
        inRecap = false;
      }
      continue;
    }
    const counts: Record<string, number> = {};
    for (const kv of m[2].matchAll(/(\w+)=(\d+)/g)) {
      counts[kv[1]] = Number(kv[2]);
    }
    if ('changed' in counts) {
      out.push({ host: m[1], counts });
    }
  }
  return out;
}

/** The first "ERROR! …" line of ansible's output, else its last line. */
function ansibleError(r: { stdout: string; stderr: string; code: number | null }): string {
  const text = `${r.stderr}\n${r.stdout}`;
  const err = text.split('\n').find((l) => l.startsWith('ERROR!'));
  return err || lastLine(r.stderr) || lastLine(r.stdout) || `exit code ${r.code}`;
}

function inventoryArgs(s: AnsibleSettings['verify'], tree: string): string[] {
  if (!s.inventory) {
    return [];
  }
  const inv = s.inventory;
  if (inv.includes(',') || path.isAbsolute(inv)) {
    return ['-i', inv];
  }
  const inside = path.join(tree, inv);
  if (!existsSync(inside)) {
    throw new Error(`inventory ${inv} is not in the backed-up repository`);
  }
  return ['-i', inside];
}

// --- the driver ---------------------------------------------------------------------------------

export const ansibleDriver: TargetDriver<AnsibleSettings> = {
  kind: 'ansible',
  settingsShape: (h) => ({
    source: z.strictObject({ path: h.path() }),
  }),
  verifyShape: (h) => ({
    playbooks: z.array(relativePath()).min(1, 'name at least one playbook').optional(),
    inventory: z.string().min(1).optional(),
    checkMode: z.boolean().optional(),
    limit: z.string().min(1).optional(),
    vaultPasswordFile: h.secretFile().optional(),
  }),
  defaults: {
    schedule: '0 3 * * *',
    rpo: '3d',
    rto: '20m',
    retention: { keepLast: 3 },
    verifySchedule: '30 3 * * *',
    coverage: 'the whole Ansible repository: git history (bundle) + working tree, with uncommitted and untracked files',
    usability: 'syntax check + ansible-playbook --check --diff of the backed-up copy: must report changed=0',
  },

  checkRestoreTarget: (to) =>
    path.isAbsolute(to) && path.resolve(to) !== '/' ? null : 'give an absolute directory path (not /)',

  destinations: (t) => ({
    inPlace: {
      replaces: `the live repository ${t.settings.source.path}`,
      movedAsideAs: `${t.settings.source.path}.before-restore-<time>`,
      note: 'the history, the branch and uncommitted changes come back; the infrastructure itself is not touched until you run the playbooks',
      unavailable: null,
    },
    elsewhere: {
      kind: 'directory',
      hint: 'an absolute path to a new or empty directory',
      example: '/var/tmp/ansible-restored',
    },
  }),

  contents: (meta) =>
    typeof meta.files === 'number'
      ? {
          summary: `${meta.files} files${meta.commit ? `, commit ${String(meta.commit).slice(0, 8)}${meta.branch ? ` on ${meta.branch}` : ''}` : ', no commits'}${meta.dirty ? ', with uncommitted changes' : ''}`,
          items: [{ name: String(meta.path ?? 'repository'), count: meta.files, unit: 'files' }],
        }
      : null,

  async backup(ctx) {
    const dir = await checkSource(ctx);
    ctx.progress('reading repository');
    const state = await repoState(ctx, dir);
    const entries = await treeEntries(dir, state.files);
    const hash = contentHash(entries, state.refLines);
    const version = versionOf(state.commit, hash);
    if (ctx.previous?.version === version) {
      return { kind: 'unchanged', version };
    }

    ctx.progress('copying working tree');
    const snap = path.join(ctx.tmpDir, 'snapshot');
    const tree = path.join(snap, TREE);
    mkdirSync(tree, { recursive: true });
    const copied = entries.filter((e) => copyEntry(dir, tree, e.path)).map((e) => e.path);
    copyDirectoryModes(dir, tree);
    // What is saved is what was copied: hash the copy (a file edited meanwhile counts as it was copied).
    const savedEntries = await treeEntries(tree, copied);
    const treeHash = contentHash(savedEntries);
    const finalHash = contentHash(savedEntries, state.refLines);
    const finalVersion = versionOf(state.commit, finalHash);
    if (state.commit) {
      ctx.progress('bundling history');
      await git(ctx, dir, ['bundle', 'create', '-q', path.join(snap, BUNDLE), '--all']);
    }
    const manifest: Manifest = {
      kind: 'ansible',
      version: finalVersion,
      contentHash: finalHash,
      treeHash,
      commit: state.commit,
      branch: state.branch,
      files: savedEntries.length,
      remotes: state.remotes,
    };
    writeFileSync(path.join(snap, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    ctx.progress('saving');
    const snapshot = await ctx.store.saveDirectory(snap, { version: finalVersion });
    const metadata: Metadata = {
      path: dir,
      commit: state.commit,
      branch: state.branch,
      files: savedEntries.length,
      bytes: savedEntries.reduce((n, e) => n + e.size, 0),
      dirty: state.dirty,
      refs: state.refLines.length - 2,
      contentHash: finalHash,
      treeHash,
    };
    return { kind: 'saved', snapshot, version: finalVersion, metadata };
  },

  async verify(ctx) {
    const v = ctx.target.settings.verify ?? {};
    const restored = path.join(ctx.tmpDir, 'restore');
    ctx.progress('test restore');
    await ctx.reader.restoreTo(restored);
    const m = readManifest<Manifest>(restored, 'ansible');
    const tree = path.join(restored, TREE);
    mkdirSync(tree, { recursive: true });
    const found: string[] = [];

    // The tree is what was saved: same files, modes and contents.
    const entries = await treeEntries(tree, walk(tree));
    const treeHash = contentHash(entries);
    const expectedTree = (ctx.snapshot.metadata?.treeHash as string | undefined) ?? m.treeHash;
    if (treeHash !== expectedTree) {
      return {
        ok: false,
        detail: `restored working tree differs from the backup (${entries.length} files, hash ${treeHash.slice(0, 8)}, expected ${expectedTree.slice(0, 8)})`,
      };
    }
    found.push(`tree matches (${entries.length} files)`);

    // The history comes back from the bundle, HEAD where it was.
    ctx.progress('rebuilding git history');
    let commits: number;
    try {
      commits = await rebuildGit(ctx, tree, path.join(restored, BUNDLE), m);
    } catch (e) {
      return { ok: false, detail: `git history does not restore from the bundle: ${gitError(e)}` };
    }
    const head = (await gitMaybe(ctx, tree, ['rev-parse', '--verify', '-q', 'HEAD']))?.trim() || null;
    if (head !== m.commit) {
      return { ok: false, detail: `restored HEAD is ${head ?? 'missing'}, expected ${m.commit}` };
    }
    found.push(
      m.commit
        ? `history ${commits} commits (HEAD ${m.commit.slice(0, 8)}${m.branch ? ` on ${m.branch}` : ''})`
        : 'no commits yet'
    );

    const playbooks = v.playbooks ?? ['site.yml'];
    const common = [
      ...inventoryArgs(v, tree),
      ...(v.vaultPasswordFile ? ['--vault-password-file', v.vaultPasswordFile] : []),
    ];
    mkdirSync(path.join(ctx.tmpDir, 'ansible-local'), { recursive: true });
    for (const pb of playbooks) {
      if (!existsSync(path.join(tree, pb))) {
        return { ok: false, detail: `playbook ${pb} is not in the backed-up repository` };
      }
      ctx.progress(`syntax check ${pb}`);
      const r = await playbook(ctx, tree, ['--syntax-check', ...common, pb]);
      if (r.code !== 0) {
        return {
          ok: false,
          detail: `syntax check of ${pb} failed: ${ansibleError(r)}\n${truncate(`${r.stderr}${r.stdout}`, DIFF_KEEP)}`,
        };
      }
    }
    found.push(`syntax ok: ${playbooks.join(', ')}`);

    if (!v.checkMode) {
      return { ok: true, detail: `${found.join('; ')}; check mode not configured (verify.checkMode)` };
    }
    const problems: string[] = [];
    const recaps: string[] = [];
    const outputs: string[] = [];
    for (const pb of playbooks) {
      ctx.progress(`check mode ${pb}`);
      const r = await playbook(ctx, tree, [
        '--check',
        '--diff',
        ...common,
        ...(v.limit ? ['--limit', v.limit] : []),
        pb,
      ]);
      const recap = parseRecap(r.stdout);
      if (!recap.length) {
        problems.push(
          r.code === 0 ? `${pb}: no host was checked (no hosts matched the inventory)` : `${pb}: ${ansibleError(r)}`
        );
        outputs.push(`== ${pb}\n${r.stdout}${r.stderr}`);
        continue;
      }
      for (const h of recap) {
        const c = h.counts;
        const line = `${h.host} changed=${c.changed ?? 0} failed=${c.failed ?? 0} unreachable=${c.unreachable ?? 0}`;
        recaps.push(`${pb}: ${line}`);
        if ((c.changed ?? 0) > 0 || (c.failed ?? 0) > 0 || (c.unreachable ?? 0) > 0) {
          problems.push(`${pb}: ${line}`);
        }
      }
      if (problems.length || r.stdout.includes('--- before')) {
        outputs.push(`== ${pb}\n${r.stdout}`);
      }
    }
    const diff = outputs.length ? `\n${truncate(outputs.join('\n'), DIFF_KEEP)}` : '';
    if (problems.length) {
      return { ok: false, detail: `check mode would change the infrastructure: ${problems.join('; ')}${diff}` };
    }
    return { ok: true, detail: `${found.join('; ')}; check mode: ${recaps.join('; ')}${diff}` };
  },

  async restore(ctx) {
    const source = ctx.target.settings.source.path;
    const dest = ctx.options.to ?? source;
    const occupied = exists(dest) && !isEmptyDir(dest);
    if (occupied && !ctx.options.force) {
      throw new Error(
        ctx.options.to === undefined
          ? `restoring over the live repository ${dest} needs force (it is then moved aside as ${path.basename(dest)}.before-restore-<time>, never deleted); or restore into a new directory with 'to'`
          : `directory ${dest} is not empty; choose another or force (it is then moved aside, never deleted)`
      );
    }
    if (exists(dest) && !statSync(dest).isDirectory()) {
      throw new Error(`${dest} exists and is not a directory`);
    }
    const parent = path.dirname(dest);
    mkdirSync(parent, { recursive: true });
    // Staged beside the destination (same filesystem), then swapped in with two renames.
    const staging = mkdtempSync(path.join(parent, `.${path.basename(dest)}.restoring-`));
    try {
      ctx.progress('restoring snapshot');
      const restored = path.join(staging, 'snapshot');
      await ctx.reader.restoreTo(restored);
      const m = readManifest<Manifest>(restored, 'ansible');
      const tree = path.join(restored, TREE);
      mkdirSync(tree, { recursive: true });
      ctx.progress('rebuilding git history');
      const commits = await rebuildGit(ctx, tree, path.join(restored, BUNDLE), m);
      const aside = swapInto(tree, dest);
      const what = m.commit
        ? `commit ${m.commit.slice(0, 8)}${m.branch ? ` on ${m.branch}` : ''}, ${commits} commits of history`
        : 'no commits';
      return {
        location: `directory ${dest}`,
        detail: `version ${m.version}: ${m.files} files, ${what}${aside ? `; the previous content was moved to ${aside}` : ''}`,
      };
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  },
};
