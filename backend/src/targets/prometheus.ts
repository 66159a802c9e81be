/**
 * kind: prometheus — the TSDB. Backup asks Prometheus for a snapshot (admin API), saves
 * `<dataDir>/snapshots/<name>` and deletes it (Prometheus never does; prometheus/snapshots.ts
 * also covers a service killed meanwhile); the blocks' own statistics (series, samples, time
 * range) are recorded. The safety backup before a restore saves what is there by the most direct
 * means: the admin-API snapshot while Prometheus answers, else the data directory from disk (a
 * stopped server's directory is consistent), and "nothing" when the data directory is gone.
 *
 * Verification restores into the temp dir, runs `promtool tsdb analyze` on every block, starts a
 * scratch Prometheus over the copy and checks that it answers with the recorded series and time
 * range. promtool or prometheus (`verify.promtool`, `verify.prometheus`: default on PATH) not
 * installed: "could not verify".
 *
 * Restore goes to a directory below the target's restoreRoots (`to`), or in place: into the live
 * data directory, with the configured stop/start hooks. Either way the snapshot is staged beside
 * the destination, checked (blocks as recorded, `promtool tsdb list` opens each), and only then
 * swapped in; what was there is moved aside as `<path>.before-restore-<time>`, never deleted.
 * In place, a running Prometheus without hooks.stop is refused (nothing is touched); a stopped one
 * needs no hook; without hooks.start the result says to start it.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { doc, serviceUrlField } from '../config/schema';
import { UnavailableError } from '../util/errors';
import { run } from '../util/subprocess';
import { DoctorCheck, DriverContext, Metadata, RestoreContext, RestoreResult, TargetDriver } from './types';
import {
  directoryKind,
  isDirectory,
  movedAsideOf,
  realPathOf,
  removeStaging,
  RestoreRoots,
  restoreRootsField,
  stageBeside,
  swapInto,
} from './kit/directories';
import { locateProgram, toolCheck } from './kit/process';
import { ADMIN_API_DISABLED, answers, apiGet, waitUntilDown } from './prometheus/api';
import { checkScratch, startScratch } from './prometheus/scratch';
import { sweepInterrupted, withSnapshot } from './prometheus/snapshots';
import { blockRecord, readPrometheusMetadata } from './prometheus/metadata';
import { metadataForRestore } from './kit/metadata';
import {
  BlockInfo,
  checkTsdb,
  countBlocks,
  describeBlocks,
  iso,
  compareBlocks,
  promtoolSeries,
  PROMTOOL_HINT,
  readBlocks,
} from './prometheus/tsdb';

export { ADMIN_API_DISABLED } from './prometheus/api';
export { readBlocks } from './prometheus/tsdb';
export type { BlockInfo } from './prometheus/tsdb';

export interface PrometheusSettings {
  connection: {
    /** HTTP API, e.g. http://127.0.0.1:9090 */
    url: string;
    /** Prometheus' --storage.tsdb.path on this machine (snapshots are written below it). */
    dataDir: string;
  };
  /** Commands (argument arrays) that stop and start the live Prometheus, for restores into it. */
  hooks?: { stop?: string[]; start?: string[] };
  restoreRoots?: RestoreRoots;
  verify: {
    /** promtool for the verification and the check before a restore (default: on PATH). */
    promtool?: string;
    /** prometheus for the verification's scratch server (default: on PATH). */
    prometheus?: string;
  };
}

const HOOK_TIMEOUT_MS = 5 * 60 * 1000;
const PROMETHEUS_HINT = 'install prometheus (Debian: apt-get install prometheus)';

async function runHook(ctx: DriverContext<PrometheusSettings>, which: 'stop' | 'start', hook: string[]): Promise<void> {
  ctx.progress(`${which} hook`);
  try {
    await run({ command: hook[0], args: hook.slice(1), timeoutMs: HOOK_TIMEOUT_MS }, { signal: ctx.signal });
  } catch (e) {
    throw new Error(`the ${which} hook (${hook.join(' ')}) failed: ${(e as Error).message}`);
  }
}

/** The blocks the backup recorded; null when none were (catalog rebuilt); throws a MetadataError when malformed. */
function recordedBlocks(meta: Metadata | null): BlockInfo[] | null {
  return readPrometheusMetadata(meta)?.blocks ?? null;
}

function toolsOf(s: PrometheusSettings): { promtool: string; prometheus: string } {
  return { promtool: s.verify?.promtool ?? 'promtool', prometheus: s.verify?.prometheus ?? 'prometheus' };
}

/** Where this kind's live data lies: restores in place replace it (kit/directories.ts). */
const dirs = directoryKind<PrometheusSettings>((s) => [s.connection.dataDir]);

/**
 * Restores the snapshot into a staging directory beside `dest` and checks it there. Throws with
 * the problems (the live data untouched) when the copy is not the TSDB that was recorded.
 */
async function stageTsdb(
  ctx: RestoreContext<PrometheusSettings>,
  dest: string
): Promise<{ staging: string; blocks: BlockInfo[]; notes: string[] }> {
  const recorded = metadataForRestore(() => recordedBlocks(ctx.snapshot.metadata), 'nothing was replaced');
  const staging = stageBeside(ctx, dest, 0o750);
  try {
    ctx.progress('reading the snapshot');
    await ctx.reader.restoreTo(staging);
    ctx.progress('checking the restored TSDB');
    const c = await checkTsdb(
      toolsOf(ctx.target.settings).promtool,
      staging,
      recorded,
      ctx.target.timeoutSeconds * 1000,
      ctx.signal
    );
    if (c.problems.length) {
      throw new Error(`the restored TSDB is not what was backed up (${c.problems.join('; ')}); nothing was replaced`);
    }
    const notes = c.promtoolMissing ? [`promtool is not installed: only the blocks' meta.json were checked`] : [];
    return { staging, blocks: c.blocks, notes };
  } catch (e) {
    removeStaging(staging);
    throw e;
  }
}

/** In place: the live data directory, swapped in while Prometheus is stopped. */
async function restoreIntoLive(ctx: RestoreContext<PrometheusSettings>): Promise<RestoreResult> {
  const s = ctx.target.settings;
  const dataDir = path.resolve(s.connection.dataDir);
  const hooks = s.hooks ?? {};
  if (!hooks.stop && (await answers(s.connection.url))) {
    throw new Error(
      `Prometheus at ${s.connection.url} is running and the target has no hooks.stop: stop it (e.g. systemctl stop prometheus) and restore again, or configure hooks { stop, start }`
    );
  }
  if (existsSync(dataDir) && !isDirectory(dataDir)) {
    throw new Error(`${dataDir} exists and is not a directory`);
  }
  // Read and check the snapshot while Prometheus still runs: the outage is only the swap.
  const { staging, blocks, notes } = await stageTsdb(ctx, dataDir);
  let stopped = false;
  let swapped = false;
  try {
    if (hooks.stop) {
      await runHook(ctx, 'stop', hooks.stop);
      stopped = true;
      if (!(await waitUntilDown(s.connection.url, 60_000))) {
        throw new Error(
          `Prometheus at ${s.connection.url} still answers after the stop hook; the live data was not touched`
        );
      }
    }
    ctx.progress('replacing the live data directory');
    // Same owner and mode as before, so that the Prometheus user can write to it.
    const aside = swapInto(staging, dataDir, { keepMode: true });
    swapped = true;
    const next: string[] = [];
    if (hooks.start) {
      try {
        await runHook(ctx, 'start', hooks.start);
      } catch (e) {
        ctx.log.error({ err: (e as Error).message }, 'start hook after the restore');
        next.push(`start Prometheus: ${(e as Error).message}`);
      }
    } else {
      next.push('start Prometheus (no hooks.start configured)');
    }
    return {
      location: `live data directory ${dataDir}`,
      detail: [describeBlocks(blocks), ...(aside ? [`previous data kept in ${aside}`] : []), ...notes].join('; '),
      counts: countBlocks(blocks),
      movedAside: movedAsideOf(aside, dataDir),
      next,
    };
  } catch (e) {
    // Stopped but not swapped: the live data is as it was; bring Prometheus back on it.
    if (stopped && !swapped && hooks.start) {
      await runHook(ctx, 'start', hooks.start).catch((e2) =>
        ctx.log.error({ err: String(e2) }, 'start hook after a failed restore')
      );
    }
    throw e;
  } finally {
    if (!swapped) {
      removeStaging(staging);
    }
  }
}

/** The safety backup when no admin-API snapshot can be had: the data directory as it is on disk. */
async function saveFromDisk(
  ctx: Parameters<TargetDriver<PrometheusSettings>['backup']>[0],
  why: string
): Promise<Awaited<ReturnType<TargetDriver<PrometheusSettings>['backup']>>> {
  const dataDir = ctx.target.settings.connection.dataDir;
  if (!existsSync(dataDir)) {
    return { kind: 'nothing', reason: `the data directory ${dataDir} does not exist` };
  }
  if (!isDirectory(dataDir)) {
    throw new Error(`${dataDir} is not a directory; nothing was saved`);
  }
  const entries = readdirSync(dataDir).filter((e) => e !== 'lock');
  if (!entries.length) {
    return { kind: 'nothing', reason: `the data directory ${dataDir} is empty` };
  }
  ctx.log.warn({ dataDir }, `${why}: the safety backup saves the data directory from disk`);
  let blocks: BlockInfo[] = [];
  try {
    blocks = readBlocks(dataDir);
  } catch (e) {
    ctx.log.warn({ err: (e as Error).message }, 'a block of the live data directory is damaged; saved as it is');
  }
  ctx.progress('saving the data directory');
  const snapshot = await ctx.store.saveDirectory(dataDir);
  return {
    kind: 'saved',
    snapshot,
    version: null,
    metadata: blockRecord(blocks, { source: 'data directory', dataDir }),
  };
}

export const prometheusDriver: TargetDriver<PrometheusSettings> = {
  kind: 'prometheus',
  settingsShape: (h) => ({
    connection: doc(
      z.strictObject({
        url: doc(
          serviceUrlField('http://127.0.0.1:9090', 'the service reads Prometheus without them (use its local address)'),
          'Prometheus, started with --web.enable-admin-api (the backup takes a TSDB snapshot)',
          'http://127.0.0.1:9090'
        ).default('http://127.0.0.1:9090'),
        dataDir: doc(
          h.path(),
          "Prometheus's --storage.tsdb.path on this machine (snapshots appear below it)",
          '/var/lib/prometheus/metrics2'
        ),
      }),
      'how to reach Prometheus and where its data lies',
      { url: 'http://127.0.0.1:9090', dataDir: '/var/lib/prometheus/metrics2' }
    ),
    hooks: doc(
      z.strictObject({
        stop: doc(
          z.array(z.string().min(1)).min(1, 'a command: [program, arg, ...]'),
          'stops Prometheus before a restore in place swaps its data directory',
          ['systemctl', 'stop', 'prometheus']
        ).optional(),
        start: doc(z.array(z.string().min(1)).min(1, 'a command: [program, arg, ...]'), 'starts it again afterwards', [
          'systemctl',
          'start',
          'prometheus',
        ]).optional(),
      }),
      'commands (program and arguments, no shell) around a restore in place; without stop, a running Prometheus is not restored over',
      { stop: ['systemctl', 'stop', 'prometheus'], start: ['systemctl', 'start', 'prometheus'] }
    ).optional(),
    restoreRoots: restoreRootsField(h),
  }),
  verifyShape: () => ({
    promtool: doc(z.string().min(1), 'the promtool program (default: found on PATH)', '/usr/bin/promtool').optional(),
    prometheus: doc(
      z.string().min(1),
      'the prometheus program of the scratch server (default: found on PATH)',
      '/usr/bin/prometheus'
    ).optional(),
  }),
  defaults: {
    schedule: '30 2 * * *',
    rpo: '1d',
    rto: '20m',
    retention: { keepWeekly: 10 },
    verifySchedule: '30 4 * * 0',
    coverage: 'all Prometheus databases used (the TSDB with its metrics), as an admin-API snapshot',
    usability:
      'promtool tsdb analyze of the restored copy, and a scratch Prometheus on it answers with the same series and time range',
  },

  checkRestoreTarget: dirs.checkRestoreTarget,

  destinations: (t) => {
    const hooks = t.settings.hooks ?? {};
    return {
      inPlace: {
        replaces: `live data directory ${t.settings.connection.dataDir}`,
        movedAsideAs: `${t.settings.connection.dataDir}.before-restore-<time>`,
        note: hooks.stop
          ? `Prometheus is stopped (${hooks.stop.join(' ')}) for the swap${hooks.start ? ` and started again (${hooks.start.join(' ')})` : '; start it yourself afterwards (no hooks.start)'}`
          : 'no hooks.stop configured: Prometheus must already be stopped, and you start it afterwards',
        unavailable: null,
      },
      elsewhere: dirs.elsewhere(t, ', outside the live data directory'),
    };
  },

  contents: (metadata) => {
    const meta = readPrometheusMetadata(metadata)!;
    const blocks = meta.blocks;
    return {
      summary: `${describeBlocks(blocks)}${meta.source === 'data directory' ? ' (the data directory as it was on disk)' : ''}`,
      items: blocks.map((b) => ({
        name: `block ${b.ulid} (${iso(b.minTime)} to ${iso(b.maxTime - 1)})`,
        count: b.series,
        unit: 'series',
      })),
    };
  },

  async backup(ctx) {
    const s = ctx.target.settings;
    sweepInterrupted(s.connection.dataDir, ctx.log);
    ctx.progress('taking a TSDB snapshot');
    try {
      return await withSnapshot(ctx, s.connection.url, s.connection.dataDir, async (dir, name) => {
        const blocks = readBlocks(dir);
        ctx.progress('uploading');
        const snapshot = await ctx.store.saveDirectory(dir);
        return { kind: 'saved', snapshot, version: null, metadata: blockRecord(blocks, { snapshot: name }) };
      });
    } catch (e) {
      const message = (e as Error).message;
      // Prometheus stopped (or its admin API off): what is on disk is what a restore replaces.
      if (ctx.safety && (e instanceof UnavailableError || message === ADMIN_API_DISABLED)) {
        return saveFromDisk(ctx, message);
      }
      throw e;
    }
  },

  async verify(ctx) {
    // Malformed metadata fails the verification here, before anything is read (kit/metadata.ts).
    const recorded = recordedBlocks(ctx.snapshot.metadata);
    const tools = toolsOf(ctx.target.settings);
    const dir = path.join(ctx.tmpDir, 'tsdb');
    mkdirSync(dir, { recursive: true });
    ctx.progress('reading the snapshot');
    await ctx.reader.restoreTo(dir);
    let blocks: BlockInfo[];
    try {
      blocks = readBlocks(dir);
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
    const problems: string[] = recorded ? compareBlocks(recorded, blocks) : [];
    if (!blocks.length) {
      return problems.length
        ? { ok: false, detail: problems.join('; ') }
        : { ok: true, detail: `the snapshot is ${describeBlocks(blocks)}${recorded ? ', as recorded' : ''}` };
    }
    ctx.progress('promtool tsdb analyze');
    for (const b of blocks) {
      const n = await promtoolSeries(tools.promtool, dir, b.ulid, ctx.target.timeoutSeconds * 1000, ctx.signal);
      if (n !== null && typeof n === 'object') {
        problems.push(n.problem);
      } else if (n !== b.series) {
        problems.push(`block ${b.ulid}: promtool tsdb analyze finds ${n ?? 'no'} series, expected ${b.series}`);
      }
    }
    ctx.progress('starting a scratch Prometheus');
    const newestBlock = blocks.reduce((a, b) => (b.maxTime > a.maxTime ? b : a));
    const scratch = await startScratch(ctx, tools.prometheus, dir, newestBlock.maxTime - newestBlock.minTime + 1000);
    if ('problem' in scratch) {
      return { ok: false, detail: [...problems, scratch.problem].join('; ') };
    }
    try {
      ctx.progress('querying the scratch Prometheus');
      const r = await checkScratch(scratch.url, blocks, ctx.signal);
      problems.push(...r.problems);
    } finally {
      await scratch.stop();
    }
    if (problems.length) {
      return { ok: false, detail: problems.join('; ') };
    }
    return {
      ok: true,
      detail: `${describeBlocks(blocks)}; promtool tsdb analyze and a scratch Prometheus agree${recorded ? ' with what was recorded' : ''}`,
    };
  },

  async restore(ctx) {
    // In place is the live data directory, swapped in with the stop/start hooks.
    const dest = dirs.to(ctx);
    if (dest === null) {
      return restoreIntoLive(ctx);
    }
    const { staging, blocks, notes } = await stageTsdb(ctx, dest);
    try {
      const aside = swapInto(staging, dest, { keepMode: true });
      return {
        location: `directory ${dest}`,
        detail: [describeBlocks(blocks), ...(aside ? [`what was there was moved to ${aside}`] : []), ...notes].join(
          '; '
        ),
        counts: countBlocks(blocks),
        movedAside: movedAsideOf(aside, dest),
        next: [`to read it, start a Prometheus with --storage.tsdb.path=${dest}`],
      };
    } finally {
      removeStaging(staging);
    }
  },

  asideExists: dirs.asideExists,
  removeAside: dirs.removeAside,

  async doctor(t) {
    const s = t.settings;
    const url = s.connection.url;
    const dataDir = s.connection.dataDir;
    const checks: DoctorCheck[] = [];
    let flags: Record<string, string> | null = null;
    try {
      const build = await apiGet(url, '/api/v1/status/buildinfo');
      checks.push({
        name: 'connection',
        level: 'ok',
        detail: `Prometheus ${build?.version ?? '(version unknown)'} at ${url}`,
      });
      flags = await apiGet(url, '/api/v1/status/flags');
    } catch (e) {
      checks.push({
        name: 'connection',
        level: 'failed',
        detail: `${(e as Error).message}: backups fail until it answers`,
      });
    }
    if (flags) {
      checks.push(
        flags['web.enable-admin-api'] === 'true'
          ? { name: 'admin API', level: 'ok', detail: 'enabled (--web.enable-admin-api)' }
          : { name: 'admin API', level: 'failed', detail: ADMIN_API_DISABLED }
      );
      const tsdbPath = flags['storage.tsdb.path'];
      if (tsdbPath && path.isAbsolute(tsdbPath) && existsSync(dataDir)) {
        const same = realPathOf(dataDir) === realPathOf(tsdbPath);
        checks.push(
          same
            ? { name: 'data directory', level: 'ok', detail: `${dataDir} is its --storage.tsdb.path` }
            : {
                name: 'data directory',
                level: 'failed',
                detail: `Prometheus writes to ${tsdbPath}, the target names ${dataDir}: set connection.dataDir to ${tsdbPath}`,
              }
        );
      }
    }
    try {
      accessSync(dataDir, constants.R_OK | constants.X_OK);
      const snapshots = path.join(dataDir, 'snapshots');
      try {
        accessSync(existsSync(snapshots) ? snapshots : dataDir, constants.W_OK);
        checks.push({
          name: 'data directory access',
          level: 'ok',
          detail: `${dataDir} is readable; snapshots can be removed`,
        });
      } catch {
        checks.push({
          name: 'data directory access',
          level: 'failed',
          detail: `${snapshots} is not writable: backups could not remove the TSDB snapshots they make`,
        });
      }
    } catch {
      checks.push({
        name: 'data directory access',
        level: 'failed',
        detail: `${dataDir} does not exist or is not readable`,
      });
    }
    const tools = toolsOf(s);
    checks.push(await toolCheck('promtool', [tools.promtool], ['--version'], /version (\S+)/, PROMTOOL_HINT));
    checks.push(await toolCheck('prometheus', [tools.prometheus], ['--version'], /version (\S+)/, PROMETHEUS_HINT));
    for (const [which, hook] of Object.entries(s.hooks ?? {})) {
      if (hook) {
        checks.push(
          locateProgram([hook[0]])
            ? { name: `hooks.${which}`, level: 'ok', detail: hook.join(' ') }
            : { name: `hooks.${which}`, level: 'failed', detail: `${hook[0]} is not installed` }
        );
      }
    }
    if (!s.hooks?.stop) {
      checks.push({
        name: 'hooks.stop',
        level: 'warning',
        detail: 'not configured: a restore in place needs Prometheus stopped by hand first',
      });
    }
    return checks;
  },
};
