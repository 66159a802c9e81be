import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from './load';
import { parseDuration } from './duration';

/** Writes a config (YAML text) beside a password file and returns the load error's problems. */
function problems(yaml: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-config-'));
  writeFileSync(path.join(dir, 'repo.pass'), 'secret-password\n', { mode: 0o600 });
  writeFileSync(path.join(dir, 'mysql.pass'), 'secret-mysql\n', { mode: 0o600 });
  const file = path.join(dir, 'backup-sla.yaml');
  writeFileSync(file, yaml);
  try {
    loadConfig(file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message.startsWith(file)).toBe(true);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const base = (target: string, repos = 'main: { url: ./repo, passwordFile: ./repo.pass }') => `
repositories:
  ${repos}
targets:
  mysql:
    kind: mysql
    connection: { host: 127.0.0.1, port: 3306, user: backup, passwordFile: ./mysql.pass, database: agama }
${target}
`;

describe('configuration', () => {
  it('loads a valid config with the SLA defaults and paths relative to the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-config-'));
    writeFileSync(path.join(dir, 'repo.pass'), 'secret-password\n', { mode: 0o600 });
    writeFileSync(path.join(dir, 'mysql.pass'), 'secret-mysql\n', { mode: 0o600 });
    writeFileSync(path.join(dir, 'c.yaml'), base(''));
    const c = loadConfig(path.join(dir, 'c.yaml'));
    const t = c.targets.mysql;
    expect(c.repositories.main.url).toBe(path.join(dir, 'repo'));
    expect(t.rpoSeconds).toBe(86400);
    expect(t.rtoSeconds).toBe(300);
    expect(t.retention).toEqual({ keepWeekly: 4 });
    expect(t.repository).toBe('main');
    expect((t.settings as any).connection.passwordFile).toBe(path.join(dir, 'mysql.pass'));
    // Without a covered: section and without an ansible target, nothing is covered by one.
    expect(c.covered).toEqual([]);
    expect(t.safetyRetentionSeconds).toBe(30 * 86400);
  });

  it('the SLA covers nginx, uwsgi, telegraf and dns by the ansible target that exists, under its own name', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-config-'));
    writeFileSync(path.join(dir, 'repo.pass'), 'secret-password\n', { mode: 0o600 });
    writeFileSync(path.join(dir, 'mysql.pass'), 'secret-mysql\n', { mode: 0o600 });
    writeFileSync(
      path.join(dir, 'c.yaml'),
      base(`  infra:\n    kind: ansible\n    source: { path: ${dir} }\n    safetyRetention: 7d`)
    );
    const c = loadConfig(path.join(dir, 'c.yaml'));
    expect(c.covered.map((x) => [x.name, x.coveredBy])).toEqual([
      ['nginx', 'infra'],
      ['uwsgi', 'infra'],
      ['telegraf', 'infra'],
      ['dns', 'infra'],
    ]);
    expect(c.targets.infra.safetyRetentionSeconds).toBe(7 * 86400);
  });

  it('names an unknown field', () => {
    expect(problems(base('    colour: blue'))).toEqual(["targets.mysql: unknown field 'colour'"]);
  });

  it('names a bad duration', () => {
    expect(problems(base('    rpo: 1x'))).toEqual([
      'targets.mysql.rpo: not a duration (use e.g. 90s, 30m, 24h, 1d, 4w)',
    ]);
  });

  it('names a bad cron expression', () => {
    const p = problems(base('    schedule: "61 * * * *"'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^targets\.mysql\.schedule: not a valid cron expression/);
  });

  it('names a missing password file', () => {
    const p = problems(base('', 'main: { url: ./repo, passwordFile: ./nope.pass }'));
    expect(p).toEqual(['repositories.main.passwordFile: file does not exist']);
  });

  it('names an unknown repository in copies', () => {
    const p = problems(base('    copies: [flash]'));
    expect(p).toEqual(["targets.mysql.copies.0: unknown repository 'flash' (defined: main)"]);
  });

  it('names an unknown kind and a missing field', () => {
    const p = problems(`
repositories:
  main: { url: ./repo, passwordFile: ./repo.pass }
targets:
  dns: { kind: bind }
  db: { kind: mysql, connection: { user: backup, passwordFile: ./mysql.pass } }
`);
    expect(p[0]).toMatch(/^targets\.dns\.kind: unknown kind 'bind' \(one of: mysql/);
    expect(p[1]).toMatch(/^targets\.db\.connection\.database: /);
  });

  it('reports every problem at once and says when YAML itself is broken', () => {
    const p = problems(base('    rpo: 1x\n    rto: soon\n    copies: [flash]'));
    expect(p).toHaveLength(3);
    expect(problems('repositories: [unclosed')[0]).toMatch(/^not valid YAML/);
  });

  it('parses durations people write', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('4w')).toBe(4 * 604800);
    expect(parseDuration('1x')).toBeNull();
    expect(parseDuration('0d')).toBeNull();
  });
});
