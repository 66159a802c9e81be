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
 * `keepLast: 3` keeps the current and two previous distinct versions, as the SLA asks. A safety
 * backup of a directory that is no longer a git repository (its .git was lost) saves the files as
 * they are.
 *
 * Verification rebuilds the repository from the snapshot, checks the tree against the recorded
 * hash and the history against the recorded commit, runs `ansible-playbook --syntax-check` on each
 * configured playbook and, with `checkMode: true`, `--check --diff` against the inventory: the
 * version is good only if every host reports changed=0 and failed=0. The tasks that would change
 * are kept per host with their diff (`changes`), and told apart (`changeKind`, rule in
 * docs/directory-targets.md): when this version itself is the newest that passed verification,
 * the infrastructure moved away from the code: `drift`. Otherwise that newest passed version is
 * checked again now — still no change: the infrastructure runs it, and this one is `unapplied`;
 * changes there too: `drift`. Unreachable hosts only, or tools that are missing: "could not verify".
 *
 * Restore writes a version into the live repository (in place: what was there is moved aside as
 * `<path>.before-restore-<time>`, never deleted) or into `to` (a new or empty directory below the
 * target's restoreRoots; a non-empty one only with force, and it is then moved aside). The tree is
 * staged beside the destination with `.git` rebuilt from the bundle — the history, the branch and
 * the uncommitted changes (as changes) all back — checked, and then swapped in.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { doc } from '../config/schema';
import { UnavailableError } from '../util/errors';
import { CommandError, CommandSpec, TailBuffer, lastLine, run, start } from '../util/subprocess';
import { ansibleRecord, readAnsibleMetadata } from './ansible/metadata';
import { DoctorCheck, DriverContext, PlannedChange, SnapshotInfo, SnapshotReader, TargetDriver } from './types';
import {
  directoryKind,
  isDirectory,
  movedAsideOf,
  realPathOf,
  removeStaging,
  RestoreRoots,
  restoreRootsField,
  stageBeside,
  swapInto,
} from './kit/directories';
import { notStarted, requireProgram, toolCheck } from './kit/process';
import { contentHash, copyDirectoryModes, copyTree, exists, treeBytes, treeEntries, walk } from './kit/tree';
import { restoreVersion, RestoredVersion, truncate, writeManifest } from './kit/versioned';

export interface AnsibleSettings {
  source: { path: string };
  restoreRoots?: RestoreRoots;
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
/** How much of the `--check --diff` output a verification keeps in its detail. */
const DIFF_KEEP = 4096;
/** How much of one task's diff, and how many changes, a verification keeps. */
const CHANGE_DIFF_KEEP = 4096;
const CHANGES_KEEP = 200;
const GIT_HINT = 'install git (Debian: apt-get install git)';
const ANSIBLE_HINT = 'install ansible-core (Debian: apt-get install ansible-core)';

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
    command: requireProgram(['git'], GIT_HINT),
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

class NotARepository extends Error {}

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
    if (e instanceof UnavailableError) {
      throw e;
    }
    throw new NotARepository(`${dir} is not a git repository (${gitError(e)})`);
  }
  if (realPathOf(top) !== realPathOf(dir)) {
    throw new NotARepository(`${dir} is not the top of a git repository (its repository is ${top})`);
  }
  return dir;
}

interface RepoState {
  commit: string | null;
  branch: string | null;
  /** HEAD, the branch and every ref with its object: part of the version. */
  refLines: string[];
  files: string[];
  /**
   * Whether `git status` shows anything (metadata only, not part of the version: uncommitted
   * edits and untracked files are already in `files` and their content hashes). Asked only when a
   * version is saved, so that an unchanged repository costs no second scan of its work tree.
   */
  dirty: () => Promise<boolean>;
  /** The remotes (manifest only, not part of the version either): asked when a version is saved. */
  remotes: () => Promise<Array<{ name: string; url: string }>>;
}

async function repoState(ctx: DriverContext<AnsibleSettings>, dir: string): Promise<RepoState> {
  // Independent questions: asked at once, each git process waits on the disk, not on the others.
  const [refList, listed] = await Promise.all([
    // %(HEAD) marks the branch HEAD is on: HEAD's commit and branch without two more git starts.
    git(ctx, dir, ['for-each-ref', '--format=%(HEAD) %(objectname) %(refname) %(refname:short)']),
    git(ctx, dir, ['ls-files', '--cached', '--others', '--exclude-standard', '-z']),
  ]);
  const refs: string[] = [];
  let current: { commit: string; branch: string } | null = null;
  for (const line of refList.split('\n').filter(Boolean)) {
    const [mark, object, name, short] = line.split(' ');
    refs.push(`${object} ${name}`);
    // The short name as `symbolic-ref --short` gives it; an ambiguous one is asked below as before.
    if (mark === '*' && name === `refs/heads/${short}`) {
      current = { commit: object, branch: short };
    }
  }
  refs.sort();
  // Detached, on a branch with no commit yet, or an ambiguous name: HEAD asked as such.
  const [head, symbolic] = current
    ? [current.commit, current.branch]
    : await Promise.all([
        gitMaybe(ctx, dir, ['rev-parse', '--verify', '-q', 'HEAD']),
        gitMaybe(ctx, dir, ['symbolic-ref', '--short', '-q', 'HEAD']),
      ]);
  const commit = head?.trim() || null;
  const branch = symbolic?.trim() || null;
  const files = listed
    .split('\0')
    // A trailing '/' is a nested repository (or a submodule's directory): not part of this tree.
    .filter((p) => p && !p.endsWith('/'));
  return {
    commit,
    branch,
    refLines: [`HEAD ${commit ?? 'none'}`, `branch ${branch ?? '(detached)'}`, ...refs],
    files: [...new Set(files)].sort(),
    dirty: async () => (await git(ctx, dir, ['status', '--porcelain', '-z', '--untracked-files=normal'])).length > 0,
    remotes: () => remotesOf(ctx, dir),
  };
}

async function remotesOf(
  ctx: DriverContext<AnsibleSettings>,
  dir: string
): Promise<Array<{ name: string; url: string }>> {
  const lines = (await gitMaybe(ctx, dir, ['config', '--get-regexp', '^remote\\..*\\.url$'])) ?? '';
  return lines
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [key, ...url] = l.split(' ');
      return { name: key.replace(/^remote\./, '').replace(/\.url$/, ''), url: url.join(' ') };
    });
}

/** A directory that lost its git repository (safety backups only): every file, as it is. */
function plainState(dir: string): RepoState {
  return {
    commit: null,
    branch: null,
    refLines: ['HEAD none', 'branch (detached)'],
    files: walk(dir, (name) => name === '.git'),
    dirty: async () => true,
    remotes: async () => [],
  };
}

function versionOf(commit: string | null, hash: string): string {
  return `${commit ? commit.slice(0, 12) : 'nocommit'}-${hash.slice(0, 8)}`;
}

/**
 * Makes `tree` a git repository again from the bundle: all refs back, HEAD on the branch it was
 * on (or the commit, if detached), the index at HEAD so that uncommitted edits show as changes.
 * Answers the number of commits.
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

/** Restores a version and rebuilds its repository: the tree checked, HEAD where it was. */
async function restoreRepository(
  ctx: DriverContext<AnsibleSettings>,
  reader: SnapshotReader,
  snapshot: SnapshotInfo,
  dir: string
): Promise<{ version: RestoredVersion<Manifest>; commits: number } | { problem: string }> {
  const v = await restoreVersion<Manifest>(ctx, reader, snapshot, dir, {
    kind: 'ansible',
    content: TREE,
    what: 'restored working tree',
    expectedHash: (m, rec) => readAnsibleMetadata(rec)?.treeHash ?? m.treeHash,
  });
  if ('problem' in v) {
    return v;
  }
  ctx.progress('rebuilding git history');
  let commits: number;
  try {
    commits = await rebuildGit(ctx, v.content, path.join(dir, BUNDLE), v.manifest);
  } catch (e) {
    if (e instanceof UnavailableError) {
      throw e;
    }
    return { problem: `git history does not restore from the bundle: ${gitError(e)}` };
  }
  const head = (await gitMaybe(ctx, v.content, ['rev-parse', '--verify', '-q', 'HEAD']))?.trim() || null;
  if (head !== v.manifest.commit) {
    return { problem: `restored HEAD is ${head ?? 'missing'}, expected ${v.manifest.commit}` };
  }
  return { version: v, commits };
}

// --- ansible-playbook ---------------------------------------------------------------------------

function ansibleEnv(ctx: DriverContext<AnsibleSettings>, tree: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    // The recap and the task results are parsed: the default callback whatever ansible.cfg chooses.
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
  mkdirSync(path.join(ctx.tmpDir, 'ansible-local'), { recursive: true });
  const proc = start(
    {
      command: requireProgram(['ansible-playbook'], ANSIBLE_HINT),
      args,
      cwd: tree,
      env: ansibleEnv(ctx, tree),
      timeoutMs: ctx.target.timeoutSeconds * 1000,
    },
    { signal: ctx.signal }
  );
  const out = new TailBuffer(1024 * 1024);
  proc.child.stdout!.on('data', (d: Buffer) => out.push(d));
  try {
    await proc.done;
    return { code: 0, stdout: out.toString(), stderr: proc.stderr.toString() };
  } catch (e) {
    if (e instanceof CommandError && e.exitCode !== null) {
      return { code: e.exitCode, stdout: out.toString(), stderr: proc.stderr.toString() };
    }
    throw e; // timed out, aborted
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

const TASK_HEADER = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \**\s*$/;
const RESULT = /^(changed|ok|skipping|fatal|failed|included): \[([^\]]+)\]/;

/**
 * The tasks that would change, per host, with their diff, from ansible-playbook's default output
 * under `--check --diff`: a result line `changed: [host]` (`=> (item=…)` for each loop item)
 * follows the diff the task printed for that host. Loop items of one task and host are joined.
 */
export function parseChanges(stdout: string): PlannedChange[] {
  const out: PlannedChange[] = [];
  let task = '';
  let pending: string[] = [];
  for (const line of stdout.split('\n')) {
    const header = TASK_HEADER.exec(line);
    if (header) {
      task = header[1];
      pending = [];
      continue;
    }
    if (/^PLAY (RECAP|\[)/.test(line)) {
      pending = [];
      continue;
    }
    const result = RESULT.exec(line);
    if (!result) {
      pending.push(line);
      continue;
    }
    if (result[1] === 'changed') {
      const host = result[2].split(' -> ')[0];
      const diff = pending.join('\n').trim();
      const same = out.find((c) => c.host === host && c.task === task);
      if (same) {
        same.diff = [same.diff, diff].filter(Boolean).join('\n') || null;
      } else {
        out.push({ host, task, diff: diff || null });
      }
    }
    pending = [];
  }
  for (const c of out) {
    c.diff = c.diff ? truncate(c.diff, CHANGE_DIFF_KEEP) : null;
  }
  return out.slice(0, CHANGES_KEEP);
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

function commonArgs(v: AnsibleSettings['verify'], tree: string): string[] {
  return [...inventoryArgs(v, tree), ...(v.vaultPasswordFile ? ['--vault-password-file', v.vaultPasswordFile] : [])];
}

interface CheckRun {
  /** Host lines of the recap, for the detail. */
  recaps: string[];
  changes: PlannedChange[];
  /** Failed tasks or playbooks that did not run: the version is not usable as it is. */
  problems: string[];
  /** Hosts that could not be reached: nothing learned about them. */
  unreachable: string[];
  output: string;
}

/** `--check --diff` of every playbook against the inventory. */
async function checkMode(ctx: DriverContext<AnsibleSettings>, tree: string, playbooks: string[]): Promise<CheckRun> {
  const v = ctx.target.settings.verify ?? {};
  const r: CheckRun = { recaps: [], changes: [], problems: [], unreachable: [], output: '' };
  const outputs: string[] = [];
  for (const pb of playbooks) {
    ctx.progress(`check mode ${pb}`);
    const p = await playbook(ctx, tree, [
      '--check',
      '--diff',
      ...commonArgs(v, tree),
      ...(v.limit ? ['--limit', v.limit] : []),
      pb,
    ]);
    const recap = parseRecap(p.stdout);
    if (!recap.length) {
      r.problems.push(
        p.code === 0 ? `${pb}: no host was checked (no hosts matched the inventory)` : `${pb}: ${ansibleError(p)}`
      );
      outputs.push(`== ${pb}\n${p.stdout}${p.stderr}`);
      continue;
    }
    for (const h of recap) {
      const c = h.counts;
      const line = `${h.host} changed=${c.changed ?? 0} failed=${c.failed ?? 0} unreachable=${c.unreachable ?? 0}`;
      r.recaps.push(`${pb}: ${line}`);
      if ((c.failed ?? 0) > 0) {
        r.problems.push(`${pb}: ${line}`);
      }
      if ((c.unreachable ?? 0) > 0) {
        r.unreachable.push(`${pb}: ${line}`);
      }
    }
    const changes = parseChanges(p.stdout);
    r.changes.push(...changes);
    if (changes.length || r.problems.length || r.unreachable.length) {
      outputs.push(`== ${pb}\n${p.stdout}`);
    }
  }
  r.output = outputs.join('\n');
  return r;
}

/** Where this kind's live data lies: restores in place replace it (kit/directories.ts). */
const dirs = directoryKind<AnsibleSettings>((s) => [s.source.path]);

// --- the driver ---------------------------------------------------------------------------------

export const ansibleDriver: TargetDriver<AnsibleSettings> = {
  kind: 'ansible',
  settingsShape: (h) => ({
    source: doc(
      z.strictObject({
        path: doc(h.path(), 'the repository: the top of a git work tree', '/srv/ansible'),
      }),
      'the Ansible repository: its git history (a bundle) and working tree, uncommitted and untracked files too',
      { path: '/srv/ansible' }
    ),
    restoreRoots: restoreRootsField(h),
  }),
  verifyShape: (h) => ({
    playbooks: doc(
      z.array(relativePath()).min(1, 'name at least one playbook'),
      'the playbooks to check, relative to the repository (default site.yml)',
      ['site.yml']
    ).optional(),
    inventory: doc(
      z.string().min(1),
      'ansible-playbook -i: a path relative to the repository (the backed-up one), an absolute path, or a host list ("localhost,"); default: ansible.cfg\'s',
      'inventory/hosts.ini'
    ).optional(),
    checkMode: doc(
      z.boolean(),
      'also run --check --diff against the inventory (it reaches the real hosts): nothing may change',
      true
    ).optional(),
    limit: doc(z.string().min(1), '--limit for the check run', 'app1').optional(),
    vaultPasswordFile: doc(
      h.secretFile(),
      'the vault password file, for vaulted variables',
      './secrets/vault.pass'
    ).optional(),
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

  checkRestoreTarget: dirs.checkRestoreTarget,

  destinations: (t) => {
    return {
      inPlace: {
        replaces: `the live repository ${t.settings.source.path}`,
        movedAsideAs: `${t.settings.source.path}.before-restore-<time>`,
        note: 'the history, the branch and uncommitted changes come back; the infrastructure itself is not touched until you run the playbooks',
        unavailable: null,
      },
      elsewhere: dirs.elsewhere(t),
    };
  },

  contents: (meta) => {
    const m = readAnsibleMetadata(meta)!;
    return {
      summary: `${m.files} files${m.commit ? `, commit ${m.commit.slice(0, 8)}${m.branch ? ` on ${m.branch}` : ''}` : ', no commits'}${m.dirty ? ', with uncommitted changes' : ''}`,
      items: [{ name: m.path, count: m.files, unit: 'files' }],
    };
  },

  async backup(ctx) {
    const dir = ctx.target.settings.source.path;
    let state: RepoState;
    try {
      ctx.progress('reading repository');
      // Read while the source is checked (one git start less on the way to "unchanged"); what
      // was read counts only once the source is known to be the top of a repository.
      const reading = repoState(ctx, dir);
      reading.catch(() => undefined);
      await checkSource(ctx);
      state = await reading;
    } catch (e) {
      // A safety backup saves what is there: nothing, or the files of a repository that lost its .git.
      if (ctx.safety && !exists(dir)) {
        return { kind: 'nothing', reason: `ansible repository ${dir} does not exist` };
      }
      if (ctx.safety && e instanceof NotARepository && isDirectory(dir)) {
        ctx.log.warn({ dir }, `${e.message}: the safety backup saves its files as they are`);
        state = plainState(dir);
      } else {
        throw e;
      }
    }
    const entries = await treeEntries(dir, state.files);
    const hash = contentHash(entries, state.refLines);
    const version = versionOf(state.commit, hash);
    if (ctx.previous?.version === version) {
      return { kind: 'unchanged', version };
    }

    ctx.progress('copying working tree');
    const snap = path.join(ctx.tmpDir, 'snapshot');
    const tree = path.join(snap, TREE);
    const savedEntries = await copyTree(dir, tree, entries);
    copyDirectoryModes(dir, tree);
    // What is saved is what was copied: hash the copy (a file edited meanwhile counts as it was copied).
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
      remotes: await state.remotes(),
    };
    writeManifest(snap, manifest);
    ctx.progress('saving');
    const snapshot = await ctx.store.saveDirectory(snap, { version: finalVersion });
    const metadata = ansibleRecord({
      path: dir,
      commit: state.commit,
      branch: state.branch,
      files: savedEntries.length,
      bytes: treeBytes(savedEntries),
      dirty: await state.dirty(),
      refs: state.refLines.length - 2,
      contentHash: finalHash,
      treeHash,
    });
    return { kind: 'saved', snapshot, version: finalVersion, metadata };
  },

  async verify(ctx) {
    const v = ctx.target.settings.verify ?? {};
    ctx.progress('test restore');
    const r = await restoreRepository(ctx, ctx.reader, ctx.snapshot, path.join(ctx.tmpDir, 'restore'));
    if ('problem' in r) {
      return { ok: false, detail: r.problem };
    }
    const m = r.version.manifest;
    const tree = r.version.content;
    const found = [
      `tree matches (${r.version.entries.length} files)`,
      m.commit
        ? `history ${r.commits} commits (HEAD ${m.commit.slice(0, 8)}${m.branch ? ` on ${m.branch}` : ''})`
        : 'no commits yet',
    ];

    const playbooks = v.playbooks ?? ['site.yml'];
    for (const pb of playbooks) {
      if (!existsSync(path.join(tree, pb))) {
        return { ok: false, detail: `playbook ${pb} is not in the backed-up repository` };
      }
      ctx.progress(`syntax check ${pb}`);
      const s = await playbook(ctx, tree, ['--syntax-check', ...commonArgs(v, tree), pb]);
      if (s.code !== 0) {
        return {
          ok: false,
          detail: `syntax check of ${pb} failed: ${ansibleError(s)}\n${truncate(`${s.stderr}${s.stdout}`, DIFF_KEEP)}`,
        };
      }
    }
    found.push(`syntax ok: ${playbooks.join(', ')}`);

    if (!v.checkMode) {
      return { ok: true, detail: `${found.join('; ')}; check mode not configured (verify.checkMode)` };
    }
    const c = await checkMode(ctx, tree, playbooks);
    const output = c.output ? `\n${truncate(c.output, DIFF_KEEP)}` : '';
    if (c.problems.length) {
      return {
        ok: false,
        detail: `check mode failed: ${c.problems.join('; ')}${output}`,
        changes: c.changes,
        changeKind: null,
      };
    }
    if (!c.changes.length) {
      if (c.unreachable.length) {
        // Nothing was learned about the hosts that matter: that says nothing about this version.
        throw new UnavailableError(`check mode could not reach every host: ${c.unreachable.join('; ')}`);
      }
      return {
        ok: true,
        detail: `${found.join('; ')}; check mode: ${c.recaps.join('; ')}${output}`,
        changes: [],
        changeKind: null,
      };
    }
    const kind = await changeKind(ctx, m, playbooks);
    return {
      ok: false,
      detail:
        `check mode would change the infrastructure: ${c.recaps.filter((l) => !/ changed=0 /.test(l)).join('; ')}` +
        ` (${kind.why})${output}`,
      changes: c.changes,
      changeKind: kind.kind,
    };
  },

  async restore(ctx) {
    const s = ctx.target.settings;
    const live = s.source.path;
    const to = dirs.to(ctx);
    const dest = to ?? live;
    if (to === null && exists(dest) && !isDirectory(dest)) {
      throw new Error(`${dest} exists and is not a directory`);
    }
    // Staged beside the destination (same filesystem), checked, then swapped in with two renames.
    const staging = stageBeside(ctx, dest);
    try {
      ctx.progress('restoring snapshot');
      const r = await restoreRepository(ctx, ctx.reader, ctx.snapshot, path.join(staging, 'snapshot'));
      if ('problem' in r) {
        throw new Error(`${r.problem}; nothing was restored`);
      }
      const m = r.version.manifest;
      ctx.progress('replacing the repository');
      const aside = swapInto(r.version.content, dest);
      const what = m.commit
        ? `commit ${m.commit.slice(0, 8)}${m.branch ? ` on ${m.branch}` : ''}, ${r.commits} commits of history`
        : 'no commits';
      return {
        location: `directory ${dest}`,
        detail: `version ${m.version}: ${m.files} files, ${what}${aside ? `; the previous content was moved to ${aside}` : ''}`,
        counts: { files: m.files, commits: r.commits },
        movedAside: movedAsideOf(aside, dest),
        next: [],
      };
    } finally {
      removeStaging(staging);
    }
  },

  asideExists: dirs.asideExists,
  removeAside: dirs.removeAside,

  async doctor(t) {
    const s = t.settings;
    const checks: DoctorCheck[] = [
      await toolCheck('git', ['git'], ['--version'], /git version (\S+)/, GIT_HINT),
      await toolCheck('ansible-playbook', ['ansible-playbook'], ['--version'], /core ([\d.]+)/, ANSIBLE_HINT),
    ];
    const dir = s.source.path;
    if (!isDirectory(dir)) {
      checks.push({ name: 'repository', level: 'failed', detail: `${dir} does not exist or is not a directory` });
    } else if (checks[0].level === 'ok') {
      try {
        const top = (
          await run({
            command: 'git',
            args: ['-c', `safe.directory=${dir}`, '-C', dir, 'rev-parse', '--show-toplevel'],
            env: gitEnv(),
            timeoutMs: 30_000,
          })
        ).trim();
        checks.push(
          realPathOf(top) === realPathOf(dir)
            ? { name: 'repository', level: 'ok', detail: `${dir} is a git work tree` }
            : { name: 'repository', level: 'failed', detail: `${dir} is not the top of its git work tree (${top} is)` }
        );
      } catch (e) {
        checks.push({ name: 'repository', level: 'failed', detail: `${dir} is not a git work tree: ${gitError(e)}` });
      }
    }
    const inv = s.verify?.inventory;
    if (inv && !inv.includes(',')) {
      const p = path.isAbsolute(inv) ? inv : path.join(dir, inv);
      checks.push(
        existsSync(p)
          ? { name: 'inventory', level: 'ok', detail: p }
          : { name: 'inventory', level: 'failed', detail: `${p} does not exist: verification fails` }
      );
    }
    if (s.verify?.vaultPasswordFile) {
      const f = s.verify.vaultPasswordFile;
      try {
        const mode = statSync(f).mode & 0o777;
        checks.push(
          mode & 0o077
            ? { name: 'vault password file', level: 'failed', detail: `${f} is readable by others: chmod 600 ${f}` }
            : { name: 'vault password file', level: 'ok', detail: f }
        );
      } catch {
        checks.push({ name: 'vault password file', level: 'failed', detail: `${f} does not exist` });
      }
    }
    return checks;
  },
};

/**
 * Tells a version not applied yet from drift (docs/directory-targets.md). This version is the
 * newest that passed verification → `drift`. Else the newest that passed is checked again now:
 * still no change → the infrastructure runs it, this one is `unapplied`; changes there too → `drift`.
 */
async function changeKind(
  ctx: Parameters<TargetDriver<AnsibleSettings>['verify']>[0],
  m: Manifest,
  playbooks: string[]
): Promise<{ kind: 'unapplied' | 'drift' | null; why: string }> {
  const ref = ctx.lastPassed;
  if (!ref) {
    return { kind: 'drift', why: 'drift: no earlier version passed verification to compare with' };
  }
  const refVersion = ref.snapshot.version;
  if (ref.snapshot.id === ctx.snapshot.id || refVersion === m.version) {
    return { kind: 'drift', why: 'drift: this version passed verification before, the infrastructure changed since' };
  }
  ctx.progress('check mode of the last version that passed');
  let r;
  try {
    r = await restoreRepository(ctx, ref.reader, ref.snapshot, path.join(ctx.tmpDir, 'reference'));
  } catch (e) {
    if (notStarted(e) || e instanceof UnavailableError) {
      throw e;
    }
    return { kind: null, why: `could not check the last version that passed (${(e as Error).message.split('\n')[0]})` };
  }
  if ('problem' in r) {
    return { kind: null, why: `could not check the last version that passed (${r.problem})` };
  }
  const c = await checkMode(
    ctx,
    r.version.content,
    playbooks.filter((pb) => existsSync(path.join(r.version.content, pb)))
  );
  if (c.problems.length || c.unreachable.length) {
    return {
      kind: null,
      why: `the last version that passed (${refVersion}) does not check cleanly either: ${[...c.problems, ...c.unreachable].join('; ')}`,
    };
  }
  return c.changes.length
    ? { kind: 'drift', why: `drift: the last version that passed (${refVersion}) would change the infrastructure too` }
    : {
        kind: 'unapplied',
        why: `not applied yet: the infrastructure runs ${refVersion}, the version that last passed`,
      };
}
