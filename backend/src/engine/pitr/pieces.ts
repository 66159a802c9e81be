/**
 * The archiver's local copy of one log file being archived, as immutable pieces: each save adds
 * one piece (the complete events cut since the save before) and the file's snapshot is the
 * directory of all its pieces. restic finds the earlier pieces unchanged (same size and mtime as
 * in the parent snapshot) and reads and stores only the new one: a save costs what the server
 * wrote since the last one, not the whole file again (re-saving a growing file would re-read all
 * of it and store its last chunk, up to several MiB, every few seconds).
 *
 * Layout: <dir>/g<group>/<start offset>, 100 pieces per group directory (a save rewrites only
 * the tree of the newest group and the root, never a list of thousands), plus `open`, the bytes
 * cut but not yet sealed into a piece. Concatenated in offset order, the pieces are the server's
 * file from offset 0, byte for byte.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  createReadStream,
  createWriteStream,
} from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';

const PER_GROUP = 100;
const OPEN = 'open';

export interface Piece {
  start: number;
  size: number;
  path: string;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** The pieces under `dir`, in offset order (whatever the group layout). */
export function listPieces(dir: string): Piece[] {
  if (!existsSync(dir)) {
    return [];
  }
  const out: Piece[] = [];
  for (const g of readdirSync(dir).filter((e) => /^g\d+$/.test(e))) {
    for (const p of readdirSync(path.join(dir, g)).filter((e) => /^\d+$/.test(e))) {
      const file = path.join(dir, g, p);
      out.push({ start: Number(p), size: statSync(file).size, path: file });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Whether pieces cover [0, end) without a hole or an overlap. */
export function covers(pieces: Piece[], end: number): boolean {
  let at = 0;
  for (const p of pieces) {
    if (p.start !== at) {
      return false;
    }
    at += p.size;
  }
  return at === end;
}

/** Concatenates pieces into one file (the server's file prefix), streamed. */
export async function concatenate(pieces: Piece[], to: string): Promise<void> {
  const out = createWriteStream(to, { mode: 0o600 });
  const failed = new Promise<never>((_, reject) => out.on('error', reject));
  failed.catch(() => undefined);
  try {
    for (const p of pieces) {
      for await (const chunk of createReadStream(p.path)) {
        if (!out.write(chunk)) {
          await Promise.race([once(out, 'drain'), failed]);
        }
      }
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}

export class PieceDir {
  constructor(readonly dir: string) {}

  pieces(): Piece[] {
    return listPieces(this.dir);
  }

  /** Appends cut bytes to the open piece (on disk at once: never held in memory till the save). */
  append(bytes: Buffer): void {
    if (!bytes.length) {
      return;
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    appendFileSync(path.join(this.dir, OPEN), bytes, { mode: 0o600 });
  }

  get openSize(): number {
    const f = path.join(this.dir, OPEN);
    return existsSync(f) ? statSync(f).size : 0;
  }

  /** Turns the open bytes into piece number `index` starting at `start` (synced first: a piece is final). */
  seal(index: number, start: number): Piece | null {
    const open = path.join(this.dir, OPEN);
    if (!existsSync(open) || statSync(open).size === 0) {
      return null;
    }
    const fd = openSync(open, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const group = path.join(this.dir, `g${pad(Math.floor(index / PER_GROUP), 5)}`);
    mkdirSync(group, { recursive: true, mode: 0o700 });
    const to = path.join(group, pad(start, 13));
    renameSync(open, to);
    return { start, size: statSync(to).size, path: to };
  }

  /** Keeps only what is archived: pieces wholly below `end`, no open bytes. */
  keepBelow(end: number): void {
    rmSync(path.join(this.dir, OPEN), { force: true });
    for (const p of this.pieces()) {
      if (p.start + p.size > end) {
        rmSync(p.path, { force: true });
      }
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
