/**
 * The driver conformance suite (restic's backend test suite is the model): one function every kind
 * calls with its own fixture — how to make a source with known data, read it, change it, reach it
 * elsewhere — and gets the same proofs of DESIGN §5 against its real server:
 *
 *   round trip, verification passes, verification fails on a tampered recorded state, could not
 *   verify is not "failed", unreachable source (one clear line, no snapshot, work dir empty),
 *   abort mid-backup, restore in place keeps the old data (moved aside, or in the safety snapshot
 *   where the kind cannot move aside) and brings the snapshot's data back, a restore whose snapshot
 *   cannot be read leaves the live data untouched, a damaged repository fails verification and
 *   leaves the live data untouched, no secret in logs, errors, run records or command lines.
 *
 * The tests run in order over one lab and one repository (every restic command costs ≈ 0.7 s):
 * a failing step makes the later ones fail too; read the first failure.
 *
 *   conformance({ kind: 'mysql', create, destroy, target, ... })   // in <kind>.conformance.test.ts
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import YAML from 'yaml';
import { changeRecordedMetadata, makeLab, Lab, resticSnapshots } from '../../test/harness';
import { waitForProcess } from '../../test/process';
import { createLogger } from '../../util/log';
import type { MovedAside, Metadata } from '../types';
import type { RunRecord } from '../../catalog/catalog';
import { watchChildren, ChildWatch } from './children';

/** The run of `target` this lab's engine has started, once it is recorded. */
async function waitForRunning(lab: Lab, target: string, timeoutMs = 20_000): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const run = lab.engine.catalog.runningRuns().find((r) => r.target === target);
    if (run) {
      return run;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no run of ${target} started`);
}

export interface ConformanceFixture<State> {
  /** The kind, for the test names ("mysql"). */
  kind: string;
  /** Creates the live source with known data on the real server (once, before the lab). */
  create(): Promise<void>;
  /** Removes everything create() and the tests made on the server (also what was moved aside). */
  destroy(): Promise<void>;
  /** The live target's configuration (YAML shape); relative paths are files of `files`. */
  target(): Record<string, unknown>;
  /** The same target with its source unreachable (a closed port, a directory that is not there). */
  unreachable(target: Record<string, unknown>): Record<string, unknown>;
  /** Files the lab needs (password, token files), name → content. */
  files?: Record<string, string>;
  /** Secrets that must never show in logs, errors, run records or command lines (the repository's password is added). */
  secrets: string[];
  /** Reads the data at `place` (the live source when undefined), in a form toEqual can compare. */
  read(place?: string): Promise<State>;
  /** Changes the live data so that it differs from the snapshot (and can be told apart when kept). */
  change(): Promise<void>;
  /** Where the kind restores beside the live data (destinations.elsewhere): the `to` to use. */
  elsewhere?: { to: string };
  /** Makes the recorded metadata disagree with the data the snapshot holds: verification must fail. */
  tamper(metadata: Metadata): Metadata;
  /**
   * How an in-place restore keeps what it replaces: 'moved' (the result names what was moved
   * aside, read() reads it; `keptAs` says how the kept copy may differ from the live data it was,
   * e.g. events disabled), or 'safety-snapshot' (the kind cannot move aside: restoring the safety
   * snapshot brings it back; `force`: every in-place restore of the suite is forced, for kinds
   * that keep objects changed after the backup unless forced).
   */
  aside: { kind: 'moved'; keptAs?: (state: State) => State } | { kind: 'safety-snapshot'; force?: boolean };
  /**
   * Whether verification reaches the live source (a scratch database on its server, a re-import
   * plan against it): then an unreachable source makes it "could not verify". Default true; false
   * for kinds that verify from the snapshot alone (the test is then skipped).
   */
  verifiesAgainstSource?: boolean;
  /** Command-line parts of the producer to hold and abort mid-backup (default: restic's backup). */
  abortWhen?: string[];
  /** Names of scratch/staging things left on the server (must be none after every run). */
  scratchLeft?(): Promise<string[]>;
}

/** A moved-aside item as the engine reports it: "database <name>", or a directory's absolute path. */
function asideItem(text: string): MovedAside {
  return text.startsWith('database ')
    ? { kind: 'database', name: text.slice('database '.length), was: '' }
    : { kind: 'directory', name: text, was: '' };
}

function packFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? packFiles(p) : [p];
  });
}

export function conformance<State>(f: ConformanceFixture<State>): void {
  describe(`${f.kind} driver conformance`, () => {
    let lab: Lab;
    let children: ChildWatch;
    const logs: string[] = [];
    /** The data when the first snapshot was taken. */
    let original: State;
    let first: string;

    const live = () => lab.engine.config.targets.live;
    /** Kinds that keep objects changed after the backup unless forced: every in-place restore is forced. */
    const force = f.aside.kind === 'safety-snapshot' ? f.aside.force : undefined;
    const repoDir = () => lab.engine.config.repositories.main.url;
    const workDirEmpty = () => expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
    const noScratch = async () => {
      if (f.scratchLeft) {
        expect(await f.scratchLeft()).toEqual([]);
      }
    };
    /** The verification outcome the run recorded (passed, failed, unknown). */
    const outcomeOf = (runId: number) =>
      (lab.engine.catalog.run(runId)!.detail.verification as { outcome: string } | undefined)?.outcome;
    const writeConfig = (liveTarget: Record<string, unknown>) => {
      const cfg = YAML.parse(readFileSync(lab.configFile, 'utf8'));
      cfg.targets.live = liveTarget;
      writeFileSync(lab.configFile, YAML.stringify(cfg));
      lab.reopen();
    };

    beforeAll(async () => {
      await f.create();
      const sink = new Writable({
        write(chunk, _enc, cb) {
          logs.push(chunk.toString());
          cb();
        },
      });
      lab = makeLab({
        targets: { live: f.target(), down: f.unreachable(f.target()) },
        files: f.files,
        log: createLogger({ level: 'debug', destination: sink }),
      });
      children = watchChildren();
    });
    afterAll(async () => {
      children?.stop();
      lab?.cleanup();
      await f.destroy();
    });

    test('backup saves one snapshot with its recorded state and leaves the work directory empty', async () => {
      original = await f.read();
      const b = await lab.engine.backup('live', 'test');
      expect(b.error).toBeNull();
      expect(b.status).toBe('success');
      first = b.snapshotId!;
      const [snap] = lab.engine.snapshots('live');
      expect(snap.id).toBe(first);
      expect(snap.metadata).not.toBeNull();
      expect(lab.engine.contents(snap)).not.toBeNull();
      expect((await resticSnapshots(lab)).map((s) => s.id)).toEqual([first]);
      workDirEmpty();
    });

    test('verification passes on the snapshot just taken', async () => {
      const v = await lab.engine.verify('live', first, 'test');
      expect(v.error).toBeNull();
      expect(v.status).toBe('success');
      expect(lab.engine.snapshots('live').find((s) => s.id === first)!.verification).toBe('passed');
      workDirEmpty();
      await noScratch();
    });

    if (f.elsewhere) {
      const to = f.elsewhere.to;
      test(`round trip: restore elsewhere (${to}) gives the same data, the live data stays as it is`, async () => {
        const r = await lab.engine.restore('live', { snapshot: first, to, safetyBackup: true }, 'test');
        expect(r.error).toBeNull();
        expect(r.status).toBe('success');
        expect(r.detail.safetyBackup).toBe('not-needed');
        expect(await f.read(to)).toEqual(original);
        expect(await f.read()).toEqual(original);
        workDirEmpty();
        await noScratch();
      });
    }

    test('restore in place keeps the old data and brings the snapshot back (round trip in place)', async () => {
      await f.change();
      const changed = await f.read();
      expect(changed).not.toEqual(original);
      const r = await lab.engine.restore('live', { snapshot: first, safetyBackup: true, force }, 'test');
      expect(r.error).toBeNull();
      expect(r.status).toBe('success');
      expect(await f.read()).toEqual(original);
      const outcome = r.detail.restore as { movedAside: string[]; counts: Record<string, number> };
      expect(Object.keys(outcome.counts).length).toBeGreaterThan(0);
      workDirEmpty();
      await noScratch();
      if (f.aside.kind === 'moved') {
        expect(outcome.movedAside.length).toBeGreaterThan(0);
        const driver = lab.engine.driver(live());
        const items = outcome.movedAside.map(asideItem);
        // What was there is kept, whole, under the name the result gives.
        expect(await f.read(items[0].name)).toEqual(f.aside.keptAs ? f.aside.keptAs(changed) : changed);
        for (const item of items) {
          expect(await driver.asideExists!(live(), item)).toBe(true);
          await driver.removeAside!(live(), item);
          expect(await driver.asideExists!(live(), item)).toBe(false);
        }
      } else {
        // The kind cannot move aside: the safety snapshot holds what was replaced.
        expect(r.detail.safetyBackup).toBe('saved');
        const safetyId = r.detail.safetySnapshotId as string;
        expect(safetyId).toMatch(/^[0-9a-f]{64}$/);
        const back = await lab.engine.restore('live', { snapshot: safetyId, safetyBackup: true, force }, 'test');
        expect(back.error).toBeNull();
        expect(await f.read()).toEqual(changed);
        const again = await lab.engine.restore('live', { snapshot: first, safetyBackup: true, force }, 'test');
        expect(again.error).toBeNull();
        expect(await f.read()).toEqual(original);
      }
    });

    test('a restore whose snapshot cannot be read fails and leaves the live data untouched', async () => {
      let b = await lab.engine.backup('live', 'test');
      if (b.status === 'unchanged') {
        // A versioned kind (files, ansible) saves only a new version: make one.
        await f.change();
        b = await lab.engine.backup('live', 'test');
      }
      expect(b.error).toBeNull();
      const lost = b.snapshotId!;
      // The repository lost it (deleted by hand, a failed disk): the catalog still lists it.
      rmSync(path.join(repoDir(), 'snapshots', lost));
      try {
        await f.change();
        const changed = await f.read();
        const r = await lab.engine.restore('live', { snapshot: lost, safetyBackup: true }, 'test');
        expect(r.status).toBe('failed');
        expect(r.error!.split('\n')).toHaveLength(1);
        expect(await f.read()).toEqual(changed);
        workDirEmpty();
        await noScratch();
      } finally {
        lab.engine.catalog.markForgotten([lost], lab.clock.now);
      }
    });

    test('verification fails when the recorded state disagrees with the snapshot', async () => {
      const putBack = changeRecordedMetadata(lab, first, (meta) => Object.assign(meta, f.tamper(meta)));
      try {
        const v = await lab.engine.verify('live', first, 'test');
        expect(v.status).toBe('failed');
        expect(v.error).toMatch(/^verification failed: /);
        expect(outcomeOf(v.runId)).toBe('failed');
        expect(lab.engine.snapshots('live').find((s) => s.id === first)!.verification).toBe('failed');
        workDirEmpty();
        await noScratch();
      } finally {
        putBack();
      }
      expect((await lab.engine.verify('live', first, 'test')).status).toBe('success');
    });

    (f.verifiesAgainstSource === false ? test.skip : test)(
      'a verification that cannot reach the source is "could not verify", never failed',
      async () => {
        const good = f.target();
        writeConfig(f.unreachable(good));
        try {
          const v = await lab.engine.verify('live', first, 'test');
          expect(v.status).toBe('failed');
          expect(v.error).toMatch(/^could not verify: /);
          expect(v.error!.split('\n')).toHaveLength(1);
          expect(outcomeOf(v.runId)).toBe('unknown');
          expect(lab.engine.snapshots('live').find((s) => s.id === first)!.verification).toBe('passed');
          workDirEmpty();
        } finally {
          writeConfig(good);
        }
      }
    );

    test('an unreachable source: the backup fails with one clear line, no snapshot, an empty work directory', async () => {
      const held = (await resticSnapshots(lab)).map((s) => s.id).sort();
      const b = await lab.engine.backup('down', 'test');
      expect(b.status).toBe('failed');
      expect(b.error).toBeTruthy();
      expect(b.error!.split('\n')).toHaveLength(1);
      expect(lab.engine.snapshots('down')).toEqual([]);
      expect((await resticSnapshots(lab)).map((s) => s.id).sort()).toEqual(held);
      workDirEmpty();
    });

    test('abort mid-backup: no snapshot left, no lock, an empty work directory', async () => {
      const held = (await resticSnapshots(lab)).map((s) => s.id).sort();
      const running = lab.engine.backup('live', 'test');
      // The producer is held still so that the abort surely comes before the end.
      // restic's command line names the run (its tag), not the repository (that is in its environment).
      const run = await waitForRunning(lab, 'live');
      const pid = await waitForProcess(f.abortWhen ?? ['restic', 'backup', `run=${run.uid}`]);
      process.kill(pid, 'SIGSTOP');
      let stopped: Promise<void>;
      try {
        stopped = lab.engine.shutdown(0); // aborts running backups at once
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const o = await running;
      await stopped;
      lab.reopen(); // a new engine: the old one is shut down
      expect(o.status).toBe('failed');
      expect(o.error).toMatch(/^aborted: /);
      expect((await resticSnapshots(lab)).map((s) => s.id).sort()).toEqual(held);
      expect(lab.engine.catalog.run(o.runId)!.status).toBe('failed');
      expect(readdirSync(path.join(repoDir(), 'locks'))).toEqual([]);
      workDirEmpty();
      await noScratch();
    });

    // Last but one: it breaks the repository.
    test('a damaged repository: verification fails, a restore leaves the live data untouched', async () => {
      for (const file of packFiles(path.join(repoDir(), 'data'))) {
        const buf = readFileSync(file);
        for (let i = Math.floor(buf.length / 2); i < buf.length; i += 97) {
          buf[i] ^= 0xff;
        }
        writeFileSync(file, buf);
      }
      const v = await lab.engine.verify('live', first, 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toMatch(/^verification failed: /);
      const before = await f.read();
      const r = await lab.engine.restore('live', { snapshot: first, safetyBackup: false }, 'test');
      expect(r.status).toBe('failed');
      expect(r.error!.split('\n')).toHaveLength(1);
      expect(await f.read()).toEqual(before);
      workDirEmpty();
      await noScratch();
    });

    test('no secret in logs, error messages, run records or command lines', () => {
      const secrets = [...f.secrets, readFileSync(path.join(lab.dir, 'repo.pass'), 'utf8').trim()];
      expect(secrets.every((s) => s.length >= 8)).toBe(true);
      const logText = logs.join('');
      const records = JSON.stringify([
        lab.engine.catalog.runs({ limit: 1000 }),
        lab.engine.catalog.auditEntries(1000),
        lab.engine.snapshots('live'),
      ]);
      // The watch saw the real programs (not a vacuous pass).
      expect(children.started.some((c) => /restic/.test(c.command))).toBe(true);
      expect(logText).toMatch(/backup started/);
      for (const secret of secrets) {
        expect(logText).not.toContain(secret);
        expect(records).not.toContain(secret);
        for (const c of children.started) {
          expect(c.args.join(' ')).not.toContain(secret);
          expect(c.cmdline).not.toContain(secret);
        }
      }
      expect(existsSync(lab.engine.config.workDir)).toBe(true);
    });
  });
}
