/**
 * Issue 13 (a): 30 days of a MySQL target with a 2 % daily change spread evenly over the table,
 * kept as weekly dumps plus the archived binary log (point-in-time recovery): the restic
 * repository's size against 30 gzip'd daily dumps (the sum of each day's `mariadb-dump | gzip`
 * size, measured every day). Goal: ≤ 0.3×. Daily dumps alone give 0.88× with this change
 * (mysql-30-days.ts, scenario `uniform`): every ~1 MiB chunk of the dump changes every day.
 *
 * The real Engine and archiver over a real restic repository and the real MariaDB of
 * scripts/services.sh (binary log on, ROW format, binlog_row_image FULL: an updated row is logged
 * with its before and after image). Days are simulated in sequence with the injected clock
 * (makeLab `start`, lab.clock.advance(86400) between days): each day 2 % of the rows, picked
 * uniformly at random over the whole table, are updated in statements of BENCH_PITR30_BATCH rows
 * (one transaction each, as an application's small writes are), in BENCH_PITR30_SAVES parts each
 * archived (Archiver.catchUp) before the next; a dump is taken every 7th day (days 1, 8, 15, 22,
 * 29). Retention keeps every weekly dump (keepWeekly 5), so the archive reaches back to day 1 and
 * any second of the 30 days can be restored: the same reach as the baseline's 30 daily dumps,
 * at a finer grain.
 *
 * What a day of a real server costs more than here: the archiver saves every 5 s while events
 * come, so a day's log arrives in many small saves, each a snapshot (a tree and a root); here a
 * day is BENCH_PITR30_SAVES saves. Each save costs ≈ 3.4 KiB of its own (trees, snapshot, index:
 * 20,000 rows, 3 days, 2 against 30 saves a day) until a prune: at one save every 5 s all day
 * long that would be ≈ 58 MiB a day, more than a gzip'd dump of 1 M rows, so the repository must
 * be pruned (its pruneSchedule) for the archive to stay small. The first row counts superseded
 * snapshots forgotten (the archiver's housekeeping) but not pruned; the second row after a prune.
 *
 *   BENCH_PITR30_ROWS (default 100000; 1000000 for AGAMA's full size)   BENCH_PITR30_DAYS (default 30)
 *   BENCH_PITR30_REPEAT (default 2)   BENCH_PITR30_BATCH (default 100 rows per statement)
 *   BENCH_PITR30_SAVES (default 2 archive saves per day)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { targetWindow } from '../backend/src/engine/pitr/log';
import { rootConnection } from '../backend/src/test/mysql';
import { agamaDatabase, dropDatabase, gzippedDumpBytes, pick, prng, updateRows } from './data';
import { Bench, dirBytes, ensureServices, envNumber, fmtBytes, runMain } from './lib';
import { pitrLab } from './pitr';

const DB = 'bench_pitr_30d';
const DAY = 86400;
const WEEK_DAYS = 7;
const GOAL = 0.3;

runMain(async () => {
  const bench = new Bench(
    'mysql-pitr-30-days',
    "MySQL, 30 days with 2 % daily change spread evenly: weekly dumps + archived binary log against 30 gzip'd daily dumps"
  );
  const rows = Math.round(envNumber('BENCH_PITR30_ROWS', 100_000));
  const days = Math.round(envNumber('BENCH_PITR30_DAYS', 30));
  const repeat = Math.round(envNumber('BENCH_PITR30_REPEAT', 2));
  const batch = Math.round(envNumber('BENCH_PITR30_BATCH', 100));
  const saves = Math.round(envNumber('BENCH_PITR30_SAVES', 2));
  const keepWeekly = Math.ceil(days / WEEK_DAYS);
  Object.assign(bench.params, { rows, days, repeat, batch, savesPerDay: saves, keepWeekly, change: 'uniform 2 %' });
  ensureServices(['mariadb']);

  await agamaDatabase(DB, rows, repeat, { reuse: false, log: (m) => bench.log(m) });
  const p = await pitrLab(DB, {
    // Saves as soon as a part is there (the shipped 5 s only makes the simulation slower).
    pitr: { saveEvery: '1s', copyEvery: '1h' },
    target: { retention: { keepWeekly } },
    start: new Date('2025-01-01T02:00:00Z'),
  });
  const { lab, archiver } = p;
  const c = await rootConnection();
  try {
    const repoDir = path.join(lab.dir, 'repo');
    const rand = prng(20250101);
    const daily = Math.round(rows * 0.02);
    let gzTotal = 0;
    let dumpBytes = 0;
    let archiveBytes = 0;
    let dumps = 0;
    const t0 = Date.now();
    /** Runs `fn` and counts the repository's growth to `add`. */
    const size = () => (existsSync(repoDir) ? dirBytes(repoDir) : 0);
    const growth = async (fn: () => Promise<unknown>): Promise<number> => {
      const before = size();
      await fn();
      return size() - before;
    };
    for (let day = 1; day <= days; day++) {
      if (day > 1) {
        lab.clock.advance(DAY);
        const ids = pick(rand, daily, 1, rows);
        const part = Math.ceil(ids.length / saves);
        for (let k = 0; k < ids.length; k += part) {
          await updateRows(c, DB, ids.slice(k, k + part), day, repeat, batch);
          archiveBytes += await growth(() => archiver.catchUp());
        }
      }
      if ((day - 1) % WEEK_DAYS === 0) {
        dumpBytes += await growth(async () => {
          const out = await lab.engine.backup('mysql', 'bench');
          if (out.status !== 'success') {
            throw new Error(`day ${day}: backup ${out.status}: ${out.error}`);
          }
        });
        dumps++;
        if (day === 1) {
          // The archive starts at the first dump's position.
          archiveBytes += await growth(() => archiver.catchUp());
        }
      }
      gzTotal += await gzippedDumpBytes(DB);
      if (day === 1 || day % 5 === 0 || day === days) {
        bench.log(
          `  day ${day}: repository ${fmtBytes(dirBytes(repoDir))} (dumps ${fmtBytes(dumpBytes)}, log ${fmtBytes(archiveBytes)}), ${day} gzip'd dumps ${fmtBytes(gzTotal)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`
        );
      }
    }
    archiveBytes += await growth(() => archiver.housekeep());
    const repo = dirBytes(repoDir);
    // What the repository holds once pruned (the repository's pruneSchedule): the superseded
    // archive snapshots' trees go, each save's own cost (≈ 3.4 KiB here) with them.
    await lab.engine.prune('main', 'bench');
    const pruned = dirBytes(repoDir);
    const w = targetWindow(lab.engine.target('mysql'), lab.engine.catalog, lab.engine.now())!;
    const held = lab.engine.snapshots('mysql').filter((s) => !s.safety).length;
    if (held !== dumps) {
      throw new Error(`${held} dumps held, ${dumps} taken: retention forgot some, the comparison would not be fair`);
    }
    if (w.gaps.length) {
      throw new Error(`the archive has gaps: ${w.gaps.map((g) => g.reason).join('; ')}`);
    }
    const ratio = repo / gzTotal;
    bench.add({
      metric: `repository after ${days} days (${dumps} weekly dumps + archived log)`,
      value: repo,
      unit: 'B',
      baseline: gzTotal,
      baselineLabel: `${days} gzip'd dumps`,
      ratio,
      goal: `≤ ${GOAL}× baseline`,
      met: ratio <= GOAL,
      note: `${w.files} log files, no gap`,
    });
    bench.add({
      metric: '… the same after a prune',
      value: pruned,
      unit: 'B',
      baseline: gzTotal,
      baselineLabel: `${days} gzip'd dumps`,
      ratio: pruned / gzTotal,
      goal: `≤ ${GOAL}× baseline`,
      met: pruned / gzTotal <= GOAL,
    });
    bench.add({
      metric: `of which the ${dumps} dumps`,
      value: dumpBytes,
      unit: 'B',
      baseline: gzTotal,
      baselineLabel: `${days} gzip'd dumps`,
      ratio: dumpBytes / gzTotal,
    });
    bench.add({
      metric: 'of which the archived log',
      value: archiveBytes,
      unit: 'B',
      baseline: w.bytes,
      baselineLabel: 'the log files on the server',
      ratio: archiveBytes / w.bytes,
      note: `${days - 1} days × ${daily} rows changed, ${saves} saves a day`,
    });
  } finally {
    await c.end();
    await p.cleanup();
    await dropDatabase(DB).catch(() => undefined);
  }
  bench.finish();
});
