/** Small helpers shared by drivers: finding programs, free ports, waiting for streams. (HTTP: kit/http.ts.) */
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';

/** The first of these programs found on PATH (e.g. mariadb-dump, then mysqldump). */
export function findProgram(candidates: string[]): string {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const c of candidates) {
    if (c.includes('/')) {
      return c;
    }
    for (const d of dirs) {
      try {
        accessSync(path.join(d, c), constants.X_OK);
        return path.join(d, c);
      } catch {
        // not here
      }
    }
  }
  return candidates[0];
}

/** A free TCP port on loopback (for scratch servers during verification). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Pipes a stream into a writable and resolves when it is fully written (or rejects on error). */
export function pipeInto(source: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.on('error', reject);
    source.on('error', reject);
    sink.on('finish', resolve);
    source.pipe(sink);
  });
}
