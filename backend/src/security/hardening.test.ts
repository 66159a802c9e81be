/**
 * What a real install exposes, hardened (issue 11): where the configuration comes from, file
 * modes of the configuration, the secrets and the catalog, token strength, credentials in URLs,
 * the listen address, restic's repository URL and cache, and read-only commands that write
 * nothing.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, defaultConfigPath, loadConfig, SYSTEM_CONFIG } from '../config/load';
import { parseListen } from '../config/schema';
import { Catalog } from '../catalog/catalog';
import YAML from 'yaml';
import { makeLab, Lab } from '../test/harness';
import { descendants, waitFor } from '../test/process';
import { BIN, buildIfStale } from '../test/daemon';

const STRONG = {
  viewer: 'viewer-0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  operator: 'operator-f9e8d7c6b5a4938271605f4e3d2c',
  admin: 'admin-1234567890abcdef0fedcba987654321',
};

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A lab with one files target (cheap to back up) and the API's three strong tokens. */
function filesLab(extra: Record<string, unknown> = {}, tokens: Record<string, string> = STRONG): Lab {
  const lab = makeLab({
    targets: { app: { kind: 'files', source: { paths: ['./app'] }, verify: { schedule: null } } },
    files: { 'viewer.token': tokens.viewer, 'operator.token': tokens.operator, 'admin.token': tokens.admin },
    api: {
      listen: '127.0.0.1:0',
      tokens: { viewer: './viewer.token', operator: './operator.token', admin: './admin.token' },
    },
    extra,
  });
  mkdirSync(path.join(lab.dir, 'app'), { recursive: true });
  writeFileSync(path.join(lab.dir, 'app', 'index.html'), '<h1>app</h1>\n');
  return lab;
}

function problemsOf(file: string): string[] {
  try {
    loadConfig(file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  return [];
}

describe('where the configuration comes from', () => {
  const saved = process.env.BACKUP_SLA_CONFIG;
  afterEach(() => {
    if (saved === undefined) {
      delete process.env.BACKUP_SLA_CONFIG;
    } else {
      process.env.BACKUP_SLA_CONFIG = saved;
    }
  });

  it('never a file in the current directory: $BACKUP_SLA_CONFIG, else /etc/backup-sla/backup-sla.yaml', () => {
    delete process.env.BACKUP_SLA_CONFIG;
    expect(defaultConfigPath()).toBe('/etc/backup-sla/backup-sla.yaml');
    expect(SYSTEM_CONFIG).toBe('/etc/backup-sla/backup-sla.yaml');
    process.env.BACKUP_SLA_CONFIG = '/srv/x.yaml';
    expect(defaultConfigPath()).toBe('/srv/x.yaml');
  });

  it('the CLI run in a directory holding backup-sla.yaml does not read it', async () => {
    buildIfStale();
    const lab = filesLab();
    try {
      const env = { ...process.env };
      delete env.BACKUP_SLA_CONFIG;
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, [BIN, 'check-config'], { cwd: lab.dir, env }, (err, _o, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr })
        )
      );
      expect(r.code).toBe(3);
      expect(r.stderr).toBe('backup-sla: /etc/backup-sla/backup-sla.yaml: cannot read the configuration: ENOENT\n');
    } finally {
      lab.cleanup();
    }
  });
});

describe('file modes', () => {
  it('a configuration writable by others or its group is refused, with the chmod to run', () => {
    const lab = filesLab();
    try {
      chmodSync(lab.configFile, 0o666);
      expect(problemsOf(lab.configFile)).toEqual([
        `the configuration is writable by others (mode 0666): run chmod go-w ${lab.configFile}`,
      ]);
      chmodSync(lab.configFile, 0o664);
      expect(problemsOf(lab.configFile)).toEqual([
        `the configuration is writable by its group (mode 0664): run chmod go-w ${lab.configFile}`,
      ]);
      chmodSync(lab.configFile, 0o644);
      expect(problemsOf(lab.configFile)).toEqual([]);
    } finally {
      lab.cleanup();
    }
  });

  it('a secret file readable by others is refused, naming the field and the chmod', () => {
    const lab = filesLab();
    try {
      const repoPass = path.join(lab.dir, 'repo.pass');
      const admin = path.join(lab.dir, 'admin.token');
      chmodSync(repoPass, 0o644);
      chmodSync(admin, 0o604);
      expect(problemsOf(lab.configFile)).toEqual([
        `repositories.main.passwordFile: ${repoPass} is readable by others (mode 0644): run chmod 600 ${repoPass}`,
        `api.tokens.admin: ${admin} is readable by others (mode 0604): run chmod 600 ${admin}`,
      ]);
      chmodSync(repoPass, 0o660);
      chmodSync(admin, 0o640); // group-readable is allowed (root:backup-sla 0640)
      expect(problemsOf(lab.configFile)).toEqual([
        `repositories.main.passwordFile: ${repoPass} is writable by its group (mode 0660): run chmod 600 ${repoPass}`,
      ]);
    } finally {
      lab.cleanup();
    }
  });

  it('the catalog, its WAL and its directory are private to the service', () => {
    const lab = filesLab();
    try {
      const file = lab.engine.config.catalog;
      lab.engine.catalog.audit({ actor: 'test', action: 'x', target: null, detail: '', result: 'ok' }, new Date());
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    } finally {
      lab.cleanup();
    }
  });

  it('a catalog left readable by others is made private again when opened', () => {
    const lab = filesLab();
    try {
      const file = lab.engine.config.catalog;
      lab.engine.catalog.close();
      chmodSync(file, 0o644);
      lab.reopen();
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      lab.cleanup();
    }
  });
});

describe('tokens and URLs', () => {
  it('tokens shorter than 32 characters, or the same for two roles, are refused at load', () => {
    const lab = filesLab();
    try {
      writeFileSync(path.join(lab.dir, 'viewer.token'), 'short-token\n');
      writeFileSync(path.join(lab.dir, 'admin.token'), `${STRONG.operator}\n`);
      expect(problemsOf(lab.configFile)).toEqual([
        'api.tokens.viewer: the token is 11 characters long; at least 32 are needed (e.g. openssl rand -hex 24)',
        'api.tokens.admin: the same token as api.tokens.operator; each role and client needs its own token',
      ]);
    } finally {
      lab.cleanup();
    }
  });

  it('credentials in the InfluxDB and Prometheus URLs are refused as for Grafana', () => {
    const lab = filesLab();
    try {
      const config = YAML.parse(readFileSync(lab.configFile, 'utf8'));
      config.targets.influx = { kind: 'influxdb', connection: { url: 'http://admin:secret@127.0.0.1:8086' } };
      config.targets.prom = { kind: 'prometheus', connection: { url: 'https://u:p@prom.lab:9090', dataDir: '/tmp' } };
      writeFileSync(lab.configFile, YAML.stringify(config));
      const p = problemsOf(lab.configFile).join('\n');
      expect(p).toContain(
        'targets.influx.connection.url: must not contain credentials: put them in username and passwordFile'
      );
      expect(p).toContain('targets.prom.connection.url: must not contain credentials');
    } catch (e) {
      lab.cleanup();
      throw e;
    }
    lab.cleanup();
  });

  it('the listen address is validated: host:port with a port up to 65535', () => {
    expect(parseListen('127.0.0.1:8470')).toEqual({ host: '127.0.0.1', port: 8470 });
    expect(parseListen('[::1]:8470')).toEqual({ host: '::1', port: 8470 });
    expect(parseListen('backup.lab:443')).toEqual({ host: 'backup.lab', port: 443 });
    for (const bad of ['127.0.0.1:70000', '127.0.0.1', ':8470', '999.1.1.1:80', '[zz]:80', 'a b:80', '1.2.3.4:80:90']) {
      expect({ bad, parsed: parseListen(bad) }).toEqual({ bad, parsed: null });
    }
    const lab = filesLab();
    try {
      const text = readFileSync(lab.configFile, 'utf8').replace('127.0.0.1:0', '127.0.0.1:99999');
      writeFileSync(lab.configFile, text);
      expect(problemsOf(lab.configFile)).toEqual([
        'api.listen: must be host:port with a port up to 65535, e.g. 127.0.0.1:8470',
      ]);
    } finally {
      lab.cleanup();
    }
  });
});

describe('restic', () => {
  it('gets the repository URL by environment, never on its command line, and keeps its cache beside the catalog', async () => {
    const lab = filesLab();
    const seen = new Map<number, { cmdline: string[]; environ: string[] }>();
    const sampler = setInterval(() => {
      for (const pid of descendants(process.pid)) {
        try {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`).toString().split('\0');
          if (/(^|\/)restic$/.test(cmdline[0])) {
            seen.set(pid, { cmdline, environ: readFileSync(`/proc/${pid}/environ`).toString().split('\0') });
          }
        } catch {
          // ended meanwhile
        }
      }
    }, 5);
    try {
      const o = await lab.engine.backup('app', 'test');
      await waitFor(() => seen.size > 0, 5000, 'a restic process to be seen');
      expect(o.status).toBe('success');
      const url = lab.engine.config.repositories.main.url;
      for (const { cmdline, environ } of seen.values()) {
        expect(cmdline).not.toContain('-r');
        expect(cmdline.filter((a) => a.includes(url) && !a.startsWith(lab.engine.config.cacheDir))).toEqual([]);
        expect(environ).toContain(`RESTIC_REPOSITORY=${url}`);
        expect(cmdline.slice(1, 3)).toEqual(['--cache-dir', lab.engine.config.cacheDir]);
      }
      expect(lab.engine.config.cacheDir).toBe(path.join(path.dirname(lab.engine.config.catalog), 'cache'));
      expect(readdirSync(lab.engine.config.cacheDir).length).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
      lab.cleanup();
    }
  });
});

describe('read-only commands', () => {
  it('status and list never close runs or clean up (no recovery); check-config opens no catalog', async () => {
    buildIfStale();
    const lab = filesLab();
    try {
      // A run left "running" by a process that is gone (pid 999999 does not exist).
      const id = lab.engine.catalog.startRun('app', 'backup', 'test', new Date(), { pid: 999_999 });
      const file = lab.engine.config.catalog;
      lab.engine.catalog.close();
      const before = readFileSync(file);
      for (const args of [['status', '--json'], ['list', 'app', '--json'], ['status']]) {
        const r = await cli(['--config', lab.configFile, ...args]);
        expect({ args, stderr: r.stderr }).toEqual({ args, stderr: '' });
      }
      expect(readFileSync(file).equals(before)).toBe(true);
      const c = new Catalog(file, { readonly: true });
      expect(c.run(id)!.status).toBe('running');
      c.close();

      const fresh = filesLab();
      try {
        fresh.engine.catalog.close();
        const catalogFile = fresh.engine.config.catalog;
        const { rmSync } = await import('node:fs');
        rmSync(path.dirname(catalogFile), { recursive: true, force: true });
        expect((await cli(['--config', fresh.configFile, 'check-config'])).code).toBe(0);
        expect((await cli(['--config', fresh.configFile, 'status', '--json'])).code).toBe(0);
        expect(existsSync(catalogFile)).toBe(false);
      } finally {
        fresh.cleanup();
      }
    } finally {
      lab.cleanup();
    }
  });
});
