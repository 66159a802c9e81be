import { NoRepositoryError } from '../repository/restic';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { changeRecordedMetadata, makeLab, Lab } from '../test/harness';
import { counts, databases, influx, influxEnv, readInflux, write } from '../test/influx';
import { ConfigError, parseConfig } from '../config/load';
import { run } from '../util/subprocess';
import { stableGzipHeader } from './influxdb';
import { InfluxHttp, InfluxSettings } from './influxdb/http';
import { countBefore, listShards, shardRecords } from './influxdb/shards';
import { databaseStates } from './influxdb/state';
import { freePort } from './tools';

/** The archive still is a valid gzip after the header rewrite (gunzip checks the CRC). */
function execGunzip(file: string): Buffer {
  return execFileSync('gzip', ['-dc', file]);
}

const A = 'lab_influx_a';
const B = 'lab_influx_b';
const COPY = 'lab_influx_copy';

/** Telegraf-like data: cpu with two fields (and 20 points with only one), mem, disk in a second RP; net in B. */
async function createData(): Promise<void> {
  for (const db of [A, B, COPY]) {
    await influx(`DROP DATABASE "${db}"`);
  }
  await influx(`CREATE DATABASE "${A}"`);
  await influx(`CREATE DATABASE "${B}"`);
  await influx(`CREATE RETENTION POLICY "long" ON "${A}" DURATION INF REPLICATION 1`);
  const t0 = Date.now() - 6 * 3600_000;
  const at = (i: number) => t0 + i * 10_000;
  await write(A, [
    ...Array.from({ length: 300 }, (_, i) => `cpu,host=h${i % 3} usage=${i / 10},idle=${100 - i / 10} ${at(i)}`),
    ...Array.from({ length: 20 }, (_, i) => `cpu,host=h9 usage=${i} ${at(i)}`),
    ...Array.from({ length: 100 }, (_, i) => `mem,host=h1 free=${i}i ${at(i)}`),
  ]);
  await write(
    A,
    Array.from({ length: 50 }, (_, i) => `disk,path=/ used=${i} ${at(i)}`),
    'long'
  );
  await write(
    B,
    Array.from({ length: 200 }, (_, i) => `net,iface=eth0 rx=${i}i,tx=${2 * i}i,up=true ${at(i)}`)
  );
}

/** What restic holds; no repository at all (only a backup creates one) holds nothing. */
async function resticSnapshots(lab: Lab): Promise<unknown[]> {
  return lab.engine
    .repository('main')
    .snapshots()
    .catch((e) => (e instanceof NoRepositoryError ? [] : Promise.reject(e)));
}

function packFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? packFiles(p) : [p];
  });
}

async function scratchDatabases(): Promise<string[]> {
  return (await databases()).filter((d) => d.startsWith('bsla_verify_'));
}

describe('influxdb target', () => {
  let lab: Lab;
  let before: { a: any; along: any; b: any };

  beforeAll(async () => {
    await createData();
    before = { a: await counts(A), along: await counts(A, 'long'), b: await counts(B) };
    const { url, rpc } = influxEnv();
    lab = makeLab({
      targets: {
        influx: { kind: 'influxdb', connection: { url, rpcAddress: rpc, databases: [A, B] } },
        everything: { kind: 'influxdb', connection: { url, rpcAddress: rpc } },
      },
    });
  });
  afterAll(async () => {
    lab.cleanup();
    for (const db of [A, B, COPY]) {
      await influx(`DROP DATABASE "${db}"`);
    }
  });

  it('takes the SLA defaults: daily, RPO 1d, RTO 20m, 30 daily versions, weekly verification', () => {
    const t = lab.engine.config.targets.influx;
    expect(t.schedule).toBe('15 2 * * *');
    expect(t.rpoSeconds).toBe(86400);
    expect(t.rtoSeconds).toBe(1200);
    expect(t.retention).toEqual({ keepDaily: 30 });
    expect(t.verifySchedule).toMatch(/^\d+ \d+ \* \* \d$/);
    expect(t.usability).toMatch(/same measurements and point counts/);
  });

  it('round trip: backup, drop the database, restore gives the same measurements and counts', async () => {
    const b = await lab.engine.backup('influx', 'test');
    expect(b.error).toBeNull();
    expect(b.status).toBe('success');
    const [snap] = lab.engine.snapshots('influx');
    const meta = snap.metadata as any;
    expect(meta.databases).toEqual([A, B]);
    // points: a measurement counts its best-filled field (cpu: 320 usage, 300 idle).
    expect(meta.state[A].autogen.cpu).toEqual({ points: 320, fields: { usage: 320, idle: 300 } });
    expect(meta.state[A].autogen.mem).toEqual({ points: 100, fields: { free: 100 } });
    expect(meta.state[A].long.disk.points).toBe(50);
    expect(meta.state[B].autogen.net.fields).toEqual({ rx: 200, tx: 200, up: 200 });
    expect(meta.points).toBe(320 + 100 + 50 + 200);
    expect(meta.measurements).toBe(4);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);

    await influx(`DROP DATABASE "${A}"`);
    await write(B, ['net,iface=eth1 rx=1i 1600000000000']); // changed after the backup: put back too
    const r = await lab.engine.restore('influx', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.status).toBe('success');
    expect(r.detail.location).toBe(`databases ${A}, ${B}`);
    expect(r.detail.result).toBe(
      '2 databases, 4 measurements, 670 points; restored into scratch databases and checked first'
    );
    expect(await counts(A)).toEqual(before.a);
    expect(await counts(A, 'long')).toEqual(before.along);
    expect(await counts(B)).toEqual(before.b);
    // The safety backup holds the state just before the restore: no database A.
    const safety = lab.engine.snapshots('influx').find((s) => s.id === r.detail.safetySnapshotId)!;
    expect(safety.safety).toBe(true);
    expect((safety.metadata as any).databases).toEqual([B]);
    expect((safety.metadata as any).missing).toEqual([A]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('a target without a database list backs up every database but _internal and scratch ones', async () => {
    await influx('CREATE DATABASE bsla_verify_leftover');
    try {
      const b = await lab.engine.backup('everything', 'test');
      expect(b.error).toBeNull();
      const meta = lab.engine.snapshots('everything')[0].metadata as any;
      expect(meta.databases).toEqual(expect.arrayContaining([A, B]));
      expect(meta.databases).not.toContain('_internal');
      expect(meta.databases).not.toContain('bsla_verify_leftover');
    } finally {
      await influx('DROP DATABASE bsla_verify_leftover');
    }
  });

  it('restores one database under another name with `to`, leaving the original alone', async () => {
    await write(A, ['cpu,host=new usage=1 1600000000000']);
    const many = await lab.engine.restore('influx', { snapshot: 'latest', to: COPY, safetyBackup: false }, 'test');
    expect(many.status).toBe('failed');
    expect(many.error).toBe(`the snapshot holds 2 databases (${A}, ${B}): say which one with to=SOURCE:${COPY}`);

    const r = await lab.engine.restore(
      'influx',
      { snapshot: 'latest', to: `${A}:${COPY}`, safetyBackup: true },
      'test'
    );
    expect(r.error).toBeNull();
    expect(r.detail.location).toBe(`database ${COPY} (from ${A})`);
    expect(r.detail.safetySnapshotId).toBeNull(); // nothing existing was overwritten
    expect(await counts(COPY)).toEqual(before.a);
    expect(await counts(COPY, 'long')).toEqual(before.along);
    expect((await counts(A)).cpu.usage).toBe(321);

    const again = await lab.engine.restore(
      'influx',
      { snapshot: 'latest', to: `${A}:${COPY}`, safetyBackup: false },
      'test'
    );
    expect(again.status).toBe('failed');
    expect(again.error).toBe(
      `database ${COPY} already exists; choose another name (InfluxDB 1.x cannot move it aside, so force does not replace it)`
    );
    // InfluxDB 1.x cannot move the database there aside: force never replaces it.
    await write(COPY, ['cpu,host=kept usage=1 1600000000000']);
    const kept = await counts(COPY);
    const forced = await lab.engine.restore(
      'influx',
      { snapshot: 'latest', to: `${A}:${COPY}`, safetyBackup: false, force: true },
      'test'
    );
    expect(forced.error).toBe(
      `database ${COPY} already exists and InfluxDB 1.x cannot move it aside: force does not replace it; choose another name, or back it up and drop it yourself`
    );
    expect(await counts(COPY)).toEqual(kept);

    const itself = await lab.engine.restore(
      'influx',
      { snapshot: 'latest', to: `${A}:${A}`, safetyBackup: false, force: true },
      'test'
    );
    expect(itself.error).toBe(`to names the database ${A} itself: restore without to (a safety backup is taken first)`);

    await expect(
      lab.engine.restore('influx', { snapshot: 'latest', to: 'x"; DROP', safetyBackup: false }, 'test')
    ).rejects.toThrow(/restore destination .* refused/);
    await expect(
      lab.engine.restore('influx', { snapshot: 'latest', to: '_internal', safetyBackup: false }, 'test')
    ).rejects.toThrow(/reserved/);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('verify restores into scratch databases, compares, and drops them', async () => {
    const v = await lab.engine.verify('influx', 'latest', 'test');
    expect(v.error).toBeNull();
    expect(v.status).toBe('success');
    expect(v.detail.result).toBe(
      '2 databases, 4 measurements, 670 points restored into scratch databases; measurements and point counts match'
    );
    const snap = lab.engine.snapshots('influx').find((s) => !s.safety)!;
    expect(snap.verification).toBe('passed');
    expect(await scratchDatabases()).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('verify fails when the restored counts differ from the recorded ones', async () => {
    const snap = lab.engine.snapshots('influx').find((s) => !s.safety)!;
    const putBack = changeRecordedMetadata(lab, snap.id, (meta) => {
      meta.state[A].autogen.cpu.fields.idle = 299;
      delete meta.state[B].autogen.net;
    });
    try {
      const v = await lab.engine.verify('influx', snap.id.slice(0, 8), 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toBe(
        `verification failed: measurement ${A}.autogen.cpu field idle: 300 values, expected 299; unexpected measurement ${B}.autogen.net`
      );
      expect(lab.engine.snapshots('influx').find((s) => s.id === snap.id)!.verification).toBe('failed');
      expect(await scratchDatabases()).toEqual([]);
    } finally {
      putBack();
    }
  });

  // Before the metadata was parsed (kit/metadata.ts), `state: null` passed as "catalog was
  // rebuilt" and a measurement's `fields: null` crashed the comparison with a TypeError.
  it.each([
    ['a state that is null', (m: any) => (m.state = null), 'state: expected record, received null'],
    [
      "a measurement's fields that are null",
      (m: any) => (m.state[A].autogen.cpu.fields = null),
      `state.${A}.autogen.cpu.fields: expected record, received null`,
    ],
  ])('verify fails with one clear message on malformed metadata: %s', async (_what, damage, problem) => {
    const snap = lab.engine.snapshots('influx').find((s) => !s.safety)!;
    const putBack = changeRecordedMetadata(lab, snap.id, damage);
    try {
      const v = await lab.engine.verify('influx', snap.id.slice(0, 8), 'test');
      expect(v.status).toBe('failed');
      expect(v.error).toBe(
        `verification failed: the metadata recorded for this influxdb snapshot is malformed (${problem}): it cannot be compared with the snapshot`
      );
      const now = lab.engine.snapshots('influx').find((s) => s.id === snap.id)!;
      expect(now.verification).toBe('failed');
      expect(lab.engine.contents(now)!.summary).toContain(problem);
      expect(await scratchDatabases()).toEqual([]);
    } finally {
      putBack();
    }
  });

  // Last: it breaks the repository.
  it('verify fails when the repository is damaged (bytes flipped in its pack files)', async () => {
    const snap = lab.engine.snapshots('influx').find((s) => !s.safety)!;
    for (const f of packFiles(path.join(lab.engine.config.repositories.main.url, 'data'))) {
      const buf = readFileSync(f);
      for (let i = Math.floor(buf.length / 2); i < buf.length; i += 97) {
        buf[i] ^= 0xff;
      }
      writeFileSync(f, buf);
    }
    const v = await lab.engine.verify('influx', snap.id, 'test');
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(/^verification failed: repository main: /);
    expect(lab.engine.snapshots('influx').find((s) => s.id === snap.id)!.verification).toBe('failed');
    expect(await scratchDatabases()).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });
});

describe('influxdb target failures leave nothing behind', () => {
  let lab: Lab;

  beforeAll(async () => {
    const { url, rpc } = influxEnv();
    const closed = await freePort();
    await influx(`DROP DATABASE "${A}"`);
    await influx(`CREATE DATABASE "${A}"`);
    await write(A, ['cpu usage=1 1600000000000']);
    lab = makeLab({
      repositories: {
        main: { url: './repo', passwordFile: './repo.pass' },
        broken: { url: './blocker/repo', passwordFile: './repo.pass' },
      },
      files: { blocker: 'not a directory' },
      targets: {
        unsaved: { kind: 'influxdb', connection: { url, rpcAddress: rpc, databases: [A] }, repository: 'broken' },
        down: {
          kind: 'influxdb',
          connection: { url: `http://127.0.0.1:${closed}`, rpcAddress: `127.0.0.1:${closed}`, databases: [A] },
        },
        rpcdown: { kind: 'influxdb', connection: { url, rpcAddress: `127.0.0.1:${closed}`, databases: [A] } },
        missing: { kind: 'influxdb', connection: { url, rpcAddress: rpc, databases: ['lab_no_such_db'] } },
      },
    });
  });
  afterAll(async () => {
    lab.cleanup();
    await influx(`DROP DATABASE "${A}"`);
  });

  async function expectNothingLeft(target: string): Promise<void> {
    expect(lab.engine.snapshots(target)).toEqual([]);
    expect(await resticSnapshots(lab)).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  }

  it('an unreachable server fails with one clear line', async () => {
    const o = await lab.engine.backup('down', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(
      /^cannot reach InfluxDB at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/
    );
    await expectNothingLeft('down');
  });

  it('an unreachable RPC port fails at once (influxd would retry for minutes)', async () => {
    const started = Date.now();
    const o = await lab.engine.backup('rpcdown', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(
      /^cannot reach InfluxDB's backup \(RPC\) port at 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)/
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectNothingLeft('rpcdown');
  });

  it('a repository that fails after influxd backup ran leaves no temp directory', async () => {
    const o = await lab.engine.backup('unsaved', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/^repository broken: /);
    expect(lab.engine.snapshots('unsaved')).toEqual([]);
    expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  });

  it('shard archives of unchanged data are byte-identical from one backup to the next (dedup)', async () => {
    const { rpc } = influxEnv();
    const dirs = [path.join(lab.dir, 'p1'), path.join(lab.dir, 'p2')];
    for (const d of dirs) {
      await run({
        command: 'influxd',
        args: ['backup', '-portable', '-host', rpc, '-database', A, d],
        timeoutMs: 60_000,
      });
      await new Promise((r) => setTimeout(r, 1100)); // the next backup gets another timestamp
    }
    const archive = (d: string) =>
      path.join(
        d,
        readdirSync(d).find((f) => f.endsWith('.tar.gz'))!
      );
    const [a, b] = dirs.map(archive);
    expect(path.basename(a)).not.toBe(path.basename(b));
    expect(readFileSync(a).equals(readFileSync(b))).toBe(false); // gzip keeps the file name
    stableGzipHeader(a);
    stableGzipHeader(b);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(execGunzip(a)).toEqual(execGunzip(b));
  });

  it('a configured database that does not exist is named', async () => {
    const o = await lab.engine.backup('missing', 'test');
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(
      /^InfluxDB at http:\/\/127\.0\.0\.1:\d+ has no database lab_no_such_db \(it has: .*lab_influx_a/
    );
    await expectNothingLeft('missing');
  });
});

describe('influxdb: a backup counts what changed, shard by shard', () => {
  const DB = 'lab_influx_shards';
  const DAY = 86400_000;
  let lab: Lab;
  // 25 days of points, one an hour: four or five 7-day shards, the newest still being written.
  const t0 = Math.floor((Date.now() - 25 * DAY) / 3600_000) * 3600_000;
  const hourly = (from: number, n: number, tag = 'a') =>
    Array.from(
      { length: n },
      (_, i) => `cpu,host=${tag} usage=${i % 100},idle=${100 - (i % 100)} ${from + i * 3600_000}`
    );

  const shardsOf = (snapshotId: string) => {
    const meta = lab.engine.snapshots('influx').find((x) => x.id === snapshotId)!.metadata as any;
    return { cutoff: meta.cutoff as string, shards: meta.shards as any[], state: meta.state };
  };
  const backup = async () => {
    const o = await lab.engine.backup('influx', 'test');
    expect(o.error).toBeNull();
    lab.clock.advance(3600);
    return shardsOf(o.snapshotId!);
  };

  beforeAll(async () => {
    await influx(`DROP DATABASE "${DB}"`);
    await influx(`CREATE DATABASE "${DB}"`);
    await write(DB, hourly(t0, 25 * 24 - 2));
    const { url, rpc } = influxEnv();
    lab = makeLab({ targets: { influx: { kind: 'influxdb', connection: { url, rpcAddress: rpc, databases: [DB] } } } });
  });
  afterAll(async () => {
    lab.cleanup();
    await influx(`DROP DATABASE "${DB}"`);
  });

  it('takes over the counts of shards that did not change, counts the rest, and verification agrees', async () => {
    const first = await backup();
    expect(first.shards.length).toBeGreaterThanOrEqual(4);
    expect(first.shards.every((r) => r.countedAt === first.cutoff && /^[0-9a-f]{64}$/.test(r.sha256))).toBe(true);
    expect(first.state[DB].autogen.cpu.fields).toEqual((await counts(DB)).cpu);

    // New points land in the newest shard only.
    await write(DB, hourly(Date.now() - 3 * 3600_000, 2, 'b'));
    const second = await backup();
    const newest = second.shards[second.shards.length - 1];
    const older = second.shards.slice(0, -1);
    expect(newest.countedAt).toBe(second.cutoff);
    expect(older.map((r) => [r.id, r.countedAt, r.sha256])).toEqual(
      first.shards.slice(0, -1).map((r) => [r.id, first.cutoff, r.sha256])
    );
    expect(second.state[DB].autogen.cpu.fields).toEqual((await counts(DB)).cpu);
    expect((await lab.engine.verify('influx', 'latest', 'test')).status).toBe('success');
  });

  it('a shard written into late (a point back in time) is counted again', async () => {
    await write(DB, [`cpu,host=late usage=1,idle=99 ${t0 + 3600_000}`]);
    const before = shardsOf(lab.engine.snapshots('influx')[0].id);
    const third = await backup();
    const oldest = third.shards[0];
    expect(oldest.id).toBe(before.shards[0].id);
    expect(oldest.countedAt).toBe(third.cutoff);
    expect(oldest.sha256).not.toBe(before.shards[0].sha256);
    expect(oldest.state.cpu.fields.usage).toBe(before.shards[0].state.cpu.fields.usage + 1);
    expect(third.shards[1].countedAt).toBe(before.shards[1].countedAt); // untouched: still taken over
    expect(third.state[DB].autogen.cpu.fields).toEqual((await counts(DB)).cpu);
    expect((await lab.engine.verify('influx', 'latest', 'test')).status).toBe('success');
  });

  it('verification counts only the shards that changed since the snapshot last verified clean', async () => {
    await write(DB, hourly(Date.now() - 2 * 3600_000, 1, 'c'));
    const fourth = await backup();
    const v = await lab.engine.verify('influx', 'latest', 'test');
    expect(v.status).toBe('success');
    const n = fourth.shards.length;
    expect(v.detail.result).toMatch(
      new RegExp(
        `; ${n - 1} of ${n} shards are the same bytes with the same counts as in the snapshot last verified clean and were not counted again$`
      )
    );
    // A record changed by hand is not the verified one any more: that shard is counted and found wrong.
    const snap = lab.engine.snapshots('influx')[0];
    changeRecordedMetadata(lab, snap.id, (meta) => (meta.shards[1].state.cpu.fields.usage += 1));
    const bad = await lab.engine.verify('influx', snap.id.slice(0, 8), 'test');
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(
      new RegExp(
        `^verification failed: measurement ${DB}\\.autogen\\.cpu field usage: \\d+ values, expected \\d+ \\(shard `
      )
    );
  });

  it('a shard left out of the portable backup keeps its counts in the record (verification would name the loss)', async () => {
    // What influxd would have to get wrong, made by hand: no archive of the oldest shard came back.
    const { url, rpc } = influxEnv();
    const http = new InfluxHttp({ connection: { url, rpcAddress: rpc } } as InfluxSettings);
    const cutoff = new Date().toISOString();
    const shards = await listShards(http, [DB]);
    const counted = await countBefore(http, shards, [], cutoff);
    const hashes = new Map(shards.slice(1).map((x) => [`${DB}\u0000${x.id}`, 'f'.repeat(64)]));
    const records = await shardRecords(http, { before: shards, counted, now: shards, hashes, previous: [], cutoff });
    const ids = (xs: Array<{ id: number }>) => xs.map((x) => x.id).sort((a, b) => a - b);
    expect(ids(records)).toEqual(ids(shards));
    expect(records.find((r) => r.id === shards[0].id)!.sha256).toBeNull();
    expect(databaseStates([DB], records, 'before')[DB].autogen.cpu.fields).toEqual((await counts(DB)).cpu);
  });
});

describe('influxdb restore: the live database stays untouched until the restored copy is checked', () => {
  let lab: Lab;
  const DB = 'lab_influx_live';
  let original: Record<string, unknown> | null;
  const live = () => lab.engine.config.targets.live;
  const scratch = async () => (await databases()).filter((d) => d.startsWith('bsla_'));

  beforeAll(async () => {
    for (const db of (await databases()).filter((d) => d.startsWith(DB))) {
      await influx(`DROP DATABASE "${db}"`);
    }
    await influx(`CREATE DATABASE "${DB}"`);
    const t0 = Date.UTC(2025, 1, 1);
    await write(
      DB,
      Array.from({ length: 300 }, (_, i) => `latency,host=h${i % 3} ms=${i % 50}i ${t0 + i * 1000}`)
    );
    const { url, rpc } = influxEnv();
    lab = makeLab({ targets: { live: { kind: 'influxdb', connection: { url, rpcAddress: rpc, databases: [DB] } } } });
    original = await readInflux(DB);
    expect((await lab.engine.backup('live', 'test')).error).toBeNull();
  });
  afterAll(async () => {
    lab.cleanup();
    for (const db of (await databases()).filter((d) => d.startsWith(DB))) {
      await influx(`DROP DATABASE "${db}"`);
    }
  });

  it('the database deleted: the safety backup records nothing there, the restore brings it back and counts it', async () => {
    await influx(`DROP DATABASE "${DB}"`);
    const r = await lab.engine.restore('live', { snapshot: 'latest', safetyBackup: true }, 'test');
    expect(r.error).toBeNull();
    expect(r.detail.safetyBackup).toBe('nothing');
    expect(await readInflux(DB)).toEqual(original);
    expect(r.detail.restore).toEqual({
      location: `database ${DB}`,
      counts: { databases: 1, measurements: 1, points: 300 },
      movedAside: [],
      next: [],
      detail: '1 database, 1 measurements, 300 points; restored into a scratch database and checked first',
    });
    // The scratch copy was recorded before it was made (recovery after a crash removes it), and is gone.
    const leftovers = lab.engine.catalog.run(r.runId)!.detail.leftovers as Array<{ kind: string; name: string }>;
    expect(leftovers).toEqual([{ kind: 'database', name: expect.stringMatching(/^bsla_restore_[0-9a-f]{8}_/) }]);
    expect(await scratch()).toEqual([]);
  });

  it('in place without the safety backup is refused while the database exists: InfluxDB cannot move it aside', async () => {
    await write(DB, ['latency,host=new ms=1i 1700000000000']);
    const before = await readInflux(DB);
    const r = await lab.engine.restore('live', { snapshot: 'latest', safetyBackup: false }, 'test');
    expect(r.error).toBe(
      `InfluxDB 1.x cannot move database ${DB} aside: replacing it needs the safety backup first (restore with the safety backup, or to another name)`
    );
    expect(await readInflux(DB)).toEqual(before);
    expect(await scratch()).toEqual([]);
  });

  it('a restored copy that differs from the recorded state is refused before the live database is touched', async () => {
    const before = await readInflux(DB);
    const snap = lab.engine.snapshots('live').find((x) => !x.safety)!;
    const putBack = changeRecordedMetadata(lab, snap.id, (meta) => {
      meta.state[DB].autogen.latency.fields.ms = 299;
    });
    try {
      const r = await lab.engine.restore('live', { snapshot: snap.id, safetyBackup: true }, 'test');
      expect(r.error).toBe(
        `the snapshot restored into a scratch database does not match what was recorded at backup; database ${DB} is untouched: measurement ${DB}.autogen.latency field ms: 300 values, expected 299`
      );
      expect(await readInflux(DB)).toEqual(before);
      expect(await scratch()).toEqual([]);
    } finally {
      putBack();
    }
  });

  it('a snapshot whose recorded metadata is malformed is not restored; the live database is untouched', async () => {
    const before = await readInflux(DB);
    const snap = lab.engine.snapshots('live').find((x) => !x.safety)!;
    const putBack = changeRecordedMetadata(lab, snap.id, (meta) => {
      meta.state[DB].autogen.latency.points = '300';
    });
    try {
      const r = await lab.engine.restore('live', { snapshot: snap.id, safetyBackup: true }, 'test');
      expect(r.error).toBe(
        `the metadata recorded for this influxdb snapshot is malformed (state.${DB}.autogen.latency.points: expected number, received string): it cannot be compared with the snapshot; nothing was touched`
      );
      expect(await readInflux(DB)).toEqual(before);
      expect(await scratch()).toEqual([]);
    } finally {
      putBack();
    }
  });

  it('_internal and bsla_ names are refused as destinations and as configured databases', async () => {
    for (const to of ['_internal', 'bsla_restore_x', `${DB}:_internal`]) {
      await expect(lab.engine.restore('live', { snapshot: 'latest', to, safetyBackup: false }, 'test')).rejects.toThrow(
        /refused: .*reserved/
      );
    }
    for (const database of ['_internal', 'bsla_verify_x']) {
      let err: unknown;
      try {
        parseConfig(
          {
            repositories: { main: { url: './repo', passwordEnv: 'X' } },
            targets: { i: { kind: 'influxdb', connection: { databases: [database] } } },
          },
          path.join(lab.dir, 'other.yaml')
        );
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(/targets\.i\.connection\.databases\.0: .*reserved/);
    }
  });

  it('removeLeftover drops only scratch databases', async () => {
    const driver = lab.engine.driver(live());
    await influx('CREATE DATABASE bsla_restore_00000000_leftover');
    await driver.removeLeftover!(live(), { kind: 'database', name: 'bsla_restore_00000000_leftover' }, lab.engine.log);
    expect(await scratch()).toEqual([]);
    await driver.removeLeftover!(live(), { kind: 'database', name: DB }, lab.engine.log);
    expect(await databases()).toContain(DB);
  });

  it('doctor: HTTP API, RPC port and influxd checked; a server down is named', async () => {
    const driver = lab.engine.driver(live());
    const ok = await driver.doctor!(live(), lab.engine.log);
    expect(ok.map((c) => [c.name, c.level])).toEqual([
      ['influxd', 'ok'],
      ['HTTP API', 'ok'],
      ['backup (RPC) port', 'ok'],
      ['databases', 'ok'],
    ]);
    expect(ok[0].detail).toMatch(/^InfluxDB v1\./);
    const closed = await freePort();
    const down = {
      ...live(),
      settings: {
        ...live().settings,
        connection: {
          ...(live().settings.connection as object),
          url: `http://127.0.0.1:${closed}`,
          rpcAddress: `127.0.0.1:${closed}`,
        },
      },
    };
    const checks = Object.fromEntries((await driver.doctor!(down, lab.engine.log)).map((c) => [c.name, c]));
    expect(checks['HTTP API'].level).toBe('failed');
    expect(checks['HTTP API'].detail).toMatch(
      /^cannot reach InfluxDB at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/
    );
    expect(checks['backup (RPC) port'].level).toBe('failed');
  });
});
