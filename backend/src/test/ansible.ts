/**
 * Ansible repositories for the ansible tests, the conformance suite and the drill: the fixture
 * (fixtures/ansible) made a git repository, managing one file — the "infrastructure" — by a real
 * playbook run with ansible-core on localhost.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../util/subprocess';

export const ANSIBLE_FIXTURE = path.join(__dirname, 'fixtures', 'ansible');

export function git(dir: string, ...args: string[]): Promise<string> {
  return run({
    command: 'git',
    args: ['-C', dir, '-c', 'user.name=Lab Admin', '-c', 'user.email=admin@lab.test', ...args],
    env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' },
    timeoutMs: 30_000,
  });
}

/** The fixture repository made a git repository at `dir`, managing the file `motd`. */
export async function makeRepo(dir: string, motd: string): Promise<void> {
  cpSync(ANSIBLE_FIXTURE, dir, { recursive: true });
  mkdirSync(path.join(dir, 'group_vars'), { recursive: true });
  writeFileSync(path.join(dir, 'group_vars', 'all.yml'), `lab_name: lab-9\nmotd_path: ${motd}\n`);
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'initial lab configuration');
  await git(dir, 'tag', 'v1');
}

export async function commit(dir: string, file: string, content: string, message: string): Promise<void> {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), content);
  await git(dir, 'add', '--', file);
  await git(dir, 'commit', '-q', '-m', message);
}

function playbookEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1' };
  delete env.ANSIBLE_CONFIG;
  return env;
}

/** Configures the "infrastructure" (the motd file) by running the real playbook once. */
export async function applyPlaybook(dir: string): Promise<void> {
  await run({ command: 'ansible-playbook', args: ['site.yml'], cwd: dir, env: playbookEnv(), timeoutMs: 120_000 });
}

/** `--check` of the repository as it is: the PLAY RECAP's changed= count of localhost. */
export async function checkChanged(dir: string): Promise<number> {
  const out = await run({
    command: 'ansible-playbook',
    args: ['--check', 'site.yml'],
    cwd: dir,
    env: playbookEnv(),
    timeoutMs: 120_000,
  });
  return Number(/^localhost\s+:.*\bchanged=(\d+)/m.exec(out)![1]);
}
