/**
 * s3: repositories against a real S3-protocol server (s3rver over TLS, started by
 * scripts/services.sh): backup, verification, restore and retention on one; a copy to one; the
 * key pair only ever in restic's environment (never argv, logs or errors); a refused key and an
 * untrusted certificate said as such. Then one bucket shared by two instances with a target of
 * the same name: backups at once, each instance's retention and copies touch only its own
 * snapshots, only the pruning instance prunes, and the space comes back when it does.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Lab, makeLab, resticSnapshots } from '../test/harness';
import { readdir as readdirAsync } from 'node:fs/promises';
import { descendants, waitFor } from '../test/process';
import { start } from '../util/subprocess';
import { s3RepositoryConfig, services, sftpRepository } from '../test/services';
import { rebuildCatalog } from '../catalog/rebuild';
import { createLogger } from '../util/log';
import { tags as snapshotTags } from './tags';

const SECRET_KEY = 's3Secret-SECRET-5b7d9f1e3a2c';
const WRONG_ACCESS_KEY = 'AKIAWRONG-SECRET-0a1b2c3d4e';
const unique = () => `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;

/** Command lines of every process below this one (restic and what it starts), sampled while it runs. */
function sampleCommandLines(into: Set<string>): NodeJS.Timeout {
  return setInterval(() => {
    for (const pid of descendants(process.pid)) {
      try {
        into.add(readFileSync(`/proc/${pid}/cmdline`).toString().split('\0').join(' ').trim());
      } catch {
        // ended meanwhile
      }
    }
  }, 20);
}

/** A logger whose lines are kept (what the service would write to its log). */
function capturingLogger(lines: string[]) {
  return createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }) as never,
  });
}

function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), content);
  }
}

/** The pack files (restic's data objects) s3rver holds for one repository in the bucket. */
function packObjects(repoName: string): string[] {
  const data = path.join(services().s3.dir, repoName, 'data');
  const out: string[] = [];
  for (const sub of readdirSync(data)) {
    for (const f of readdirSync(path.join(data, sub))) {
      if (f.endsWith('._S3rver_object')) {
        out.push(`${sub}/${f}`);
      }
    }
  }
  return out.sort();
}

describe('an s3: repository', () => {
  let lab: Lab;
  const repoName = `s3-test-${unique()}`;
  const copyName = `s3-copy-${unique()}`;
  const lines: string[] = [];
  const commandLines = new Set<string>();
  let sampler: NodeJS.Timeout;

  beforeAll(() => {
    const s3 = s3RepositoryConfig(repoName);
    lab = makeLab({
      repositories: {
        main: { url: './repo', passwordFile: './repo.pass' },
        bucket: {
          ...s3,
          passwordFile: './repo.pass',
          // The key pair from files: the secret key is one only this test uses (s3rver checks the key id).
          s3: { accessKeyFile: (s3.s3 as { accessKeyFile: string }).accessKeyFile, secretKeyFile: './s3-secret' },
        },
        bucketcopy: {
          ...s3RepositoryConfig(copyName),
          passwordFile: './repo.pass',
          s3: { accessKeyFile: (s3.s3 as { accessKeyFile: string }).accessKeyFile, secretKeyFile: './s3-secret' },
        },
      },
      targets: {
        app: { kind: 'files', source: { paths: ['./app'] }, repository: 'bucket', retention: { keepLast: 2 } },
        docs: { kind: 'files', source: { paths: ['./docs'] }, copies: ['bucketcopy'] },
      },
      files: { 's3-secret': SECRET_KEY },
      log: capturingLogger(lines),
    });
    sampler = sampleCommandLines(commandLines);
  });
  afterAll(() => {
    clearInterval(sampler);
    lab.cleanup();
    for (const name of [repoName, copyName]) {
      rmSync(path.join(services().s3.dir, name), { recursive: true, force: true });
    }
  });

  it('backup, retention, verification and restore, the bucket holding exactly what the catalog says', async () => {
    const app = path.join(lab.dir, 'app');
    const versions: string[] = [];
    for (const v of ['one', 'two', 'three']) {
      writeTree(app, { 'index.html': `<h1>${v}</h1>\n`, 'app.cfg': `version=${v}\n` });
      const o = await lab.engine.backup('app', 'test');
      expect({ status: o.status, error: o.error }).toEqual({ status: 'success', error: null });
      versions.push(o.snapshotId!);
    }
    // keepLast 2: the first version is gone, from the catalog and from the bucket.
    const held = lab.engine.snapshots('app').map((s) => s.id);
    expect(held).toEqual([versions[2], versions[1]]);
    expect((await resticSnapshots(lab, 'bucket')).map((s) => s.id).sort()).toEqual([...held].sort());
    // Every snapshot carries this instance's name.
    expect((await resticSnapshots(lab, 'bucket'))[0].tags).toContain(snapshotTags.instance(lab.engine.config.instance));

    const v = await lab.engine.verify('app', 'latest', 'test');
    expect({ status: v.status, error: v.error }).toEqual({ status: 'success', error: null });

    const to = path.join(lab.dir, 'restored');
    const r = await lab.engine.restore('app', { snapshot: versions[1], to, safetyBackup: false }, 'test');
    expect({ status: r.status, error: r.error }).toEqual({ status: 'success', error: null });
    expect(readFileSync(path.join(to, 'app', 'app.cfg'), 'utf8')).toBe('version=two\n');
  });

  it('copies to an s3: repository and records the copy', async () => {
    writeTree(path.join(lab.dir, 'docs'), { 'README.md': '# docs\n' });
    const o = await lab.engine.backup('docs', 'test');
    expect({ status: o.status, error: o.error, copyErrors: o.detail.copyErrors }).toEqual({
      status: 'success',
      error: null,
      copyErrors: undefined,
    });
    expect(lab.engine.snapshots('docs')[0].heldBy).toEqual(['main', 'bucketcopy']);
    const copied = await resticSnapshots(lab, 'bucketcopy');
    expect(copied.map((s) => s.original)).toEqual([o.snapshotId]);
  });

  it('the key pair never reached a command line, a log line or an error; the secret key is redacted', () => {
    const accessKey = readFileSync(services().s3.accessKeyFile, 'utf8').trim();
    const restic = [...commandLines].filter((c) => /(^|\/)restic /.test(c));
    expect(restic.length).toBeGreaterThan(0);
    expect(restic.some((c) => c.includes('--cacert'))).toBe(true);
    for (const c of commandLines) {
      expect(c).not.toContain(SECRET_KEY);
      expect(c).not.toContain(accessKey);
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(SECRET_KEY);
    for (const run of lab.engine.catalog.runs({ limit: 100 })) {
      expect(JSON.stringify(run)).not.toContain(SECRET_KEY);
    }
  });
});

describe('an s3: repository that refuses', () => {
  let lab: Lab;
  const name = `s3-refused-${unique()}`;
  beforeAll(() => {
    process.env.BSLA_TEST_WRONG_S3_KEY = WRONG_ACCESS_KEY;
    const s3 = s3RepositoryConfig(name);
    const { caFile: _ca, ...untrusted } = s3;
    lab = makeLab({
      repositories: {
        main: { url: './repo', passwordFile: './repo.pass' },
        wrongkey: {
          ...s3,
          passwordFile: './repo.pass',
          s3: { accessKeyEnv: 'BSLA_TEST_WRONG_S3_KEY', secretKeyFile: './s3-secret' },
        },
        untrusted: { ...untrusted, passwordFile: './repo.pass' },
      },
      targets: {
        a: { kind: 'files', source: { paths: ['./a'] }, repository: 'wrongkey' },
        b: { kind: 'files', source: { paths: ['./a'] }, repository: 'untrusted' },
      },
      files: { 's3-secret': SECRET_KEY },
    });
    writeTree(path.join(lab.dir, 'a'), { f: 'x\n' });
  });
  afterAll(() => {
    lab.cleanup();
    delete process.env.BSLA_TEST_WRONG_S3_KEY;
  });

  it('a key the storage does not know: the storage refused it, in words, without the key; nothing created', async () => {
    const o = await lab.engine.backup('a', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/^repository wrongkey: the storage refused the connection \(credentials or certificate/);
    expect(o.error).toMatch(/Access Key Id you provided does not exist/);
    expect(o.error).not.toMatch(/no repository at/);
    expect(o.error).not.toContain(WRONG_ACCESS_KEY);
    expect(o.error).not.toContain(SECRET_KEY);
  });

  it('a certificate not trusted (no caFile): said so, not "no repository"', async () => {
    const o = await lab.engine.backup('b', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(
      /^repository untrusted: the storage refused the connection .*x509: certificate signed by unknown authority/
    );
    expect(readdirSync(services().s3.dir)).not.toContain(name);
  });
});

describe('one bucket shared by two instances with a target of the same name', () => {
  const shared = `s3-shared-${unique()}`;
  const copy = sftpRepository(`shared-copy-${unique()}`);
  const labs: Record<'a' | 'b', Lab> = {} as never;

  beforeAll(() => {
    for (const me of ['a', 'b'] as const) {
      const other = me === 'a' ? 'b' : 'a';
      labs[me] = makeLab({
        repositories: {
          // Both name b as the one instance that prunes (and creates) the shared repositories.
          shared: { ...s3RepositoryConfig(shared), passwordFile: './repo.pass', pruneBy: 'b' },
          copy: { url: copy.url, options: copy.options, passwordFile: './repo.pass', pruneBy: 'b' },
        },
        targets: { app: { kind: 'files', source: { paths: ['./app'] }, retention: { keepLast: 1 }, copies: ['copy'] } },
        extra: {
          instance: me,
          peers: {
            [other]: {
              url: 'http://127.0.0.1:9',
              tokens: { viewer: './peer.token', operator: './peer.token', admin: './peer.token' },
            },
          },
        },
        files: { 'peer.token': 'unused-peer-token' },
      });
    }
    // One repository password for both (a shared repository has one).
    writeFileSync(path.join(labs.a.dir, 'repo.pass'), readFileSync(path.join(labs.b.dir, 'repo.pass')));
  });
  afterAll(() => {
    labs.a?.cleanup();
    labs.b?.cleanup();
    rmSync(path.join(services().s3.dir, shared), { recursive: true, force: true });
    rmSync(copy.url.replace(/^sftp:[^:]+:/, ''), { recursive: true, force: true });
  });

  let firstA: string;
  let firstB: string;

  it('only the pruning instance creates a shared repository; then both back up at once', async () => {
    writeTree(path.join(labs.a.dir, 'app'), { 'data.bin': randomBytes(300_000) });
    writeTree(path.join(labs.b.dir, 'app'), { 'data.bin': randomBytes(300_000) });
    const early = await labs.a.engine.backup('app', 'test');
    expect(early.status).toBe('failed');
    expect(early.error).toMatch(/it is shared, and instance b \(its pruning instance\) creates it/);

    const first = await labs.b.engine.backup('app', 'test');
    expect({ status: first.status, error: first.error }).toEqual({ status: 'success', error: null });
    writeTree(path.join(labs.b.dir, 'app'), { 'data.bin': randomBytes(300_000) });
    // Both instances at once (restic's locks: backups share the repository).
    const [a, b] = await Promise.all([labs.a.engine.backup('app', 'test'), labs.b.engine.backup('app', 'test')]);
    expect([a.status, a.error, a.detail.copyErrors]).toEqual(['success', null, undefined]);
    expect([b.status, b.error, b.detail.copyErrors]).toEqual(['success', null, undefined]);
    firstA = a.snapshotId!;
    firstB = b.snapshotId!;
    const inBucket = await resticSnapshots(labs.a, 'shared');
    expect(inBucket.map((s) => s.id)).toEqual(expect.arrayContaining([firstA, firstB]));
    // Each instance's catalog holds its own snapshot of `app` only, copied to the shared copy.
    expect(labs.a.engine.snapshots('app').map((s) => [s.id, s.heldBy])).toEqual([[firstA, ['shared', 'copy']]]);
    expect(labs.b.engine.snapshots('app').map((s) => [s.id, s.heldBy])).toEqual([[firstB, ['shared', 'copy']]]);
  });

  it("a's retention forgets a's snapshot only, in the bucket and in the copy, without pruning", async () => {
    const packsBefore = packObjects(shared);
    writeTree(path.join(labs.a.dir, 'app'), { 'data.bin': randomBytes(300_000) });
    const o = await labs.a.engine.backup('app', 'test');
    expect({ status: o.status, error: o.error, forgotten: o.detail.forgotten }).toEqual({
      status: 'success',
      error: null,
      forgotten: [firstA],
    });
    const inBucket = (await resticSnapshots(labs.a, 'shared')).map((s) => s.id);
    expect(inBucket).not.toContain(firstA);
    expect(inBucket).toContain(firstB);
    const inCopy = (await resticSnapshots(labs.a, 'copy')).map((s) => s.original);
    expect(inCopy).not.toContain(firstA);
    expect(inCopy).toContain(firstB);
    // a forgot without --prune: no pack object of the bucket was deleted.
    const packsAfter = packObjects(shared);
    expect(packsBefore.filter((p) => !packsAfter.includes(p))).toEqual([]);
    // b's own view is untouched.
    expect(labs.b.engine.snapshots('app').map((s) => s.id)).toEqual([firstB]);
  });

  it("a's retention while another instance holds the repository's lock: deferred, the backup good", async () => {
    // b's backup reading from a stdin that stays open: a live lock of another process on the bucket.
    const b = labs.b.engine.repository('shared');
    const holder = start(
      {
        command: 'restic',
        args: [
          '-r',
          b.config.url,
          ...b.globalArgs(),
          'backup',
          '--stdin',
          '--stdin-filename',
          'x',
          '--tag',
          'instance=b',
        ],
        env: { ...process.env, ...b.backendEnv(), RESTIC_PASSWORD_FILE: b.config.password.file } as NodeJS.ProcessEnv,
      },
      { stdin: 'pipe' }
    );
    try {
      const locks = path.join(services().s3.dir, shared, 'locks');
      await waitFor(async () => (await readdirAsync(locks).catch(() => [])).length > 0, 20_000, 'the lock');
      const held = labs.a.engine.snapshots('app').map((s) => s.id);
      writeTree(path.join(labs.a.dir, 'app'), { 'data.bin': randomBytes(1000) });
      const o = await labs.a.engine.backup('app', 'test');
      expect({ status: o.status, error: o.error, forgotten: o.detail.forgotten }).toEqual({
        status: 'success',
        error: null,
        forgotten: [],
      });
      expect(o.detail.retentionDeferred).toMatch(
        /^retention deferred to the next backup: repository shared is locked by another running process/
      );
      // Nothing was lost: the versions stay until the next retention.
      expect(labs.a.engine.snapshots('app').map((s) => s.id)).toEqual([o.snapshotId, ...held]);
    } finally {
      holder.child.kill('SIGKILL');
      await holder.done.catch(() => undefined);
    }
  });

  it('a may not prune; b prunes and the space of what a forgot comes back', async () => {
    await expect(labs.a.engine.prune('shared', 'test')).rejects.toThrow(
      /repository shared is shared and pruned by instance b, not by this one \(a\)/
    );
    const bytes = () =>
      packObjects(shared).reduce((n, p) => n + statSync(path.join(services().s3.dir, shared, 'data', p)).size, 0);
    const before = bytes();
    await labs.b.engine.prune('shared', 'test');
    expect(bytes()).toBeLessThan(before - 200_000);
    expect(labs.b.engine.catalog.auditEntries(10)[0]).toMatchObject({ action: 'prune', result: 'ok' });
    // Nothing anyone holds was lost: restic finds the repository whole.
    await labs.b.engine.repository('shared').check();
  });

  it("b's own retention forgets with --prune: the space of its previous version comes back at once", async () => {
    const before = packObjects(shared);
    const previous = labs.b.engine.snapshots('app').map((s) => s.id);
    writeTree(path.join(labs.b.dir, 'app'), { 'data.bin': randomBytes(300_000) });
    const o = await labs.b.engine.backup('app', 'test');
    expect({ status: o.status, error: o.error, forgotten: o.detail.forgotten }).toEqual({
      status: 'success',
      error: null,
      forgotten: previous,
    });
    // Only a prune deletes pack objects: some of those there before are gone.
    const after = packObjects(shared);
    expect(before.filter((p) => !after.includes(p)).length).toBeGreaterThan(0);
  });

  it("a catalog rebuilt from the shared bucket takes a's snapshots only", async () => {
    const report = await rebuildCatalog(labs.a.engine);
    // a holds two versions (its last retention was deferred); b's snapshots of `app` are not a's.
    expect(report).toEqual([{ target: 'app', found: 2, added: 0, dropped: 0 }]);
  });
});
