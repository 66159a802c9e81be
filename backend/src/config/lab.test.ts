/**
 * The lab's part of the configuration (config/lab.ts): this instance's name, its peers, and what a
 * repository shared with them needs (S3 key pair, CA, the one instance that prunes it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from './load';
import { DEFAULT_PEER_TIMEOUT_MS, DEFAULT_PRUNE_SCHEDULE } from './lab';

function lab(yaml: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-config-lab-'));
  for (const f of ['repo.pass', 's3.key', 's3.secret', 'ca.pem', 'v.token', 'o.token', 'a.token']) {
    writeFileSync(path.join(dir, f), `${f}-content\n`, { mode: 0o600 });
  }
  const file = path.join(dir, 'backup-sla.yaml');
  writeFileSync(file, yaml);
  return { dir, file };
}

function problems(yaml: string): string[] {
  try {
    loadConfig(lab(yaml).file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const PEER = `{ url: http://10.0.0.12:8470, tokens: { viewer: ./v.token, operator: ./o.token, admin: ./a.token } }`;
const TARGET = `targets:\n  files: { kind: files, source: { paths: [./app] } }\n`;

describe('configuration of a lab', () => {
  it('instance defaults to the host name; no peers; repositories pruned by this instance', () => {
    const { file } = lab(`repositories:\n  main: { url: ./repo, passwordFile: ./repo.pass }\n${TARGET}`);
    const c = loadConfig(file);
    expect(c.instance).toBe(os.hostname().toLowerCase());
    expect(c.peers).toEqual({});
    expect(c.repositories.main).toMatchObject({
      s3: null,
      caFile: null,
      prune: true,
      pruneBy: null,
      pruneSchedule: null,
    });
  });

  it('an s3: repository shared by two instances: key pair from files, CA, pruned by mon1', () => {
    const { dir, file } = lab(`
instance: app1
peers:
  mon1: ${PEER}
repositories:
  shared:
    url: s3:https://s3.lab:9000/backups/lab
    passwordFile: ./repo.pass
    s3: { accessKeyFile: ./s3.key, secretKeyEnv: LAB_S3_SECRET }
    caFile: ./ca.pem
    pruneBy: mon1
  own: { url: ./repo, passwordFile: ./repo.pass, pruneBy: app1 }
${TARGET}`);
    const c = loadConfig(file);
    expect(c.instance).toBe('app1');
    expect(c.peers.mon1).toEqual({
      name: 'mon1',
      url: 'http://10.0.0.12:8470',
      tokens: {
        viewer: { file: path.join(dir, 'v.token') },
        operator: { file: path.join(dir, 'o.token') },
        admin: { file: path.join(dir, 'a.token') },
      },
      caFile: null,
      timeoutMs: DEFAULT_PEER_TIMEOUT_MS,
    });
    expect(c.repositories.shared).toMatchObject({
      url: 's3:https://s3.lab:9000/backups/lab',
      s3: { accessKey: { file: path.join(dir, 's3.key') }, secretKey: { env: 'LAB_S3_SECRET' } },
      caFile: path.join(dir, 'ca.pem'),
      prune: false,
      pruneBy: 'mon1',
      pruneSchedule: null,
    });
    // The pruning instance prunes on a schedule (weekly unless said).
    expect(c.repositories.own).toMatchObject({ prune: true, pruneBy: 'app1', pruneSchedule: DEFAULT_PRUNE_SCHEDULE });
  });

  it('names what is wrong: s3 keys missing or in the URL, an unknown pruning instance, bad peers', () => {
    expect(
      problems(`
instance: app1
peers:
  app1: ${PEER}
  Mon1: ${PEER}
  mon2: { url: http://user:pw@10.0.0.13:8470, tokens: { viewer: ./v.token, operator: ./o.token, admin: ./nope.token } }
repositories:
  a: { url: s3:https://s3.lab/b, passwordFile: ./repo.pass }
  b: { url: s3:https://key:secret@s3.lab/b, passwordFile: ./repo.pass, s3: { accessKeyFile: ./s3.key, accessKeyEnv: K, secretKeyFile: ./s3.secret } }
  c: { url: ./repo, passwordFile: ./repo.pass, s3: { accessKeyFile: ./s3.key, secretKeyFile: ./s3.secret }, pruneBy: mon3 }
targets:
  mon2: { kind: files, source: { paths: [./app] } }
`)
    ).toEqual([
      "peers.app1: 'app1' is this instance's own name (instance: app1)",
      'peers.Mon1: instance names: lower-case letters, digits, ., - and _ (at most 63)',
      'peers.mon2.url: must not contain credentials: the tokens are files',
      'peers.mon2.tokens.admin: file does not exist',
      "targets.mon2: a target must not be named like an instance ('mon2' is a peer): rename the target",
      'repositories.a.s3: is required for an s3: repository ({accessKeyFile or accessKeyEnv, secretKeyFile or secretKeyEnv}; never in the URL)',
      'repositories.b.s3: give the access key once: accessKeyFile or accessKeyEnv',
      'repositories.c.s3: only for s3: repositories (the url is not one)',
      "repositories.c.pruneBy: unknown instance 'mon3' (this instance: app1; peers: app1, Mon1, mon2)",
    ]);
  });
});
