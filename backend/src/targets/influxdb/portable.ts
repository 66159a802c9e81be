/**
 * The snapshot's files: one folder per database, each an `influxd backup -portable` of it, and
 * `influxd restore -portable` back from them (over the RPC port).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../util/subprocess';
import { findProgram } from '../tools';
import type { DriverContext, SnapshotReader } from '../types';
import type { InfluxSettings } from './http';

/** A database of a backup tree: its name and its folder. */
export interface DatabaseFolder {
  db: string;
  dir: string;
}

/** One folder per database; the folder name is the database name, encoded for the file system. */
function folderOf(db: string): string {
  return encodeURIComponent(db).replace(/\./g, '%2E');
}

export function databasesIn(dir: string): DatabaseFolder[] {
  return readdirSync(dir)
    .filter((f) => statSync(path.join(dir, f)).isDirectory())
    .sort()
    .map((f) => ({ db: decodeURIComponent(f), dir: path.join(dir, f) }));
}

/**
 * influxd names every shard archive after the time the backup started, and gzip keeps that name in
 * its header: an unchanged shard would be a different file every day and defeat restic's dedup
 * (a shard archive under 512 KiB is one chunk). The name in the header is only informative; it is
 * overwritten in place with a fixed one of the same length (the file names stay as they are).
 */
export function stableGzipHeader(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    const head = Buffer.alloc(1024);
    const n = readSync(fd, head, 0, head.length, 0);
    const flags = head[3];
    // magic, deflate, FNAME set, no header CRC (which would cover the name)
    if (n < 11 || head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8 || !(flags & 0x08) || flags & 0x02) {
      return;
    }
    const start = flags & 0x04 ? 12 + head.readUInt16LE(10) : 10;
    const end = head.indexOf(0, start);
    if (start >= n || end < 0 || end >= n) {
      return;
    }
    const name = head.toString('latin1', start, end);
    const fixed = name.replace(/^\d{8}T\d{6}Z/, '00000000T000000Z');
    if (fixed !== name) {
      writeSync(fd, Buffer.from(fixed, 'latin1'), 0, fixed.length, start);
    }
  } finally {
    closeSync(fd);
  }
}

function influxd(ctx: DriverContext<InfluxSettings>, args: string[]): Promise<string> {
  return run(
    { command: findProgram(['influxd']), args, timeoutMs: ctx.target.timeoutSeconds * 1000 },
    { signal: ctx.signal }
  );
}

/** Backs up database `db` into its folder below `dir` (a portable backup, shard headers made stable). */
export async function backupDatabase(ctx: DriverContext<InfluxSettings>, db: string, dir: string): Promise<void> {
  const out = path.join(dir, folderOf(db));
  mkdirSync(out, { recursive: true });
  await influxd(ctx, ['backup', '-portable', '-host', ctx.target.settings.connection.rpcAddress, '-database', db, out]);
  for (const f of readdirSync(out)) {
    if (f.endsWith('.tar.gz')) {
      stableGzipHeader(path.join(out, f));
    }
  }
}

/** Restores one database of the local backup files into `dest`, which must not exist. */
export async function restoreDatabase(
  ctx: DriverContext<InfluxSettings>,
  source: DatabaseFolder,
  dest: string
): Promise<void> {
  const args = ['restore', '-portable', '-host', ctx.target.settings.connection.rpcAddress, '-db', source.db];
  if (dest !== source.db) {
    args.push('-newdb', dest);
  }
  await influxd(ctx, [...args, source.dir]);
}

/** Restores the snapshot's files into the temp dir: the databases it holds, with their folders. */
export async function restoreFromSnapshot(
  ctx: DriverContext<InfluxSettings> & { reader: SnapshotReader }
): Promise<DatabaseFolder[]> {
  const dir = path.join(ctx.tmpDir, 'restore');
  mkdirSync(dir, { recursive: true });
  ctx.progress('reading the snapshot');
  await ctx.reader.restoreTo(dir);
  const dbs = databasesIn(dir);
  if (!dbs.length) {
    throw new Error('the snapshot holds no InfluxDB backup (no database folder in it)');
  }
  return dbs;
}

/** `influxd version`'s first line, for doctor. */
export async function influxdVersion(): Promise<string> {
  const out = await run({ command: findProgram(['influxd']), args: ['version'], timeoutMs: 10_000 });
  return out.trim().split('\n')[0];
}
