/**
 * MySQL, 1 million rows: the service's backup and restore against what the same work costs without it
 *   backup:  mariadb-dump … | restic backup --stdin   (issue 12: engine ≤ 1.15×, the CLI's whole run ≤ 1.25×)
 *            mariadb-dump … | gzip > file             (the first goal: ≤ 1.3×; stored bytes ≤ the gzip file's)
 *   restore: gunzip -c file | mariadb <db>           (≤ 1.1×)
 * (processes spawned from Node and piped, no shell).
 *
 * The service side is the real Engine over a real restic repository (backend/src/test/harness.ts
 * makeLab) and the real mysql driver, so its time includes everything a backup does: the
 * definitions read before the dump, row counts and CHECKSUM TABLE read while it streams, the
 * snapshot lookup and retention; the CLI run adds Node's start, the configuration and the catalog.
 * Each backup gets a fresh repository (no dedup against an earlier run), initialised before timing
 * (a one-time cost). The four backups rotate and the median of BENCH_1M_RUNS runs is reported:
 * the machine is small and shared, single runs are noisy.
 *
 *   BENCH_1M_ROWS (default 1000000)   BENCH_1M_REPEAT (default 2: ~160 bytes per dumped row)
 *   BENCH_1M_RUNS (default 3: backups)   BENCH_1M_RESTORE_RUNS (default 3)
 *   BENCH_REUSE=0 recreates the database even if a previous run left it (bench_1m).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProgressEvent } from '../backend/src/engine/engine';
import { makeLab, Lab } from '../backend/src/test/harness';
import { mysqlTarget } from '../backend/src/test/mysql';
import { agamaDatabase, dropDatabase, loadGzippedDump, sql } from './data';
import {
  Bench,
  cliRun,
  DUMP_FLAGS,
  dirBytes,
  ensureServices,
  envNumber,
  fmtBytes,
  median,
  needsBuiltCli,
  PhaseClock,
  mysqlClientArgs,
  pipeline,
  runMain,
  timed,
  vsBaseline,
} from './lib';

const DB = 'bench_1m';
const RESTORED_ENGINE = 'bench_1m_restored_engine';
const RESTORED_BASE = 'bench_1m_restored_base';
const HOUR = 3600_000;

function newLab(): Lab {
  return makeLab({ targets: { mysql: mysqlTarget(DB, { retention: { keepLast: 3 }, timeout: '2h' }) } });
}

runMain(async () => {
  const bench = new Bench('mysql-1m', 'MySQL, 1 million rows: backup and restore against mariadb-dump | gzip');
  const rows = envNumber('BENCH_1M_ROWS', 1_000_000);
  const repeat = envNumber('BENCH_1M_REPEAT', 2);
  const runs = Math.round(envNumber('BENCH_1M_RUNS', 3));
  const restoreRuns = Math.round(envNumber('BENCH_1M_RESTORE_RUNS', 3));
  Object.assign(bench.params, { rows, repeat, runs, restoreRuns });
  ensureServices(['mariadb']);
  needsBuiltCli(bench);

  const made = await agamaDatabase(DB, rows, repeat, {
    reuse: process.env.BENCH_REUSE !== '0',
    log: (m) => bench.log(m),
  });
  bench.log(made.reused ? `reusing ${DB}` : `created ${DB} in ${made.seconds.toFixed(1)} s`);
  await dropDatabase(RESTORED_ENGINE);
  await dropDatabase(RESTORED_BASE);

  const work = mkdtempSync(path.join(os.tmpdir(), 'bsla-bench-1m-'));
  const gz = path.join(work, `${DB}.sql.gz`);
  const labs: Lab[] = [];
  try {
    const baseTimes: number[] = [];
    const svcTimes: number[] = [];
    const phaseRuns: Array<{ before: number; stream: number; after: number }> = [];
    let gzBytes = 0;
    let stored = 0;
    let dumpBytes = 0;

    const baselineBackup = async () => {
      const r = await timed(() =>
        pipeline(
          [
            { command: 'mariadb-dump', args: [...mysqlClientArgs(), ...DUMP_FLAGS, DB] },
            { command: 'gzip', args: ['-c'] },
          ],
          { stdoutFile: gz, timeoutMs: 2 * HOUR }
        )
      );
      gzBytes = statSync(gz).size;
      baseTimes.push(r.seconds);
      bench.log(`  baseline  mariadb-dump | gzip > file: ${r.seconds.toFixed(2)} s, ${fmtBytes(gzBytes)}`);
    };

    const serviceBackup = async () => {
      const lab = newLab();
      labs.push(lab);
      const repoDir = path.join(lab.dir, 'repo');
      await lab.engine.repository('main').ensureInitialized();
      const repoBefore = dirBytes(repoDir);
      // Phase boundaries from the engine's progress events: where the time goes.
      const phaseAt = new Map<string, number>();
      const onProgress = (e: ProgressEvent) => {
        if (e.phase === 'uploading') {
          phaseAt.set('uploading-last', Date.now());
        }
        if (!phaseAt.has(e.phase)) {
          phaseAt.set(e.phase, Date.now());
        }
      };
      lab.engine.on('progress', onProgress);
      const t0 = Date.now();
      const r = await timed(() => lab.engine.backup('mysql', 'bench'));
      const t1 = Date.now();
      lab.engine.off('progress', onProgress);
      if (r.value.status !== 'success') {
        throw new Error(`service backup failed: ${r.value.error}`);
      }
      dumpBytes = Number(r.value.detail.bytes);
      stored = dirBytes(repoDir) - repoBefore;
      svcTimes.push(r.seconds);
      const dumping = phaseAt.get('dumping') ?? t0;
      const streamed = phaseAt.get('uploading-last') ?? dumping;
      phaseRuns.push({
        before: (dumping - t0) / 1000,
        stream: (streamed - dumping) / 1000,
        after: (t1 - streamed) / 1000,
      });
      bench.log(
        `  service   engine.backup: ${r.seconds.toFixed(2)} s, dump ${fmtBytes(dumpBytes)}, repository grew ${fmtBytes(stored)}`
      );
    };

    // The issue-12 baseline: the same dump straight into `restic backup --stdin`, into a fresh
    // repository each run (initialised before timing, as the service's are).
    const refTimes: number[] = [];
    const referenceBackup = async () => {
      const refRepo = path.join(work, `ref-repo-${refTimes.length}`);
      const resticEnv = { ...process.env, RESTIC_PASSWORD: 'bench-reference', RESTIC_REPOSITORY: refRepo };
      await pipeline([{ command: 'restic', args: ['init', '--repository-version', '2'], env: resticEnv }], {
        timeoutMs: 120_000,
      });
      const ref = await timed(() =>
        pipeline(
          [
            { command: 'mariadb-dump', args: [...mysqlClientArgs(), ...DUMP_FLAGS, DB] },
            {
              command: 'restic',
              args: ['backup', '--stdin', '--stdin-filename', `${DB}.sql`, '--json', '--quiet'],
              env: resticEnv,
            },
          ],
          { timeoutMs: 2 * HOUR }
        )
      );
      refTimes.push(ref.seconds);
      rmSync(refRepo, { recursive: true, force: true });
      bench.log(`  reference mariadb-dump | restic backup --stdin: ${ref.seconds.toFixed(2)} s`);
    };

    // The whole CLI run as a user or a timer unit starts it: Node's start, the configuration,
    // the catalog, the backup, retention, exit.
    const cliTimes: number[] = [];
    const cliBackup = async () => {
      const lab = newLab();
      await lab.engine.repository('main').ensureInitialized();
      lab.engine.catalog.close();
      try {
        const r = await cliRun(lab.configFile, ['backup', 'mysql']);
        if (r.code !== 0) {
          throw new Error(`backup-sla backup mysql exited ${r.code}: ${r.out.trim().split('\n').pop()}`);
        }
        cliTimes.push(r.seconds);
        bench.log(`  service   backup-sla backup mysql (start to exit): ${r.seconds.toFixed(2)} s`);
      } finally {
        lab.cleanup();
      }
    };

    const order = [baselineBackup, referenceBackup, serviceBackup, cliBackup];
    for (let i = 0; i < runs; i++) {
      bench.log(`backup run ${i + 1}/${runs}`);
      // Rotate which goes first, so that none always meets the warmer caches.
      for (let k = 0; k < order.length; k++) {
        await order[(i + k) % order.length]();
      }
    }

    // Restores: the last service lab holds the snapshot; the gzip file is the last baseline's.
    const lab = labs[labs.length - 1];
    const baseRestoreTimes: number[] = [];
    const restoreClock = new PhaseClock(lab.engine, (phase) => phase.replace(/ bench_1m_restored_engine$/, ''));
    const svcRestoreTimes: number[] = [];
    for (let i = 0; i < restoreRuns; i++) {
      bench.log(`restore run ${i + 1}/${restoreRuns}`);
      const baselineRestore = async () => {
        const b = await timed(async () => {
          await loadGzippedDump(gz, RESTORED_BASE);
        });
        baseRestoreTimes.push(b.seconds);
        bench.log(`  baseline  gunzip -c file | mariadb: ${b.seconds.toFixed(2)} s`);
        await dropDatabase(RESTORED_BASE);
      };
      const serviceRestore = async () => {
        restoreClock.mark('starting (plan, run record)');
        const s = await timed(() =>
          lab.engine.restore('mysql', { snapshot: 'latest', to: RESTORED_ENGINE, safetyBackup: false }, 'bench')
        );
        restoreClock.mark(null);
        if (s.value.status !== 'success') {
          throw new Error(`service restore failed: ${s.value.error}`);
        }
        svcRestoreTimes.push(s.seconds);
        bench.log(
          `  service   engine.restore --to ${RESTORED_ENGINE}: ${s.seconds.toFixed(2)} s (${String(s.value.detail.result)})`
        );
        const [check] = await sql(`SELECT COUNT(*) AS n FROM \`${RESTORED_ENGINE}\`.item`);
        if (Number(check.n) !== rows) {
          throw new Error(`restored database holds ${check.n} rows, expected ${rows}`);
        }
        await dropDatabase(RESTORED_ENGINE);
      };
      if (i % 2 === 0) {
        await baselineRestore();
        await serviceRestore();
      } else {
        await serviceRestore();
        await baselineRestore();
      }
    }

    const base = median(baseTimes);
    const ref = median(refTimes);
    const label = `dump | gzip`;
    const refLabel = 'dump | restic backup --stdin';
    const of = runs > 1 ? `median of ${runs}` : undefined;
    bench.add({ metric: 'dump size (uncompressed)', value: dumpBytes, unit: 'B', note: `${rows} rows` });
    bench.add(vsBaseline('backup: engine.backup', median(svcTimes), ref, 's', 1.15, refLabel, of));
    bench.add(vsBaseline('backup: the CLI, start to exit', median(cliTimes), ref, 's', 1.25, refLabel, of));
    bench.add(vsBaseline('backup: engine.backup', median(svcTimes), base, 's', 1.3, label, of));
    const phase = (metric: string, pick: (p: (typeof phaseRuns)[number]) => number) =>
      bench.add(vsBaseline(metric, median(phaseRuns.map(pick)), ref, 's', null, refLabel));
    phase('… before the dump (definitions; the state is read while the dump streams)', (p) => p.before);
    phase('… dump streamed into restic', (p) => p.stream);
    phase('… after (state again only after writes, snapshot id, retention)', (p) => p.after);
    bench.add(vsBaseline('reference: dump | restic backup --stdin', ref, base, 's', null, label, of));
    bench.add(vsBaseline('stored bytes (repository growth)', stored, gzBytes, 'B', 1.0, 'gzip file'));
    bench.add(
      vsBaseline(
        'restore: engine.restore --to',
        median(svcRestoreTimes),
        median(baseRestoreTimes),
        's',
        1.1,
        'gunzip | mariadb',
        restoreRuns > 1 ? `median of ${restoreRuns}` : undefined
      )
    );
    for (const [name, times] of restoreClock.phases) {
      bench.add(vsBaseline(`… ${name}`, median(times), median(baseRestoreTimes), 's', null, 'gunzip | mariadb'));
    }
    Object.assign(bench.params, { baseTimes, refTimes, svcTimes, cliTimes, baseRestoreTimes, svcRestoreTimes });
  } finally {
    labs.forEach((l) => l.cleanup());
    rmSync(work, { recursive: true, force: true });
    await dropDatabase(RESTORED_ENGINE).catch(() => undefined);
    await dropDatabase(RESTORED_BASE).catch(() => undefined);
  }
  bench.finish();
});
