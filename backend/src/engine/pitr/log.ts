/**
 * The archive as the rest of the engine sees it: the recoverable window of a target (from the
 * catalog), the files a restore to a point in time needs, and fetching archived files back from
 * the repository into a run's temp dir for a replay.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../../catalog/catalog';
import type { ArchivedFile } from '../../catalog/archive';
import type { TargetConfig } from '../../config/types';
import { drivers } from '../../targets/registry';
import type { ArchivedLog, LogPosition, PitrSupport } from '../../targets/types';
import { UnavailableError } from '../../util/errors';
import type { Core } from '../core';
import { concatenate, covers, listPieces } from './pieces';
import { DumpAt, pitrWindow, PitrWindow, planPointInTime, PointInTimePlan, WindowInput } from './window';

/** The target's point-in-time support when it archives its log; null otherwise. */
export function pitrOf(t: TargetConfig): PitrSupport | null {
  const pitr = drivers[t.kind]?.pitr;
  return pitr && pitr.settings(t) ? pitr : null;
}

/** What the window of a target is computed from, read from the catalog. */
export function windowInput(t: TargetConfig, catalog: Catalog, now: Date): WindowInput | null {
  const pitr = pitrOf(t);
  if (!pitr) {
    return null;
  }
  const dumps: DumpAt[] = [];
  for (const s of catalog.snapshots(t.name, t.repository)) {
    const position = !s.safety ? pitr.snapshotPosition(s.metadata) : null;
    if (position) {
      dumps.push({ id: s.id, position });
    }
  }
  return {
    files: catalog.archive.files(t.name),
    state: catalog.archive.state(t.name),
    dumps,
    restores: catalog.inPlaceRestores(t.name),
    now: now.getTime(),
    stalledAfterSeconds: pitr.settings(t)!.stalledAfterSeconds,
  };
}

export function targetWindow(t: TargetConfig, catalog: Catalog, now: Date): PitrWindow | null {
  const input = windowInput(t, catalog, now);
  return input && pitrWindow(input);
}

export function pointInTimePlan(
  t: TargetConfig,
  catalog: Catalog,
  at: Date,
  now: Date
): PointInTimePlan | { refused: string } {
  const input = windowInput(t, catalog, now);
  if (!input) {
    return {
      refused: `target ${t.name} does not archive its binary log: a restore to a point in time needs \`pitr: true\` (then any second of the archived window can be restored)`,
    };
  }
  return planPointInTime(input, Math.floor(at.getTime() / 1000));
}

/**
 * Fetches archived files (their current snapshots) into `dir` and puts each back together from its
 * pieces: local copies of the server's files, named as the server names them, for a replay.
 */
export async function fetchArchived(
  engine: Core,
  t: TargetConfig,
  files: ArchivedFile[],
  start: LogPosition,
  dir: string,
  signal: AbortSignal
): Promise<ArchivedLog> {
  const repo = engine.repository(t.repository);
  const out: string[] = [];
  for (const [i, f] of files.entries()) {
    if (!f.snapshotId) {
      throw new Error(`${f.file} has not been saved to the archive yet`);
    }
    const pieces = path.join(dir, 'pieces', String(f.id));
    mkdirSync(pieces, { recursive: true, mode: 0o700 });
    await repo.restore(f.snapshotId, pieces, signal);
    const list = listPieces(pieces);
    if (!covers(list, f.end)) {
      throw new Error(`the archived ${f.file} does not hold the ${f.end} bytes the catalog records`);
    }
    const logDir = path.join(dir, 'log', String(i).padStart(4, '0'));
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    const local = path.join(logDir, f.file);
    await concatenate(list, local);
    rmSync(pieces, { recursive: true, force: true });
    out.push(local);
  }
  return { files: out, start };
}

/**
 * For a verification: the archived log from `from` to `to`, once the archive holds `to` (the
 * archiver of `serve` saves within its saveEvery). Waits at most `waitMs`; an archive that does
 * not get there, or does not hold `from`, is an UnavailableError (nothing learned about the log).
 */
export async function archivedBetween(
  engine: Core,
  t: TargetConfig,
  from: LogPosition,
  to: LogPosition,
  dir: string,
  signal: AbortSignal,
  waitMs: number
): Promise<ArchivedLog> {
  const pitr = pitrOf(t)!;
  const num = pitr.fileNumber;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const files = engine.catalog.archive.files(t.name);
    const last = files[files.length - 1];
    const holds = last && (num(last.file) > num(to.file) || (last.file === to.file && last.end >= to.position));
    if (holds) {
      // The stretch without a break from the file of `from` through the file of `to`.
      let first = -1;
      files.forEach((f, i) => {
        if (f.file === from.file) {
          first = i;
        }
      });
      if (first < 0) {
        throw new UnavailableError(`the archive does not hold ${from.file}, where the snapshot is in the log`);
      }
      const span: ArchivedFile[] = [];
      for (const f of files.slice(first)) {
        if (span.length && f.gapBefore) {
          throw new UnavailableError(`the archive has a gap between the snapshot and now: ${f.gapBefore}`);
        }
        span.push(f);
        if (f.file === to.file) {
          break;
        }
      }
      return fetchArchived(engine, t, span, from, dir, signal);
    }
    if (Date.now() > deadline || signal.aborted) {
      const through = last ? `${last.file}:${last.end}` : 'nothing';
      throw new UnavailableError(
        `the archive did not reach the mark ${to.file}:${to.position} within ${Math.round(waitMs / 1000)} s (it holds ${through}; is backup-sla serve running?)`
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export type { PitrWindow, PointInTimePlan };
