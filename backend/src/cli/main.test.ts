import { execFile } from 'node:child_process';
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Catalog } from '../catalog/catalog';
import { makeLab, Lab } from '../test/harness';
import { createAgama, dropDatabases, mysqlTarget } from '../test/mysql';
import { EXIT } from './main';

const BIN = path.resolve(__dirname, '../../bin/backup-sla.js');

/** Runs the built CLI as a user would; returns exit code, stdout and stderr. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('backup-sla CLI', () => {
  let lab: Lab;
  beforeAll(async () => {
    await createAgama('agama_cli', 25);
    lab = makeLab({ targets: { mysql: mysqlTarget('agama_cli') } });
    lab.engine.catalog.close(); // the CLI opens its own
  });
  afterAll(async () => {
    lab.cleanup();
    await dropDatabases('agama_cli');
  });
  const c = () => ['--config', lab.configFile];

  it('check-config prints the effective policy', async () => {
    const r = await cli([...c(), 'check-config']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mysql (mysql)');
    expect(r.stdout).toContain('RPO 24 h, RTO 5 min');
    expect(r.stdout).toContain('retention 4 weekly versions');
    // No ansible target here: nothing may be listed as covered by one (it would not exist).
    expect(r.stdout).not.toContain('covered by');
  });

  it('takes the config from $BACKUP_SLA_CONFIG and reports config errors with exit 3', async () => {
    const bad = path.join(lab.dir, 'bad.yaml');
    writeFileSync(bad, 'repositories: {}\ntargets: {}\nextra: 1\n');
    const r = await cli(['check-config'], { BACKUP_SLA_CONFIG: bad });
    expect(r.code).toBe(EXIT.config);
    expect(r.stderr).toBe(`backup-sla: ${bad}: (top level): unknown field 'extra'\n`);
  });

  it('config example and config schema need no configuration; an unknown kind is a usage error', async () => {
    const none = { BACKUP_SLA_CONFIG: path.join(lab.dir, 'absent.yaml') };
    const example = await cli(['config', 'example'], none);
    expect(example.code).toBe(0);
    expect(example.stdout).toBe(readFileSync(path.resolve(__dirname, '../../../backup-sla.example.yaml'), 'utf8'));
    const kind = await cli(['config', 'example', 'influxdb'], none);
    expect(kind.stdout).toMatch(/^targets:\n  # influxdb \(influxdb\): /);
    const schema = await cli(['config', 'schema'], none);
    expect(schema.code).toBe(0);
    expect(Object.keys(JSON.parse(schema.stdout).properties)).toEqual(
      expect.arrayContaining(['repositories', 'targets', 'api'])
    );
    const unknown = await cli(['config', 'example', 'postgresql'], none);
    expect({ code: unknown.code, stderr: unknown.stderr }).toEqual({
      code: EXIT.usage,
      stderr: "backup-sla: unknown kind 'postgresql' (one of: mysql, influxdb, prometheus, grafana, ansible, files)\n",
    });
  });

  it('backup prints the snapshot id; list, verify, status and forget work; restore needs --yes', async () => {
    const b = await cli([...c(), 'backup', 'mysql']);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    const id = b.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const list = await cli([...c(), 'list', 'mysql', '--json']);
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toEqual([id]);

    const v = await cli([...c(), 'verify', 'mysql', id.slice(0, 8)]);
    expect(v.stdout).toBe(
      `verified ${id.slice(0, 8)}: 1 table, 25 rows, checksums match; character set latin1/latin1_swedish_ci and the definitions of 1 object match\n`
    );

    const r = await cli([...c(), 'restore', 'mysql', 'latest']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toBe('backup-sla: restore of mysql not confirmed: re-run with --yes to confirm\n');

    const r2 = await cli([...c(), 'restore', 'mysql', 'latest', '--yes', '--no-safety-backup']);
    expect(r2.code).toBe(0);
    // Where the data went first; then what came back, where the old data went, what to do next.
    expect(r2.stdout.split('\n')[0]).toBe(`restored ${id.slice(0, 8)} to database agama_cli`);

    const f = await cli([...c(), 'forget', 'mysql']);
    expect(f.stdout).toBe('nothing to forget\n');

    const s = await cli([...c(), 'status', '--json']);
    const status = JSON.parse(s.stdout);
    expect(status.targets[0].name).toBe('mysql');
    expect(status.targets[0].checks.fresh.level).toBe('ok');
    expect(status.targets[0].checks.verified.level).toBe('ok');
    expect(status.covered).toEqual([]);
  });

  it('a reader that goes away (status | head -1) ends the output quietly, without a stack trace', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['-c', 'set -o pipefail; node "$0" --config "$1" status | head -c 1 >/dev/null', BIN, lab.configFile],
        (err, _stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stderr })
      );
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('aside list shows what restores moved aside; aside remove deletes only what is listed', async () => {
    const dir = path.join(lab.dir, 'agama.before-restore-x');
    mkdirSync(dir);
    const catalog = new Catalog(path.join(lab.dir, 'data', 'catalog.db'));
    catalog.addAside(
      { target: 'mysql', kind: 'directory', name: dir, was: 'directory /srv/agama', runId: null },
      new Date()
    );
    catalog.close();
    const l = await cli([...c(), 'aside', 'list']);
    expect(l.stdout).toMatch(new RegExp(`^mysql +directory ${dir}  \\(was directory /srv/agama, `));
    const unknown = await cli([...c(), 'aside', 'remove', 'mysql', lab.dir, '--yes']);
    expect(unknown.code).toBe(EXIT.notFound);
    expect(existsSync(lab.dir)).toBe(true);
    const r = await cli([...c(), 'aside', 'remove', 'mysql', dir, '--yes']);
    expect(r.stdout).toBe(`removed directory ${dir}\n`);
    expect(existsSync(dir)).toBe(false);
    // What is left is what the restore above moved aside (the database it replaced).
    const left = (await cli([...c(), 'aside', 'list'])).stdout;
    expect(left).not.toContain(dir);
    expect(left).toMatch(/^mysql +database +agama_cli_before_restore_\d{8}T\d{6}Z /);
  });

  it('unknown targets and snapshots exit 5 with one line', async () => {
    const a = await cli([...c(), 'backup', 'nope']);
    expect(a.code).toBe(EXIT.notFound);
    expect(a.stderr).toBe("backup-sla: unknown target 'nope' (configured: mysql)\n");
    const b = await cli([...c(), 'verify', 'mysql', 'deadbeef']);
    expect(b.code).toBe(EXIT.notFound);
    expect(b.stderr).toBe("backup-sla: target mysql has no snapshot 'deadbeef'\n");
  });

  it('a failed backup exits 1 with one line', async () => {
    const cfg = makeLab({ targets: { mysql: mysqlTarget('no_such_database_here') } });
    cfg.engine.catalog.close();
    const r = await cli(['--config', cfg.configFile, 'backup', 'mysql']);
    cfg.cleanup();
    expect(r.code).toBe(EXIT.failed);
    expect(r.stderr).toMatch(/^backup-sla: cannot connect to MySQL at 127\.0\.0\.1:\d+: ER_BAD_DB_ERROR .*\n$/);
  });
});
