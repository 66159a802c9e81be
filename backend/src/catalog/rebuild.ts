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
 * - The log archive's snapshots (point-in-time recovery) are never versions: when the catalog has
 *   lost the archive's records, each archived file comes back from its newest snapshot's tags
 *   (the older ones of the same file are superseded, forgotten by the archiver's housekeeping).
 */
import type { Engine } from '../engine/engine';
import type { ResticSnapshot } from '../repository/restic';
import { isArchive, parseArchiveTags, parseTags, tags } from '../repository/tags';

/** Archive records from the repository's archive snapshots, when the catalog has none for the target. */
function rebuildArchive(engine: Engine, target: string, held: ResticSnapshot[]): number {
  if (engine.catalog.archive.files(target).length) {
    return 0;
  }
  const byFile = new Map<string, Array<{ s: ResticSnapshot; a: NonNullable<ReturnType<typeof parseArchiveTags>> }>>();
  for (const s of held) {
    const a = parseArchiveTags(s.tags);
    if (a) {
      const key = `${a.startedAt}\0${a.file}`;
      byFile.set(key, [...(byFile.get(key) ?? []), { s, a }]);
    }
  }
  const files = [...byFile.values()]
    .map((list) => list.sort((x, y) => y.a.end - x.a.end || Date.parse(y.s.time) - Date.parse(x.s.time)))
    .sort((x, y) => x[0].a.startedAt.localeCompare(y[0].a.startedAt));
  for (const [newest, ...older] of files) {
    const a = newest.a;
    engine.catalog.archive.restoreFile(
      target,
      {
        file: a.file,
        end: a.end,
        complete: a.complete,
        pieces: a.pieces,
        firstEventAt: a.firstEventAt,
        lastEventAt: a.lastEventAt,
        snapshotId: newest.s.id,
        gapBefore: a.gap ? 'the archive did not continue here (recorded before the catalog was rebuilt)' : null,
        startedAt: a.startedAt,
        savedAt: new Date(newest.s.time).toISOString(),
      },
      older.map((o) => o.s.id)
    );
  }
  return files.length;
}

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
    const all = (await repo.snapshots([tags.target(t.name)]))
      .filter((s) => tags.isOwn(s.tags, engine.config.instance))
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id));
    rebuildArchive(engine, t.name, all);
    const held = all.filter((s) => !isArchive(s.tags));
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
        if (c.original && tags.isOwn(c.tags, engine.config.instance) && !isArchive(c.tags)) {
          engine.catalog.markHeld(c.original, copy, c.id);
        }
      }
    }
    out.push({ target: t.name, found: held.length, added, dropped: gone.length });
  }
  engine.catalog.reserveRunIds(highestRunNumber);
  return out;
}
