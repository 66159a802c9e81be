/**
 * Loading a snapshot's dump into a scratch or staging database, streamed restic → mariadb client.
 *
 * The dump creates the database's events as they were (usually ENABLE): with the event scheduler
 * on, a scratch copy's events would run — against the scratch data, or against other databases
 * their bodies name. The stream is rewritten on its way so that every event is created DISABLED;
 * each event's status in the dump is kept (`statuses`) and given back when the restored events
 * take the live place.
 */
import { Transform, TransformCallback } from 'node:stream';
import { start } from '../../util/subprocess';
import type { DriverContext } from '../types';
import { clientCommand, MysqlSettings } from './connection';
import { eventStatus, withEventStatus } from './state';

/** How mariadb-dump starts an event's definition (one line up to its DO). */
const EVENT_LINE = Buffer.from('/*!50106 CREATE*/');
const NEWLINE = 0x0a;

export class EventsDisabled extends Transform {
  /** event name → status in the dump */
  readonly statuses: Record<string, string> = {};
  /** The start of a line that may be an event's definition, waiting for its end. */
  private carry: Buffer | null = null;
  private atLineStart = true;

  private rewrite(line: Buffer): Buffer {
    const text = line.toString('utf8');
    const name = /\bEVENT `((?:[^`]|``)+)`/.exec(text)?.[1]?.replace(/``/g, '`');
    const status = eventStatus(text);
    if (!name || !status) {
      return line;
    }
    this.statuses[name] = status;
    return Buffer.from(withEventStatus(text, 'DISABLE'), 'utf8');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let pushed = 0;
    const nextLine = (from: number) => {
      const i = buf.indexOf(NEWLINE, from);
      return i < 0 ? -1 : i + 1;
    };
    let line = this.atLineStart ? 0 : nextLine(0);
    while (line >= 0 && line < buf.length) {
      const n = Math.min(buf.length - line, EVENT_LINE.length);
      const end = buf.indexOf(NEWLINE, line);
      if (buf.compare(EVENT_LINE, 0, n, line, line + n) === 0) {
        if (n < EVENT_LINE.length || end < 0) {
          // Maybe an event line, not complete yet: wait for the rest.
          this.push(buf.subarray(pushed, line));
          this.carry = Buffer.from(buf.subarray(line));
          this.atLineStart = true;
          return done();
        }
        this.push(buf.subarray(pushed, line));
        this.push(this.rewrite(buf.subarray(line, end)));
        pushed = end;
      }
      line = end < 0 ? -1 : end + 1;
    }
    this.push(buf.subarray(pushed));
    this.atLineStart = line === buf.length;
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.carry) {
      this.push(this.carry.subarray(0, EVENT_LINE.length).equals(EVENT_LINE) ? this.rewrite(this.carry) : this.carry);
    }
    done();
  }
}

/**
 * Loads a dump into `database` (which must exist), streaming; resolves with the events' statuses
 * in the dump. Rejects when reading the snapshot or loading fails (the database is then partial:
 * the caller drops it).
 */
export async function loadDump(
  ctx: DriverContext<MysqlSettings>,
  dump: { stream: NodeJS.ReadableStream; done: Promise<void> },
  database: string
): Promise<Record<string, string>> {
  const client = start(clientCommand(ctx, database), { stdin: 'pipe', signal: ctx.signal });
  const events = new EventsDisabled();
  client.child.stdin!.on('error', () => undefined);
  events.on('error', () => undefined);
  dump.stream.pipe(events).pipe(client.child.stdin!);
  // A snapshot that cannot be read to its end: stop the client rather than wait for an end of input.
  dump.done.catch(() => client.child.kill('SIGTERM'));
  const [d, c] = await Promise.allSettled([dump.done, client.done]);
  if (d.status === 'rejected') {
    throw d.reason;
  }
  if (c.status === 'rejected') {
    throw c.reason;
  }
  return events.statuses;
}
