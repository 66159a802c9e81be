import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { changeRecordedMetadata, makeLab, Lab, resticSnapshots } from '../test/harness';
import { pidsMatching } from '../test/process';
import { targetState } from '../engine/sla';
import { ConfigError } from '../config/load';
import { run } from '../util/subprocess';
import { AGAMA_FIXTURE, BOTH_FORMS, install, uwsgiSmoke } from '../test/agama';
import { filesDriver } from './files';
import { contentHash, treeEntries, walk } from './kit/tree';

const DAY = 86400;
/** The pattern that matched the v0.2 footer only (what the example had before v0.3 came out). */
const OLD_FORM = 'AGAMA (v[0-9.]+)';

function asides(dir: string, name: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`${name}.before-restore-`));
}

function stagings(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.restoring-'));
}

describe('files target (AGAMA): content versions, labels, verification under uWSGI, restores', () => {
  let lab: Lab;
  let app: string;
  // afterRestore runs where the service runs: give it an absolute path to touch.
  const restarted = path.join(os.tmpdir(), `bsla-agama-restarted-${process.pid}-${Date.now()}`);

  beforeAll(() => {
    lab = makeLab({
      targets: {
        agama: {
          kind: 'files',
          source: { paths: ['./srv/agama'], versionFrom: { file: './srv/agama/agama.py', pattern: BOTH_FORMS } },
          verify: { smoke: uwsgiSmoke() },
          afterRestore: ['touch', restarted],
        },
        // The same application under the pattern that only knew the v0.2 footer.
        oldform: {
          kind: 'files',
          source: { paths: ['./srv/agama'], versionFrom: { file: './srv/agama/agama.py', pattern: OLD_FORM } },
          verify: { smoke: uwsgiSmoke() },
        },
      },
    });
    app = path.join(lab.dir, 'srv', 'agama');
    install(app, 'v0.2');
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

  it('the content identifies a version, labelled from the footer; unchanged content saves nothing', async () => {
    const b = await lab.engine.backup('agama', 'test');
    expect(b.error).toBeNull();
    const [snap] = lab.engine.snapshots('agama');
    expect(snap.version).toMatch(/^v0\.2-[0-9a-f]{8}$/);
    expect(snap.metadata).toMatchObject({ files: 1, pythonFiles: 1, label: 'v0.2', labelWarning: null });
    expect(lab.engine.contents(snap)!.summary).toMatch(/^version v0\.2: 1 files \(1 \.py\), \d+ bytes$/);
    expect(targetState(lab.engine.target('agama'), lab.engine.catalog, lab.clock.now).checks.fresh).toEqual({
      level: 'ok',
      reason: 'current version held',
    });

    lab.clock.advance(DAY);
    expect(await lab.engine.backup('agama', 'test')).toMatchObject({
      status: 'unchanged',
      detail: { version: snap.version },
    });
    // Bytecode caches written by the running app are not content.
    mkdirSync(path.join(app, '__pycache__'));
    writeFileSync(path.join(app, '__pycache__', 'agama.cpython-311.pyc'), 'cache');
    expect((await lab.engine.backup('agama', 'test')).status).toBe('unchanged');

    // A hotfix that keeps the label is another version: same label, other content.
    lab.clock.advance(DAY);
    writeFileSync(path.join(app, 'agama.py'), `${readFileSync(path.join(app, 'agama.py'), 'utf8')}# hotfix\n`);
    const hotfix = await lab.engine.backup('agama', 'test');
    expect(hotfix.status).toBe('success');
    expect(hotfix.detail.version).toMatch(/^v0\.2-[0-9a-f]{8}$/);
    expect(hotfix.detail.version).not.toBe(snap.version);
  });

  it('a new upstream release whose footer changed form: saved, labelled where the pattern knows it, a warning where not', async () => {
    lab.clock.advance(DAY);
    install(app, 'v0.3');
    const b = await lab.engine.backup('agama', 'test');
    expect(b.error).toBeNull();
    expect(b.detail.version).toMatch(/^v0\.3-[0-9a-f]{8}$/);
    // Last two versions only: v0.3 and the v0.2 hotfix.
    expect(lab.engine.snapshots('agama').map((s) => s.version!.slice(0, 4))).toEqual(['v0.3', 'v0.2']);

    // The old pattern no longer matches the v0.3 footer: never a failed backup, a warning instead.
    const old = await lab.engine.backup('oldform', 'test');
    expect(old.error).toBeNull();
    expect(old.status).toBe('success');
    expect(old.detail.version).toMatch(/^[0-9a-f]{12}$/);
    const [snap] = lab.engine.snapshots('oldform');
    expect(snap.metadata).toMatchObject({ label: null });
    expect(snap.metadata!.labelWarning).toBe(
      `version pattern /${OLD_FORM}/ not found in ${path.join(app, 'agama.py')}: the version is named by its content hash (a new release may write its version in another form: adjust versionFrom)`
    );
    expect(lab.engine.contents(snap)!.summary).toContain('version pattern');
  });

  it('verification compiles agama.py with the system Python and runs it under uWSGI on a scratch SQLite database', async () => {
    const v = await lab.engine.verify('agama', 'latest', 'test');
    expect(v.error).toBeNull();
    expect(v.detail.result).toMatch(
      /^1 files match; version v0\.3; 1 \.py files compile; smoke run: http:\/\/127\.0\.0\.1:\d+\/ answered 200$/
    );
    expect(pidsMatching('uwsgi', lab.dir)).toEqual([]);
    expect(pidsMatching('uwsgi', lab.engine.config.workDir)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  // Before the record was parsed (files/metadata.ts), a content hash that is not a string was
  // compared with the restored tree's and reported as a content mismatch.
  it('verification fails with one clear message on a malformed record', async () => {
    const snap = lab.engine.snapshots('agama')[0];
    const putBack = changeRecordedMetadata(lab, snap.id, (meta) => (meta.contentHash = 42));
    try {
      const v = await lab.engine.verify('agama', snap.id, 'test');
      expect(v.error).toBe(
        'verification failed: the metadata recorded for this files snapshot is malformed (contentHash: expected string, received number): it cannot be compared with the snapshot'
      );
      expect(lab.engine.contents(lab.engine.snapshots('agama')[0])!.summary).toContain('contentHash');
    } finally {
      putBack();
    }
  });

  it('a damaged application (a failed download: no version, no Python) is saved as it is and fails verification', async () => {
    const held = lab.engine.snapshots('agama').map((s) => s.id);
    lab.clock.advance(DAY);
    writeFileSync(path.join(app, 'agama.py'), 'garbage from a failed download (\n');
    const b = await lab.engine.backup('agama', 'test');
    expect(b.error).toBeNull();
    expect(b.status).toBe('success');
    expect(b.detail.version).toMatch(/^[0-9a-f]{12}$/);
    const damaged = lab.engine.snapshots('agama')[0];
    expect(damaged.metadata!.labelWarning).toMatch(/^version pattern .* not found in /);
    const v = await lab.engine.verify('agama', damaged.id, 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(
      /^verification failed: py_compile failed for 1 of 1 \.py files: agama\/agama\.py: SyntaxError: /
    );
    expect(lab.engine.snapshots('agama').find((s) => s.id === damaged.id)!.verification).toBe('failed');
    // The good v0.3 is still held (keepLast 2: the damaged one and v0.3).
    expect(lab.engine.snapshots('agama').map((s) => s.id)).toContain(held[0]);
  });

  it('restores in place over the damaged file: the safety backup saves it as it is, the version comes back, counts and moved-aside reported', async () => {
    const good = lab.engine.snapshots('agama').find((s) => s.version?.startsWith('v0.3'))!;
    // Damage again, differently: the safety backup must save this state (a new content).
    writeFileSync(path.join(app, 'agama.py'), 'def broken(:\n');
    const r = await lab.engine.restore('agama', { snapshot: good.id, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('saved');
    const safety = lab.engine.snapshots('agama').find((s) => s.id === r.detail.safetySnapshotId)!;
    expect(safety.safety).toBe(true);
    expect(r.detail.location).toBe(app);
    expect(readFileSync(path.join(app, 'agama.py'), 'utf8')).toBe(
      readFileSync(path.join(AGAMA_FIXTURE, 'v0.3', 'agama.py'), 'utf8')
    );
    expect(existsSync(restarted)).toBe(true);
    const aside = asides(path.dirname(app), 'agama');
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(path.dirname(app), aside[0], 'agama.py'), 'utf8')).toBe('def broken(:\n');
    const restore = r.detail.restore as any;
    expect(restore.counts).toEqual({ files: 1, bytes: readFileSync(path.join(app, 'agama.py')).length });
    expect(restore.movedAside).toEqual([path.join(path.dirname(app), aside[0])]);
    expect(restore.next).toEqual([]);
    expect(r.detail.result).toBe(
      `version ${good.version}; the previous files were moved to ${path.join(path.dirname(app), aside[0])}; ran touch`
    );
    expect(stagings(path.dirname(app))).toEqual([]);
    // The staging directory was recorded as the run's leftover before it existed.
    const leftovers = lab.engine.catalog.run(r.runId)!.detail.leftovers as Array<{ kind: string; name: string }>;
    expect(leftovers).toEqual([{ kind: 'directory', name: expect.stringMatching(/\/srv\/\.agama\.restoring-/) }]);
    // What was moved aside is listed and removed through the driver, and only asides are.
    const item = { kind: 'directory' as const, name: path.join(path.dirname(app), aside[0]), was: `directory ${app}` };
    const t = lab.engine.target('agama') as any;
    expect(await filesDriver.asideExists!(t, item)).toBe(true);
    await expect(filesDriver.removeAside!(t, { ...item, name: app })).rejects.toThrow(
      /not a directory a restore of this target moved aside/
    );
    await filesDriver.removeAside!(t, item);
    expect(await filesDriver.asideExists!(t, item)).toBe(false);
    expect(existsSync(app)).toBe(true);
  });

  it('restores a deleted application: "nothing" to save, the restore goes on', async () => {
    rmSync(app, { recursive: true });
    const r = await lab.engine.restore('agama', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('nothing');
    expect(r.detail.safetySnapshotId).toBeNull();
    expect(existsSync(path.join(app, 'agama.py'))).toBe(true);
    expect((r.detail.restore as any).movedAside).toEqual([]);
  });

  it('restores into another directory with `to`, only below the restore roots (symlinks followed), never over a non-empty one without force', async () => {
    const area = path.join(lab.engine.config.workDir, 'restores');
    const to = path.join(area, 'agama-copy');
    const r = await lab.engine.restore('agama', { snapshot: 'latest', to, safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('not-needed');
    expect(readdirSync(path.join(to, 'agama'))).toEqual(['agama.py']);
    expect((r.detail.restore as any).counts.files).toBe(1);

    const again = await lab.engine.restore('agama', { snapshot: 'latest', to, safetyBackup: true }, 'test');
    expect(again.error).toBe(
      `directory ${to} is not empty; choose another or force (it is then moved aside, never deleted)`
    );
    const forced = await lab.engine.restore(
      'agama',
      { snapshot: 'latest', to, safetyBackup: true, force: true },
      'test'
    );
    expect(forced.error).toBeNull();
    expect(asides(area, 'agama-copy')).toHaveLength(1);
    expect((forced.detail.restore as any).movedAside).toEqual([path.join(area, asides(area, 'agama-copy')[0])]);

    // Beside the application (the source's parent is a default root) is fine too.
    const beside = path.join(lab.dir, 'srv', 'agama-restored');
    expect(
      (await lab.engine.restore('agama', { snapshot: 'latest', to: beside, safetyBackup: true }, 'test')).error
    ).toBeNull();

    const outside = path.join(os.tmpdir(), `bsla-outside-${process.pid}`);
    const refused = await lab.engine.restore('agama', { snapshot: 'latest', to: outside, safetyBackup: true }, 'test');
    expect(refused.error).toBe(
      `restore destination ${outside} is outside the target's restore roots (${area}, ${path.join(lab.dir, 'srv')}): choose a directory below one of them, or add one to the target's restoreRoots`
    );
    // A symlink inside a root that points outside is followed before the check.
    const escape = path.join(lab.dir, 'srv', 'escape');
    symlinkSync(os.tmpdir(), escape);
    const viaLink = await lab.engine.restore(
      'agama',
      { snapshot: 'latest', to: path.join(escape, `bsla-x-${process.pid}`), safetyBackup: true },
      'test'
    );
    expect(viaLink.error).toMatch(/is outside the target's restore roots/);
    expect(viaLink.error).toContain(`(really ${path.join(realpathSync(os.tmpdir()), `bsla-x-${process.pid}`)})`);
    unlinkSync(escape);
    expect(existsSync(outside)).toBe(false);
    // The live application itself is not a `to`.
    const live = await lab.engine.restore(
      'agama',
      { snapshot: 'latest', to: app, safetyBackup: true, force: true },
      'test'
    );
    expect(live.error).toMatch(/is, holds or is inside the live .*restore in place \(without to\) to replace it$/);
    expect(stagings(area)).toEqual([]);
  });

  it('a restore in place writes only the configured paths, whatever the snapshot manifest says', async () => {
    // A snapshot whose manifest was tampered with: names and paths that point elsewhere.
    const good = lab.engine.snapshots('agama').find((s) => !s.safety && s.version?.startsWith('v0.3'))!;
    const dir = path.join(lab.dir, 'tamper');
    const repo = lab.engine.config.repositories.main;
    const env = { ...process.env, RESTIC_PASSWORD_FILE: repo.password.file };
    await run({
      command: 'restic',
      args: ['-r', repo.url, 'restore', good.id, '--target', dir],
      env,
      timeoutMs: 60_000,
    });
    const victim = path.join(lab.dir, 'victim');
    mkdirSync(victim);
    writeFileSync(path.join(victim, 'keep.txt'), 'must stay\n');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'backup-sla.json'), 'utf8'));
    manifest.paths = [
      { name: 'agama', path: victim },
      { name: '../../victim', path: victim },
    ];
    cpSync(path.join(dir, 'files', 'agama'), path.join(dir, 'files', 'victim'), { recursive: true });
    // A careful tamperer keeps the manifest's hash consistent with what the snapshot holds.
    const files = path.join(dir, 'files');
    manifest.contentHash = contentHash(await treeEntries(files, walk(files)));
    writeFileSync(path.join(dir, 'backup-sla.json'), JSON.stringify(manifest));
    const out = await run({
      command: 'restic',
      args: ['-r', repo.url, 'backup', '--json', '--tag', 'target=agama', '.'],
      cwd: dir,
      env,
      timeoutMs: 60_000,
    });
    const id = JSON.parse(out.trim().split('\n').pop()!).snapshot_id as string;
    lab.engine.catalog.addSnapshot(
      {
        id,
        target: 'agama',
        time: lab.clock.now.toISOString(),
        bytes: 1,
        version: 'tampered',
        metadata: null,
        runId: null,
        runUid: null,
        safety: false,
      },
      'main'
    );
    writeFileSync(path.join(app, 'agama.py'), 'damaged again\n');
    const r = await lab.engine.restore('agama', { snapshot: id, safetyBackup: false }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.location).toBe(app);
    expect(readFileSync(path.join(app, 'agama.py'), 'utf8')).toContain('AGAMA</a> v0.3');
    expect(readdirSync(victim)).toEqual(['keep.txt']);
    expect(readdirSync(lab.dir).filter((n) => n.startsWith('victim.'))).toEqual([]);
  });

  // A Python that is not installed is the conformance suite's case (files.conformance.test.ts).
  it('could not verify (not "failed") when the uWSGI plugin to run the app is missing', async () => {
    const yaml = readFileSync(lab.configFile, 'utf8');
    const YAML = await import('yaml');
    const config = YAML.parse(yaml);
    config.targets.noplugin = {
      ...config.targets.agama,
      verify: { compile: false, smoke: uwsgiSmoke({ wsgi: { file: 'agama.py', plugin: 'nosuchplugin' } }) },
    };
    delete config.targets.noplugin.afterRestore;
    writeFileSync(lab.configFile, YAML.stringify(config));
    lab.reopen();
    expect((await lab.engine.backup('noplugin', 'test')).error).toBeNull();
    const noplugin = await lab.engine.verify('noplugin', 'latest', 'test');
    expect((lab.engine.catalog.run(noplugin.runId)!.detail.verification as any).outcome).toBe('unknown');
    expect(lab.engine.snapshots('noplugin')[0].verification).toBe('unverified');
    expect(noplugin.error).toMatch(
      /^could not verify: smoke run: \S*uwsgi cannot run here: unable to load plugin "nosuchplugin"$/
    );
    expect(pidsMatching('uwsgi', lab.engine.config.workDir)).toEqual([]);
  });

  it('doctor: paths, the version label, Python and uWSGI with its plugin, afterRestore', async () => {
    const checks = await filesDriver.doctor!(lab.engine.target('agama') as any, lab.engine.log);
    expect(checks.map((c) => [c.name, c.level])).toEqual([
      [`path ${app}`, 'ok'],
      ['version label', 'ok'],
      ['python', 'ok'],
      ['uwsgi', 'ok'],
      ['afterRestore', 'ok'],
    ]);
    expect(checks.find((c) => c.name === 'python')!.detail).toMatch(/^\/usr\/bin\/python3 version 3\./);
    expect(checks.find((c) => c.name === 'version label')!.detail).toBe(`v0.3 (from ${path.join(app, 'agama.py')})`);
    const bad = await filesDriver.doctor!(lab.engine.target('noplugin') as any, lab.engine.log);
    expect(bad.find((c) => c.name === 'uwsgi')).toEqual({
      name: 'uwsgi',
      level: 'failed',
      detail:
        'uwsgi cannot load its nosuchplugin plugin: install uwsgi-core and uwsgi-plugin-python3 (Debian), or use verify.smoke.command',
    });
  });
});

describe('files target: several paths, no versionFrom, a smoke command', () => {
  let lab: Lab;
  let app: string;
  beforeAll(() => {
    lab = makeLab({
      targets: {
        agama: {
          kind: 'files',
          source: { paths: ['./agama', './agama.ini'] },
          // Run directly, the real AGAMA ignores the port it is given: the smoke run cannot reach it.
          verify: {
            compile: false,
            smoke: {
              command: ['/usr/bin/python3', '{dir}/agama.py'],
              url: 'http://127.0.0.1:{port}/',
              timeout: '3s',
              env: { AGAMA_DATABASE_URI: 'sqlite:///{tmp}/agama.db' },
            },
          },
        },
      },
    });
    app = path.join(lab.dir, 'agama');
    install(app, 'v0.2');
    writeFileSync(path.join(lab.dir, 'agama.ini'), '[uwsgi]\nwsgi-file = agama.py\ncallable = app\n');
  });
  afterAll(() => lab.cleanup());

  it('saves a new version only when a file changes; the version is the content hash', async () => {
    const b = await lab.engine.backup('agama', 'test');
    expect(b.status).toBe('success');
    expect(b.detail.version).toMatch(/^[0-9a-f]{12}$/);
    expect(lab.engine.snapshots('agama')[0].metadata).toMatchObject({ files: 2, label: null, labelWarning: null });
    lab.clock.advance(DAY);
    expect((await lab.engine.backup('agama', 'test')).status).toBe('unchanged');
    writeFileSync(path.join(lab.dir, 'agama.ini'), '[uwsgi]\nwsgi-file = agama.py\ncallable = app\nprocesses = 4\n');
    const b2 = await lab.engine.backup('agama', 'test');
    expect(b2.status).toBe('success');
    expect(b2.detail.version).not.toBe(b.detail.version);
    expect(await resticSnapshots(lab)).toHaveLength(2);
  });

  it('the smoke run fails when the app does not answer on its port', async () => {
    const v = await lab.engine.verify('agama', 'latest', 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(
      /^verification failed: smoke run: http:\/\/127\.0\.0\.1:\d+\/ did not answer 200 within 3 s \(last: ECONNREFUSED\)$/
    );
    expect(pidsMatching('agama.py', lab.engine.config.workDir)).toEqual([]);
  });

  it('restores every path in place, staged and swapped together; without afterRestore it says to restart the app', async () => {
    writeFileSync(path.join(lab.dir, 'agama.ini'), 'broken\n');
    unlinkSync(path.join(app, 'agama.py'));
    const r = await lab.engine.restore('agama', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('saved');
    expect(r.detail.location).toBe(`${app}, ${path.join(lab.dir, 'agama.ini')}`);
    expect(readFileSync(path.join(lab.dir, 'agama.ini'), 'utf8')).toContain('processes = 4');
    expect(existsSync(path.join(app, 'agama.py'))).toBe(true);
    const restore = r.detail.restore as any;
    expect(restore.counts.files).toBe(2);
    // The application directory was left empty: nothing there to keep, no aside for it.
    expect(restore.movedAside).toEqual([path.join(lab.dir, asides(lab.dir, 'agama.ini')[0])]);
    expect(restore.next).toEqual([
      'restart the application so that it loads the restored files (no afterRestore configured)',
    ]);
    expect(asides(lab.dir, 'agama.ini')).toHaveLength(1);
    expect(stagings(lab.dir)).toEqual([]);
  });

  it('a safety backup with one of the paths gone saves the other; with all gone there is nothing to save', async () => {
    unlinkSync(path.join(lab.dir, 'agama.ini'));
    const r = await lab.engine.restore('agama', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('saved');
    const safety = lab.engine.snapshots('agama').find((s) => s.id === r.detail.safetySnapshotId)!;
    expect(safety.metadata).toMatchObject({ files: 1, missingPaths: [path.join(lab.dir, 'agama.ini')] });

    rmSync(app, { recursive: true });
    unlinkSync(path.join(lab.dir, 'agama.ini'));
    const latest = lab.engine.snapshots('agama').find((s) => !s.safety)!;
    const r2 = await lab.engine.restore('agama', { snapshot: latest.id, safetyBackup: true }, 'test');
    expect(r2.error).toBeNull();
    expect(r2.detail.safetyBackup).toBe('nothing');
    expect(readFileSync(path.join(lab.dir, 'agama.ini'), 'utf8')).toContain('processes = 4');
    // A scheduled backup of missing paths is still a failure, with one clear line.
    rmSync(app, { recursive: true });
    expect((await lab.engine.backup('agama', 'test')).error).toBe(`path ${app} does not exist`);
  });
});

describe('files target configuration', () => {
  it('rejects a pattern without a capture group, a version file outside the paths, duplicate names and a bad smoke run', () => {
    let error: unknown;
    try {
      makeLab({
        targets: {
          agama: {
            kind: 'files',
            source: { paths: ['./a'], versionFrom: { file: './b/agama.py', pattern: 'AGAMA v[0-9.]+' } },
          },
          twice: { kind: 'files', source: { paths: ['./a/app', './b/app'] } },
          smoke: {
            kind: 'files',
            source: { paths: ['./c'] },
            verify: { smoke: { wsgi: { file: '../agama.py' }, command: ['uwsgi'] } },
            restoreRoots: [],
          },
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    rmSync(path.dirname((error as ConfigError).file), { recursive: true, force: true }); // the lab never opened
    expect((error as ConfigError).problems).toEqual([
      'targets.agama.source.versionFrom.pattern: must be a regular expression with one capture group, e.g. "AGAMA(?:</a>)? (v[0-9.]+)"',
      'targets.agama.source.versionFrom.file: must be one of the paths or inside one of them',
      "targets.twice.source.paths.1: another path is also named 'app': names must differ",
      'targets.smoke.restoreRoots: name at least one directory (or leave restoreRoots out for the default)',
      'targets.smoke.verify.smoke.wsgi.file: a file of the restored application directory (relative, no ..), e.g. agama.py',
      'targets.smoke.verify.smoke: give either wsgi (the app under uWSGI) or command (any other way to start it)',
      'targets.smoke.verify.smoke: url is required with command',
    ]);
  });

  it('restoreRoots: the configured directories replace the default', () => {
    const lab = makeLab({
      targets: { agama: { kind: 'files', source: { paths: ['./srv/agama'] }, restoreRoots: ['./restored'] } },
    });
    try {
      const d = lab.engine.destinations('agama');
      expect(d.elsewhere).toEqual({
        kind: 'directory',
        hint: `an absolute path to a new or empty directory below ${path.join(lab.dir, 'restored')} (each path goes in by its name)`,
        example: path.join(lab.dir, 'restored', 'agama-restored'),
      });
      expect(d.inPlace!.note).toBe(
        'no afterRestore configured: restart the application so that it loads the restored files yourself'
      );
    } finally {
      lab.cleanup();
    }
  });
});
