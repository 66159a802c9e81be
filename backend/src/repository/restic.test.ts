import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeLab, Lab } from '../test/harness';

/**
 * The restic commands a run starts, by their subcommand: every one that opens the repository
 * derives its key first (≈ 0.7 s), so a run should start no more of them than its work needs.
 * A wrapper in front of the real restic on PATH writes down each call.
 */
describe('restic calls of a run', () => {
  let lab: Lab;
  let calls: string;
  const realPath = process.env.PATH;

  beforeAll(() => {
    lab = makeLab({ targets: { files: { kind: 'files', source: { paths: ['./srv'] } } } });
    mkdirSync(path.join(lab.dir, 'srv'));
    const bin = path.join(lab.dir, 'bin');
    mkdirSync(bin);
    calls = path.join(lab.dir, 'restic-calls');
    const restic = execFileSync('which', ['restic']).toString().trim();
    writeFileSync(path.join(bin, 'restic'), `#!/bin/sh\necho "$@" >> '${calls}'\nexec '${restic}' "$@"\n`);
    chmodSync(path.join(bin, 'restic'), 0o755);
    process.env.PATH = `${bin}:${realPath}`;
  });
  afterAll(() => {
    process.env.PATH = realPath;
    lab.cleanup();
  });

  const COMMANDS = new Set(['backup', 'cat', 'copy', 'dump', 'forget', 'init', 'restore', 'snapshots', 'unlock']);
  const subcommands = () =>
    readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ').find((a) => COMMANDS.has(a)));

  it('a backup into an existing local repository, in a new process, runs restic once: the backup', async () => {
    writeFileSync(path.join(lab.dir, 'srv', 'a.txt'), 'one');
    expect((await lab.engine.backup('files', 'test')).status).toBe('success');
    // A new process (the CLI): nothing is known about the repository yet.
    lab.reopen();
    writeFileSync(calls, '');
    writeFileSync(path.join(lab.dir, 'srv', 'a.txt'), 'two');
    expect((await lab.engine.backup('files', 'test')).status).toBe('success');
    expect(subcommands()).toEqual(['backup']);
  });
});
