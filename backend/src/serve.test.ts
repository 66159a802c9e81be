/**
 * The daemon as users run it: `node backend/bin/backup-sla.js serve` in its own process, real
 * MariaDB and restic, requests over TCP. SIGTERM during a backup stops it cleanly: the process exits
 * 0, the run is recorded as finished, no lock is left and restic holds no partial snapshot.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { makeLab, Lab, resticSnapshots, runTag } from './test/harness';
import { createAgama, mysqlTarget } from './test/mysql';
import { pidsMatching, waitFor } from './test/process';
import { BIN, Daemon, startDaemon as spawnDaemon } from './test/daemon';
import { apiLabOptions, auth, json, request } from './test/service';
import { loadConfig } from './config/load';
import { startService } from './serve';
import { ConfigError } from './config/load';

const ROOT = path.resolve(__dirname, '../..');
const DB = 'agama_serve_test';

/** The built daemon, announcing its API and metrics addresses. */
async function startDaemon(lab: Lab, env: Record<string, string> = {}): Promise<Daemon> {
  const d = await spawnDaemon(lab.configFile, env);
  expect(d.ready.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
  expect(d.ready.metrics).toBe(d.ready.api.replace(/\/api$/, '/metrics'));
  return d;
}

/** What must hold after any stop: no lock of ours, no restic lock, restic holds exactly what the catalog holds. */
async function expectClean(lab: Lab) {
  const locks = path.join(path.dirname(lab.engine.config.catalog), 'locks');
  expect(existsSync(locks) ? readdirSync(locks) : []).toEqual([]);
  // A restic killed while writing its lock leaves `<id>-tmp-<n>`: not a lock (restic never reads
  // it), only the write that did not finish.
  expect(readdirSync(path.join(lab.dir, 'repo', 'locks')).filter((f) => !f.includes('-tmp-'))).toEqual([]);
  const inRestic = (await resticSnapshots(lab)).map((s) => s.id).sort();
  const inCatalog = lab.engine
    .snapshots('mysql')
    .map((s) => s.id)
    .sort();
  expect(inRestic).toEqual(inCatalog);
  expect(lab.engine.catalog.runningRuns()).toEqual([]);
}

/**
 * A lab whose targets were backed up just now (as far as the catalog knows), so that the daemon's
 * catch-up at start has nothing to do and the backup under test is the one asked for over HTTP.
 */
function freshLab(targets: string[]): Lab {
  const lab = makeLab(
    apiLabOptions({
      targets: Object.fromEntries(targets.map((t) => [t, mysqlTarget(DB, { verify: { schedule: null } })])),
    })
  );
  for (const t of targets) {
    const id = lab.engine.catalog.startRun(t, 'backup', 'seed', new Date());
    lab.engine.catalog.finishRun(id, new Date(), { status: 'unchanged' });
  }
  return lab;
}

async function startBackup(d: Daemon): Promise<number> {
  const res = await request(d.address, {
    method: 'POST',
    url: '/api/targets/mysql/backup',
    headers: auth('operator'),
    payload: {},
  });
  expect(res.statusCode).toBe(202);
  return json(res).runId;
}

async function whileRunning(d: Daemon, runId: number, phases: RegExp) {
  await waitFor(
    async () => {
      const r = json(await request(d.address, { method: 'GET', url: `/api/runs/${runId}`, headers: auth('viewer') }));
      return r.status === 'running' && phases.test(r.phase ?? '');
    },
    30_000,
    `run ${runId} to be in phase ${phases}`
  );
}

describe('backup-sla serve', () => {
  beforeAll(async () => {
    // The daemon runs from the build, as users run it.
    execFileSync('npm', ['run', 'build', '-w', 'backend'], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
    // Big enough that a backup takes a few seconds (about 40 MB of dump).
    await createAgama(DB, 150_000, 250);
  }, 400_000);

  it('SIGTERM during a backup: the backup finishes, new work is refused meanwhile, exit 0, nothing left behind', async () => {
    const lab = freshLab(['mysql', 'other']);
    try {
      const d = await startDaemon(lab);
      const runId = await startBackup(d);
      await whileRunning(d, runId, /dumping|uploading/);
      d.child.kill('SIGTERM');
      await waitFor(() => d.lines.some((l) => /^shutting down/.test(l.msg)), 10_000, 'the shutdown to begin');
      const refused = await request(d.address, {
        method: 'POST',
        url: '/api/targets/other/backup',
        headers: auth('operator'),
        payload: {},
      });
      expect(refused.statusCode).toBe(409);
      expect(json(refused).message).toMatch(/shutting down/);
      expect(await d.exited).toEqual({ code: 0, signal: null });
      expect(d.lines.map((l) => l.msg)).toContain('stopped');

      const r = lab.engine.catalog.run(runId)!;
      expect(r.status).toBe('success');
      expect(r.snapshotId).toMatch(/^[0-9a-f]{64}$/);
      await expectClean(lab);
      expect(lab.engine.snapshots('mysql')).toHaveLength(1);
    } finally {
      lab.cleanup();
    }
  });

  it('SIGTERM with a short grace: the backup is aborted, recorded as failed, its partial snapshot and locks are gone', async () => {
    const lab = freshLab(['mysql']);
    try {
      const d = await startDaemon(lab, { BACKUP_SLA_SHUTDOWN_GRACE: '1s' });
      const runId = await startBackup(d);
      await whileRunning(d, runId, /uploading/);
      // Hold the dump still, so that the backup surely outlasts the grace and is aborted.
      pidsMatching('mariadb-dump', DB).forEach((pid) => process.kill(pid, 'SIGSTOP'));
      d.child.kill('SIGTERM');
      expect(await d.exited).toEqual({ code: 0, signal: null });
      const r = lab.engine.catalog.run(runId)!;
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/^aborted/);
      await expectClean(lab);
      expect(lab.engine.snapshots('mysql')).toEqual([]);
      expect((await resticSnapshots(lab)).filter((s) => s.tags.includes(runTag(lab, runId)))).toEqual([]);
    } finally {
      lab.cleanup();
    }
  });

  it('refuses to start without an api section, naming the file and the field', async () => {
    const lab = makeLab({ targets: { mysql: mysqlTarget(DB) } });
    try {
      const config = loadConfig(lab.configFile);
      await expect(startService(config, { listen: false })).rejects.toThrow(ConfigError);
      await expect(startService(config, { listen: false })).rejects.toThrow(
        `${lab.configFile}: api: is required by \`serve\``
      );
      const out = spawn(process.execPath, [BIN, '--config', lab.configFile, 'serve'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      out.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => out.on('exit', resolve));
      expect(code).toBe(3);
      expect(stderr.trim()).toBe(
        `backup-sla: ${lab.configFile}: api: is required by \`serve\` (listen address and the token files of viewer, operator and admin)`
      );
    } finally {
      lab.cleanup();
    }
  });
});
