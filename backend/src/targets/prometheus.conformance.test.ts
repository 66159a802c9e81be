/**
 * The driver conformance suite for kind prometheus: a private Prometheus (admin API, stop/start
 * hooks) over blocks of known data written by promtool, scraping nothing, so that what is on
 * disk is exactly what a snapshot holds. "Unreachable" is a closed port, and a promtool that is
 * not installed (the verification never needs the live server: it cannot run without its tools).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conformance } from './testing/conformance';
import { backfill, leftSnapshots, privatePrometheus, PrivatePrometheus } from '../test/prometheus';
import { BlockInfo, readBlocks } from './prometheus';

const base = path.join(os.tmpdir(), `bsla-conf-prom-${process.pid}`);
const dataDir = path.join(base, 'data');
const elsewhere = path.join(base, 'restored');
let server: PrivatePrometheus;
let changes = 0;

conformance<BlockInfo[]>({
  kind: 'prometheus',
  create: async () => {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    await backfill(dataDir, new Date('2025-03-01T00:00:00Z'), 90, 4);
    server = await privatePrometheus({ dir: base, scrapeSelf: false });
  },
  destroy: async () => {
    await server?.destroy();
  },
  target: () => ({
    kind: 'prometheus',
    connection: { url: server.url, dataDir },
    hooks: { stop: server.stopHook, start: server.startHook },
  }),
  unreachable: (t) => ({
    ...t,
    connection: { url: 'http://127.0.0.1:9', dataDir },
    verify: { promtool: '/nonexistent/promtool' },
  }),
  secrets: [],
  read: async (place) => readBlocks(place ?? dataDir),
  // Another block of known data, in a day of its own (blocks never overlap).
  change: () => backfill(dataDir, new Date(Date.UTC(2025, 3, 1 + changes++)), 30, 2, 'lab_changed'),
  elsewhere: { to: elsewhere },
  tamper: (m) => {
    const blocks = (m.blocks as unknown as BlockInfo[]).map((b) => ({ ...b }));
    blocks[0].series += 1;
    return { ...m, blocks: blocks as never };
  },
  aside: { kind: 'moved' },
  scratchLeft: async () => [
    ...(existsSync(base)
      ? readdirSync(base).filter((n) => n.includes('.restoring-') || n.includes('backup-sla-snapshot'))
      : []),
    ...leftSnapshots(dataDir),
  ],
});
