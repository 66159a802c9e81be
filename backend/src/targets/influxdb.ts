/**
 * kind: influxdb — the monitoring databases (InfluxDB 1.x). Backup runs `influxd backup -portable`
 * per database into the private temp dir and saves that tree (influxdb/portable.ts); it records,
 * per database, retention policy and measurement, how many values each field holds up to a
 * cut-off time (influxdb/state.ts). Verification restores into scratch databases and compares.
 * A restore never drops live data before it has the new data (influxdb/restore.ts).
 *
 * influxdb/http.ts reaches the server, names.ts says which database names are allowed, doctor.ts
 * checks what the target needs.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { doc, serviceUrlField } from '../config/schema';
import { isScratchName } from './kit/scratch';
import type { TargetDriver } from './types';
import { checkRpc, InfluxHttp, InfluxSettings } from './influxdb/http';
import { NAME, parseTo, reserved, RESERVED } from './influxdb/names';
import { backupDatabase, databasesIn, restoreFromSnapshot } from './influxdb/portable';
import { inScratch, restoreInflux } from './influxdb/restore';
import { InfluxState, recorded, stateMetadata, summary } from './influxdb/state';
import { checkRestored } from './influxdb/check';
import { archiveHashes, countBefore, listShards, shardRecords, shardsOf } from './influxdb/shards';
import { readInfluxMetadata } from './influxdb/metadata';
import { influxDoctor } from './influxdb/doctor';

export type { InfluxSettings } from './influxdb/http';
export { stableGzipHeader } from './influxdb/portable';

export const influxdbDriver: TargetDriver<InfluxSettings> = {
  kind: 'influxdb',
  settingsShape: (h) => ({
    connection: doc(
      z
        .strictObject({
          url: doc(
            serviceUrlField('http://127.0.0.1:8086', 'put them in username and passwordFile'),
            "InfluxDB's HTTP API",
            'http://127.0.0.1:8086'
          ).default('http://127.0.0.1:8086'),
          rpcAddress: doc(
            z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port of the RPC (backup) service, e.g. 127.0.0.1:8088'),
            "host:port of InfluxDB's backup/restore (RPC) service: bind-address in influxdb.conf",
            '127.0.0.1:8088'
          ).default('127.0.0.1:8088'),
          databases: doc(
            z
              .array(
                z
                  .string()
                  .regex(NAME, 'database names: letters, digits, _ and - only')
                  .refine((d) => !reserved(d), { message: RESERVED })
              )
              .min(1, 'list at least one database, or leave it out to back up all but _internal'),
            'the databases backed up; default: every database but _internal',
            ['telegraf']
          ).optional(),
          username: doc(z.string().min(1), 'the user, where InfluxDB has auth-enabled', 'backup').optional(),
          ...h.passwordFields(),
        })
        .refine((c) => !(c.passwordFile || c.passwordEnv) || c.username, { message: 'a password needs a username' }),
      'how to reach InfluxDB 1.x: its HTTP API and its backup (RPC) port',
      { url: 'http://127.0.0.1:8086', rpcAddress: '127.0.0.1:8088' }
    ),
  }),
  defaults: {
    schedule: '15 2 * * *',
    rpo: '1d',
    rto: '20m',
    retention: { keepDaily: 30 },
    verifySchedule: '45 4 * * 0',
    coverage:
      'all InfluxDB databases used for monitoring (rsyslog, latency and other data about the machines), as portable backups',
    usability: 'restore into scratch databases; same measurements and point counts as at backup time',
  },

  checkRestoreTarget: (to) => {
    const { source, dest } = parseTo(to);
    if (!NAME.test(dest) || (source !== undefined && !NAME.test(source))) {
      return 'give a database name (letters, digits, _ and -, at most 64), or SOURCE:NEW to pick one database of the snapshot';
    }
    if (reserved(dest)) {
      return `${dest} is ${RESERVED}`;
    }
    return null;
  },

  destinations: (t) => ({
    inPlace: {
      replaces: t.settings.connection.databases
        ? `database${t.settings.connection.databases.length > 1 ? 's' : ''} ${t.settings.connection.databases.join(', ')}`
        : 'every database the snapshot holds',
      movedAsideAs:
        'InfluxDB 1.x cannot rename a database: the current data is kept in the safety snapshot (required) and stays untouched until the restored copy is complete and checked',
      note: 'the snapshot is restored into scratch databases and checked first',
      unavailable: null,
    },
    elsewhere: {
      kind: 'database',
      hint: 'a database name that does not exist yet (letters, digits, _ and -); SOURCE:NEW to pick one database of the snapshot',
      example: `${t.settings.connection.databases?.[0] ?? 'telegraf'}_restored`,
    },
  }),

  contents: (meta) => {
    const state = readInfluxMetadata(meta)!.state;
    const items = Object.entries(state)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([db, rps]) => ({
        name: db,
        count: Object.values(rps).reduce((n, ms) => n + Object.values(ms).reduce((m, x) => m + x.points, 0), 0),
        unit: 'points',
      }));
    return { summary: summary(state), items };
  },

  async backup(ctx) {
    const s = ctx.target.settings;
    const http = new InfluxHttp(s, ctx.signal);
    const all = await http.databases();
    let databases: string[];
    let missing: string[] = [];
    if (s.connection.databases) {
      missing = s.connection.databases.filter((d) => !all.includes(d));
      // Before a restore, what is gone is why one restores: save what is left.
      if (missing.length && !ctx.safety) {
        throw new Error(
          `InfluxDB at ${http.url} has no database ${missing.join(', ')} (it has: ${all.join(', ') || 'none'})`
        );
      }
      databases = s.connection.databases.filter((d) => all.includes(d));
    } else {
      databases = all.filter((d) => !reserved(d)).sort();
    }
    if (!databases.length) {
      const reason = `InfluxDB at ${http.url} has no database ${missing.length ? missing.join(', ') : 'to back up (only _internal)'}`;
      if (ctx.safety) {
        return { kind: 'nothing', reason };
      }
      throw new Error(reason);
    }
    await checkRpc(s.connection.rpcAddress);
    // Points written after the cut-off are not counted: they may or may not be in the backup.
    const cutoff = new Date().toISOString();
    // What changed is counted, shard by shard; the previous backup's record gives the rest (shards.ts).
    const previous = shardsOf(ctx.previous?.metadata ?? null, ctx.log);
    const shards = await listShards(http, databases);
    ctx.progress('counting points');
    const counted = await countBefore(http, shards, previous, cutoff);
    const dir = path.join(ctx.tmpDir, 'influxdb');
    mkdirSync(dir, { recursive: true });
    try {
      for (const db of databases) {
        ctx.progress(`backing up database ${db}`);
        await backupDatabase(ctx, db, dir);
      }
      ctx.progress('counting points');
      const records = await shardRecords(http, {
        before: shards,
        counted,
        now: await listShards(http, databases),
        hashes: await archiveHashes(databasesIn(dir)),
        previous,
        cutoff,
      });
      ctx.progress('uploading');
      const snapshot = await ctx.store.saveDirectory(dir);
      return { kind: 'saved', snapshot, version: null, metadata: stateMetadata(databases, cutoff, records, missing) };
    } finally {
      // The engine removes tmpDir too; a portable backup can be large, so free it now.
      rmSync(dir, { recursive: true, force: true });
    }
  },

  async verify(ctx) {
    // Malformed metadata fails the verification here, before anything is restored (kit/metadata.ts).
    const rec = recorded(readInfluxMetadata(ctx.snapshot.metadata));
    // Counts are taken over only from another snapshot: verifying one again counts it again.
    const other = ctx.lastPassed && ctx.lastPassed.snapshot.id !== ctx.snapshot.id ? ctx.lastPassed.snapshot : null;
    const verified = shardsOf(other?.metadata ?? null, ctx.log);
    const s = ctx.target.settings;
    const http = new InfluxHttp(s, ctx.signal);
    await checkRpc(s.connection.rpcAddress);
    await http.databases(); // reachable, credentials accepted: before anything is read
    const dbs = await restoreFromSnapshot(ctx);
    const actual: InfluxState = {};
    const problems: string[] = [];
    let takenOver = 0;
    let shards = 0;
    await inScratch(ctx, http, 'verify', dbs, async (copies) => {
      ctx.progress('comparing');
      for (const c of copies) {
        const r = await checkRestored(http, rec, c.db, c.scratch, verified);
        actual[c.db] = r.state;
        problems.push(...r.problems);
        takenOver += r.takenOver;
        shards += r.shards;
      }
    });
    for (const db of Object.keys(rec?.before ?? {})) {
      if (!dbs.some((d) => d.db === db)) {
        problems.push(`database ${db} missing from the snapshot`);
      }
    }
    if (problems.length) {
      return { ok: false, detail: problems.join('; ') };
    }
    if (!rec) {
      return {
        ok: true,
        detail: `${summary(actual)} restored into scratch databases (no recorded counts to compare: catalog was rebuilt)`,
      };
    }
    const counted = takenOver
      ? `; ${takenOver} of ${shards} shards are the same bytes with the same counts as in the snapshot last verified clean and were not counted again`
      : '';
    return {
      ok: true,
      detail: `${summary(actual)} restored into scratch databases; measurements and point counts match${counted}`,
    };
  },

  restore: (ctx) => restoreInflux(ctx),

  async removeLeftover(target, item) {
    if (item.kind !== 'database' || !isScratchName(item.name)) {
      return; // only ever our own scratch databases
    }
    const http = new InfluxHttp(target.settings);
    if ((await http.databases()).includes(item.name)) {
      await http.dropDatabase(item.name);
    }
  },

  doctor: (target) => influxDoctor(target.settings),
};
