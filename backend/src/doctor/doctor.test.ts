/**
 * `backup-sla doctor` and GET /api/doctor on a real lab: restic, the kind's tools, the repository
 * (missing, right password, wrong password: never initialised by the doctor), free space, secret
 * files and tokens; exit 1 when a check fails.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, buildIfStale } from '../test/daemon';
import { auth, json, makeServiceLab, request, ServiceLab } from '../test/service';
import type { DoctorReport } from './doctor';

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const line = (out: string, name: string) =>
  out.split('\n').find((l) => l.slice(11).startsWith(name)) ?? `(no line ${name})`;

describe('backup-sla doctor', () => {
  let s: ServiceLab;
  const args = () => ['--config', s.lab.configFile, 'doctor'];

  beforeAll(async () => {
    buildIfStale();
    s = await makeServiceLab({
      targets: { app: { kind: 'files', source: { paths: ['./app'] }, verify: { schedule: null } } },
    });
    mkdirSync(path.join(s.lab.dir, 'app'));
    writeFileSync(path.join(s.lab.dir, 'app', 'index.html'), 'app\n');
  });
  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
  });

  it('before the first backup: the repository is not there yet (a warning), and the doctor does not create it', async () => {
    const r = await cli(args());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('service');
    expect(line(r.stdout, 'configuration')).toMatch(/^ {2}OK {7}configuration +.*backup-sla\.yaml: valid/);
    expect(line(r.stdout, 'api tokens')).toMatch(/OK .*3 tokens, each of 32 characters or more, all different/);
    expect(line(r.stdout, 'work directory')).toMatch(/^ {2}(OK|WARNING) .* free at /);
    expect(r.stdout).toContain('\napp (files)\n');
    expect(line(r.stdout, 'restic')).toMatch(/^ {2}OK {7}restic +0\.1\d\.\d+$/);
    expect(line(r.stdout, 'repository main')).toMatch(/WARNING .*no repository there yet: the first backup creates it/);
    expect(line(r.stdout, 'secret files')).toMatch(/OK .*1 file, private \(0600\)/);
    // The kind's own checks: its paths and the tools it runs, with their versions.
    expect(line(r.stdout, `path ${path.join(s.lab.dir, 'app')}`)).toMatch(/OK .*exists and is readable/);
    expect(line(r.stdout, 'python')).toMatch(/OK .*python3 version 3\./);
    expect(r.stdout.trim().split('\n').pop()).toBe('doctor: warning');
    expect(existsSync(path.join(s.lab.dir, 'repo'))).toBe(false);
  });

  it('after a backup the repository opens; with a wrong password it fails, exit 1', async () => {
    expect((await s.lab.engine.backup('app', 'test')).status).toBe('success');
    const ok = await cli([...args(), '--json']);
    const report = JSON.parse(ok.stdout) as DoctorReport;
    const app = report.sections.find((x) => x.target === 'app')!;
    expect(app.checks.find((c) => c.name === 'repository main')).toEqual({
      name: 'repository main',
      level: 'ok',
      detail: 'reachable; the password opens it',
    });
    expect(app.checks.find((c) => c.name === 'free space main')!.level).toMatch(/^(ok|warning)$/);

    const wrong = makeWrongPasswordConfig(s.lab.dir, s.lab.configFile);
    const r = await cli(['--config', wrong, 'doctor']);
    expect(r.code).toBe(1);
    expect(line(r.stdout, 'repository main')).toMatch(/FAILED .*the password does not open it/);
    expect(r.stdout.trim().split('\n').pop()).toBe('doctor: failed');
  });

  it('a missing tool fails with what to install', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'bsla-path-'));
    try {
      // Nothing on PATH: restic is missing (the files kind finds its Python by absolute path).
      const r = await cli(args(), { PATH: bin });
      expect(r.code).toBe(1);
      expect(line(r.stdout, 'restic')).toBe('  FAILED   restic                 not installed (apt-get install restic)');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('GET /api/doctor: the same report for Admins (admin token); weaker roles 403', async () => {
    const res = await request(s.service.address!, { method: 'GET', url: '/api/doctor', headers: auth('admin') });
    expect(res.statusCode).toBe(200);
    const report = json<DoctorReport>(res);
    expect(report.sections.map((x) => x.target)).toEqual([null, 'app']);
    expect(report.sections[1].checks.map((c) => c.name)).toEqual([
      'restic',
      'repository main',
      'free space main',
      'secret files',
      `path ${path.join(s.lab.dir, 'app')}`,
      'python',
    ]);
    for (const role of ['viewer', 'operator'] as const) {
      expect(
        (await request(s.service.address!, { method: 'GET', url: '/api/doctor', headers: auth(role) })).statusCode
      ).toBe(403);
    }
  });
});

/** A copy of the lab's config whose repository password is another one. */
function makeWrongPasswordConfig(dir: string, configFile: string): string {
  writeFileSync(path.join(dir, 'wrong.pass'), 'not-the-repository-password\n', { mode: 0o600 });
  const file = path.join(dir, 'wrong.yaml');
  writeFileSync(file, readFileSync(configFile, 'utf8').replace('./repo.pass', './wrong.pass'));
  return file;
}
