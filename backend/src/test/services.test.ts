/**
 * The test services themselves: each answers, the backup MariaDB user works over TCP, root has
 * no password over TCP, and restic can init / back up to / list both remote repository kinds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { parseServicesEnv, SERVICES_SCRIPT } from './servicesEnv';
import { readFileSync } from 'node:fs';
import { mysqlPassword, restRepository, services, sftpRepository, type RemoteRepository } from './services';

describe('test services', () => {
  it('env --json and the export lines of env carry the same variables, quotes and backslashes included', () => {
    // A value with a quote, a double quote, a backslash and a space (through a port variable,
    // which services.sh passes through as it is).
    const env = { ...process.env, BSLA_S3_PORT: `it's "a" \\ b` };
    const json = parseServicesEnv(execFileSync('bash', [SERVICES_SCRIPT, 'env', '--json'], { env, encoding: 'utf8' }));
    const shell = execFileSync('bash', ['-c', `eval "$(bash "$0" env)" && env -0`, SERVICES_SCRIPT], {
      env,
      encoding: 'utf8',
    });
    const exported = Object.fromEntries(
      shell
        .split('\0')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])
        .filter(([k]) => k in json)
    );
    expect(Object.keys(json).length).toBeGreaterThan(20);
    expect(exported).toEqual(json);
    expect(json.BSLA_S3_URL).toBe(`s3:https://127.0.0.1:it's "a" \\ b/backup-sla`);
    expect(() => parseServicesEnv('["BSLA_X"]')).toThrow(/not print a JSON object/);
    expect(() => parseServicesEnv('{"BSLA_X": 1}')).toThrow(/unexpected entry/);
  });

  it('MariaDB: backup user over TCP with its password, root only through the socket', async () => {
    const s = services();
    const c = await mysql.createConnection({
      host: s.mysql.host,
      port: s.mysql.port,
      user: s.mysql.user,
      password: mysqlPassword(),
    });
    try {
      const [rows] = await c.query('SELECT CURRENT_USER() AS u');
      expect((rows as Array<{ u: string }>)[0].u).toBe(`${s.mysql.user}@127.0.0.1`);
    } finally {
      await c.end();
    }
    await expect(mysql.createConnection({ host: s.mysql.host, port: s.mysql.port, user: 'root' })).rejects.toThrow(
      /Access denied/
    );
    const root = await mysql.createConnection({ socketPath: s.mysql.socket, user: 'root' });
    await root.end();
  });

  it('InfluxDB, Prometheus and the REST server answer over HTTP', async () => {
    const s = services();
    expect((await fetch(`${s.influx.url}/ping`)).status).toBe(204);
    expect((await fetch(`${s.prometheus.url}/-/ready`)).status).toBe(200);
    const rest = await fetch(s.rest.url.replace(/^rest:/, ''));
    expect(rest.status).toBeGreaterThanOrEqual(200);
  });

  /** s3rver over TLS: its certificate as the CA, its key pair in the environment (never argv). */
  function s3Repository(name: string): RemoteRepository & { env: NodeJS.ProcessEnv } {
    const s = services().s3;
    const key = (f: string) => readFileSync(f, 'utf8').trim();
    return {
      url: `${s.url}/${name}`,
      options: {},
      args: ['--cacert', s.ca],
      env: { AWS_ACCESS_KEY_ID: key(s.accessKeyFile), AWS_SECRET_ACCESS_KEY: key(s.secretKeyFile) },
    };
  }

  describe.each([
    ['sftp', sftpRepository],
    ['rest', restRepository],
    ['s3', s3Repository],
  ] as Array<[string, (name: string) => RemoteRepository & { env?: NodeJS.ProcessEnv }]>)(
    'restic on a %s repository',
    (_kind, repository) => {
      let work: string;
      beforeAll(() => {
        work = mkdtempSync(path.join(os.tmpdir(), 'bsla-services-test-'));
        writeFileSync(path.join(work, 'pass'), 'services-test\n', { mode: 0o600 });
      });
      const serverSide: string[] = [];
      afterAll(() => {
        for (const dir of [work, ...serverSide]) {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('init, backup --stdin, snapshots --json', () => {
        const name = `services-test-${process.pid}-${Date.now()}`;
        const repo = repository(name);
        // Both servers keep their repositories in local directories: remove this one afterwards.
        const s = services();
        const base = repo.url.startsWith('sftp:')
          ? s.sftp.repoBase
          : repo.url.startsWith('s3:')
            ? s.s3.dir
            : s.rest.dir;
        serverSide.push(path.join(base, name));
        const restic = (args: string[], input?: string) =>
          execFileSync('restic', [...repo.args, '-r', repo.url, '--password-file', path.join(work, 'pass'), ...args], {
            input,
            env: { ...process.env, ...(repo.env ?? {}) },
            encoding: 'utf8',
            timeout: 60_000,
            stdio: ['pipe', 'pipe', 'pipe'],
          });
        restic(['init']);
        const summary = restic(['backup', '--stdin', '--stdin-filename', 'probe.txt', '--json'], 'hello\n')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .find((m) => m.message_type === 'summary');
        expect(summary.snapshot_id).toMatch(/^[0-9a-f]+$/);
        const snapshots = JSON.parse(restic(['snapshots', '--json']));
        expect(snapshots).toHaveLength(1);
        expect(snapshots[0].short_id).toBe(summary.snapshot_id);
        // What was stored reads back as it was written (s3rver over plain HTTP fails exactly here).
        expect(restic(['dump', snapshots[0].id, '/probe.txt'])).toBe('hello\n');
      });
    }
  );
});
