/**
 * Library panels, by uid, in their folder. A live panel of the same name in the same folder but
 * another uid would make the create fail: an error.
 */
import type { JsonObject } from '../client';
import { LibraryPanelObject, sameJson } from '../export';
import type { PlanContext } from './context';
import { decide, enc, errorItem, newerVersion, PlanItem } from './decide';

const folderOf = (e: JsonObject) => String(e.folderUid ?? (e.meta as JsonObject | undefined)?.folderUid ?? '');

export function planLibraryPanel(ctx: PlanContext, p: LibraryPanelObject, current: JsonObject | null): PlanItem {
  const base = { kind: 'library panel' as const, key: p.uid, name: p.name };
  const folder = ctx.folders.target(p.folderUid);
  if (folder === undefined) {
    return errorItem(base, ctx.folders.missing(p.folderUid));
  }
  const client = ctx.client;
  if (!current) {
    const clash = ctx.live.libraryPanels.find((x) => String(x.name) === p.name && folderOf(x) === folder);
    if (clash) {
      return errorItem(
        base,
        `a library panel named '${p.name}' exists in ${ctx.folders.name(folder)} with another uid (${clash.uid})`
      );
    }
    const body = { uid: p.uid, name: p.name, kind: p.kind, model: p.model, folderUid: folder };
    return decide(
      base,
      { exists: false, same: false, force: ctx.force },
      { apply: async () => void (await client.request('POST', '/api/library-elements', body)) }
    );
  }
  const liveVersion = Number(current.version ?? 0);
  return decide(
    base,
    {
      exists: true,
      same: String(current.name) === p.name && folderOf(current) === folder && sameJson(current.model, p.model),
      newer: newerVersion(liveVersion, p.version),
      force: ctx.force,
    },
    {
      apply: async () =>
        void (await client.request('PATCH', `/api/library-elements/${enc(p.uid)}`, {
          name: p.name,
          kind: p.kind,
          model: p.model,
          folderUid: folder,
          version: liveVersion,
        })),
    }
  );
}

export function planLibraryPanels(ctx: PlanContext): PlanItem[] {
  const live = new Map(ctx.live.libraryPanels.map((e) => [String(e.uid), e]));
  return ctx.backup.libraryPanels.map((p) => planLibraryPanel(ctx, p, live.get(p.uid) ?? null));
}
