import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeLab, Lab } from '../test/harness';
import { pidsMatching } from '../test/process';
import { targetState } from '../engine/sla';
import { ConfigError } from '../config/load';

const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'agama');
const DAY = 86400;

/** The lab's way of serving AGAMA: Debian's uWSGI with its python3 plugin, from the restored copy. */
const uwsgiSmoke = (extra: Record<string, unknown> = {}) => ({
  command: [
    'uwsgi',
    '--plugin',
    'python3',
    '--http-socket',
    '127.0.0.1:{port}',
    '--chdir',
    '{dir}',
    '--wsgi-file',
    'agama.py',
    '--callable',
    'app',
    '--master',
    '--processes',
    '2',
    '--die-on-term',
    '--need-app',
  ],
  url: 'http://127.0.0.1:{port}/',
  expectStatus: 200,
  expectBody: 'AGAMA v',
  timeout: '30s',
  env: { AGAMA_DATABASE_URI: 'sqlite:///{tmp}/agama.db' },
  ...extra,
});

function setVersion(app: string, version: string): void {
  const file = path.join(app, 'agama.py');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/AGAMA v[0-9.]+/g, `AGAMA ${version}`));
}

describe('files target (AGAMA): versions, verification, restore', () => {
  let lab: Lab;
  let app: string;
  // afterRestore runs where the service runs: give it an absolute path to touch.
  const restarted = path.join(os.tmpdir(), `bsla-agama-restarted-${process.pid}-${Date.now()}`);

  beforeAll(() => {
    lab = makeLab({
      targets: {
        agama: {
          kind: 'files',
          source: {
            paths: ['./srv/agama'],
            versionFrom: { file: './srv/agama/agama.py', pattern: 'AGAMA (v[0-9.]+)' },
          },
          verify: { smoke: uwsgiSmoke() },
          afterRestore: ['touch', restarted],
        },
      },
    });
    app = path.join(lab.dir, 'srv', 'agama');
    mkdirSync(path.dirname(app), { recursive: true });
    cpSync(FIXTURE, app, { recursive: true });
  });
  afterAll(() => {
    lab.cleanup();
    rmSync(restarted, { force: true });
  });

  it('has the SLA defaults: no RPO (current version held), last 2 versions, RTO 5 min', () => {
    const t = lab.engine.target('agama');
    expect(t.rpoSeconds).toBeNull();
    expect(t.rtoSeconds).toBe(300);
    expect(t.retention).toEqual({ keepLast: 2 });
    expect(t.schedule).toMatch(/^\d+ \d+ \* \* \*$/);
  });

  it('takes the version from agama.py and saves only when it changes', async () => {
    const b = await lab.engine.backup('agama', 'test');
    expect(b.status).toBe('success');
    const [snap] = lab.engine.snapshots('agama');
    expect(snap.version).toBe('v0.2');
    expect(snap.metadata).toMatchObject({ files: 3, pythonFiles: 2, versionFrom: 'pattern' });
    expect(targetState(lab.engine.target('agama'), lab.engine.catalog, lab.clock.now).checks.fresh).toEqual({
      level: 'ok',
      reason: 'current version held',
    });

    lab.clock.advance(DAY);
    expect(await lab.engine.backup('agama', 'test')).toMatchObject({
      status: 'unchanged',
      detail: { version: 'v0.2' },
    });
    // Bytecode caches written by the running app are not content.
    mkdirSync(path.join(app, '__pycache__'));
    writeFileSync(path.join(app, '__pycache__', 'agama.cpython-311.pyc'), 'cache');
    expect((await lab.engine.backup('agama', 'test')).status).toBe('unchanged');
    expect(lab.engine.snapshots('agama')).toHaveLength(1);

    lab.clock.advance(DAY);
    setVersion(app, 'v0.3');
    const b3 = await lab.engine.backup('agama', 'test');
    expect(b3).toMatchObject({ status: 'success', detail: { version: 'v0.3' } });
    lab.clock.advance(DAY);
    setVersion(app, 'v0.4');
    expect((await lab.engine.backup('agama', 'test')).status).toBe('success');
    // Last two versions only.
    expect(lab.engine.snapshots('agama').map((s) => s.version)).toEqual(['v0.4', 'v0.3']);
  });

  it('verification compiles every .py with the system Python and smoke-runs the restored app under uWSGI', async () => {
    const v = await lab.engine.verify('agama', 'latest', 'test');
    expect(v.error).toBeNull();
    expect(v.detail.result).toMatch(
      /^3 files match; version v0\.4; 2 \.py files compile; smoke run: http:\/\/127\.0\.0\.1:\d+\/ answered 200$/
    );
    expect(pidsMatching('uwsgi', lab.dir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('verification fails on a .py that does not compile', async () => {
    writeFileSync(path.join(app, 'broken.py'), 'def index(:\n    return 1\n');
    setVersion(app, 'v0.5');
    lab.clock.advance(DAY);
    expect((await lab.engine.backup('agama', 'test')).status).toBe('success');
    const v = await lab.engine.verify('agama', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(
      /^verification failed: py_compile failed for 1 of 3 \.py files: agama\/broken\.py: SyntaxError: /
    );
    unlinkSync(path.join(app, 'broken.py'));
  });

  it('verification fails when the app does not start', async () => {
    writeFileSync(path.join(app, 'agama_items.py'), 'import flask_does_not_exist\n');
    setVersion(app, 'v0.6');
    lab.clock.advance(DAY);
    expect((await lab.engine.backup('agama', 'test')).status).toBe('success');
    const v = await lab.engine.verify('agama', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(
      /^verification failed: smoke run: the app stopped before answering http:\/\/127\.0\.0\.1:\d+\/: /
    );
    expect(pidsMatching('uwsgi', lab.dir)).toEqual([]);
    cpSync(path.join(FIXTURE, 'agama_items.py'), path.join(app, 'agama_items.py'));
  });

  it('restores the version in place, keeps what was there aside, and runs afterRestore', async () => {
    const good = lab.engine.snapshots('agama').find((s) => s.version === 'v0.4')!;
    // Damage that keeps the version line: the safety backup saves the damaged files as they are
    // (a snapshot of its own, not a version), and what was there is moved aside too.
    unlinkSync(path.join(app, 'agama_items.py'));
    const r = await lab.engine.restore('agama', { snapshot: good.id, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    // The state before the restore is a safety snapshot of its own, even when it equals a version.
    expect(r.detail.safetySnapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.detail.location).toBe(app);
    expect(readFileSync(path.join(app, 'agama_items.py'), 'utf8')).toBe(
      readFileSync(path.join(FIXTURE, 'agama_items.py'), 'utf8')
    );
    expect(readFileSync(path.join(app, 'agama.py'), 'utf8')).toContain('AGAMA v0.4');
    expect(existsSync(restarted)).toBe(true);
    expect(r.detail.result).toBe(
      `version v0.4; the previous files were moved to ${path.join(
        path.dirname(app),
        readdirSync(path.dirname(app)).find((n) => n.startsWith('agama.before-restore-'))!
      )}; ran touch`
    );
    const asides = readdirSync(path.dirname(app)).filter((n) => n.startsWith('agama.before-restore-'));
    expect(asides).toHaveLength(1);
    expect(existsSync(path.join(path.dirname(app), asides[0], 'agama_items.py'))).toBe(false);
    expect(readdirSync(path.dirname(app)).filter((n) => n.includes('.restoring-'))).toEqual([]);
  });

  it('an application whose version line is gone is not saved over good versions; a restore still puts it right', async () => {
    const held = lab.engine.snapshots('agama').map((s) => s.id);
    writeFileSync(path.join(app, 'agama.py'), 'garbage from a failed download\n');
    const b = await lab.engine.backup('agama', 'test');
    expect(b.status).toBe('failed');
    expect(b.error).toMatch(
      /^version pattern \/AGAMA \(v\[0-9\.\]\+\)\/ not found in .*agama\.py: the application looks changed or damaged, nothing saved/
    );
    expect(lab.engine.snapshots('agama').map((s) => s.id)).toEqual(held);

    const withSafety = await lab.engine.restore('agama', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(withSafety.status).toBe('failed');
    expect(withSafety.error).toMatch(
      /^safety backup failed, nothing was restored: version pattern .* \(restore without a safety backup to go on\)$/
    );
    const r = await lab.engine.restore('agama', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(r.status).toBe('success');
    expect(readFileSync(path.join(app, 'agama.py'), 'utf8')).toContain('AGAMA v0.6');
  });

  it('restores into another directory with `to`, refusing a non-empty one', async () => {
    const to = path.join(lab.dir, 'copy');
    const r = await lab.engine.restore('agama', { snapshot: 'latest', to, safetyBackup: true }, 'test');
    expect(r.status).toBe('success');
    expect(readdirSync(path.join(to, 'agama')).sort()).toEqual(['README.md', 'agama.py', 'agama_items.py']);
    const again = await lab.engine.restore('agama', { snapshot: 'latest', to, safetyBackup: true }, 'test');
    expect(again.error).toBe(
      `directory ${to} is not empty; choose another or force (it is then moved aside, never deleted)`
    );
    const forced = await lab.engine.restore(
      'agama',
      { snapshot: 'latest', to, safetyBackup: true, force: true },
      'test'
    );
    expect(forced.status).toBe('success');
    expect(readdirSync(lab.dir).filter((n) => n.startsWith('copy.before-restore-'))).toHaveLength(1);
  });
});

describe('files target without versionFrom: the content hash is the version', () => {
  let lab: Lab;
  let app: string;
  beforeAll(() => {
    lab = makeLab({
      targets: {
        agama: {
          kind: 'files',
          source: { paths: ['./agama', './agama.ini'] },
          // The app's own development server, as in backup-sla.example.yaml; a database it cannot use.
          verify: {
            smoke: {
              command: ['/usr/bin/python3', '{dir}/agama.py'],
              url: 'http://127.0.0.1:{port}/',
              timeout: '5s',
              env: { AGAMA_DATABASE_URI: 'mysql://nowhere/agama', AGAMA_PORT: '{port}' },
            },
          },
        },
      },
    });
    app = path.join(lab.dir, 'agama');
    cpSync(FIXTURE, app, { recursive: true });
    writeFileSync(path.join(lab.dir, 'agama.ini'), '[uwsgi]\nmodule = agama:app\n');
  });
  afterAll(() => lab.cleanup());

  it('saves a new version only when a file changes', async () => {
    const b = await lab.engine.backup('agama', 'test');
    expect(b.status).toBe('success');
    expect(b.detail.version).toMatch(/^[0-9a-f]{12}$/);
    expect(lab.engine.snapshots('agama')[0].metadata).toMatchObject({ files: 4, versionFrom: 'content' });
    lab.clock.advance(DAY);
    expect((await lab.engine.backup('agama', 'test')).status).toBe('unchanged');
    writeFileSync(path.join(lab.dir, 'agama.ini'), '[uwsgi]\nmodule = agama:app\nprocesses = 4\n');
    const b2 = await lab.engine.backup('agama', 'test');
    expect(b2.status).toBe('success');
    expect(b2.detail.version).not.toBe(b.detail.version);
  });

  it('the smoke run fails when the app answers an error instead of 200', async () => {
    const v = await lab.engine.verify('agama', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(
      /^verification failed: smoke run: http:\/\/127\.0\.0\.1:\d+\/ did not answer 200 within 5 s \(last: HTTP 500\)$/
    );
    expect(pidsMatching('agama.py', lab.dir)).toEqual([]);
  });

  it('restores each path to where it was, after a safety backup of the current files', async () => {
    writeFileSync(path.join(lab.dir, 'agama.ini'), 'broken\n');
    const r = await lab.engine.restore('agama', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.status).toBe('success');
    expect(r.detail.safetySnapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(path.join(lab.dir, 'agama.ini'), 'utf8')).toContain('processes = 4');
  });

  it('restores a deleted application (without a safety backup: there is nothing to save)', async () => {
    rmSync(app, { recursive: true });
    writeFileSync(path.join(lab.dir, 'agama.ini'), 'broken\n');
    const refused = await lab.engine.restore('agama', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(refused.error).toBe(
      `safety backup failed, nothing was restored: path ${app} does not exist (restore without a safety backup to go on)`
    );
    expect(readFileSync(path.join(lab.dir, 'agama.ini'), 'utf8')).toBe('broken\n');
    const latest = lab.engine.snapshots('agama').find((s) => !s.safety)!;
    const r = await lab.engine.restore('agama', { snapshot: latest.id, safetyBackup: false }, 'test');
    expect(r.status).toBe('success');
    expect(r.detail.location).toBe(`${app}, ${path.join(lab.dir, 'agama.ini')}`);
    expect(readFileSync(path.join(app, 'agama.py'), 'utf8')).toContain('AGAMA v0.2');
    expect(readFileSync(path.join(lab.dir, 'agama.ini'), 'utf8')).toContain('processes = 4');
    expect(readdirSync(lab.dir).filter((n) => n.startsWith('agama.ini.before-restore-'))).toHaveLength(2);
  });
});

describe('files target configuration', () => {
  it('rejects a pattern without a capture group and a version file outside the paths', () => {
    let error: unknown;
    try {
      makeLab({
        targets: {
          agama: {
            kind: 'files',
            source: { paths: ['./a'], versionFrom: { file: './b/agama.py', pattern: 'AGAMA v[0-9.]+' } },
          },
          twice: { kind: 'files', source: { paths: ['./a/app', './b/app'] } },
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    rmSync(path.dirname((error as ConfigError).file), { recursive: true, force: true }); // the lab never opened
    expect((error as ConfigError).problems).toEqual([
      'targets.agama.source.versionFrom.pattern: must be a regular expression with one capture group, e.g. "AGAMA (v[0-9.]+)"',
      'targets.agama.source.versionFrom.file: must be one of the paths or inside one of them',
      "targets.twice.source.paths.1: another path is also named 'app': names must differ",
    ]);
  });
});
