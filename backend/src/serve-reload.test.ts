/**
 * The daemon as systemd runs it: progress of long work in its log (journald) every few seconds,
 * and `systemctl reload backup-sla` (SIGHUP) taking a new configuration without interrupting the
 * backup that is running; a broken configuration is refused and the running one stays.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { makeLab, Lab } from './test/harness';
import { createAgama, mysqlTarget } from './test/mysql';
import { pidsMatching, waitFor } from './test/process';
import { buildIfStale, startDaemon } from './test/daemon';
import { apiLabOptions, auth, json, request, TOKENS } from './test/service';

const DB = 'agama_reload_test';

function freshLab(): Lab {
  const lab = makeLab(apiLabOptions({ targets: { mysql: mysqlTarget(DB, { verify: { schedule: null } }) } }));
  const id = lab.engine.catalog.startRun('mysql', 'backup', 'seed', new Date());
  lab.engine.catalog.finishRun(id, new Date(), { status: 'unchanged' });
  return lab;
}

describe('backup-sla serve under systemd', () => {
  beforeAll(async () => {
    buildIfStale();
    await createAgama(DB, 20_000, 50);
  }, 300_000);

  it('logs progress every few seconds while a backup runs, even when the phase reports nothing', async () => {
    const lab = freshLab();
    const d = await startDaemon(lab.configFile, { BACKUP_SLA_PROGRESS_INTERVAL: '1' });
    try {
      const res = await request(d.address, {
        method: 'POST',
        url: '/api/targets/mysql/backup',
        headers: auth('operator'),
        payload: {},
      });
      const runId = json(res).runId;
      await waitFor(() => pidsMatching('mariadb-dump', DB).length > 0, 20_000, 'the dump to start');
      const dumps = pidsMatching('mariadb-dump', DB);
      dumps.forEach((pid) => process.kill(pid, 'SIGSTOP'));
      const before = d.lines.filter((l) => l.run === runId && l.phase).length;
      await new Promise((r) => setTimeout(r, 3500));
      dumps.forEach((pid) => process.kill(pid, 'SIGCONT'));
      const during = d.lines.filter((l) => l.run === runId && l.phase);
      // Held still for 3.5 s with a 1 s interval: at least two more lines, each saying where it is.
      expect(during.length - before).toBeGreaterThanOrEqual(2);
      expect(during[during.length - 1]).toMatchObject({ target: 'mysql', operation: 'backup', level: 30 });
      expect(during[during.length - 1].msg).toMatch(/^mysql backup: (still )?[a-z ]+/);
      await waitFor(() => lab.engine.catalog.run(runId)?.status !== 'running', 60_000, 'the backup to end');
      expect(lab.engine.catalog.run(runId)!.status).toBe('success');
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
      lab.cleanup();
    }
  });

  it('SIGHUP takes a new configuration and new tokens while a backup runs; the backup goes on', async () => {
    const lab = freshLab();
    const d = await startDaemon(lab.configFile);
    try {
      const res = await request(d.address, {
        method: 'POST',
        url: '/api/targets/mysql/backup',
        headers: auth('operator'),
        payload: {},
      });
      const runId = json(res).runId;
      await waitFor(() => pidsMatching('mariadb-dump', DB).length > 0, 20_000, 'the dump to start');
      const dumps = pidsMatching('mariadb-dump', DB);
      dumps.forEach((pid) => process.kill(pid, 'SIGSTOP'));

      // A broken configuration first: refused, the running one stays.
      const good = readFileSync(lab.configFile, 'utf8');
      writeFileSync(lab.configFile, good.replace('kind: mysql', 'kind: mysqlx'));
      d.child.kill('SIGHUP');
      await waitFor(() => d.lines.some((l) => l.msg?.startsWith('reload refused')), 10_000, 'the refusal');
      expect(d.lines.find((l) => l.msg?.startsWith('reload refused'))!.problems[0]).toMatch(
        /targets\.mysql\.kind: unknown kind 'mysqlx'/
      );

      // Then a good one: a second target, another RTO, and a rotated viewer token.
      const config = YAML.parse(good);
      config.targets.mysql.rto = '7m';
      config.targets.other = mysqlTarget(`${DB}_other`, { verify: { schedule: null }, schedule: '0 0 1 1 *' });
      writeFileSync(lab.configFile, YAML.stringify(config));
      const rotated = 'viewer-rotated-7d6c5b4a39281706f5e4d3c2b1a0';
      writeFileSync(path.join(lab.dir, 'viewer.token'), `${rotated}\n`, { mode: 0o600 });
      d.child.kill('SIGHUP');
      await waitFor(() => d.lines.some((l) => l.msg === 'configuration reloaded'), 10_000, 'the reload');

      const status = await request(d.address, {
        method: 'GET',
        url: '/api/status',
        headers: { authorization: `Bearer ${rotated}` },
      });
      expect(status.statusCode).toBe(200);
      const targets = json(status).targets as Array<{ name: string; policy: { rtoSeconds: number } }>;
      expect(targets.map((t) => t.name).sort()).toEqual(['mysql', 'other']);
      expect(targets.find((t) => t.name === 'mysql')!.policy.rtoSeconds).toBe(420);
      const old = await request(d.address, { method: 'GET', url: '/api/status', headers: auth('viewer') });
      expect(old.statusCode).toBe(401);
      expect(TOKENS.viewer).not.toBe(rotated);

      // The backup was not interrupted: it is still running, and finishes with its snapshot.
      expect(lab.engine.catalog.run(runId)!.status).toBe('running');
      dumps.forEach((pid) => process.kill(pid, 'SIGCONT'));
      await waitFor(() => lab.engine.catalog.run(runId)?.status !== 'running', 60_000, 'the backup to end');
      const run = lab.engine.catalog.run(runId)!;
      expect({ status: run.status, error: run.error }).toEqual({ status: 'success', error: null });
      expect(d.child.exitCode).toBeNull();
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
      lab.cleanup();
    }
  });
});
