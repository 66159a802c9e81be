/**
 * What the point-in-time benchmarks share: a lab whose mysql target archives its binary log (the
 * least-privilege account of docs/mysql-privileges.md, as backend/src/targets/mysql.pitr.test.ts
 * sets it up), the archiver the service runs, and the server's clock (the log's events carry
 * the server's seconds).
 */
import { Archiver } from '../backend/src/engine/pitr/archiver';
import { targetWindow } from '../backend/src/engine/pitr/log';
import { makeLab, Lab, LabOptions } from '../backend/src/test/harness';
import { grantDocumented, leastPrivilegeTarget, query } from '../backend/src/test/mysql';
export { nextSecond } from '../backend/src/test/mysql';
import { waitFor } from '../backend/src/test/process';
import { silentLogger } from '../backend/src/util/log';

export interface PitrLab {
  lab: Lab;
  archiver: Archiver;
  /** Stops the archiver and removes the lab. */
  cleanup(): Promise<void>;
}

/**
 * A lab with target `mysql` on `database`, archiving with `pitr` (the shipped defaults unless
 * given). The server's log is flushed first, so that the archive starts with a file of its own
 * (not with whatever the benchmark's data load wrote before).
 */
export async function pitrLab(
  database: string,
  opts: { pitr?: Record<string, unknown> | true; target?: Record<string, unknown> } & Omit<LabOptions, 'targets'>
): Promise<PitrLab> {
  const { pitr, target, ...labOptions } = opts;
  await grantDocumented(database);
  await query('FLUSH BINARY LOGS');
  const lab = makeLab({
    ...labOptions,
    targets: { mysql: leastPrivilegeTarget(database, { pitr: pitr ?? true, ...(target ?? {}) }) },
  });
  const archiver = new Archiver(lab.engine, 'mysql', { log: silentLogger, owner: lab.dir });
  return {
    lab,
    archiver,
    async cleanup() {
      await archiver.stop().catch(() => undefined);
      lab.cleanup();
    },
  };
}

/** Waits until the archive (of a running archiver) holds every event through second `s`. */
export function archivedThrough(lab: Lab, s: number, timeoutMs = 120_000): Promise<void> {
  const through = () =>
    targetWindow(lab.engine.target('mysql'), lab.engine.catalog, lab.engine.now())?.archivedThrough ?? -1;
  return waitFor(() => through() >= s, timeoutMs, `the archive to hold second ${s}`);
}
