/**
 * InfluxDB: the service's backup, verification and restore against the work itself (issue 12)
 *   backup:  `influxd backup -portable` + `restic backup` of that folder   goal ≤ 1.5×
 *   verify:  `restic restore` + `influxd restore -portable -newdb`        goal ≤ 2×
 *   restore: the same, `engine.restore --to` a new database              goal ≤ 2×
 * (processes run from Node, no shell).
 *
 * The steady state of a nightly backup: a history of BASE_DAYS days, backed up once untimed by
 * both sides (the baseline into a restic repository of its own), then each run writes one more
 * day and times both backups of it. The service's time includes what it records to verify later
 * (how many values each field holds). Verification and restore work on the newest snapshot, with
 * the one before it verified clean, as the weekly verification finds it.
 * Runs alternate which side goes first; medians are reported.
 *
 *   BENCH_INFLUX_POINTS (default 4000000: the history's points; the lab held 33 M)
 *   BENCH_INFLUX_BASE_DAYS (default 60)   BENCH_INFLUX_RUNS (default 3)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeLab } from '../backend/src/test/harness';
import { Bench, ensureServices, envNumber, median, pipeline, runMain, timed, vsBaseline } from './lib';
import { prng } from './data';
import { DAY, influx, influxEnv, MEASUREMENTS, writeRange } from './influx';

const DB = 'bench_influx_backup';
const RESTORED_BASE = 'bench_influx_backup_base';
const RESTORED_ENGINE = 'bench_influx_backup_engine';
const STEP = 10;
const HOUR = 3600_000;

runMain(async () => {
  const bench = new Bench('influx-backup', 'InfluxDB: backup, verification and restore against influxd + restic');
  const points = envNumber('BENCH_INFLUX_POINTS', 4_000_000);
  const baseDays = Math.round(envNumber('BENCH_INFLUX_BASE_DAYS', 60));
  const runs = Math.round(envNumber('BENCH_INFLUX_RUNS', 3));
  const hosts = Math.max(1, Math.round(points / baseDays / (DAY / STEP) / MEASUREMENTS.length));
  Object.assign(bench.params, { points, baseDays, runs, hosts, step: STEP });
  ensureServices(['influxdb']);
  const rpc = influxEnv('BSLA_INFLUX_RPC');

  await influx(`DROP DATABASE ${DB}`);
  await influx(`CREATE DATABASE ${DB}`);
  const rand = prng(20261130);
  const walk = new Map<string, number>();
  // The history ends `runs + 1` days ago: every day written later is still in the past.
  const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
  let next = today - (runs + 1) * DAY;
  const made = await timed(() =>
    writeRange(DB, { from: next - baseDays * DAY, to: next, step: STEP }, hosts, rand, walk)
  );
  bench.log(`history: ${made.value} points over ${baseDays} days (${hosts} hosts) in ${made.seconds.toFixed(1)} s`);
  const addDay = async () => {
    const n = await writeRange(DB, { from: next, to: next + DAY, step: STEP }, hosts, rand, walk);
    next += DAY;
    return n;
  };

  const lab = makeLab({
    targets: {
      influx: { kind: 'influxdb', connection: { url: influxEnv('BSLA_INFLUX_URL'), rpcAddress: rpc, databases: [DB] } },
    },
    realClock: true,
  });
  const work = mkdtempSync(path.join(os.tmpdir(), 'bsla-bench-influx-backup-'));
  const refRepo = path.join(work, 'ref-repo');
  const resticEnv = { ...process.env, RESTIC_PASSWORD: 'bench-reference', RESTIC_REPOSITORY: refRepo };
  const restic = (args: string[]) => pipeline([{ command: 'restic', args, env: resticEnv }], { timeoutMs: 2 * HOUR });
  const influxd = (args: string[]) => pipeline([{ command: 'influxd', args }], { timeoutMs: 2 * HOUR });
  try {
    await restic(['init', '--repository-version', '2']);
    const baselineBackup = async () => {
      const dir = path.join(work, 'portable');
      rmSync(dir, { recursive: true, force: true });
      const r = await timed(async () => {
        await influxd(['backup', '-portable', '-host', rpc, '-database', DB, dir]);
        await restic(['backup', '--json', '--quiet', '--host', 'bench', dir]);
      });
      rmSync(dir, { recursive: true, force: true });
      return r.seconds;
    };
    const serviceBackup = async () => {
      const r = await timed(() => lab.engine.backup('influx', 'bench'));
      if (r.value.status !== 'success') {
        throw new Error(`service backup failed: ${r.value.error}`);
      }
      return r.seconds;
    };
    // The first backup of the history, untimed, on both sides.
    bench.log(
      `first backups: baseline ${(await baselineBackup()).toFixed(2)} s, service ${(await serviceBackup()).toFixed(2)} s`
    );

    const base: number[] = [];
    const svc: number[] = [];
    for (let i = 0; i < runs; i++) {
      const added = await addDay();
      const pair = i % 2 === 0 ? [baselineBackup, serviceBackup] : [serviceBackup, baselineBackup];
      const [a, b] = [await pair[0](), await pair[1]()];
      const [bt, st] = i % 2 === 0 ? [a, b] : [b, a];
      base.push(bt);
      svc.push(st);
      bench.log(
        `backup run ${i + 1}/${runs} (+${added} points): baseline ${bt.toFixed(2)} s, service ${st.toFixed(2)} s`
      );
    }

    // Verification and restore of the newest snapshot, against restic restore + influxd restore.
    const baseRestore = async () => {
      const dir = path.join(work, 'restored');
      rmSync(dir, { recursive: true, force: true });
      const r = await timed(async () => {
        await restic(['restore', 'latest', '--target', dir]);
        const folder = path.join(dir, path.join(work, 'portable'));
        await influxd(['restore', '-portable', '-host', rpc, '-db', DB, '-newdb', RESTORED_BASE, folder]);
      });
      rmSync(dir, { recursive: true, force: true });
      await influx(`DROP DATABASE ${RESTORED_BASE}`);
      return r.seconds;
    };
    const serviceVerify = async () => {
      const r = await timed(() => lab.engine.verify('influx', 'latest', 'bench'));
      if (r.value.status !== 'success') {
        throw new Error(`service verify failed: ${r.value.error}`);
      }
      return r.seconds;
    };
    const serviceRestore = async () => {
      const r = await timed(() =>
        lab.engine.restore('influx', { snapshot: 'latest', to: RESTORED_ENGINE, safetyBackup: false }, 'bench')
      );
      if (r.value.status !== 'success') {
        throw new Error(`service restore failed: ${r.value.error}`);
      }
      await influx(`DROP DATABASE ${RESTORED_ENGINE}`);
      return r.seconds;
    };
    const restoreBase: number[] = [];
    const verifySvc: number[] = [];
    const restoreSvc: number[] = [];
    // As scheduled: each run one more day backed up (untimed), then the newest snapshot verified
    // while the one before it was verified clean (the first of those verified here, untimed).
    if ((await lab.engine.verify('influx', 'latest', 'bench')).status !== 'success') {
      throw new Error('the first verification failed');
    }
    for (let i = 0; i < runs; i++) {
      await addDay();
      await baselineBackup();
      await serviceBackup();
      restoreBase.push(await baseRestore());
      verifySvc.push(await serviceVerify());
      restoreSvc.push(await serviceRestore());
      bench.log(
        `restore run ${i + 1}/${runs}: baseline ${restoreBase[i].toFixed(2)} s, verify ${verifySvc[i].toFixed(2)} s, restore --to ${restoreSvc[i].toFixed(2)} s`
      );
    }

    const of = runs > 1 ? `median of ${runs}` : undefined;
    const backupLabel = 'influxd backup -portable + restic backup';
    const restoreLabel = 'restic restore + influxd restore';
    bench.add(
      vsBaseline('backup of one more day: engine.backup', median(svc), median(base), 's', 1.5, backupLabel, of)
    );
    bench.add(
      vsBaseline(
        'verification of the newest snapshot: engine.verify',
        median(verifySvc),
        median(restoreBase),
        's',
        2,
        restoreLabel,
        of
      )
    );
    bench.add(
      vsBaseline('restore: engine.restore --to', median(restoreSvc), median(restoreBase), 's', 2, restoreLabel, of)
    );
    Object.assign(bench.params, { base, svc, restoreBase, verifySvc, restoreSvc });
  } finally {
    lab.cleanup();
    rmSync(work, { recursive: true, force: true });
    for (const db of [DB, RESTORED_BASE, RESTORED_ENGINE]) {
      await influx(`DROP DATABASE ${db}`).catch(() => undefined);
    }
  }
  bench.finish();
});
