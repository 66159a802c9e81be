/**
 * The install, as the team does it (issue 11), without root paths and without a running systemd:
 *
 * 1. `npm run package` builds the plugin zip and the service archive; each unpacked into an empty
 *    directory works: the service runs with the system's Node alone (`--version`, `check-config`
 *    on the example), the plugin tree is what Grafana's loader reads (./grafana-loader.ts).
 * 2. The Ansible role installs both on localhost (`ansible_connection=local`) under a prefix
 *    (`-e backup_sla_root=DIR`); a second run and a `--check` run report changed=0; the rendered
 *    unit passes `systemd-analyze verify`; the service started as its unit's ExecStart says
 *    answers /api/status with the viewer token; Grafana's plugin tree and settings are what its
 *    loader needs; Prometheus scrapes the service.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { waitFor } from '../test/process';
import { request, json } from '../test/service';
import { freePort } from '../targets/tools';
import { grafanaLoaderProblems, unitEnvironment } from './grafana-loader';

const ROOT = path.resolve(__dirname, '../../..');
const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const MAJOR = process.versions.node.split('.')[0];
const TOKENS = {
  viewer: 'install-viewer-7a1c0e9f3b5d2a8c4e6f1b0d',
  operator: 'install-operator-2f8e6d4c0a9b7c5e3d1f',
  admin: 'install-admin-9c7e5a3f1d0b8e6c4a2f0d1e',
};

function sh(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
}

/** Runs a command and returns its exit code and output (stdout + stderr). */
function attempt(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    return { code: 0, out: sh(cmd, args, options) };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

let release: string;

beforeAll(() => {
  release = mkdtempSync(path.join(os.tmpdir(), 'bsla-release-'));
  sh(process.execPath, [path.join(ROOT, 'scripts/package.mjs'), '--out', release]);
}, 600_000);

afterAll(() => rmSync(release, { recursive: true, force: true }));

const zipName = () => `labops-backupsla-app-${VERSION}.zip`;
const tarName = () => `backup-sla-${VERSION}-linux-x64-node${MAJOR}.tar.gz`;

describe('npm run package', () => {
  it('writes the plugin zip and the service archive, versioned, each with its sha256', () => {
    expect(readdirSync(release).sort()).toEqual(
      [tarName(), `${tarName()}.sha256`, zipName(), `${zipName()}.sha256`].sort()
    );
    for (const f of [zipName(), tarName()]) {
      const sum = createHash('sha256')
        .update(readFileSync(path.join(release, f)))
        .digest('hex');
      expect(readFileSync(path.join(release, `${f}.sha256`), 'utf8')).toBe(`${sum}  ${f}\n`);
      expect(attempt('sha256sum', ['-c', `${f}.sha256`], { cwd: release }).code).toBe(0);
    }
  });

  it('the plugin zip has one top folder, the plugin id, with what Grafana loads', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-plugin-'));
    try {
      sh('unzip', ['-q', path.join(release, zipName()), '-d', dir]);
      expect(readdirSync(dir)).toEqual(['labops-backupsla-app']);
      const app = path.join(dir, 'labops-backupsla-app');
      for (const f of [
        'plugin.json',
        'module.js',
        'img/logo.svg',
        'dashboards/backup-sla.json',
        'panels/backup-age/plugin.json',
        'panels/backup-age/module.js',
        'CHANGELOG.md',
        'LICENSE',
      ]) {
        expect({ f, file: statSync(path.join(app, f)).isFile() }).toEqual({ f, file: true });
      }
      expect(readdirSync(app).filter((f) => /^\d+\.js$/.test(f)).length).toBeGreaterThan(0); // lazy chunks
      expect(readdirSync(app).filter((f) => f.endsWith('.map'))).toEqual([]);
      // The plugin.json of the sources, not a stale build: version, Grafana versions, no dashboard include.
      const pluginJson = JSON.parse(readFileSync(path.join(app, 'plugin.json'), 'utf8'));
      const source = JSON.parse(readFileSync(path.join(ROOT, 'src/plugin.json'), 'utf8'));
      expect(pluginJson.info.version).toBe(VERSION);
      expect(pluginJson.dependencies).toEqual(source.dependencies);
      expect(pluginJson.routes).toEqual(source.routes);
      expect(pluginJson.includes.filter((i: { type: string }) => i.type === 'dashboard')).toEqual([]);
      expect(grafanaLoaderProblems(dir, { allowUnsigned: ['labops-backupsla-app', 'labops-backupage-panel'] })).toEqual(
        []
      );
      // Without the nested panel in the allow list, Grafana refuses it (checked per plugin id).
      expect(grafanaLoaderProblems(dir, { allowUnsigned: ['labops-backupsla-app'] })).toEqual([
        'labops-backupage-panel: unsigned and not in [plugins] allow_loading_unsigned_plugins',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the service archive runs with the system Node alone: --version, check-config on the example', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-service-'));
    try {
      sh('tar', ['-xzf', path.join(release, tarName()), '-C', dir]);
      expect(readdirSync(dir)).toEqual([`backup-sla-${VERSION}`]);
      const top = path.join(dir, `backup-sla-${VERSION}`);
      expect(readdirSync(top).sort()).toEqual(
        [
          'CHANGELOG.md',
          'LICENSE',
          'backup-sla.example.yaml',
          'bin',
          'dist',
          'node_modules',
          'package.json',
          'systemd',
        ].sort()
      );
      // Nothing from the repository's node_modules, no dev tools, no contract package at run time.
      const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir, NODE_PATH: '' };
      expect(sh(path.join(top, 'bin/backup-sla'), ['--version'], { cwd: dir, env }).trim()).toBe(VERSION);
      const modules = readdirSync(path.join(top, 'node_modules'));
      for (const dev of ['typescript', 'jest', '@labops', 'webpack', '@types', 'fast-check']) {
        expect(modules).not.toContain(dev);
      }
      expect(statSync(path.join(top, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')).isFile()).toBe(
        true
      );
      // The example with its secrets in place (private files, strong tokens) and writable paths.
      const cfgDir = path.join(dir, 'etc');
      mkdirSync(path.join(cfgDir, 'secrets'), { recursive: true, mode: 0o700 });
      const example = readFileSync(path.join(top, 'backup-sla.example.yaml'), 'utf8');
      writeFileSync(path.join(cfgDir, 'backup-sla.yaml'), example);
      for (const [f, v] of Object.entries({
        'repo.pass': 'example-repo-password',
        'mysql.pass': 'example-mysql-password',
        'grafana.token': 'glsa_example_0123456789abcdef',
        'viewer.token': TOKENS.viewer,
        'operator.token': TOKENS.operator,
        'admin.token': TOKENS.admin,
      })) {
        writeFileSync(path.join(cfgDir, 'secrets', f), `${v}\n`, { mode: 0o600 });
      }
      const r = attempt(
        path.join(top, 'bin/backup-sla'),
        ['--config', path.join(cfgDir, 'backup-sla.yaml'), 'check-config'],
        { cwd: dir, env }
      );
      expect({ code: r.code, out: r.out.split('\n')[0] }).toEqual({
        code: 0,
        out: `${path.join(cfgDir, 'backup-sla.yaml')}: OK`,
      });
      expect(r.out).toContain('mysql (mysql)');
      // The unit of the manual install is valid.
      const unit = readFileSync(path.join(top, 'systemd/backup-sla.service'), 'utf8');
      expect(unit).toMatch(
        /^ExecStart=\/usr\/bin\/node \/opt\/backup-sla\/current\/bin\/backup-sla --config \/etc\/backup-sla\/backup-sla.yaml serve$/m
      );
      expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface Recap {
  changed: number;
  failed: number;
  unreachable: number;
}

function recap(out: string): Recap {
  const m = /localhost\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(out);
  if (!m) {
    throw new Error(`no PLAY RECAP in the output:\n${out.slice(-3000)}`);
  }
  return { changed: Number(m[1]), unreachable: Number(m[2]), failed: Number(m[3]) };
}

describe('the Ansible role', () => {
  let dir: string;
  let vars: string;
  let inventory: string;
  let port: number;
  let daemon: ChildProcess | null = null;

  const playbook = (...extra: string[]) =>
    attempt(
      'ansible-playbook',
      ['-i', inventory, path.join(ROOT, 'deploy/site.yml'), '-e', `backup_sla_root=${dir}`, '-e', `@${vars}`, ...extra],
      {
        env: {
          ...process.env,
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_FORCE_COLOR: '0',
          ANSIBLE_RETRY_FILES_ENABLED: '0',
          ANSIBLE_PIPELINING: '1',
          ANSIBLE_LOCALHOST_WARNING: '0',
        },
      }
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-install-'));
    port = await freePort();
    const source = path.join(dir, 'srv/app');
    mkdirSync(source, { recursive: true });
    writeFileSync(path.join(source, 'index.html'), '<h1>app</h1>\n');
    // The Prometheus machine's configuration, as the team's own role left it.
    mkdirSync(path.join(dir, 'etc/prometheus'), { recursive: true });
    writeFileSync(
      path.join(dir, 'etc/prometheus/prometheus.yml'),
      'global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [localhost:9090]\n'
    );
    inventory = path.join(dir, 'inventory.ini');
    writeFileSync(
      inventory,
      '[backup_sla]\nlocalhost ansible_connection=local\n\n[grafana]\nlocalhost\n\n[prometheus]\nlocalhost\n'
    );
    vars = path.join(dir, 'vars.yml');
    writeFileSync(
      vars,
      YAML.stringify({
        ansible_python_interpreter: '/usr/bin/python3',
        backup_sla_service_archive: path.join(release, tarName()),
        backup_sla_plugin_archive: path.join(release, zipName()),
        backup_sla_node: process.execPath,
        backup_sla_node_major: Number(MAJOR),
        // No system user and no systemd in CI: the files are root's, nothing is started.
        backup_sla_create_user: false,
        backup_sla_user: 'root',
        backup_sla_group: 'root',
        backup_sla_grafana_group: 'root',
        backup_sla_manage_systemd: false,
        backup_sla_listen: `127.0.0.1:${port}`,
        backup_sla_metrics_address: `127.0.0.1:${port}`,
        backup_sla_repositories: {
          main: { url: path.join(dir, 'var/backups/backup-sla'), passwordFile: './secrets/repo.pass' },
        },
        backup_sla_targets: { app: { kind: 'files', source: { paths: [source] }, verify: { schedule: null } } },
        // In a real install these come from Ansible Vault.
        backup_sla_secrets: { 'repo.pass': 'install-test-repository-password' },
        backup_sla_tokens: TOKENS,
      })
    );
  }, 60_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.on('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs; a second run and a --check run report changed=0', () => {
    const first = playbook();
    expect({ code: first.code, recap: recap(first.out) }).toMatchObject({
      code: 0,
      recap: { failed: 0, unreachable: 0 },
    });
    expect(recap(first.out).changed).toBeGreaterThan(10);
    const second = playbook();
    expect({ code: second.code, recap: recap(second.out), out: recap(second.out).changed ? second.out : '' }).toEqual({
      code: 0,
      recap: { changed: 0, failed: 0, unreachable: 0 },
      out: '',
    });
    const check = playbook('--check');
    expect({ code: check.code, recap: recap(check.out), out: recap(check.out).changed ? check.out : '' }).toEqual({
      code: 0,
      recap: { changed: 0, failed: 0, unreachable: 0 },
      out: '',
    });
  }, 300_000);

  it('writes the configuration, private secrets and a unit that systemd-analyze verify accepts', () => {
    const etc = path.join(dir, 'etc/backup-sla');
    const config = YAML.parse(readFileSync(path.join(etc, 'backup-sla.yaml'), 'utf8'));
    expect(config.api.listen).toBe(`127.0.0.1:${port}`);
    expect(config.catalog).toBe(path.join(dir, 'var/lib/backup-sla/catalog.db'));
    expect(config.cacheDir).toBe(path.join(dir, 'var/cache/backup-sla'));
    expect(statSync(path.join(etc, 'backup-sla.yaml')).mode & 0o777).toBe(0o640);
    for (const f of ['repo.pass', 'viewer.token', 'operator.token', 'admin.token']) {
      expect({ f, mode: (statSync(path.join(etc, 'secrets', f)).mode & 0o777).toString(8) }).toEqual({
        f,
        mode: '600',
      });
    }
    expect(readFileSync(path.join(etc, 'secrets/viewer.token'), 'utf8')).toBe(`${TOKENS.viewer}\n`);
    const unit = path.join(dir, 'etc/systemd/system/backup-sla.service');
    const verify = attempt('systemd-analyze', ['verify', unit]);
    expect(verify).toEqual({ code: 0, out: '' });
    const text = readFileSync(unit, 'utf8');
    for (const line of [
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'ProtectHome=yes',
      'CacheDirectory=backup-sla',
      `ReadWritePaths=${dir}/var/lib/backup-sla`,
      `ReadWritePaths=-${dir}/var/backups/backup-sla`,
      `ReadWritePaths=-${dir}/srv`,
      'CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE CAP_CHOWN CAP_FOWNER',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it('the installed service, started as the unit says, answers /api/status with the viewer token', async () => {
    const unit = readFileSync(path.join(dir, 'etc/systemd/system/backup-sla.service'), 'utf8');
    const execStart = /^ExecStart=(.+)$/m.exec(unit)![1].split(' ');
    const env = unitEnvironment(unit);
    const lines: string[] = [];
    daemon = spawn(execStart[0], execStart.slice(1), {
      cwd: /^WorkingDirectory=(.+)$/m.exec(unit)![1],
      env: { PATH: '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    daemon.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n')));
    await waitFor(
      () => lines.some((l) => l.includes('backup-sla serving')) || daemon!.exitCode !== null,
      30_000,
      'the service'
    );
    const base = `http://127.0.0.1:${port}`;
    const status = await request(base, {
      method: 'GET',
      url: '/api/status',
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    expect(status.statusCode).toBe(200);
    expect(json(status).targets.map((t: { name: string }) => t.name)).toEqual(['app']);
    expect((await request(base, { method: 'GET', url: '/api/status' })).statusCode).toBe(401);
    // The CLI on PATH is the installed one.
    expect(sh(path.join(dir, 'usr/local/bin/backup-sla'), ['--version']).trim()).toBe(VERSION);
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon!.on('exit', r));
    expect(statSync(path.join(dir, 'var/lib/backup-sla/catalog.db')).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('Grafana gets the plugin tree, its settings and provisioning as its loader and provisioning need them', () => {
    const plugins = path.join(dir, 'var/lib/grafana/plugins');
    const dropIn = readFileSync(path.join(dir, 'etc/systemd/system/grafana-server.service.d/backup-sla.conf'), 'utf8');
    const env = unitEnvironment(dropIn);
    expect(env.GF_DATAPROXY_SEND_USER_HEADER).toBe('true');
    const allow = env.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS.split(',').map((s) => s.trim());
    expect(grafanaLoaderProblems(plugins, { allowUnsigned: allow })).toEqual([]);
    const prov = path.join(dir, 'etc/grafana/provisioning');
    const apps = YAML.parse(readFileSync(path.join(prov, 'plugins/backup-sla.yaml'), 'utf8')).apps[0];
    expect(apps.type).toBe('labops-backupsla-app');
    expect(apps.jsonData.serviceUrl).toBe('http://localhost:8470');
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const file = path.join(dir, `etc/grafana/backup-sla/${role}.token`);
      expect(apps.secureJsonData[`${role}Token`]).toBe(`$__file{${file}}`);
      expect(readFileSync(file, 'utf8').trim()).toBe(TOKENS[role]);
      expect(statSync(file).mode & 0o777).toBe(0o640);
    }
    const provider = YAML.parse(readFileSync(path.join(prov, 'dashboards/backup-sla.yaml'), 'utf8')).providers[0];
    expect(JSON.parse(readFileSync(path.join(provider.options.path, 'backup-sla.json'), 'utf8')).uid).toBe(
      'backup-sla'
    );
    const rules = YAML.parse(readFileSync(path.join(prov, 'alerting/backup-sla-rules.yaml'), 'utf8'));
    expect(rules.groups[0].folder).toBe(provider.folder);
    expect(
      YAML.parse(readFileSync(path.join(prov, 'datasources/backup-sla-prometheus.yaml'), 'utf8')).datasources[0].uid
    ).toBe('backup-sla-prometheus');
  });

  it('Prometheus scrapes the service (promtool accepts the configuration)', () => {
    const file = path.join(dir, 'etc/prometheus/prometheus.yml');
    const config = YAML.parse(readFileSync(file, 'utf8'));
    const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'backup-sla');
    expect(job.static_configs).toEqual([{ targets: [`127.0.0.1:${port}`] }]);
    expect(config.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual(['backup-sla', 'prometheus']);
    expect(attempt('promtool', ['check', 'config', file]).code).toBe(0);
    chmodSync(file, 0o644);
  });
});
