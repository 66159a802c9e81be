/**
 * What every planner reads: the live Grafana's objects (listed once per plan), the backup, the
 * options, and where the backed-up folders' objects go (filled by the folders planner, read by
 * the planners of objects that live in folders).
 */
import type { GrafanaClient, JsonObject } from '../client';
import type { FolderObject, GrafanaExport } from '../export';

/** The live state the plan compares against, listed once. */
export interface Live {
  folders: Map<string, JsonObject>;
  /** Search hits by uid: which dashboards exist (each is read in full only when the backup has it). */
  dashboardHits: Map<string, JsonObject>;
  datasources: JsonObject[];
  libraryPanels: JsonObject[];
  alertRules: Map<string, JsonObject>;
  contactPoints: JsonObject[];
  muteTimings: Map<string, JsonObject>;
  templates: Map<string, JsonObject>;
  policies: JsonObject | null;
}

export async function readLive(client: GrafanaClient): Promise<Live> {
  const folders = new Map((await client.allFolders()).map((f) => [String(f.uid), f]));
  const rules = await client.get<JsonObject[]>('/api/v1/provisioning/alert-rules');
  const mutes = (await client.getOptional<JsonObject[]>('/api/v1/provisioning/mute-timings')) ?? [];
  const templates = await client.templates();
  return {
    folders,
    dashboardHits: new Map((await client.searchDashboards()).map((h) => [String(h.uid), h])),
    datasources: await client.get<JsonObject[]>('/api/datasources'),
    libraryPanels: await client.libraryPanels(),
    alertRules: new Map(rules.map((r) => [String(r.uid), r])),
    contactPoints: await client.get<JsonObject[]>('/api/v1/provisioning/contact-points'),
    muteTimings: new Map(mutes.map((m) => [String(m.name), m])),
    templates: new Map(templates.map((t) => [String(t.name), t])),
    policies: await client.getOptional<JsonObject>('/api/v1/provisioning/policies'),
  };
}

/**
 * Where the objects of each backed-up folder go: the folder itself (by uid) when it is in Grafana
 * or restored; nowhere when it cannot be restored. '' is Grafana's General folder.
 */
export class FolderPlacement {
  /** Backed-up folder uid → the live folder uid its objects go to. */
  readonly map = new Map<string, string>();
  /** Backed-up folders that cannot be restored (their objects are errors too). */
  readonly failed = new Set<string>();
  private readonly titles = new Map<string, string>();

  constructor(
    private readonly live: Map<string, JsonObject>,
    backup: FolderObject[]
  ) {
    for (const f of live.values()) {
      this.titles.set(String(f.uid), String(f.title));
    }
    for (const f of backup) {
      this.titles.set(f.uid, f.title);
    }
  }

  /** Where objects of backed-up folder `uid` go: '' = General; undefined = nowhere (an error). */
  target(uid: string): string | undefined {
    if (!uid) {
      return '';
    }
    if (this.failed.has(uid)) {
      return undefined;
    }
    return this.map.get(uid) ?? (this.live.has(uid) ? uid : undefined);
  }

  name(uid: string): string {
    return uid ? (this.titles.get(uid) ?? uid) : 'General';
  }

  /** Why an object of folder `uid` cannot be restored (target() gave undefined). */
  missing(uid: string): string {
    return this.failed.has(uid)
      ? `its folder ${this.name(uid)} cannot be restored`
      : `its folder ${uid} is neither in the backup nor in Grafana`;
  }
}

export interface PlanContext {
  client: GrafanaClient;
  live: Live;
  backup: GrafanaExport;
  /** Overwrite objects changed in Grafana after the backup. */
  force: boolean;
  /** Written into dashboard version history. */
  message: string;
  folders: FolderPlacement;
}

export function planContext(
  client: GrafanaClient,
  live: Live,
  backup: GrafanaExport,
  options: { force?: boolean; message?: string } = {}
): PlanContext {
  return {
    client,
    live,
    backup,
    force: options.force === true,
    message: options.message ?? 'restored by backup-sla',
    folders: new FolderPlacement(live.folders, backup.folders),
  };
}
