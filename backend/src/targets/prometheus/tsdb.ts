/**
 * A TSDB directory (a snapshot, a restored copy or a data directory) as files: its blocks'
 * statistics from their meta.json, compared with what was recorded, and whether Prometheus's own
 * tool can open every block.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CommandError, lastLine, run } from '../../util/subprocess';
import { notStarted, requireProgram } from '../kit/process';

/** One TSDB block as its meta.json describes it (times in ms, maxTime exclusive). */
export interface BlockInfo {
  ulid: string;
  minTime: number;
  maxTime: number;
  series: number;
  samples: number;
  chunks: number;
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const PROMTOOL_HINT = 'install prometheus (Debian: apt-get install prometheus, which ships promtool)';

/** The blocks of a TSDB directory (a snapshot or a data dir), oldest first. */
export function readBlocks(dir: string): BlockInfo[] {
  const blocks: BlockInfo[] = [];
  for (const entry of readdirSync(dir)) {
    const metaFile = path.join(dir, entry, 'meta.json');
    if (!ULID.test(entry) || !existsSync(metaFile)) {
      continue;
    }
    let meta: any;
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    } catch (e) {
      throw new Error(`block ${entry}: meta.json is not valid JSON (${(e as Error).message})`);
    }
    blocks.push({
      ulid: String(meta.ulid ?? entry),
      minTime: Number(meta.minTime),
      maxTime: Number(meta.maxTime),
      series: Number(meta.stats?.numSeries ?? 0),
      samples: Number(meta.stats?.numSamples ?? 0),
      chunks: Number(meta.stats?.numChunks ?? 0),
    });
  }
  return blocks.sort((a, b) => a.minTime - b.minTime || a.ulid.localeCompare(b.ulid));
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export function describeBlocks(blocks: BlockInfo[]): string {
  if (!blocks.length) {
    return 'an empty TSDB (no blocks)';
  }
  const samples = blocks.reduce((n, b) => n + b.samples, 0);
  const newest = blocks[blocks.length - 1];
  return (
    `${blocks.length} block${blocks.length === 1 ? '' : 's'}, ${samples} samples, ${newest.series} series in the newest block, ` +
    `${iso(blocks[0].minTime)} to ${iso(Math.max(...blocks.map((b) => b.maxTime)) - 1)}`
  );
}

/** What a restore reports as put back. */
export function countBlocks(blocks: BlockInfo[]): Record<string, number> {
  return {
    blocks: blocks.length,
    series: blocks.length ? blocks[blocks.length - 1].series : 0,
    samples: blocks.reduce((n, b) => n + b.samples, 0),
  };
}

export function overlaps(b: BlockInfo, all: BlockInfo[]): boolean {
  return all.some((o) => o !== b && o.minTime < b.maxTime && b.minTime < o.maxTime);
}

export function compareBlocks(expected: BlockInfo[], actual: BlockInfo[]): string[] {
  const problems: string[] = [];
  for (const want of expected) {
    const got = actual.find((b) => b.ulid === want.ulid);
    if (!got) {
      problems.push(`block ${want.ulid} missing`);
      continue;
    }
    for (const k of ['minTime', 'maxTime', 'series', 'samples', 'chunks'] as const) {
      if (got[k] !== want[k]) {
        problems.push(`block ${want.ulid}: ${k} ${got[k]}, expected ${want[k]}`);
      }
    }
  }
  for (const b of actual) {
    if (!expected.some((w) => w.ulid === b.ulid)) {
      problems.push(`unexpected block ${b.ulid}`);
    }
  }
  return problems;
}

/**
 * Series in one block as `promtool tsdb analyze` counts them (it reads the block's index);
 * `{ problem }` when promtool cannot read the block. A promtool that is not installed throws
 * UnavailableError.
 */
export async function promtoolSeries(
  promtoolName: string,
  dir: string,
  ulid: string,
  timeoutMs: number,
  signal: AbortSignal
): Promise<number | null | { problem: string }> {
  const promtool = requireProgram([promtoolName], PROMTOOL_HINT);
  try {
    const out = await run({ command: promtool, args: ['tsdb', 'analyze', dir, ulid], timeoutMs }, { signal });
    const m = /^Series:\s*(\d+)/m.exec(out);
    return m ? Number(m[1]) : null;
  } catch (e) {
    if (e instanceof CommandError && e.exitCode !== null && !notStarted(e)) {
      return { problem: `promtool tsdb analyze cannot read block ${ulid}: ${lastLine(e.stderr) || e.message}` };
    }
    throw e;
  }
}

/**
 * The check of a restored TSDB before it takes the live place: every block's meta.json as
 * recorded (when it was), and `promtool tsdb list` opens every block (its index's magic and table
 * of contents). Answers the problems (empty: good) and the blocks. Without promtool only the
 * meta.json check is done (`promtoolMissing`).
 */
export async function checkTsdb(
  promtoolName: string,
  dir: string,
  recorded: BlockInfo[] | null,
  timeoutMs: number,
  signal: AbortSignal
): Promise<{ problems: string[]; blocks: BlockInfo[]; promtoolMissing: boolean }> {
  let blocks: BlockInfo[];
  try {
    blocks = readBlocks(dir);
  } catch (e) {
    return { problems: [(e as Error).message], blocks: [], promtoolMissing: false };
  }
  const problems = recorded ? compareBlocks(recorded, blocks) : [];
  let promtool: string;
  try {
    promtool = requireProgram([promtoolName], PROMTOOL_HINT);
  } catch {
    return { problems, blocks, promtoolMissing: true };
  }
  try {
    const out = await run({ command: promtool, args: ['tsdb', 'list', dir], timeoutMs }, { signal });
    const listed = out.split('\n').filter((l) => /^[0-9A-HJKMNP-TV-Z]{26}\s/.test(l)).length;
    if (listed !== blocks.length) {
      problems.push(`promtool tsdb list opens ${listed} of ${blocks.length} blocks`);
    }
  } catch (e) {
    if (!(e instanceof CommandError) || e.exitCode === null) {
      throw e;
    }
    problems.push(`promtool tsdb list: ${lastLine(e.stderr) || e.message}`);
  }
  return { problems, blocks, promtoolMissing: false };
}
