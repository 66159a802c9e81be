import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { makeLab, Lab } from '../test/harness';
import { targetState } from '../engine/sla';
import { run } from '../util/subprocess';
import { applyPlaybook, commit, git, makeRepo } from '../test/ansible';
import { ansibleDriver, parseChanges, parseRecap } from './ansible';

async function resticSnapshots(lab: Lab, repo = 'main'): Promise<Array<{ tags?: string[] }>> {
  const r = lab.engine.config.repositories[repo];
  const out = await run({
    command: 'restic',
    args: [
      '-r',
      r.url,
      ...Object.entries(r.options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
      'snapshots',
      '--json',
      '--no-lock',
    ],
    env: { ...process.env, RESTIC_PASSWORD_FILE: r.password.file },
  });
  return JSON.parse(out) ?? [];
}

const DAY = 86400;

describe('ansible target: versions, contents, verification, restore', () => {
  let lab: Lab;
  let repo: string;
  let motd: string;
  let goodId: string;

  beforeAll(async () => {
    lab = makeLab({
      targets: {
        ansible: {
          kind: 'ansible',
          source: { path: './ansible' },
          verify: { playbooks: ['site.yml'], inventory: 'inventory/hosts', checkMode: true },
        },
      },
    });
    repo = path.join(lab.dir, 'ansible');
    motd = path.join(lab.dir, 'infra', 'motd');
    mkdirSync(path.dirname(motd));
    await makeRepo(repo, motd);
    await applyPlaybook(repo);
  });
  afterAll(() => lab.cleanup());

  it('has the SLA defaults: daily check, RPO 3 d, RTO 20 min, current + 2 previous versions, verify after backup', () => {
    const t = lab.engine.target('ansible');
    expect(t.schedule).toBe('0 3 * * *');
    expect(t.rpoSeconds).toBe(3 * DAY);
    expect(t.rtoSeconds).toBe(20 * 60);
    expect(t.retention).toEqual({ keepLast: 3 });
    expect(t.verifySchedule).toBe('30 3 * * *');
  });

  it('saves a version, answers "unchanged" while nothing changes, and a new version after an edit', async () => {
    const first = await lab.engine.backup('ansible', 'test');
    expect(first.status).toBe('success');
    const head = (await git(repo, 'rev-parse', 'HEAD')).trim();
    const [snap] = lab.engine.snapshots('ansible');
    expect(snap.version).toMatch(new RegExp(`^${head.slice(0, 12)}-[0-9a-f]{8}$`));
    expect(snap.metadata).toMatchObject({ commit: head, branch: 'main', files: 9, dirty: false });

    lab.clock.advance(DAY);
    const second = await lab.engine.backup('ansible', 'test');
    expect(second.status).toBe('unchanged');
    expect(second.snapshotId).toBeNull();
    expect(second.detail.version).toBe(snap.version);
    expect(lab.engine.snapshots('ansible')).toHaveLength(1);
    expect(await resticSnapshots(lab)).toHaveLength(1);
    // "unchanged" is a good backup: the RPO clock restarts.
    expect(targetState(lab.engine.target('ansible'), lab.engine.catalog, lab.clock.now).checks.fresh.level).toBe('ok');

    lab.clock.advance(DAY);
    writeFileSync(
      path.join(repo, 'roles/motd/templates/motd.j2'),
      'Welcome to {{ lab_name }}.\nThis machine is managed by Ansible: change the code, not the machine.\n'
    );
    const touched = await lab.engine.backup('ansible', 'test');
    expect(touched.status).toBe('unchanged'); // same bytes written again: same content, same version
    writeFileSync(path.join(repo, 'README.md'), 'edited, not committed\n');
    const third = await lab.engine.backup('ansible', 'test');
    expect(third.status).toBe('success');
    const [newest] = lab.engine.snapshots('ansible');
    expect(newest.version).not.toBe(snap.version);
    expect(newest.version!.startsWith(head.slice(0, 12))).toBe(true); // same commit, other content
    expect(newest.metadata).toMatchObject({ dirty: true });
    expect(await resticSnapshots(lab)).toHaveLength(2);
  });

  it('holds uncommitted and untracked files, not ignored ones, keeps modes, and brings the history back', async () => {
    mkdirSync(path.join(repo, 'notes'));
    writeFileSync(path.join(repo, 'notes', 'todo.txt'), 'untracked work in progress\n');
    writeFileSync(path.join(repo, '.vault_pass'), 'ignored secret\n');
    writeFileSync(path.join(repo, 'site.retry'), 'localhost\n');
    await commit(repo, 'roles/motd/defaults/main.yml', 'lab_name: lab-9\n', 'motd defaults');
    await git(repo, 'checkout', '-q', '-b', 'feature/dns');
    await commit(repo, 'dns.yml', '---\n- hosts: lab\n  gather_facts: false\n  tasks: []\n', 'dns placeholder');
    await git(repo, 'checkout', '-q', 'main');
    unlinkSync(path.join(repo, 'scripts', 'lint.sh')); // deleted in the working tree, not committed
    writeFileSync(path.join(repo, 'ansible.cfg'), `${readFileSync(path.join(repo, 'ansible.cfg'), 'utf8')}forks = 5\n`);
    chmodSync(path.join(repo, 'roles', 'motd', 'defaults', 'main.yml'), 0o640);
    lab.clock.advance(DAY);
    const b = await lab.engine.backup('ansible', 'test');
    expect(b.status).toBe('success');

    const to = path.join(lab.dir, 'restored');
    const r = await lab.engine.restore('ansible', { snapshot: 'latest', to, safetyBackup: true }, 'test');
    expect(r.status).toBe('success');
    expect(r.detail.location).toBe(`directory ${to}`);
    expect(readFileSync(path.join(to, 'notes', 'todo.txt'), 'utf8')).toBe('untracked work in progress\n');
    expect(readFileSync(path.join(to, 'README.md'), 'utf8')).toBe('edited, not committed\n');
    expect(readFileSync(path.join(to, 'ansible.cfg'), 'utf8')).toContain('forks = 5');
    expect(existsSync(path.join(to, '.vault_pass'))).toBe(false);
    expect(existsSync(path.join(to, 'site.retry'))).toBe(false);
    expect(existsSync(path.join(to, 'scripts', 'lint.sh'))).toBe(false);
    expect(statSync(path.join(to, 'roles', 'motd', 'defaults', 'main.yml')).mode & 0o777).toBe(0o640);

    // The whole history: both branches, the tag, HEAD on main; uncommitted work shows as such.
    expect((await git(to, 'log', '--format=%s', 'main')).trim().split('\n')).toEqual([
      'motd defaults',
      'initial lab configuration',
    ]);
    expect((await git(to, 'log', '--format=%s', '-1', 'feature/dns')).trim()).toBe('dns placeholder');
    expect((await git(to, 'tag')).trim()).toBe('v1');
    expect((await git(to, 'symbolic-ref', '--short', 'HEAD')).trim()).toBe('main');
    expect((await git(to, 'rev-parse', 'HEAD')).trim()).toBe((await git(repo, 'rev-parse', 'HEAD')).trim());
    const status = (await git(to, 'status', '--porcelain')).split('\n').filter(Boolean).sort();
    expect(status).toEqual([' D scripts/lint.sh', ' M README.md', ' M ansible.cfg', '?? notes/']);
    // The executable bit of a committed script is kept (git would report a mode change otherwise).
    await git(repo, 'checkout', '--', 'scripts/lint.sh');
    lab.clock.advance(DAY);
    expect((await lab.engine.backup('ansible', 'test')).status).toBe('success');
    const to2 = path.join(lab.dir, 'restored2');
    expect(
      (await lab.engine.restore('ansible', { snapshot: 'latest', to: to2, safetyBackup: false }, 'test')).status
    ).toBe('success');
    expect(statSync(path.join(to2, 'scripts', 'lint.sh')).mode & 0o777).toBe(0o755);

    // A non-empty destination is refused without force; a relative one always.
    const again = await lab.engine.restore('ansible', { snapshot: 'latest', to, safetyBackup: false }, 'test');
    expect(again.status).toBe('failed');
    expect(again.error).toMatch(new RegExp(`^directory ${to} is not empty; choose another or force`));
    await expect(
      lab.engine.restore('ansible', { snapshot: 'latest', to: 'relative/dir', safetyBackup: false }, 'test')
    ).rejects.toThrow(/refused: give an absolute directory path/);
  });

  it('verification passes when check mode reports changed=0 on every host', async () => {
    const v = await lab.engine.verify('ansible', 'latest', 'test');
    expect(v.error).toBeNull();
    expect(v.status).toBe('success');
    const detail = v.detail.result as string;
    expect(detail).toMatch(
      /^tree matches \(\d+ files\); history 3 commits \(HEAD [0-9a-f]{8} on main\); syntax ok: site\.yml; check mode: site\.yml: localhost changed=0 failed=0 unreachable=0/
    );
    goodId = lab.engine.snapshots('ansible')[0].id;
    expect(lab.engine.snapshots('ansible')[0].verification).toBe('passed');
    // Nothing of the verification is left behind (retry files, temp dirs).
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('drift: the version that passed now would change the infrastructure; the task, host and diff are kept', async () => {
    writeFileSync(motd, 'Welcome to lab-9.\nedited by hand on the machine\n');
    const v = await lab.engine.verify('ansible', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toBe(
      'verification failed: check mode would change the infrastructure: site.yml: localhost changed=1 failed=0 unreachable=0 (drift: this version passed verification before, the infrastructure changed since)'
    );
    const detail = lab.engine.snapshots('ansible')[0].verificationDetail!;
    expect(detail).toContain(`--- before: ${motd}`);
    expect(detail).toContain('-edited by hand on the machine');
    expect(detail.length).toBeLessThan(6000);
    const verification = lab.engine.catalog.run(v.runId)!.detail.verification as any;
    expect(verification.outcome).toBe('failed');
    expect(verification.changeKind).toBe('drift');
    expect(verification.changes).toEqual([
      { host: 'localhost', task: 'motd : Message of the day', diff: expect.stringContaining(`--- before: ${motd}`) },
    ]);
    expect(verification.changes[0].diff).toContain('-edited by hand on the machine');
    expect(verification.changes[0].diff).toContain('+This machine is managed by Ansible');
    await applyPlaybook(repo);
  });

  it('unapplied: a new version not applied yet is told apart from drift (the last version that passed still checks clean)', async () => {
    await commit(
      repo,
      'roles/motd/templates/motd.j2',
      'Welcome to {{ lab_name }}.\nThis machine is managed by Ansible: change the code, not the machine.\nNew: a second line.\n',
      'motd: one more line'
    );
    lab.clock.advance(DAY);
    expect((await lab.engine.backup('ansible', 'test')).status).toBe('success');
    const v = await lab.engine.verify('ansible', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(
      /^verification failed: check mode would change the infrastructure: site\.yml: localhost changed=1 failed=0 unreachable=0 \(not applied yet: the infrastructure runs [0-9a-f]{12}-[0-9a-f]{8}, the version that last passed\)$/
    );
    const verification = lab.engine.catalog.run(v.runId)!.detail.verification as any;
    expect(verification.changeKind).toBe('unapplied');
    expect(verification.changes).toHaveLength(1);
    expect(verification.changes[0].diff).toContain('+New: a second line.');

    // The same new version, while the machine was also edited by hand: the last good version
    // would change it too, so this is drift.
    writeFileSync(motd, 'edited by hand\n');
    const v2 = await lab.engine.verify('ansible', 'latest', 'test');
    const drift = lab.engine.catalog.run(v2.runId)!.detail.verification as any;
    expect(drift.changeKind).toBe('drift');
    expect(v2.error).toMatch(
      /\(drift: the last version that passed \([0-9a-f-]+\) would change the infrastructure too\)$/
    );

    // Applied: the new version passes.
    await applyPlaybook(repo);
    const v3 = await lab.engine.verify('ansible', 'latest', 'test');
    expect(v3.error).toBeNull();
    expect((lab.engine.catalog.run(v3.runId)!.detail.verification as any).changes).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
    goodId = lab.engine.snapshots('ansible')[0].id;
  });

  it('verification fails on a playbook with a syntax error', async () => {
    await commit(
      repo,
      'site.yml',
      '---\n- name: broken\n  hosts: lab\n  tasks:\n    - name: bad\n      ansible.builtin.copy: [unclosed\n',
      'broken playbook'
    );
    lab.clock.advance(DAY);
    expect((await lab.engine.backup('ansible', 'test')).status).toBe('success');
    const v = await lab.engine.verify('ansible', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(/^verification failed: syntax check of site\.yml failed: ERROR! /);
    await git(repo, 'revert', '--no-edit', 'HEAD');
  });

  it('restores over the live repository as the dialog asks (no force): the current one moved aside, counts reported', async () => {
    const good = lab.engine.snapshots('ansible').find((s) => s.id === goodId)!;
    writeFileSync(path.join(repo, 'oops.yml'), 'damage\n');
    const r = await lab.engine.restore('ansible', { snapshot: good.id, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    const asides = readdirSync(lab.dir).filter((n) => n.startsWith('ansible.before-restore-'));
    expect(asides).toHaveLength(1);
    expect(readFileSync(path.join(lab.dir, asides[0], 'oops.yml'), 'utf8')).toBe('damage\n');
    expect(existsSync(path.join(repo, 'oops.yml'))).toBe(false);
    expect(r.detail.result).toContain(`the previous content was moved to ${path.join(lab.dir, asides[0])}`);
    const restore = r.detail.restore as any;
    expect(restore.movedAside).toEqual([path.join(lab.dir, asides[0])]);
    expect(restore.counts).toEqual({ files: good.metadata!.files, commits: 4 });
    expect(restore.location).toBe(`directory ${repo}`);
    // The safety backup holds the damaged state.
    const safety = lab.engine.snapshots('ansible').find((s) => s.id === r.detail.safetySnapshotId)!;
    expect(safety.safety).toBe(true);
    expect((await git(repo, 'log', '--format=%s', '-1')).trim()).toBe('motd: one more line');
    expect(readdirSync(lab.dir).filter((n) => n.includes('.restoring-'))).toEqual([]);
  });

  it('a broken configuration whose .git is gone: the safety backup saves its files as they are, the restore brings the repository back', async () => {
    writeFileSync(path.join(repo, 'site.yml'), 'broken: [\n');
    rmSync(path.join(repo, '.git'), { recursive: true });
    const r = await lab.engine.restore('ansible', { snapshot: goodId, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('saved');
    const safety = lab.engine.snapshots('ansible').find((s) => s.id === r.detail.safetySnapshotId)!;
    expect(safety.version).toMatch(/^nocommit-[0-9a-f]{8}$/);
    expect(safety.metadata).toMatchObject({ commit: null, dirty: true });
    expect((await git(repo, 'log', '--format=%s', '-1')).trim()).toBe('motd: one more line');
    expect(readFileSync(path.join(repo, 'site.yml'), 'utf8')).not.toContain('broken');
  });

  it('restores elsewhere only below the restore roots', async () => {
    const outside = path.join(os.tmpdir(), `bsla-ansible-outside-${process.pid}`);
    const r = await lab.engine.restore('ansible', { snapshot: goodId, to: outside, safetyBackup: false }, 'test');
    expect(r.error).toMatch(new RegExp(`^restore destination ${outside} is outside the target's restore roots`));
    expect(existsSync(outside)).toBe(false);
  });

  it('doctor: git, ansible-playbook, the work tree, the inventory', async () => {
    const checks = await ansibleDriver.doctor!(lab.engine.target('ansible') as any, lab.engine.log);
    expect(checks.map((c) => [c.name, c.level])).toEqual([
      ['git', 'ok'],
      ['ansible-playbook', 'ok'],
      ['repository', 'ok'],
      ['inventory', 'ok'],
    ]);
    expect(checks[1].detail).toMatch(/ansible-playbook version 2\.\d+/);
  });
});

/** A lab with one ansible target over a fresh repository (`<lab>/ansible`). */
async function ansibleLab(): Promise<{ lab: Lab; repo: string }> {
  const lab = makeLab({ targets: { ansible: { kind: 'ansible', source: { path: './ansible' } } } });
  const repo = path.join(lab.dir, 'ansible');
  await makeRepo(repo, path.join(lab.dir, 'motd'));
  return { lab, repo };
}

describe('ansible target: retention keeps three distinct versions', () => {
  let lab: Lab;
  let repo: string;
  beforeAll(async () => {
    ({ lab, repo } = await ansibleLab());
  });
  afterAll(() => lab.cleanup());

  it('after five changes (and unchanged checks between them) exactly the last three versions are held', async () => {
    const versions: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await commit(
        repo,
        'inventory/hosts',
        `[lab]\nlocalhost ansible_connection=local\n# change ${i}\n`,
        `change ${i}`
      );
      const b = await lab.engine.backup('ansible', 'test');
      expect(b.status).toBe('success');
      versions.push(b.detail.version as string);
      lab.clock.advance(DAY);
      expect((await lab.engine.backup('ansible', 'test')).status).toBe('unchanged');
      lab.clock.advance(DAY);
    }
    expect(new Set(versions).size).toBe(5);
    const held = lab.engine.snapshots('ansible');
    expect(held.map((s) => s.version)).toEqual(versions.slice(2).reverse());
    expect(await resticSnapshots(lab)).toHaveLength(3);
    expect(targetState(lab.engine.target('ansible'), lab.engine.catalog, lab.clock.now).checks.versions).toEqual({
      level: 'ok',
      reason: '3 versions held, 3 required',
    });
  });
});

describe('ansible target: the unchanged check still sees every kind of change', () => {
  // The check asks git only what makes the version (files, HEAD, branch, refs) and leaves
  // `git status` (the metadata's "dirty") to when a version is saved: each change below, made
  // right after an "unchanged", must still give a new version, with the right metadata.
  let lab: Lab;
  let repo: string;
  beforeAll(async () => {
    ({ lab, repo } = await ansibleLab());
  });
  afterAll(() => lab.cleanup());

  const newest = () => lab.engine.snapshots('ansible')[0];

  it('an untracked file, its commit, an empty commit, a tag, a branch, a mode, a detached HEAD: each a new version', async () => {
    expect((await lab.engine.backup('ansible', 'test')).status).toBe('success');
    expect(newest().metadata).toMatchObject({ dirty: false });
    const seen = new Set([newest().version]);
    /** "unchanged" first (the check's fast path has run), then the change, then a new version. */
    const expectNewVersion = async (change: () => Promise<unknown> | void, dirty: boolean) => {
      lab.clock.advance(DAY);
      expect((await lab.engine.backup('ansible', 'test')).status).toBe('unchanged');
      await change();
      lab.clock.advance(DAY);
      const b = await lab.engine.backup('ansible', 'test');
      expect(b.status).toBe('success');
      expect(seen.has(b.detail.version as string)).toBe(false);
      seen.add(b.detail.version as string);
      expect(newest().metadata).toMatchObject({ dirty });
    };

    await expectNewVersion(() => writeFileSync(path.join(repo, 'untracked.yml'), 'work in progress\n'), true);
    // The same files, now committed: only the history changed.
    await expectNewVersion(async () => {
      await git(repo, 'add', 'untracked.yml');
      await git(repo, 'commit', '-q', '-m', 'add untracked.yml');
    }, false);
    await expectNewVersion(() => git(repo, 'commit', '-q', '--allow-empty', '-m', 'history only'), false);
    await expectNewVersion(() => git(repo, 'tag', 'v2'), false);
    await expectNewVersion(() => git(repo, 'checkout', '-q', '-b', 'feature'), false);
    const head = (await git(repo, 'rev-parse', 'HEAD')).trim();
    expect(newest().metadata).toMatchObject({ commit: head, branch: 'feature' });
    await expectNewVersion(() => chmodSync(path.join(repo, 'site.yml'), 0o755), true);
    // Detached: HEAD and no branch, as git itself answers them.
    await expectNewVersion(() => git(repo, 'checkout', '-q', '--detach'), true);
    expect(newest().metadata).toMatchObject({ commit: head, branch: null });
    // A tag of the branch's name: the branch is still named as `git symbolic-ref --short` names it.
    await expectNewVersion(async () => {
      await git(repo, 'checkout', '-q', 'feature');
      await git(repo, 'tag', 'feature');
    }, true);
    const short = (await git(repo, 'symbolic-ref', '--short', 'HEAD')).trim();
    expect(newest().metadata).toMatchObject({ commit: head, branch: short });
  });
});

describe('ansible target: copies on the admin machine (sftp) and flash media (path)', () => {
  let lab: Lab;
  let repo: string;
  const remote = path.join(
    process.env.BSLA_SFTP_REPO_BASE ?? '/nonexistent',
    `ansible-copies-${process.pid}-${Date.now()}`
  );
  const repositories = {
    main: { url: './repo', passwordFile: './repo.pass' },
    flash: { url: './flash', passwordFile: './repo.pass' },
    admin: {
      url: `sftp:root@127.0.0.1:${remote}`,
      passwordFile: './repo.pass',
      options: { 'sftp.command': process.env.BSLA_SFTP_COMMAND },
    },
    offsite: { url: 'rest:http://127.0.0.1:1/ansible/', passwordFile: './repo.pass' },
  };
  beforeAll(async () => {
    lab = makeLab({
      repositories,
      targets: { ansible: { kind: 'ansible', source: { path: './ansible' }, copies: ['flash', 'admin'] } },
    });
    repo = path.join(lab.dir, 'ansible');
    await makeRepo(repo, path.join(lab.dir, 'motd'));
  });
  afterAll(() => {
    lab.cleanup();
    rmSync(remote, { recursive: true, force: true });
  });

  it('a backup is held by all three repositories', async () => {
    const b = await lab.engine.backup('ansible', 'test');
    expect(b.status).toBe('success');
    expect(b.detail.copyErrors).toBeUndefined();
    const [snap] = lab.engine.snapshots('ansible');
    expect(snap.heldBy).toEqual(['main', 'admin', 'flash']);
    expect(await resticSnapshots(lab, 'flash')).toHaveLength(1);
    expect(await resticSnapshots(lab, 'admin')).toHaveLength(1);
    expect(existsSync(path.join(remote, 'config'))).toBe(true);
    const state = targetState(lab.engine.target('ansible'), lab.engine.catalog, lab.clock.now);
    expect(state.checks.copies).toEqual({ level: 'ok', reason: '2 of 2 copies hold the newest version' });
    expect([state.copiesHeld, state.copiesRequired]).toEqual([2, 2]);
  });

  it('an unreachable copy does not fail the backup; the SLA state reports the copy missing', async () => {
    const config = YAML.parse(readFileSync(lab.configFile, 'utf8'));
    config.targets.ansible.copies.push('offsite');
    writeFileSync(lab.configFile, YAML.stringify(config));
    lab.reopen();
    expect(lab.engine.target('ansible').copies).toEqual(['flash', 'admin', 'offsite']);
    await commit(
      repo,
      'site.yml',
      `${readFileSync(path.join(repo, 'site.yml'), 'utf8')}# new version\n`,
      'new version'
    );
    lab.clock.advance(DAY);
    const b = await lab.engine.backup('ansible', 'test');
    expect(b.status).toBe('success');
    expect(b.detail.copyErrors).toEqual([expect.stringMatching(/^offsite: repository offsite: .*connection refused/)]);
    const [snap] = lab.engine.snapshots('ansible');
    expect(snap.id).toBe(b.snapshotId);
    expect(snap.heldBy).toEqual(['main', 'admin', 'flash']);
    const state = targetState(lab.engine.target('ansible'), lab.engine.catalog, lab.clock.now);
    expect(state.checks.copies.level).toBe('warning');
    expect(state.checks.copies.reason).toBe('copies missing the newest version: offsite');
    expect(state.checks.copies.cause).toMatch(/^offsite: repository offsite: .*connection refused/);
    expect([state.copiesHeld, state.copiesRequired]).toEqual([2, 3]);
    expect(state.checks.fresh.level).toBe('ok');
  });
});

describe('ansible target failures', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = makeLab({
      targets: {
        ansible: { kind: 'ansible', source: { path: './ansible' } },
        missing: { kind: 'ansible', source: { path: './no-such-dir' } },
        plain: { kind: 'ansible', source: { path: './plain' } },
      },
    });
    mkdirSync(path.join(lab.dir, 'plain'));
    writeFileSync(path.join(lab.dir, 'plain', 'site.yml'), '---\n');
    await makeRepo(path.join(lab.dir, 'ansible'), path.join(lab.dir, 'motd'));
  });
  afterAll(() => lab.cleanup());

  it('a missing path fails with one clear line', async () => {
    const o = await lab.engine.backup('missing', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toBe(`ansible repository ${path.join(lab.dir, 'no-such-dir')} does not exist`);
  });

  it('a directory that is not a git repository fails with one clear line', async () => {
    const o = await lab.engine.backup('plain', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(
      new RegExp(`^${path.join(lab.dir, 'plain')} is not a git repository \\(fatal: not a git repository`)
    );
    expect(o.error!.split('\n')).toHaveLength(1);
  });

  it('when the repository breaks after a backup, the earlier version stays intact and restorable', async () => {
    const repo = path.join(lab.dir, 'ansible');
    expect((await lab.engine.backup('ansible', 'test')).status).toBe('success');
    rmSync(path.join(repo, '.git'), { recursive: true });
    lab.clock.advance(DAY);
    const o = await lab.engine.backup('ansible', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/is not a git repository/);
    rmSync(repo, { recursive: true });
    const o2 = await lab.engine.backup('ansible', 'test');
    expect(o2.error).toBe(`ansible repository ${repo} does not exist`);
    expect(lab.engine.snapshots('ansible')).toHaveLength(1);
    expect((await resticSnapshots(lab)).filter((x) => x.tags?.includes('target=ansible'))).toHaveLength(1);
    // With the repository gone there is nothing to protect: the safety backup finds nothing.
    const r = await lab.engine.restore('ansible', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('nothing');
    expect((await git(repo, 'log', '--format=%s')).trim()).toBe('initial lab configuration');
  });
});

describe('parseChanges', () => {
  it('reads the tasks that would change per host with their diff, loop items joined (ansible-core 2.14 default output)', () => {
    const out = [
      'PLAY [lab] *********************************************************************',
      '',
      'TASK [Message of the day] ******************************************************',
      'ok: [db]',
      '--- before: /etc/motd',
      '+++ after: /root/.ansible/tmp/ansible-local-1/tmp1',
      '@@ -1 +1,2 @@',
      '-old',
      '+hello web',
      '+line2',
      '',
      'changed: [web]',
      '',
      'TASK [Files in a loop] *********************************************************',
      'ok: [web] => (item=a)',
      '--- before',
      '+++ after: /root/.ansible/tmp/ansible-local-1/tmp2',
      '@@ -0,0 +1 @@',
      '+a',
      '',
      'changed: [db] => (item=a)',
      '--- before',
      '+++ after: /root/.ansible/tmp/ansible-local-1/tmp3',
      '@@ -0,0 +1 @@',
      '+b',
      '',
      'changed: [db] => (item=b)',
      'changed: [web -> db] => (item=c)',
      '',
      'RUNNING HANDLER [reload nginx] *************************************************',
      'changed: [web]',
      '',
      'PLAY RECAP *********************************************************************',
      'db                         : ok=2    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
      '',
    ].join('\n');
    expect(parseChanges(out)).toEqual([
      {
        host: 'web',
        task: 'Message of the day',
        diff: '--- before: /etc/motd\n+++ after: /root/.ansible/tmp/ansible-local-1/tmp1\n@@ -1 +1,2 @@\n-old\n+hello web\n+line2',
      },
      {
        host: 'db',
        task: 'Files in a loop',
        diff:
          '--- before\n+++ after: /root/.ansible/tmp/ansible-local-1/tmp2\n@@ -0,0 +1 @@\n+a\n' +
          '--- before\n+++ after: /root/.ansible/tmp/ansible-local-1/tmp3\n@@ -0,0 +1 @@\n+b',
      },
      { host: 'web', task: 'Files in a loop', diff: null },
      { host: 'web', task: 'reload nginx', diff: null },
    ]);
    expect(parseChanges('PLAY RECAP ***\n')).toEqual([]);
  });
});

describe('parseRecap', () => {
  it('reads every host line of the PLAY RECAP', () => {
    const out = [
      'PLAY [x] ****',
      'changed: [web]',
      '',
      'PLAY RECAP *********************************************************************',
      'db.lab                     : ok=3    changed=0    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   ',
      'web.lab                    : ok=2    changed=2    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0   ',
      '',
    ].join('\n');
    expect(parseRecap(out)).toEqual([
      { host: 'db.lab', counts: { ok: 3, changed: 0, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 } },
      { host: 'web.lab', counts: { ok: 2, changed: 2, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 } },
    ]);
    expect(parseRecap('changed: [web]\n')).toEqual([]);
  });
});
