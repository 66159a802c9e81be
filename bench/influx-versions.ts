/**
 * 30 daily versions of the InfluxDB target with ~2 % new points a day: the restic repository's
 * size against the 30 portable backups it would otherwise keep (the sum of each day's
 * `influxd backup -portable` directory, measured every day). Goal: under 0.2×.
 *
 * The real influxdb driver saving into a real restic repository (the lab's, as the engine's store
 * does: snapshot time from the lab clock, one day apart). The engine itself is left out so that the
 * run stays short: its per-backup retention pass (`restic forget --dry-run`, ~1.5 s) would keep all
 * 30 under the SLA's { keepDaily: 30 } anyway; that is checked once at the end.
 *
 * Data as Telegraf writes it: 4 measurements × HOSTS hosts, 3–5 fields each, one point every
 * 2 minutes per series, values a bounded random walk with two decimals. A base history of
 * BASE_DAYS days, then one more day each day: with the defaults, 2 % of the base. Old shards
 * (7-day shard groups) do not change, so only the newest shard's archive is new each day — provided
 * the archives of unchanged shards are byte-identical, which the driver sees to (stableGzipHeader).
 * All timestamps lie in the past (the driver counts points up to "now"). The data lives in its own
 * database (bench_influx_versions), dropped at the end.
 *
 *   BENCH_INFLUX_DAYS (default 30)   BENCH_INFLUX_BASE_DAYS (default 50)
 *   BENCH_INFLUX_HOSTS (default 1)   one day = HOSTS × 4 series × 720 points
 *
 * Run: npx ts-node --project bench/tsconfig.json bench/influx-versions.ts
 */
import { applyPolicy } from '../backend/src/engine/retention';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeLab } from '../backend/src/test/harness';
import { run } from '../backend/src/util/subprocess';
import { silentLogger } from '../backend/src/util/log';
import { influxdbDriver, InfluxSettings } from '../backend/src/targets/influxdb';
import type { SnapshotStore } from '../backend/src/targets/types';
import type { TargetConfig } from '../backend/src/config/types';
import { Bench, dirBytes, ensureServices, envNumber, fmtBytes, runMain } from './lib';
import { prng } from './data';
import { DAY, influx, influxEnv as env, MEASUREMENTS, writeRange } from './influx';

const DB = 'bench_influx_versions';
const STEP = 120; // seconds between points of one series (Telegraf default is 10 s; 2 min keeps the run short)

runMain(async () => {
  const bench = new Bench(
    'influx-versions',
    'InfluxDB, 30 daily versions with ~2 % new points a day: repository size against 30 portable backups'
  );
  const days = Math.round(envNumber('BENCH_INFLUX_DAYS', 30));
  const baseDays = Math.round(envNumber('BENCH_INFLUX_BASE_DAYS', 50));
  const hosts = Math.round(envNumber('BENCH_INFLUX_HOSTS', 1));
  Object.assign(bench.params, { days, baseDays, hosts, pointsPerDay: hosts * MEASUREMENTS.length * (DAY / STEP) });
  ensureServices(['influxdb']);
  const rpc = env('BSLA_INFLUX_RPC');

  await influx(`DROP DATABASE ${DB}`);
  await influx(`CREATE DATABASE ${DB}`);
  const rand = prng(20250101);
  const state = new Map<string, number>();
  // Day 1 of the bench is `days` days ago, so that every point is in the past.
  const now = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const day0 = now - days * DAY;
  const basePoints = await writeRange(DB, { from: day0 - baseDays * DAY, to: day0, step: STEP }, hosts, rand, state);
  bench.log(`base history: ${baseDays} days, ${basePoints} points`);

  const lab = makeLab({
    targets: {
      influx: { kind: 'influxdb', connection: { url: env('BSLA_INFLUX_URL'), rpcAddress: rpc, databases: [DB] } },
    },
    start: new Date(day0 * 1000 + 2 * 3600_000),
  });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bsla-bench-influx-'));
  try {
    const repoDir = path.join(lab.dir, 'repo');
    const target = lab.engine.config.targets.influx as unknown as TargetConfig<InfluxSettings>;
    const repo = lab.engine.repository(target.repository);
    const tags = ['target=influx'];
    const store: SnapshotStore = {
      saveDirectory: async (dir) => {
        const r = await repo.backupDirectory(dir, { tags, time: lab.clock.now }, 600_000);
        return { id: r.snapshotId, bytes: r.bytes, time: lab.clock.now.toISOString() };
      },
      saveStream: () => Promise.reject(new Error('not used by the influxdb driver')),
    };
    let portableTotal = 0;
    let firstPortable = 0;
    let firstRepo = 0;
    let lastPortable = 0;
    let newPoints = 0;
    const t0 = Date.now();
    for (let day = 1; day <= days; day++) {
      if (day > 1) {
        lab.clock.advance(DAY);
        newPoints += await writeRange(
          DB,
          { from: day0 + (day - 2) * DAY, to: day0 + (day - 1) * DAY, step: STEP },
          hosts,
          rand,
          state
        );
      }
      const tmpDir = mkdtempSync(path.join(scratch, 'work-'));
      try {
        await influxdbDriver.backup({
          target,
          log: silentLogger,
          tmpDir,
          signal: new AbortController().signal,
          progress: () => undefined,
          created: () => undefined,
          store,
          previous: null,
        });
      } catch (e) {
        throw new Error(`day ${day}: backup failed: ${(e as Error).message}`);
      } finally {
        rmSync(tmpDir, { recursive: true, force: true });
      }
      // The baseline: the same portable backup, kept as it is.
      const dir = path.join(scratch, `day-${day}`);
      await run({
        command: 'influxd',
        args: ['backup', '-portable', '-host', rpc, '-database', DB, dir],
        timeoutMs: 600_000,
      });
      lastPortable = dirBytes(dir);
      portableTotal += lastPortable;
      rmSync(dir, { recursive: true, force: true });
      if (day === 1) {
        firstPortable = lastPortable;
        firstRepo = dirBytes(repoDir);
      }
      if (day === 1 || day % 5 === 0 || day === days) {
        bench.log(
          `  day ${day}: repository ${fmtBytes(dirBytes(repoDir))}, ${day} portable backups ${fmtBytes(portableTotal)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`
        );
      }
    }
    const snapshots = (await repo.snapshots(tags)).sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    const held = snapshots.length;
    const kept = applyPolicy(snapshots, target.retention).size;
    if (kept < held) {
      throw new Error(
        `retention ${JSON.stringify(target.retention)} would remove ${held - kept} of the ${held} versions`
      );
    }
    const repoBytes = dirBytes(repoDir);
    const ratio = repoBytes / portableTotal;
    bench.params.newPointsPerDayPercent = Math.round((newPoints / Math.max(1, days - 1) / basePoints) * 1000) / 10;
    bench.add({
      metric: `repository after ${days} daily versions`,
      value: repoBytes,
      unit: 'B',
      baseline: portableTotal,
      baselineLabel: `${days} portable backups`,
      ratio,
      goal: '< 0.2× baseline',
      met: ratio < 0.2,
      note: `${held} snapshots held, all kept by ${JSON.stringify(target.retention)}`,
    });
    bench.add({
      metric: 'first version: repository vs one portable backup',
      value: firstRepo,
      unit: 'B',
      baseline: firstPortable,
      baselineLabel: 'one portable backup',
      ratio: firstRepo / firstPortable,
    });
    bench.add({
      metric: 'mean daily growth vs the last portable backup',
      value: Math.round((repoBytes - firstRepo) / Math.max(1, days - 1)),
      unit: 'B',
      baseline: lastPortable,
      baselineLabel: 'last portable backup',
      ratio: (repoBytes - firstRepo) / Math.max(1, days - 1) / lastPortable,
    });
  } finally {
    lab.cleanup();
    rmSync(scratch, { recursive: true, force: true });
    await influx(`DROP DATABASE ${DB}`).catch(() => undefined);
  }
  bench.finish();
});
