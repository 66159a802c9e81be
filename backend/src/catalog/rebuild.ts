/**
 * Rebuilds the catalog's snapshot records from the repositories alone (`restic snapshots`), for
 * when the catalog file is lost or disagrees with the repositories. What only the catalog knew
 * (metadata recorded at backup time, verification results, run history) cannot come back;
 * verification then checks what it can.
 *
 * - Snapshots the repository holds and the catalog does not are added, oldest first, so that the
 *   catalog's sequence follows the order they were taken in as far as restic can tell.
 * - Snapshots the catalog lists and the repository no longer holds are marked forgotten: a
 *   catalog must never promise a version that is gone.
 * - Run numbers of the rebuilt catalog continue past every number the tags name (snapshots of
 *   before run identities carry the run's number), so no run id is used twice.
 * - A repository that does not exist is an error ("no repository at …"): a rebuild never creates one.
 */
import type { Engine } from '../engine/engine';
import { parseTags, tags } from '../repository/tags';

export interface RebuildReport {
  target: string;
  /** Snapshots the repository holds for the target. */
  found: number;
  /** Added to the catalog. */
  added: number;
  /** Listed by the catalog but gone from the repository: now marked forgotten. */
  dropped: number;
}

export async function rebuildCatalog(engine: Engine): Promise<RebuildReport[]> {
  const out: RebuildReport[] = [];
  let highestRunNumber = 0;
  for (const t of Object.values(engine.config.targets)) {
    const repo = engine.repository(t.repository);
    // Only this instance's: a shared repository holds other instances' targets of the same name.
    const held = (await repo.snapshots([tags.target(t.name)]))
      .filter((s) => tags.isOwn(s.tags, engine.config.instance))
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id));
    const inRepo = new Set(held.map((s) => s.id));
    const listed = engine.catalog.snapshots(t.name, t.repository);
    const gone = listed.filter((s) => !inRepo.has(s.id)).map((s) => s.id);
    engine.catalog.markForgotten(gone, engine.now());
    const known = new Set(listed.map((s) => s.id));
    let added = 0;
    for (const s of held) {
      const tag = parseTags(s.tags);
      if (tag.run && /^\d+$/.test(tag.run)) {
        highestRunNumber = Math.max(highestRunNumber, Number(tag.run));
      }
      if (known.has(s.id)) {
        continue;
      }
      engine.catalog.addSnapshot(
        {
          id: s.id,
          target: t.name,
          time: new Date(s.time).toISOString(),
          bytes: null,
          version: tag.version,
          metadata: null,
          runId: null,
          runUid: tag.run,
          safety: tag.safety,
        },
        t.repository
      );
      added++;
    }
    for (const copy of t.copies) {
      const copies = await engine
        .repository(copy)
        .snapshots([tags.target(t.name)])
        .catch(() => []);
      for (const c of copies) {
        if (c.original && tags.isOwn(c.tags, engine.config.instance)) {
          engine.catalog.markHeld(c.original, copy, c.id);
        }
      }
    }
    out.push({ target: t.name, found: held.length, added, dropped: gone.length });
  }
  engine.catalog.reserveRunIds(highestRunNumber);
  return out;
}
