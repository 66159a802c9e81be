/**
 * The binary log reader without a server: events built as the server writes them (v4 header,
 * CRC32), fed to the cutter in every way a follower can leave a file — whole, in small pieces,
 * torn in the middle of an event (a kill mid-file), resumed at a later position, damaged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, DamagedError, EventCutter, EVENT, HEADER, MAGIC, queryOf, events } from './binlog';
import { DumpPosition, ReplayedIdentity, unsafeStatements } from './pitr';

/** One event: header, body and CRC32, placed at server offset `at` (its log position is at + size). */
function event(
  type: number,
  timestamp: number,
  at: number,
  body: Buffer,
  opts: { logPos?: number; flags?: number } = {}
) {
  const size = HEADER + body.length + 4;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(timestamp, 0);
  b.writeUInt8(type, 4);
  b.writeUInt32LE(1, 5);
  b.writeUInt32LE(size, 9);
  b.writeUInt32LE(opts.logPos ?? at + size, 13);
  b.writeUInt16LE(opts.flags ?? 0, 17);
  body.copy(b, HEADER);
  b.writeUInt32LE(crc32(b, 0, size - 4), size - 4);
  return b;
}

/** A format description event body: version, server version (50), time, header length, post-header lengths, checksum alg 1. */
function fdeBody(): Buffer {
  const b = Buffer.alloc(2 + 50 + 4 + 1 + 10 + 1);
  b.writeUInt16LE(4, 0);
  b.write('10.11.18-MariaDB', 2, 'latin1');
  b.writeUInt8(19, 56);
  b.writeUInt8(1, b.length - 1);
  return b;
}

/** A query event body: thread, time, db length, error, status length 0, db, NUL, query. */
function queryBody(db: string, query: string): Buffer {
  const head = Buffer.alloc(13);
  head.writeUInt8(Buffer.byteLength(db), 8);
  return Buffer.concat([head, Buffer.from(db), Buffer.from([0]), Buffer.from(query)]);
}

/** A server file: magic, format description, then events; answers the bytes and each event's offset. */
function serverFile(bodies: Array<[number, number, Buffer]>): { file: Buffer; offsets: number[] } {
  const parts = [MAGIC];
  const offsets: number[] = [];
  let at = 4;
  for (const [type, ts, body] of [[EVENT.FORMAT_DESCRIPTION, 1000, fdeBody()] as [number, number, Buffer], ...bodies]) {
    const e = event(type, ts, at, body);
    offsets.push(at);
    parts.push(e);
    at += e.length;
  }
  return { file: Buffer.concat(parts), offsets };
}

const rows = (n: number): Array<[number, number, Buffer]> =>
  Array.from({ length: n }, (_, i) => [23, 2000 + i, Buffer.alloc(30 + (i % 7), i)]);

describe('EventCutter', () => {
  it('a file from its start, in pieces of any size, comes out byte for byte, complete events only', () => {
    const { file } = serverFile([
      ...rows(40),
      [EVENT.ROTATE, 3000, Buffer.from('\x04\0\0\0\0\0\0\0binlog.000002', 'latin1')],
    ]);
    for (const step of [1, 7, 19, 64, 1000, file.length]) {
      const c = new EventCutter(0);
      const out: Buffer[] = [];
      const ends: number[] = [];
      for (let i = 0; i < file.length; i += step) {
        const r = c.push(file.subarray(i, i + step));
        out.push(r.bytes);
        ends.push(c.end);
        // Never a torn event: what came out so far ends at an event boundary.
        expect(Buffer.concat(out).length).toBe(c.end);
      }
      expect(Buffer.concat(out).equals(file)).toBe(true);
      expect(c.end).toBe(file.length);
    }
  });

  it('a follower killed mid-file leaves a torn event: it is held back, never archived', () => {
    const { file, offsets } = serverFile(rows(10));
    const torn = file.subarray(0, offsets[6] + 11);
    const c = new EventCutter(0);
    const r = c.push(torn);
    expect(r.bytes.equals(file.subarray(0, offsets[6]))).toBe(true);
    expect(c.end).toBe(offsets[6]);
  });

  it('a resumed follower (format description with log position 0, then events from the position) continues the archive exactly', () => {
    const { file, offsets } = serverFile(rows(12));
    const from = offsets[5];
    // What mariadb-binlog --raw --start-position=from writes: magic, the file's format description
    // made up with log position 0, then the events from `from` on.
    const fde = event(EVENT.FORMAT_DESCRIPTION, 1000, 4, fdeBody(), { logPos: 0 });
    const resumed = Buffer.concat([MAGIC, fde, file.subarray(from)]);
    const c = new EventCutter(from);
    const r = c.push(resumed);
    expect(r.bytes.equals(file.subarray(from))).toBe(true);
    expect(r.events.map((e) => e.start)).toEqual(offsets.slice(5));
    expect(c.end).toBe(file.length);
  });

  it('a damaged event (checksum) or a position that does not continue the archive is refused', () => {
    const { file, offsets } = serverFile(rows(5));
    const bad = Buffer.from(file);
    bad[offsets[3] + HEADER + 2] ^= 0xff;
    expect(() => new EventCutter(0).push(bad)).toThrow(DamagedError);
    expect(() => new EventCutter(0).push(bad)).toThrow(/fails its checksum/);
    const resumedWrong = Buffer.concat([MAGIC, file.subarray(offsets[3])]);
    expect(() => new EventCutter(offsets[2]).push(resumedWrong)).toThrow(/does not continue the archive/);
    expect(() => new EventCutter(0).push(Buffer.from('not a binlog'))).toThrow(/no magic/);
  });

  it('reads a query event: its default database and statement', () => {
    const { file } = serverFile([[EVENT.QUERY, 5000, queryBody('agama', 'DROP TABLE item')]]);
    const list = [...events(file)];
    expect(queryOf(list[1], true)).toEqual({ database: 'agama', query: 'DROP TABLE item' });
  });
});

describe('replay safety', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-binlog-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function logWith(...queries: Array<[string, string, number]>): string {
    const { file } = serverFile(queries.map(([db, q, ts]) => [EVENT.QUERY, ts, queryBody(db, q)]));
    const p = path.join(dir, `binlog.${String(queries.length).padStart(6, '0')}`);
    writeFileSync(p, file);
    return p;
  }

  it('finds statements naming the database explicitly, up to the stop only', () => {
    const file = logWith(
      ['agama', 'BEGIN', 100],
      ['agama', 'CREATE TABLE note (id INT)', 101],
      ['other', 'ALTER TABLE `agama`.`item` ADD COLUMN x INT', 102],
      ['agama', 'DROP TABLE agama.item', 200],
      ['agama', 'DROP DATABASE agama', 300]
    );
    const log = { files: [file], start: { file: path.basename(file), position: 4 } };
    expect(unsafeStatements(log, { at: new Date(101_000) }, 'agama')).toEqual([]);
    expect(unsafeStatements(log, { at: new Date(150_000) }, 'agama')).toEqual([
      expect.stringMatching(/ALTER TABLE `agama`\.`item` ADD COLUMN x INT/),
    ]);
    expect(unsafeStatements(log, { at: new Date(400_000) }, 'agama')).toHaveLength(3);
    // Names that only begin with the database's name are other databases.
    const other = logWith(['x', 'CREATE TABLE agama_before_restore_1.item (id INT)', 100]);
    expect(
      unsafeStatements(
        { files: [other], start: { file: path.basename(other), position: 4 } },
        { at: new Date(500_000) },
        'agama'
      )
    ).toEqual([]);
  });
});

describe('ReplayedIdentity', () => {
  it('drops the lines that would give replayed transactions their original GTIDs, nothing else', async () => {
    const text = [
      '/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/;',
      '/*M!100101 SET @@session.skip_parallel_replication=0*//*!*/;',
      '/*M!100001 SET @@session.gtid_domain_id=0*//*!*/;',
      '/*M!100001 SET @@session.server_id=1*//*!*/;',
      '/*M!100001 SET @@session.gtid_seq_no=288*//*!*/;',
      'START TRANSACTION',
      "BINLOG '",
      'itsMaw8BAAAA/AAAAAABAAABAAQAMTAuMTEuMTgtTWFyaWFEQi0wK2RlYjEydTEtbG9nAAAAAAAA',
      "'/*!*/;",
      'COMMIT/*!*/;',
      '',
    ].join('\n');
    for (const step of [1, 5, 1000]) {
      const f = new ReplayedIdentity();
      const out: Buffer[] = [];
      f.on('data', (d: Buffer) => out.push(d));
      const ended = new Promise((r) => f.on('end', r));
      for (let i = 0; i < text.length; i += step) {
        f.write(Buffer.from(text.slice(i, i + step), 'latin1'));
      }
      f.end();
      await ended;
      const kept = Buffer.concat(out).toString('latin1');
      expect(kept).not.toMatch(/gtid_domain_id|server_id|gtid_seq_no/);
      expect(kept.split('\n')).toEqual(
        text.split('\n').filter((l) => !/gtid_domain_id|server_id=|gtid_seq_no/.test(l))
      );
    }
  });
});

describe('DumpPosition', () => {
  it("reads a dump's log coordinates and GTID off its stream, in chunks of any size", () => {
    const dump = Buffer.from(
      [
        '-- MariaDB dump 10.19',
        '-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;',
        "-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000042', MASTER_LOG_POS=4063;",
        'CREATE TABLE item (id INT);',
        'INSERT INTO item VALUES ' + '(1),'.repeat(50_000) + '(2);',
        "-- SET GLOBAL gtid_slave_pos='0-1-283';",
        '-- Dump completed',
        '',
      ].join('\n')
    );
    for (const step of [3, 100, 65536]) {
      const p = new DumpPosition();
      let told = 0;
      p.onPosition = () => told++;
      for (let i = 0; i < dump.length; i += step) {
        p.observe(dump.subarray(i, i + step));
      }
      expect(p.position).toEqual({ file: 'binlog.000042', position: 4063 });
      expect(p.gtid).toBe('0-1-283');
      expect(told).toBe(1);
    }
  });
});
