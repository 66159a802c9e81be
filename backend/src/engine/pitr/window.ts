/**
 * The recoverable window of a target that archives its log: which seconds a restore `--at` can
 * reach, where the window is interrupted and why, and how far the archive lags. Computed from the
 * catalog alone (the archived files, the dumps with their log positions, the in-place restores),
 * so that the CLI, the API, the metrics and a restore all judge alike.
 *
 * A second T is recoverable when a dump D taken no later than T (its position in the log known)
 * and the archived log from D's position on, without a break, through every event of second T
 * exist, and no restore in place replaced the database between D and T (a replay cannot cross
 * one: what the restore put in place is not in the log). The archive holds every event of second
 * T when it holds an event of a later second, or was caught up with the server after T.
 *
 * Times are unix seconds (the log's own resolution); a range [start, end] includes both ends.
 */
import type { ArchivedFile, ArchiverState } from '../../catalog/archive';
import type { SnapshotLogPosition } from '../../targets/types';

export interface DumpAt {
  /** The snapshot's id. */
  id: string;
  position: SnapshotLogPosition;
}

export interface RestoreSpan {
  /** unix ms */
  startedAt: number;
  /** unix ms; null while running */
  finishedAt: number | null;
}

export interface Range {
  start: number;
  end: number;
}

export interface Gap extends Range {
  reason: string;
  /**
   * archive: the archive broke (a file purged before it was archived, the log reset): an alert;
   * restore: a restore in place (recoverable again from the next backup); base: no backup with a
   * log position covers it.
   */
  kind: 'archive' | 'restore' | 'base';
}

export interface PitrWindow {
  /** Recoverable seconds, oldest first, not touching each other. */
  ranges: Range[];
  /** What lies between two ranges, with why. */
  gaps: Gap[];
  start: number | null;
  end: number | null;
  /** Seconds between now and what the archive holds (its newest event, or when it was last caught up). */
  lagSeconds: number | null;
  /** Unix seconds the archive holds everything up to (null: nothing archived yet). */
  archivedThrough: number | null;
  /** The archive stopped: no progress for longer than `stalledAfter`, or the archiver is not running. */
  stalled: string | null;
  files: number;
  bytes: number;
}

/** One stretch of the archive without a break (files in archive order). */
interface Segment {
  files: ArchivedFile[];
  /** Seconds the segment holds every event through. */
  through: number | null;
}

function segments(files: ArchivedFile[], caughtUpAt: number | null): Segment[] {
  const out: Segment[] = [];
  for (const f of files) {
    if (!out.length || f.gapBefore) {
      out.push({ files: [], through: null });
    }
    out[out.length - 1].files.push(f);
  }
  out.forEach((s, i) => {
    const last = Math.max(...s.files.map((f) => f.lastEventAt ?? -1));
    const caught = i === out.length - 1 && caughtUpAt !== null ? Math.floor(caughtUpAt / 1000) : -1;
    // Events of the newest second may still come (or be unsaved): the second before is whole.
    const through = Math.max(last, caught) - 1;
    s.through = through >= 0 ? through : null;
  });
  return out;
}

/** The file of a segment a dump's position lies in (a name may come back after a reset: the one of its time). */
function fileOf(seg: Segment, d: SnapshotLogPosition): number {
  let found = -1;
  seg.files.forEach((f, i) => {
    if (f.file === d.file && (f.firstEventAt === null || f.firstEventAt <= Math.ceil(d.at / 1000))) {
      found = i;
    }
  });
  if (found < 0) {
    return -1;
  }
  // The archive must reach the dump's position (it may lag behind a dump just taken).
  const f = seg.files[found];
  return found < seg.files.length - 1 || f.end >= d.position ? found : -1;
}

interface Base {
  dump: DumpAt;
  segment: Segment;
  fileIndex: number;
  range: Range;
}

function bases(
  files: ArchivedFile[],
  dumps: DumpAt[],
  restores: RestoreSpan[],
  caughtUpAt: number | null,
  now: number
): Base[] {
  const segs = segments(files, caughtUpAt);
  const out: Base[] = [];
  for (const dump of dumps) {
    for (const segment of segs) {
      const fileIndex = fileOf(segment, dump.position);
      if (fileIndex < 0 || segment.through === null) {
        continue;
      }
      const start = Math.floor(dump.position.at / 1000);
      let end = segment.through;
      for (const r of restores) {
        // A restore in place after the dump ends what a replay from it can reach.
        if ((r.finishedAt ?? now) >= dump.position.at) {
          end = Math.min(end, Math.floor(r.startedAt / 1000) - 1);
        }
      }
      if (start <= end) {
        out.push({ dump, segment, fileIndex, range: { start, end } });
      }
    }
  }
  return out;
}

function merge(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) {
      last.end = Math.max(last.end, r.end);
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

function gapReason(files: ArchivedFile[], restores: RestoreSpan[], from: number, to: number): Omit<Gap, keyof Range> {
  const broken = files.find((f) => f.gapBefore && (f.firstEventAt ?? to) >= from && (f.firstEventAt ?? to) <= to + 1);
  if (broken) {
    return { kind: 'archive', reason: `${broken.gapBefore}; recoverable again from the first backup after it` };
  }
  const restore = restores.find((r) => r.startedAt / 1000 >= from && r.startedAt / 1000 <= to + 1);
  if (restore) {
    return {
      kind: 'restore',
      reason: `restored in place at ${iso(Math.floor(restore.startedAt / 1000))}: a replay cannot cross a restore; recoverable again from the first backup after it`,
    };
  }
  return { kind: 'base', reason: 'no backup with a known log position covers it' };
}

export interface WindowInput {
  files: ArchivedFile[];
  state: ArchiverState | null;
  dumps: DumpAt[];
  restores: RestoreSpan[];
  /** unix ms */
  now: number;
  stalledAfterSeconds: number;
}

export function pitrWindow(i: WindowInput): PitrWindow {
  const caughtUpAt = i.state?.caughtUpAt ?? null;
  const ranges = merge(bases(i.files, i.dumps, i.restores, caughtUpAt, i.now).map((b) => b.range));
  const gaps: Gap[] = [];
  for (let k = 1; k < ranges.length; k++) {
    const from = ranges[k - 1].end + 1;
    const to = ranges[k].start - 1;
    gaps.push({ start: from, end: to, ...gapReason(i.files, i.restores, from, to) });
  }
  const newest = Math.max(-1, ...i.files.map((f) => f.lastEventAt ?? -1));
  const heldAt = Math.max(newest * 1000, caughtUpAt ?? -1);
  const lagSeconds = heldAt >= 0 ? Math.max(0, (i.now - heldAt) / 1000) : null;
  const segs = segments(i.files, caughtUpAt);
  const archivedThrough = segs.length ? segs[segs.length - 1].through : null;
  let stalled: string | null = null;
  if (i.files.length && lagSeconds !== null && lagSeconds > i.stalledAfterSeconds) {
    stalled = `the archive holds nothing newer than ${Math.round(lagSeconds)} s ago (over ${i.stalledAfterSeconds} s): ${
      !i.state || i.state.state === 'stopped'
        ? 'the archiver is not running (is backup-sla serve running?)'
        : (i.state.detail ?? `the archiver is ${i.state.state}`)
    }`;
  }
  return {
    ranges,
    gaps,
    start: ranges.length ? ranges[0].start : null,
    end: ranges.length ? ranges[ranges.length - 1].end : null,
    lagSeconds,
    archivedThrough,
    stalled,
    files: i.files.length,
    bytes: i.files.reduce((n, f) => n + f.end, 0),
  };
}

/** What a restore to `at` needs: the dump to start from and the archived files to replay. */
export interface PointInTimePlan {
  dump: DumpAt;
  files: ArchivedFile[];
}

/**
 * The newest dump a restore to second `at` can start from, and the archived files from its
 * position through `at`; a refusal in words with the nearest recoverable times when there is none.
 */
export function planPointInTime(i: WindowInput, at: number): PointInTimePlan | { refused: string } {
  const candidates = bases(i.files, i.dumps, i.restores, i.state?.caughtUpAt ?? null, i.now)
    .filter((b) => b.range.start <= at && at <= b.range.end)
    .sort((a, b) => b.dump.position.at - a.dump.position.at);
  const best = candidates[0];
  if (best) {
    const files = best.segment.files
      .slice(best.fileIndex)
      .filter((f, k) => k === 0 || f.firstEventAt === null || f.firstEventAt <= at);
    return { dump: best.dump, files };
  }
  const w = pitrWindow(i);
  if (!w.ranges.length) {
    return {
      refused: `nothing is recoverable to a point in time yet: the archive holds no log from a backup's position on${w.stalled ? ` (${w.stalled})` : ''}`,
    };
  }
  const before = [...w.ranges].reverse().find((r) => r.end < at);
  const after = w.ranges.find((r) => r.start > at);
  const gap = w.gaps.find((g) => g.start <= at && at <= g.end);
  const why = gap
    ? `it lies in a gap of the archive (${iso(gap.start)} – ${iso(gap.end)}: ${gap.reason})`
    : after
      ? 'it is before the oldest backup the archived log starts from'
      : `the archive holds the log only through ${iso(w.end!)}${w.stalled ? ` (${w.stalled})` : ''}`;
  const nearest = [
    before && `${iso(before.end)} (the latest before)`,
    after && `${iso(after.start)} (the earliest after)`,
  ]
    .filter(Boolean)
    .join(' or ');
  return { refused: `${iso(at)} cannot be recovered: ${why}; nearest recoverable: ${nearest}` };
}
