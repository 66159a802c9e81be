/**
 * Rebuilds the catalog's snapshot records from the repositories alone (`restic snapshots`), for
 * when the catalog file is lost. What only the catalog knew (metadata recorded at backup time,
 * verification results, run history) cannot come back; verification then checks what it can.
 */
import type { Engine } from '../engine/engine';

export async function rebuildCatalog(engine: Engine): Promise<{ target: string; found: number; added: number }[]> {
  const out: { target: string; found: number; added: number }[] = [];
  for (const t of Object.values(engine.config.targets)) {
    const repo = engine.repository(t.repository);
    const held = await repo.snapshots([`target=${t.name}`]);
    const known = new Set(engine.catalog.snapshots(t.name, t.repository).map((s) => s.id));
    let added = 0;
    for (const s of held) {
      if (known.has(s.id)) {
        continue;
      }
      const tag = (k: string) => s.tags?.find((x) => x.startsWith(`${k}=`))?.slice(k.length + 1) ?? null;
      engine.catalog.addSnapshot(
        {
          id: s.id,
          target: t.name,
          time: new Date(s.time).toISOString(),
          bytes: null,
          version: tag('version'),
          metadata: null,
          runId: tag('run') ? Number(tag('run')) : null,
          safety: s.tags?.includes('reason=safety') ?? false,
        },
        t.repository
      );
      added++;
    }
    for (const copy of t.copies) {
      const copies = await engine
        .repository(copy)
        .snapshots([`target=${t.name}`])
        .catch(() => []);
      for (const c of copies) {
        if (c.original) {
          engine.catalog.markHeld(c.original, copy, c.id);
        }
      }
    }
    out.push({ target: t.name, found: held.length, added });
  }
  return out;
}
