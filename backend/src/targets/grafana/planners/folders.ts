/**
 * Folders, parents first. Identified by uid only: since Grafana 11.3 folder titles need not be
 * unique, so a live folder of the same title is another folder, and the backed-up one comes back
 * as itself. A folder whose parent cannot be placed is an error, and so is everything in it.
 */
import type { JsonObject } from '../client';
import type { FolderObject } from '../export';
import type { PlanContext } from './context';
import { decide, enc, errorItem, newerVersion, PlanItem } from './decide';

/** Parents before children; folders whose parent is missing from the backup come first. */
export function topological(folders: FolderObject[]): FolderObject[] {
  const byUid = new Map(folders.map((f) => [f.uid, f]));
  const out: FolderObject[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (f: FolderObject) => {
    if (state.get(f.uid) === 'done' || state.get(f.uid) === 'visiting') {
      return; // a cycle cannot come from Grafana; never loop on a tampered file
    }
    state.set(f.uid, 'visiting');
    const parent = f.parentUid ? byUid.get(f.parentUid) : undefined;
    if (parent) {
      visit(parent);
    }
    state.set(f.uid, 'done');
    out.push(f);
  };
  [...folders].sort((a, b) => a.uid.localeCompare(b.uid)).forEach(visit);
  return out;
}

/** One folder against its live counterpart (null: not in Grafana); records where its objects go. */
export function planFolder(ctx: PlanContext, f: FolderObject, current: JsonObject | null): PlanItem {
  const base = { kind: 'folder' as const, key: f.uid, name: f.title };
  const place = ctx.folders;
  const parent = f.parentUid ? place.target(f.parentUid) : '';
  if (parent === undefined) {
    place.failed.add(f.uid);
    return errorItem(base, `parent ${place.missing(f.parentUid!)}`);
  }
  place.map.set(f.uid, f.uid);
  const client = ctx.client;
  if (!current) {
    return decide(
      base,
      { exists: false, same: false, force: ctx.force },
      {
        reason: parent ? `in ${place.name(parent)}` : undefined,
        apply: async () => {
          await client.request('POST', '/api/folders', {
            uid: f.uid,
            title: f.title,
            ...(parent ? { parentUid: parent } : {}),
          });
        },
      }
    );
  }
  const liveParent = current.parentUid ? String(current.parentUid) : '';
  const titleDiffers = String(current.title) !== f.title;
  const parentDiffers = liveParent !== parent;
  const liveVersion = Number(current.version ?? 0);
  return decide(
    base,
    {
      exists: true,
      same: !titleDiffers && !parentDiffers,
      newer: newerVersion(liveVersion, f.version),
      force: ctx.force,
    },
    {
      reason: [
        titleDiffers ? `title '${current.title}' → '${f.title}'` : '',
        parentDiffers ? `parent ${place.name(liveParent)} → ${place.name(parent)}` : '',
      ]
        .filter(Boolean)
        .join(', '),
      apply: async () => {
        if (titleDiffers) {
          await client.request('PUT', `/api/folders/${enc(f.uid)}`, {
            title: f.title,
            version: liveVersion,
            overwrite: ctx.force,
          });
        }
        if (parentDiffers) {
          await client.request('POST', `/api/folders/${enc(f.uid)}/move`, { parentUid: parent || undefined });
        }
      },
    }
  );
}

export function planFolders(ctx: PlanContext): PlanItem[] {
  return topological(ctx.backup.folders).map((f) => planFolder(ctx, f, ctx.live.folders.get(f.uid) ?? null));
}
