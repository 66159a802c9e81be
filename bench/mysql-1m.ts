/**
 * MySQL, 1 million rows: the service's backup and restore against the plain baseline
 *   backup:  mariadb-dump … | gzip > file        (both spawned from Node and piped, no shell)
 *   restore: gunzip -c file | mariadb <db>
 * Goals: backup and restore within 1.3× the baseline's wall time; stored bytes (growth of the
 * restic repository directory) at most the gzip file's bytes.
 *
 * The service side is the real Engine over a real restic repository (backend/src/test/harness.ts
 * makeLab) and the real mysql driver, so its time includes everything a backup does: row counts
 * and CHECKSUM TABLE before and after, the dump streamed into restic, the snapshot lookup and
 * retention. Each service backup gets a fresh repository (no dedup against an earlier run),
 * initialised before timing (a one-time cost). Baseline and service alternate and the median of
 * BENCH_1M_RUNS runs is reported: the machine is small and shared, single runs are noisy.
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
import { agamaDatabase, dropDatabase, sql } from './data';
import {
  Bench,
  DUMP_FLAGS,
  dirBytes,
  ensureServices,
  envNumber,
  fmtBytes,
  median,
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

    for (let i = 0; i < runs; i++) {
      bench.log(`backup run ${i + 1}/${runs}`);
      // Alternate which goes first, so that neither always meets the warmer caches.
      if (i % 2 === 0) {
        await baselineBackup();
        await serviceBackup();
      } else {
        await serviceBackup();
        await baselineBackup();
      }
    }

    // Reference (no goal): the same dump straight into `restic backup --stdin`, in a fresh repository.
    const refRepo = path.join(work, 'ref-repo');
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
    bench.log(`reference mariadb-dump | restic backup --stdin: ${ref.seconds.toFixed(2)} s`);
    rmSync(refRepo, { recursive: true, force: true });

    // Restores: the last service lab holds the snapshot; the gzip file is the last baseline's.
    const lab = labs[labs.length - 1];
    const baseRestoreTimes: number[] = [];
    const svcRestoreTimes: number[] = [];
    for (let i = 0; i < restoreRuns; i++) {
      bench.log(`restore run ${i + 1}/${restoreRuns}`);
      const baselineRestore = async () => {
        const b = await timed(async () => {
          await sql(`CREATE DATABASE \`${RESTORED_BASE}\``);
          await pipeline(
            [
              { command: 'gunzip', args: ['-c'] },
              { command: 'mariadb', args: [...mysqlClientArgs(), '--batch', RESTORED_BASE] },
            ],
            { stdinFile: gz, timeoutMs: 2 * HOUR }
          );
        });
        baseRestoreTimes.push(b.seconds);
        bench.log(`  baseline  gunzip -c file | mariadb: ${b.seconds.toFixed(2)} s`);
        await dropDatabase(RESTORED_BASE);
      };
      const serviceRestore = async () => {
        const s = await timed(() =>
          lab.engine.restore('mysql', { snapshot: 'latest', to: RESTORED_ENGINE, safetyBackup: false }, 'bench')
        );
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
    const label = `dump | gzip`;
    const of = runs > 1 ? `median of ${runs}` : undefined;
    bench.add({ metric: 'dump size (uncompressed)', value: dumpBytes, unit: 'B', note: `${rows} rows` });
    bench.add(vsBaseline('backup wall time', median(svcTimes), base, 's', 1.3, label, of));
    bench.add(
      vsBaseline(
        '… before the dump (row counts, CHECKSUM TABLE)',
        median(phaseRuns.map((p) => p.before)),
        base,
        's',
        null,
        label
      )
    );
    bench.add(
      vsBaseline('… dump streamed into restic', median(phaseRuns.map((p) => p.stream)), base, 's', null, label)
    );
    bench.add(
      vsBaseline(
        '… after (state again, snapshot id, retention)',
        median(phaseRuns.map((p) => p.after)),
        base,
        's',
        null,
        label
      )
    );
    bench.add(vsBaseline('reference: dump | restic backup --stdin alone', ref.seconds, base, 's', null, label));
    bench.add(vsBaseline('stored bytes (repository growth)', stored, gzBytes, 'B', 1.0, 'gzip file'));
    bench.add(
      vsBaseline(
        'restore wall time',
        median(svcRestoreTimes),
        median(baseRestoreTimes),
        's',
        1.3,
        'gunzip | mariadb',
        restoreRuns > 1 ? `median of ${restoreRuns}` : undefined
      )
    );
    Object.assign(bench.params, { baseTimes, svcTimes, baseRestoreTimes, svcRestoreTimes });
  } finally {
    labs.forEach((l) => l.cleanup());
    rmSync(work, { recursive: true, force: true });
    await dropDatabase(RESTORED_ENGINE).catch(() => undefined);
    await dropDatabase(RESTORED_BASE).catch(() => undefined);
  }
  bench.finish();
});
