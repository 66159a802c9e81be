/**
 * Restoring InfluxDB 1.x without dropping live data before the new data is there and checked.
 * InfluxDB 1.x cannot rename a database, so the snapshot is first restored into scratch databases
 * and checked against what was recorded; only then, and only when the engine's safety backup saved
 * the live databases (or nothing was there), is each live database replaced from the same local
 * backup files and checked again. The checked scratch copy is kept until the live one checks out.
 * `to` restores beside the live data, never over an existing database (it cannot be moved aside).
 */
import { scratchName, ScratchPurpose } from '../kit/scratch';
import type { DriverContext, RestoreContext, RestoreResult } from '../types';
import { checkRpc, InfluxHttp, InfluxSettings } from './http';
import { parseTo } from './names';
import { DatabaseFolder, restoreDatabase, restoreFromSnapshot } from './portable';
import { checkRestored } from './check';
import { shardsOf } from './shards';
import { InfluxState, recorded, summary, totals } from './state';
import { readInfluxMetadata } from './metadata';
import { metadataForRestore } from '../kit/metadata';

export type ScratchCopy = DatabaseFolder & { scratch: string };

/**
 * Restores each database of the snapshot's files into a scratch database of its own (recorded as
 * the run's leftover first), then runs `use` on them; afterwards every scratch database is dropped
 * but those `use` keeps.
 */
export async function inScratch<T>(
  ctx: DriverContext<InfluxSettings>,
  http: InfluxHttp,
  purpose: ScratchPurpose,
  dbs: DatabaseFolder[],
  use: (copies: ScratchCopy[], keep: (scratch: string) => void) => Promise<T>
): Promise<T> {
  const copies = dbs.map((d) => ({ ...d, scratch: scratchName(purpose, ctx.target.name) }));
  const made: string[] = [];
  const kept = new Set<string>();
  try {
    for (const c of copies) {
      ctx.progress(`restoring ${c.db} into a scratch database`);
      ctx.created({ kind: 'database', name: c.scratch });
      made.push(c.scratch);
      await restoreDatabase(ctx, c, c.scratch);
    }
    return await use(copies, (s) => kept.add(s));
  } finally {
    for (const name of made.filter((m) => !kept.has(m))) {
      await http
        .dropDatabase(name)
        .catch((e) => ctx.log.error({ err: String(e), database: name }, 'could not drop a scratch database'));
    }
  }
}

/** What may not be replaced: InfluxDB cannot move a database aside. Throws when one of `dests` is there. */
function guard(ctx: RestoreContext<InfluxSettings>, existing: string[], inPlace: boolean, dests: string[]): void {
  const there = dests.filter((d) => existing.includes(d));
  if (!there.length) {
    return;
  }
  const names = there.join(', ');
  if (!inPlace) {
    throw new Error(
      ctx.options.force
        ? `database ${names} already exists and InfluxDB 1.x cannot move it aside: force does not replace it; choose another name, or back it up and drop it yourself`
        : `database ${names} already exists; choose another name (InfluxDB 1.x cannot move it aside, so force does not replace it)`
    );
  }
  if (ctx.safety !== 'saved' && ctx.safety !== 'nothing') {
    throw new Error(
      `InfluxDB 1.x cannot move database ${names} aside: replacing it needs the safety backup first (restore with the safety backup, or to another name)`
    );
  }
}

/** Which database of the snapshot goes where: in place each to itself, with `to` one to a new name. */
function planOf(dbs: DatabaseFolder[], to: string | undefined): Array<DatabaseFolder & { dest: string }> {
  if (to === undefined) {
    return dbs.map((d) => ({ ...d, dest: d.db }));
  }
  const held = dbs.map((d) => d.db).join(', ');
  const { source, dest } = parseTo(to);
  const pick = source === undefined ? (dbs.length === 1 ? dbs[0] : undefined) : dbs.find((d) => d.db === source);
  if (!pick) {
    throw new Error(
      source === undefined
        ? `the snapshot holds ${dbs.length} databases (${held}): say which one with to=SOURCE:${dest}`
        : `the snapshot holds no database ${source} (it holds: ${held})`
    );
  }
  if (dest === pick.db) {
    // Over the database itself: that is a restore without `to`, which the engine protects with a safety backup.
    throw new Error(`to names the database ${dest} itself: restore without to (a safety backup is taken first)`);
  }
  return [{ ...pick, dest }];
}

export async function restoreInflux(ctx: RestoreContext<InfluxSettings>): Promise<RestoreResult> {
  const s = ctx.target.settings;
  const http = new InfluxHttp(s, ctx.signal);
  await checkRpc(s.connection.rpcAddress);
  const meta = metadataForRestore(() => readInfluxMetadata(ctx.snapshot.metadata), 'nothing was touched');
  const existing = await http.databases();
  const inPlace = ctx.options.to === undefined;
  if (inPlace && meta) {
    guard(ctx, existing, inPlace, meta.databases); // at once, before the snapshot is read
  }
  const plan = planOf(await restoreFromSnapshot(ctx), ctx.options.to);
  guard(
    ctx,
    existing,
    inPlace,
    plan.map((p) => p.dest)
  );
  const rec = recorded(meta);
  // Shards with the same bytes and counts as in the snapshot last verified clean are not counted again (check.ts).
  const verified = shardsOf(ctx.lastPassed?.snapshot.metadata ?? null, ctx.log);
  const restored: InfluxState = {};
  const names = plan.map((p) => (p.dest === p.db ? p.dest : `${p.dest} (from ${p.db})`)).join(', ');
  const location = `database${plan.length > 1 ? 's' : ''} ${names}`;
  const result = (detail: string): RestoreResult => {
    const t = totals(restored);
    return {
      location,
      detail,
      counts: { databases: t.databases, measurements: t.measurements, points: t.points },
      movedAside: [],
      next: [],
    };
  };

  if (!inPlace) {
    // Beside the live data, under a name nobody uses: restored there and checked; a copy that
    // does not check out is dropped (it was never anyone's data). It is not recorded as a
    // leftover: recovery removes only scratch databases (bsla_…), never a name an operator chose.
    const p = plan[0];
    ctx.progress(`restoring database ${p.dest}`);
    await restoreDatabase(ctx, p, p.dest);
    const r = await checkRestored(http, rec, p.db, p.dest, verified);
    if (r.problems.length) {
      await http.dropDatabase(p.dest).catch(() => undefined);
      throw new Error(
        `the snapshot restored into database ${p.dest} does not match what was recorded at backup (dropped): ${r.problems.slice(0, 3).join('; ')}`
      );
    }
    restored[p.dest] = r.state;
    return result(summary(restored));
  }

  // In place: every database restored into a scratch database and checked, before anything live is touched.
  await inScratch(ctx, http, 'restore', plan, async (copies, keep) => {
    ctx.progress('checking the scratch databases');
    const problems: string[] = [];
    for (const c of copies) {
      problems.push(...(await checkRestored(http, rec, c.db, c.scratch, verified)).problems);
    }
    if (problems.length) {
      throw new Error(
        `the snapshot restored into a scratch database does not match what was recorded at backup; ${location} ${plan.length > 1 ? 'are' : 'is'} untouched: ${problems.slice(0, 3).join('; ')}`
      );
    }
    // The safety snapshot holds what is replaced now (guard); the checked copy stays until the live one checks out.
    for (const [i, c] of copies.entries()) {
      const dest = plan[i].dest;
      if (existing.includes(dest)) {
        ctx.progress(`replacing database ${dest}`);
        await http.dropDatabase(dest);
      } else {
        ctx.progress(`restoring database ${dest}`);
      }
      try {
        await restoreDatabase(ctx, c, dest);
        const r = await checkRestored(http, rec, c.db, dest, verified);
        if (r.problems.length) {
          throw new Error(r.problems.slice(0, 3).join('; '));
        }
        restored[dest] = r.state;
      } catch (e) {
        keep(c.scratch);
        throw new Error(
          `database ${dest} was replaced but does not check out (${(e as Error).message}); the checked copy of the snapshot is kept as database ${c.scratch}`
        );
      }
    }
  });
  return result(
    `${summary(restored)}; restored into ${plan.length > 1 ? 'scratch databases' : 'a scratch database'} and checked first`
  );
}
