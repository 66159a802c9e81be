/**
 * A big catalog for the API benchmark: `runsPerTarget` runs for each target, filled through
 * backend/src/catalog/catalog.ts in one transaction (see bench/api-status.ts for the shape).
 */
import { createHash } from 'node:crypto';
import { Catalog } from '../backend/src/catalog/catalog';

const HOUR = 3600_000;

export function fillCatalog(
  file: string,
  targets: string[],
  runsPerTarget: number
): { runs: number; snapshots: number; maxRunId: number } {
  const catalog = new Catalog(file);
  const now = Date.now();
  let runs = 0;
  let snapshots = 0;
  let maxRunId = 0;
  try {
    catalog.db.transaction(() => {
      for (const target of targets) {
        const held: string[] = [];
        const forgotten: string[] = [];
        for (let i = 0; i < runsPerTarget; i++) {
          // The last run of every target is a good backup an hour ago: nothing is due.
          const age = i === runsPerTarget - 1 ? HOUR : (runsPerTarget - i) * 6 * HOUR;
          const started = new Date(now - age);
          const finished = new Date(started.getTime() + 90_000);
          const isLast = i === runsPerTarget - 1;
          const op = isLast ? 'backup' : i % 200 === 199 ? 'restore' : i % 10 === 9 ? 'verify' : 'backup';
          const failed = !isLast && i % 20 === 7;
          const id = catalog.startRun(target, op, i % 3 ? 'scheduler' : 'cli:bench', started, { pid: 1 });
          maxRunId = Math.max(maxRunId, id);
          runs++;
          if (failed) {
            catalog.finishRun(id, finished, {
              status: 'failed',
              error: 'mariadb-dump exited 2: Got error: 2013: Lost connection to server during query',
            });
            continue;
          }
          if (op === 'backup') {
            const snap = createHash('sha256').update(`${target}/${i}`).digest('hex');
            catalog.addSnapshot(
              {
                id: snap,
                target,
                time: started.toISOString(),
                bytes: 150_000_000 + i * 1000,
                version: null,
                metadata: {
                  database: 'bench_api_absent',
                  tables: { item: { rows: 1_000_000 + i, checksum: 123456789 + i } },
                  changedDuringBackup: false,
                },
                runId: id,
                runUid: catalog.run(id)!.uid,
                safety: false,
              },
              'main'
            );
            snapshots++;
            held.push(snap);
            if (held.length > 10) {
              forgotten.push(held.shift()!);
            }
            if (i % 7 === 0) {
              catalog.recordVerification(snap, true, finished, '1 table, 1000000 rows, checksums match');
            }
            catalog.finishRun(id, finished, {
              status: 'success',
              snapshotId: snap,
              detail: { bytes: 150_000_000 + i * 1000, forgotten: [] },
            });
          } else if (op === 'verify') {
            catalog.finishRun(id, finished, {
              status: 'success',
              detail: { durationSeconds: 42, result: '1 table, 1000000 rows, checksums match' },
            });
          } else {
            catalog.audit(
              { actor: 'grafana:admin', action: 'restore', target, detail: 'snapshot to bench_restore', result: 'ok' },
              finished
            );
            catalog.finishRun(id, finished, {
              status: 'success',
              detail: { durationSeconds: 75, location: 'database bench_restore' },
            });
          }
        }
        catalog.markForgotten(forgotten, new Date(now - 2 * HOUR));
      }
    })();
  } finally {
    catalog.close();
  }
  return { runs, snapshots, maxRunId };
}
