import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab } from '../test/harness';
import { createAgama, mysqlTarget, query } from '../test/mysql';
import { BusyError } from './errors';
import { targetState } from './sla';
import { RepositoryLockedError } from '../repository/restic';
import { start } from '../util/subprocess';

const WEEK = 7 * 86400;

describe('retention', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('agama_ret', 20);
    // A Monday noon, ten weeks ago: each backup below moves the injected clock (and restic --time).
    lab = makeLab({ targets: { mysql: mysqlTarget('agama_ret') }, start: new Date('2026-09-14T12:00:00') });
  });
  afterAll(() => lab.cleanup());

  it('keepWeekly: 4 keeps exactly the four newest weekly versions, and never the newest verified-good one', async () => {
    const times: string[] = [];
    for (let week = 0; week < 10; week++) {
      if (week === 1) {
        // A second backup in the same week: only the week's last one counts as its weekly version.
        const extra = await lab.engine.backup('mysql', 'test');
        expect(extra.status).toBe('success');
        lab.clock.advance(86400);
      }
      const o = await lab.engine.backup('mysql', 'test');
      expect(o.status).toBe('success');
      times.push(lab.clock.now.toISOString());
      if (week === 1) {
        // Verified in week 1: must survive however many weeks pass.
        expect((await lab.engine.verify('mysql', 'latest', 'test')).status).toBe('success');
      }
      lab.clock.advance(week === 1 ? WEEK - 86400 : WEEK);
    }
    const held = lab.engine.snapshots('mysql');
    const heldTimes = held.map((s) => s.time).sort();
    expect(heldTimes).toEqual([times[1], ...times.slice(6)].sort());
    const verifiedGood = held.find((s) => s.verification === 'passed')!;
    expect(verifiedGood.time).toBe(times[1]);
    // restic agrees with the catalog.
    const inRepo = await lab.engine.repository('main').snapshots(['target=mysql']);
    expect(inRepo.map((s) => s.id).sort()).toEqual(held.map((s) => s.id).sort());
  }, 240_000);

  it('never runs after a failed backup', async () => {
    const before = lab.engine.snapshots('mysql').map((s) => s.id);
    await query('DROP DATABASE agama_ret');
    lab.clock.advance(10 * WEEK);
    const o = await lab.engine.backup('mysql', 'test');
    expect(o.status).toBe('failed');
    expect(lab.engine.snapshots('mysql').map((s) => s.id)).toEqual(before);
  });
});

describe('one operation per target', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('agama_busy', 40000, 200);
    lab = makeLab({ targets: { mysql: mysqlTarget('agama_busy') } });
  });
  afterAll(() => lab.cleanup());

  it('a second operation on a busy target gets a clear busy error, and nothing is recorded for it', async () => {
    const first = lab.engine.backup('mysql', 'first');
    await new Promise((r) => setTimeout(r, 50));
    await expect(lab.engine.backup('mysql', 'second')).rejects.toThrow(BusyError);
    await expect(lab.engine.verify('mysql', 'latest', 'second')).rejects.toThrow(/no snapshot yet|busy/);
    await expect(lab.engine.forget('mysql', 'second')).rejects.toThrow(/^target mysql is busy: backup running since/);
    expect((await first).status).toBe('success');
    expect(lab.engine.catalog.runs({ target: 'mysql' }).map((r) => r.actor)).toEqual(['first']);
  });

  it('another live process holding the target is respected; a dead one is taken over', async () => {
    const lockFile = path.join(path.dirname(lab.engine.config.catalog), 'locks', 'mysql.lock');
    const sleeper = spawn('sleep', ['30']);
    writeFileSync(lockFile, JSON.stringify({ pid: sleeper.pid, operation: 'backup', since: new Date().toISOString() }));
    await expect(lab.engine.backup('mysql', 'test')).rejects.toThrow(new RegExp(`process ${sleeper.pid}`));
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.on('exit', r));
    expect((await lab.engine.backup('mysql', 'test')).status).toBe('success');
    expect(readdirSync(path.dirname(lockFile))).toEqual([]);
  });

  it('a live restic lock is respected, never broken', async () => {
    // A restic backup reading from a stdin that stays open holds a live lock on the repository.
    const repo = lab.engine.config.repositories.main;
    const holder = start(
      {
        command: 'restic',
        args: ['-r', repo.url, 'backup', '--stdin', '--stdin-filename', 'x'],
        env: { ...process.env, RESTIC_PASSWORD_FILE: repo.password.file },
      },
      { stdin: 'pipe' }
    );
    try {
      await new Promise((r) => setTimeout(r, 1500));
      // forget --prune needs an exclusive lock: it must fail naming the lock, and leave the lock.
      await expect(lab.engine.repository('main').forget(['0000000000'])).rejects.toThrow(RepositoryLockedError);
      expect(readdirSync(path.join(repo.url, 'locks')).length).toBe(1);
    } finally {
      holder.child.kill('SIGKILL');
      await holder.done.catch(() => undefined);
    }
  });
});

describe('copies and damage', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('agama_copy', 300);
    const sftpBase = process.env.BSLA_SFTP_REPO_BASE!;
    const name = `copy-${Date.now()}`;
    lab = makeLab({
      repositories: {
        main: { url: './repo', passwordFile: './repo.pass' },
        offsite: {
          url: `sftp:root@127.0.0.1:${sftpBase}/${name}`,
          passwordFile: './repo.pass',
          options: { 'sftp.command': process.env.BSLA_SFTP_COMMAND! },
        },
        broken: { url: 'rest:http://127.0.0.1:1/nothing', passwordFile: './repo.pass' },
      },
      targets: {
        mysql: mysqlTarget('agama_copy', { copies: ['offsite'] }),
        mysql2: mysqlTarget('agama_copy', { copies: ['offsite', 'broken'] }),
      },
    });
  });
  afterAll(() => lab.cleanup());

  it('copies each new snapshot to an sftp repository and records which copies hold it', async () => {
    const o = await lab.engine.backup('mysql', 'test');
    expect(o.status).toBe('success');
    expect(o.detail.copyErrors).toBeUndefined();
    const [snap] = lab.engine.snapshots('mysql');
    expect(snap.heldBy).toEqual(['main', 'offsite']);
    const remote = await lab.engine.repository('offsite').snapshots(['target=mysql']);
    expect(remote.map((s) => s.original)).toEqual([snap.id]);
    expect(targetState(lab.engine.config.targets.mysql, lab.engine.catalog, new Date()).checks.copies.level).toBe('ok');
  });

  it('an unreachable copy does not fail the backup but the SLA state says the copy is missing', async () => {
    const o = await lab.engine.backup('mysql2', 'test');
    expect(o.status).toBe('success');
    expect((o.detail.copyErrors as string[])[0]).toMatch(/^broken: repository broken: /);
    const state = targetState(lab.engine.config.targets.mysql2, lab.engine.catalog, new Date());
    expect(state.copiesHeld).toBe(1);
    expect(state.copiesRequired).toBe(2);
    expect(state.checks.copies.level).toBe('warning');
    expect(state.checks.copies.reason).toBe('copies missing the newest version: broken');
    expect(state.checks.copies.cause).toMatch(/^broken: repository broken/);
  });

  it('verify fails on a damaged repository, and restic check says so', async () => {
    const repoDir = lab.engine.config.repositories.main.url;
    const packs: string[] = [];
    const walk = (d: string) =>
      readdirSync(d, { withFileTypes: true }).forEach((e) =>
        e.isDirectory() ? walk(path.join(d, e.name)) : packs.push(path.join(d, e.name))
      );
    walk(path.join(repoDir, 'data'));
    for (const p of packs) {
      const buf = readFileSync(p);
      for (let i = 0; i < Math.min(buf.length, 4096); i += 7) {
        buf[i] ^= 0xff;
      }
      writeFileSync(p, buf);
      expect(statSync(p).size).toBe(buf.length);
    }
    const v = await lab.engine.verify('mysql', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(/^verification failed: /);
    expect(lab.engine.snapshots('mysql')[0].verification).toBe('failed');
    await expect(lab.engine.repository('main').check(true)).rejects.toThrow(/repository main: /);
  });
});
