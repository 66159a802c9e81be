/**
 * The driver conformance suite for kind ansible: the fixture repository (git history, a tag, an
 * uncommitted edit) verified by `--syntax-check` and `--check --diff` against the file it manages.
 * "Unreachable" is a repository path that is not there, and an inventory whose only host does not
 * answer (the check cannot run).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conformance } from './testing/conformance';
import { applyPlaybook, git, makeRepo } from '../test/ansible';

const base = path.join(os.tmpdir(), `bsla-conf-ansible-${process.pid}`);
const repo = path.join(base, 'ansible');
const elsewhere = path.join(base, 'ansible-restored');
const ghosts = path.join(base, 'ghosts.ini');

/** The working tree (no .git), path → content, and where HEAD is. */
async function readRepository(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { HEAD: (await git(dir, 'rev-parse', 'HEAD')).trim() };
  const visit = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, e);
      if (r === '.git') {
        continue;
      }
      if (statSync(path.join(dir, r)).isDirectory()) {
        visit(r);
      } else {
        out[r] = readFileSync(path.join(dir, r), 'utf8');
      }
    }
  };
  visit('');
  return out;
}

conformance<Record<string, string>>({
  kind: 'ansible',
  create: async () => {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    await makeRepo(repo, path.join(base, 'motd'));
    writeFileSync(path.join(repo, 'README.md'), 'edited, not committed\n');
    await applyPlaybook(repo);
    writeFileSync(ghosts, '[lab]\nghost ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh\n');
  },
  destroy: async () => rmSync(base, { recursive: true, force: true }),
  target: () => ({
    kind: 'ansible',
    source: { path: repo },
    verify: { playbooks: ['site.yml'], inventory: 'inventory/hosts', checkMode: true },
  }),
  unreachable: (t) => ({
    ...t,
    source: { path: path.join(base, 'gone') },
    verify: { playbooks: ['site.yml'], inventory: ghosts, checkMode: true },
  }),
  secrets: [],
  read: (place) => readRepository(place ?? repo),
  change: async () => {
    writeFileSync(path.join(repo, 'notes.txt'), `work in progress ${Date.now()}\n`);
    const cfg = path.join(repo, 'ansible.cfg');
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}# tuned by hand\n`);
  },
  elsewhere: { to: elsewhere },
  tamper: (m) => ({ ...m, treeHash: '0'.repeat(64) }),
  aside: { kind: 'moved' },
  scratchLeft: async () => (existsSync(base) ? readdirSync(base).filter((n) => n.includes('.restoring-')) : []),
});
