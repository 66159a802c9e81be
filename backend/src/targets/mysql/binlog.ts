/**
 * Reading MariaDB/MySQL binary log files (format v4) event by event: enough to archive them
 * exactly and to reason about them, never to interpret rows (mariadb-binlog does that on replay).
 *
 * Every event starts with a 19-byte header: timestamp (4, unix seconds), type (1), server id (4),
 * event size (4, header included), log position (4: where the *next* event starts in the server's
 * file) and flags (2), all little-endian. With `binlog_checksum=CRC32` (MariaDB's default) the
 * last 4 bytes of each event are the CRC32 of the rest: an event whose checksum does not match is
 * damaged, and nothing after it is trusted.
 *
 * What `mariadb-binlog --read-from-remote-server --raw` writes is a byte-exact copy of the server's
 * file when it starts at position 4. Started at a later position it writes the magic, the file's
 * format description event with log position 0, then the events from that position on: their log
 * positions say where each belongs in the server's file (start = log position - size), so an
 * archive continued across restarts of the follower is still the server's file, byte for byte.
 */
import { createHash } from 'node:crypto';

export const MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
export const HEADER = 19;

export const EVENT = {
  QUERY: 2,
  STOP: 3,
  ROTATE: 4,
  FORMAT_DESCRIPTION: 15,
  XID: 16,
  TABLE_MAP: 19,
  GTID: 162,
} as const;

/** Set on events the server makes up for a client (a fake rotate): not part of any file. */
const ARTIFICIAL = 0x20;

export interface EventHeader {
  /** Unix seconds: when the statement started (the server's clock). */
  timestamp: number;
  type: number;
  serverId: number;
  size: number;
  /** Where the next event starts in the server's file (0 for made-up events). */
  logPos: number;
  flags: number;
}

export function readHeader(buf: Buffer, at = 0): EventHeader {
  return {
    timestamp: buf.readUInt32LE(at),
    type: buf.readUInt8(at + 4),
    serverId: buf.readUInt32LE(at + 5),
    size: buf.readUInt32LE(at + 9),
    logPos: buf.readUInt32LE(at + 13),
    flags: buf.readUInt16LE(at + 17),
  };
}

/** CRC32 (IEEE), as the server computes binlog checksums. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Whether a format description event says that events carry a CRC32 (its last 5 bytes are the
 * checksum algorithm, 1 = CRC32, and its own checksum).
 */
export function checksummed(fde: Buffer): boolean {
  return fde.length >= HEADER + 5 && fde.readUInt8(fde.length - 5) === 1;
}

/** One complete event of a file, with where it lies in the server's file. */
export interface BinlogEvent extends EventHeader {
  /** Offset of the event in the server's file. */
  start: number;
  /** The event's bytes. */
  bytes: Buffer;
}

/** Whether an event ends its file: a real rotate to the next file, or the server's stop. */
export function endsFile(e: EventHeader): boolean {
  return (e.type === EVENT.ROTATE && e.logPos !== 0 && (e.flags & ARTIFICIAL) === 0) || e.type === EVENT.STOP;
}

/** The next file's name, from a rotate event (its body: position (8) then the name). */
export function rotateTarget(e: BinlogEvent, crc: boolean): string {
  return e.bytes.subarray(HEADER + 8, e.bytes.length - (crc ? 4 : 0)).toString('latin1');
}

export class DamagedError extends Error {}

/**
 * Cuts a growing file, as the follower writes it, into complete events, in the server's file
 * offsets. Feed it what was appended (in any pieces); it answers the events that are complete,
 * keeps a partial one for later, and skips what is already archived (`from`) and what the
 * follower writes only for itself (the magic and the format description at a resumed start).
 */
export class EventCutter {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of the follower's file consumed so far. */
  private consumed = 0;
  /** Where the next event must start in the server's file. */
  private expected: number;
  /** Events carry a CRC32 (from the format description event; CRC32 is the server's default). */
  crc = true;

  /** `from`: the server-file offset archived so far (0: nothing, the file starts with the magic). */
  constructor(readonly from: number) {
    this.expected = from;
  }

  /**
   * The server-file bytes to append to the archive (complete events only, from `from` on), and
   * the events they hold. Throws DamagedError on a checksum mismatch or a position that does not
   * continue the archive.
   */
  push(chunk: Buffer): { bytes: Buffer; events: BinlogEvent[] } {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    const events: BinlogEvent[] = [];
    let at = 0;
    if (this.consumed === 0) {
      if (this.pending.length < 4) {
        return { bytes: Buffer.alloc(0), events };
      }
      if (!this.pending.subarray(0, 4).equals(MAGIC)) {
        throw new DamagedError('not a binary log file (no magic number)');
      }
      at = 4;
      if (this.from === 0) {
        out.push(MAGIC);
        this.expected = 4;
      }
    }
    while (this.pending.length - at >= HEADER) {
      const h = readHeader(this.pending, at);
      if (h.size < HEADER || h.size > 1 << 30) {
        throw new DamagedError(`event at ${this.consumed + at} has an impossible size ${h.size}`);
      }
      if (this.pending.length - at < h.size) {
        break;
      }
      const bytes = this.pending.subarray(at, at + h.size);
      if (h.type === EVENT.FORMAT_DESCRIPTION) {
        this.crc = checksummed(bytes);
      }
      if (this.crc && crc32(bytes, 0, bytes.length - 4) !== bytes.readUInt32LE(bytes.length - 4)) {
        throw new DamagedError(`event at ${this.consumed + at} (type ${h.type}) fails its checksum`);
      }
      at += h.size;
      if (h.logPos === 0 || (h.flags & ARTIFICIAL) !== 0) {
        continue; // made up for the follower (the format description of a resumed start, a fake rotate)
      }
      const start = h.logPos - h.size;
      if (h.logPos <= this.expected) {
        continue; // archived already (a resumed start sends the file's format description again)
      }
      if (start !== this.expected) {
        throw new DamagedError(`event at server offset ${start} does not continue the archive at ${this.expected}`);
      }
      out.push(bytes);
      events.push({ ...h, start, bytes });
      this.expected = h.logPos;
    }
    this.consumed += at;
    this.pending = Buffer.from(this.pending.subarray(at));
    return { bytes: out.length === 1 ? out[0] : Buffer.concat(out), events };
  }

  /** The server-file offset up to which complete events were cut. */
  get end(): number {
    return this.expected;
  }
}

/** Every event of a complete (or complete-up-to-an-event) server file held in memory or read whole. */
export function* events(file: Buffer): Generator<BinlogEvent> {
  if (!file.subarray(0, 4).equals(MAGIC)) {
    throw new DamagedError('not a binary log file (no magic number)');
  }
  let at = 4;
  let crc = true;
  while (file.length - at >= HEADER) {
    const h = readHeader(file, at);
    if (h.size < HEADER || file.length - at < h.size) {
      return;
    }
    const bytes = file.subarray(at, at + h.size);
    if (h.type === EVENT.FORMAT_DESCRIPTION) {
      crc = checksummed(bytes);
    }
    if (crc && crc32(bytes, 0, bytes.length - 4) !== bytes.readUInt32LE(bytes.length - 4)) {
      throw new DamagedError(`event at ${at} (type ${h.type}) fails its checksum`);
    }
    yield { ...h, start: at, bytes };
    at += h.size;
  }
}

/** A query event's default database and statement (post-header: thread 4, time 4, db length 1, error 2, status length 2). */
export function queryOf(e: BinlogEvent, crc: boolean): { database: string; query: string } {
  const b = e.bytes;
  const dbLen = b.readUInt8(HEADER + 8);
  const statusLen = b.readUInt16LE(HEADER + 11);
  const dbAt = HEADER + 13 + statusLen;
  return {
    database: b.subarray(dbAt, dbAt + dbLen).toString('utf8'),
    query: b.subarray(dbAt + dbLen + 1, b.length - (crc ? 4 : 0)).toString('utf8'),
  };
}

/** A short fingerprint of bytes (for logs and tests). */
export function digest(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex').slice(0, 16);
}
