/**
 * An unchanged Ansible repository and an unchanged files target: how long a backup takes to find
 * that nothing changed, against what that question costs at least in the same process —
 *   ansible: `git status --porcelain` plus hashing the working tree the way the driver's kit does
 *            (backend/src/targets/kit/tree.ts: walk, sha256 of every file, contentHash)
 *   files:   hashing the tree the same way (there is no git)
 * Goals (issue 12, "Less overhead"): ≤ 1.5 s, and `engine.backup` ≤ 1.2× the baseline. The CLI's
 * whole run (`node backend/bin/backup-sla.js --config F backup ansible`, start to exit, Node's
 * start included) is measured against the same baseline and held to the 1.5 s.
 *
 * The repository is realistic: some dozens of commits over a few hundred files (roles with tasks,
 * templates, defaults, handlers; inventories; group_vars), a tag and a second branch, then a few
 * uncommitted edits and untracked files. The files target is a tree of the same size without git.
 * A first backup saves each; the timed backups must all answer "unchanged" (the bench fails
 * otherwise). Baseline and service alternate; the median of the runs is reported.
 *
 *   BENCH_TREE_FILES (default 400: files in each tree)   BENCH_TREE_COMMITS (default 40)
 *   BENCH_TREE_RUNS (default 5: engine runs)   BENCH_TREE_CLI_RUNS (default 3)
 *   BENCH_TREE_KEEP=1 keeps the lab directory (its config file is printed) to profile by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab } from '../backend/src/test/harness';
import { contentHash, sha256Hex, treeEntries, walk } from '../backend/src/targets/kit/tree';
import { Bench, Row, cliRun, envNumber, needsBuiltCli, runMain, timed, vsBaseline } from './lib';

const LIMIT_S = 1.5;
const MAX_RATIO = 1.2;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=Bench', '-c', 'user.email=bench@lab.test', ...args], {
    env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Deterministic text of a given size, different per (name, generation). */
function text(name: string, generation: number, bytes: number): string {
  const lines: string[] = [`# ${name} (generation ${generation})`];
  let n = lines[0].length;
  for (let i = 0; n < bytes; i++) {
    const l = `- name: task ${i} of ${name}\n  vars: { key_${i}: "${sha256Hex(`${name}/${generation}/${i}`).slice(0, 40)}" }`;
    lines.push(l);
    n += l.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** Relative paths of an Ansible-like layout with `count` files. */
function layout(count: number): string[] {
  const out = ['ansible.cfg', 'site.yml', 'inventory/production', 'inventory/staging', 'group_vars/all.yml'];
  const parts = ['tasks/main.yml', 'handlers/main.yml', 'defaults/main.yml', 'templates/config.j2', 'meta/main.yml'];
  for (let r = 0; out.length < count; r++) {
    for (const p of parts) {
      if (out.length < count) {
        out.push(`roles/role${String(r).padStart(2, '0')}/${p}`);
      }
    }
    if (out.length < count) {
      out.push(`host_vars/host${r}.yml`);
    }
  }
  return out;
}

function writeFiles(root: string, files: string[], generation: (f: string) => number): void {
  for (const f of files) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), text(f, generation(f), 1500 + (sha256Hex(f).charCodeAt(0) % 8) * 500));
  }
}

/** The Ansible repository: `commits` commits, a tag, a branch, uncommitted edits and untracked files. */
function makeAnsibleRepo(dir: string, count: number, commits: number): void {
  const files = layout(count);
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, files, () => 0);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial lab configuration');
  for (let c = 1; c < commits; c++) {
    // Each commit touches a handful of files, as day-to-day work does.
    const touched = files.filter((_, i) => (i * 7 + c * 13) % files.length < 6);
    writeFiles(dir, touched, () => c);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `change ${c}`);
    if (c === Math.floor(commits / 2)) {
      git(dir, 'tag', 'v1');
      git(dir, 'branch', 'staging');
    }
  }
  // Work in progress: edits not committed, files not added.
  writeFiles(dir, files.slice(1, 4), () => 999);
  writeFiles(dir, ['notes/todo.md', 'roles/new_role/tasks/main.yml', 'scratch.yml'], () => 1);
}

/** The files target's tree: the same size, no git. */
function makeFilesTree(dir: string, count: number): void {
  writeFiles(
    dir,
    layout(count).map((f) => f.replace(/^roles\//, 'app/modules/')),
    () => 0
  );
}

/** The baseline: what deciding "unchanged" costs at least. */
async function hashTree(dir: string, withGit: boolean): Promise<string> {
  if (withGit) {
    git(dir, 'status', '--porcelain');
  }
  return contentHash(
    await treeEntries(
      dir,
      walk(dir, (n) => n === '.git')
    )
  );
}

function absolute(metric: string, value: number, note?: string): Row {
  return { metric, value, unit: 's', goal: `≤ ${LIMIT_S} s`, ratio: value / LIMIT_S, met: value <= LIMIT_S, note };
}

runMain(async () => {
  const bench = new Bench('unchanged-tree', 'Unchanged ansible and files targets: time to find that nothing changed');
  const count = Math.round(envNumber('BENCH_TREE_FILES', 400));
  const commits = Math.round(envNumber('BENCH_TREE_COMMITS', 40));
  const runs = Math.round(envNumber('BENCH_TREE_RUNS', 5));
  const cliRuns = Math.round(envNumber('BENCH_TREE_CLI_RUNS', 3));
  Object.assign(bench.params, { files: count, commits, runs, cliRuns });
  needsBuiltCli(bench);

  let lab: Lab | null = null;
  try {
    lab = makeLab({
      targets: {
        ansible: { kind: 'ansible', source: { path: './ansible' } },
        files: { kind: 'files', source: { paths: ['./srv/app'] } },
      },
    });
    const repo = path.join(lab.dir, 'ansible');
    const app = path.join(lab.dir, 'srv', 'app');
    const made = await timed(async () => {
      makeAnsibleRepo(repo, count, commits);
      makeFilesTree(app, count);
    });
    bench.log(
      `made a repository of ${commits} commits and two trees of ${count} files in ${made.seconds.toFixed(1)} s`
    );
    await lab.engine.repository('main').ensureInitialized();

    for (const target of ['ansible', 'files']) {
      const first = await lab.engine.backup(target, 'bench');
      if (first.status !== 'success') {
        throw new Error(`first backup of ${target}: ${first.status} ${first.error ?? ''}`);
      }
      const withGit = target === 'ansible';
      const dir = withGit ? repo : app;
      const base: number[] = [];
      const svc: number[] = [];
      for (let i = 0; i < runs; i++) {
        const b = async () => base.push((await timed(() => hashTree(dir, withGit))).seconds);
        const s = async () => {
          const r = await timed(() => lab!.engine.backup(target, 'bench'));
          if (r.value.status !== 'unchanged') {
            throw new Error(`backup of the unchanged ${target} answered ${r.value.status} ${r.value.error ?? ''}`);
          }
          svc.push(r.seconds);
        };
        // Alternate which goes first, so that neither always meets the warmer caches.
        if (i % 2 === 0) {
          await b();
          await s();
        } else {
          await s();
          await b();
        }
      }
      const baseline = median(base);
      const value = median(svc);
      const label = withGit ? 'git status + hash the tree' : 'hash the tree';
      bench.log(
        `${target}: engine.backup ${svc.map((x) => x.toFixed(3)).join(' ')} s; baseline ${base.map((x) => x.toFixed(3)).join(' ')} s`
      );
      bench.add(vsBaseline(`${target}: engine.backup, unchanged`, value, baseline, 's', MAX_RATIO, label));
      bench.add(absolute(`${target}: engine.backup, unchanged`, value));

      const cliTimes: number[] = [];
      for (let i = 0; i < cliRuns; i++) {
        const r = await cliRun(lab.configFile, ['backup', target]);
        if (r.code !== 0 || !/unchanged/i.test(r.out)) {
          throw new Error(`backup-sla backup ${target} exited ${r.code}: ${r.out.trim().split('\n').pop()}`);
        }
        cliTimes.push(r.seconds);
      }
      const c = median(cliTimes);
      bench.log(`${target}: CLI ${cliTimes.map((x) => x.toFixed(3)).join(' ')} s`);
      bench.add(
        vsBaseline(`${target}: CLI backup, start to exit`, c, baseline, 's', null, label, 'Node start included')
      );
      bench.add(absolute(`${target}: CLI backup, start to exit`, c));
    }
  } finally {
    if (process.env.BENCH_TREE_KEEP === '1') {
      bench.log(`kept the lab: ${lab?.configFile}`);
      lab?.engine.catalog.close();
    } else {
      lab?.cleanup();
    }
  }
  const r = bench.finish();
  const missed = r.rows.filter((row) => row.met === false).map((row) => `${row.metric} (${row.goal})`);
  console.log(missed.length ? `goal NOT met: ${missed.join('; ')}` : 'goal met: every row within its goal');
});
