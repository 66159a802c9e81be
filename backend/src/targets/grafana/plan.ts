/**
 * Restore as a plan first, then apply. The plan compares every backed-up object with the live
 * Grafana and decides, per object, identified by uid only (since Grafana 11.3 dashboard and folder
 * titles need not be unique): create, update, unchanged, skipped-newer (the live object changed
 * after the backup: kept unless `force`), skipped-provisioned (Grafana refuses API changes to
 * file-provisioned objects: restore their file), or error (the apply would fail; nothing is
 * applied while the plan has errors). Verification computes the same plan without applying it.
 *
 * Apply order is the dependency order: folders (parents first), data sources, library panels,
 * dashboards, then alerting: templates, contact points, mute timings, alert rules (and their
 * group intervals), and the notification policy tree last, since it names contact points and
 * mute timings. Alerting objects are written with `X-Disable-Provenance: true` so that they stay
 * editable in the UI (alerting_provisioning.md).
 */
import type { Json } from '../types';
import { GrafanaClient, GrafanaError, JsonObject } from './client';
import {
  DashboardObject,
  FolderObject,
  GrafanaExport,
  LibraryPanelObject,
  RuleGroupObject,
  redactedKeys,
  sameJson,
} from './export';

export type Action = 'create' | 'update' | 'unchanged' | 'skipped-newer' | 'skipped-provisioned' | 'error';

export type ObjectKind =
  | 'folder'
  | 'datasource'
  | 'library panel'
  | 'dashboard'
  | 'template'
  | 'contact point'
  | 'mute timing'
  | 'alert rule'
  | 'rule group'
  | 'policies';

export interface PlanItem {
  kind: ObjectKind;
  /** uid or name. */
  key: string;
  /** What a person recognises: a title or name (with its folder for dashboards). */
  name: string;
  action: Action;
  reason?: string;
  /** Something a person must do after the restore (secrets, provisioning files). */
  human?: string;
  /** Present for create/update: performs the change. */
  apply?: () => Promise<void>;
}

export interface Plan {
  items: PlanItem[];
  errors: PlanItem[];
  /** Backed-up folder uid → live folder uid that its objects go to. */
  folderMap: Map<string, string>;
}

export interface PlanOptions {
  force?: boolean;
  /** Written into dashboard version history. */
  message?: string;
}

const NO_PROVENANCE = { 'X-Disable-Provenance': 'true' };
const enc = encodeURIComponent;

function without(o: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (!keys.includes(k)) {
      out[k] = v;
    }
  }
  return out;
}

/** The live state the plan compares against, read once. */
interface Live {
  folders: Map<string, JsonObject>;
  dashboardHits: JsonObject[];
  datasources: JsonObject[];
  libraryPanels: JsonObject[];
  alertRules: Map<string, JsonObject>;
  contactPoints: JsonObject[];
  muteTimings: Map<string, JsonObject>;
  templates: Map<string, JsonObject>;
  policies: JsonObject | null;
}

async function readLive(client: GrafanaClient): Promise<Live> {
  const folders = new Map((await client.allFolders()).map((f) => [String(f.uid), f]));
  const rules = await client.get<JsonObject[]>('/api/v1/provisioning/alert-rules');
  const mutes = (await client.getOptional<JsonObject[]>('/api/v1/provisioning/mute-timings')) ?? [];
  const templates = await client.templates();
  return {
    folders,
    dashboardHits: await client.searchDashboards(),
    datasources: await client.get<JsonObject[]>('/api/datasources'),
    libraryPanels: await client.libraryPanels(),
    alertRules: new Map(rules.map((r) => [String(r.uid), r])),
    contactPoints: await client.get<JsonObject[]>('/api/v1/provisioning/contact-points'),
    muteTimings: new Map(mutes.map((m) => [String(m.name), m])),
    templates: new Map(templates.map((t) => [String(t.name), t])),
    policies: await client.getOptional<JsonObject>('/api/v1/provisioning/policies'),
  };
}

/** Parents before children; folders whose parent is missing from the backup come first. */
function topological(folders: FolderObject[]): FolderObject[] {
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

export async function planRestore(
  client: GrafanaClient,
  backup: GrafanaExport,
  options: PlanOptions = {}
): Promise<Plan> {
  const force = options.force === true;
  const message = options.message ?? 'restored by backup-sla';
  const live = await readLive(client);
  const items: PlanItem[] = [];
  const folderMap = new Map<string, string>();
  const failedFolders = new Set<string>();
  const folderTitle = new Map<string, string>();
  for (const f of live.folders.values()) {
    folderTitle.set(String(f.uid), String(f.title));
  }
  for (const f of backup.folders) {
    folderTitle.set(f.uid, f.title);
  }

  /** Where objects of backed-up folder `uid` go: '' = General; undefined = nowhere (error). */
  const targetFolder = (uid: string): string | undefined => {
    if (!uid) {
      return '';
    }
    if (failedFolders.has(uid)) {
      return undefined;
    }
    return folderMap.get(uid) ?? (live.folders.has(uid) ? uid : undefined);
  };
  const folderName = (uid: string) => (uid ? (folderTitle.get(uid) ?? uid) : 'General');
  const missingFolder = (uid: string) =>
    failedFolders.has(uid)
      ? `its folder ${folderName(uid)} cannot be restored`
      : `its folder ${uid} is neither in the backup nor in Grafana`;

  // --- folders, parents first ---------------------------------------------------------------
  for (const f of topological(backup.folders)) {
    const base = { kind: 'folder' as const, key: f.uid, name: f.title };
    const parent = f.parentUid ? targetFolder(f.parentUid) : '';
    if (parent === undefined) {
      failedFolders.add(f.uid);
      items.push({ ...base, action: 'error', reason: `parent ${missingFolder(f.parentUid!)}` });
      continue;
    }
    const current = live.folders.get(f.uid);
    if (current) {
      folderMap.set(f.uid, f.uid);
      const liveParent = current.parentUid ? String(current.parentUid) : '';
      const titleDiffers = String(current.title) !== f.title;
      const parentDiffers = liveParent !== parent;
      if (!titleDiffers && !parentDiffers) {
        items.push({ ...base, action: 'unchanged' });
        continue;
      }
      const liveVersion = Number(current.version ?? 0);
      if (liveVersion > f.version && !force) {
        items.push({
          ...base,
          action: 'skipped-newer',
          reason: `changed in Grafana after the backup (version ${liveVersion} > ${f.version}); force overwrites`,
        });
        continue;
      }
      const what = [
        titleDiffers ? `title '${current.title}' → '${f.title}'` : '',
        parentDiffers ? `parent ${folderName(liveParent)} → ${folderName(parent)}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      items.push({
        ...base,
        action: 'update',
        reason: what,
        apply: async () => {
          if (titleDiffers) {
            await client.request('PUT', `/api/folders/${enc(f.uid)}`, {
              title: f.title,
              version: liveVersion,
              overwrite: force,
            });
          }
          if (parentDiffers) {
            await client.request('POST', `/api/folders/${enc(f.uid)}/move`, { parentUid: parent || undefined });
          }
        },
      });
      continue;
    }
    // Identified by uid only: since Grafana 11.3 folder titles need not be unique, so a live
    // folder of the same title is another folder, and the backed-up one comes back as itself.
    folderMap.set(f.uid, f.uid);
    items.push({
      ...base,
      action: 'create',
      reason: parent ? `in ${folderName(parent)}` : undefined,
      apply: async () => {
        await client.request('POST', '/api/folders', {
          uid: f.uid,
          title: f.title,
          ...(parent ? { parentUid: parent } : {}),
        });
      },
    });
  }

  // --- data sources -------------------------------------------------------------------------
  const DS_FIELDS = [
    'name',
    'type',
    'access',
    'url',
    'user',
    'database',
    'basicAuth',
    'basicAuthUser',
    'withCredentials',
    'isDefault',
    'jsonData',
  ];
  const dsBody = (d: JsonObject): JsonObject => {
    const out: JsonObject = { uid: d.uid };
    for (const k of DS_FIELDS) {
      if (d[k] !== undefined) {
        out[k] = d[k];
      }
    }
    return out;
  };
  const dsSecure = (d: JsonObject | null | undefined): string[] =>
    d?.secureJsonFields && typeof d.secureJsonFields === 'object'
      ? Object.entries(d.secureJsonFields as JsonObject)
          .filter(([, v]) => v === true)
          .map(([k]) => k)
          .sort()
      : [];
  const liveDsUids = new Set(live.datasources.map((d) => String(d.uid)));
  for (const d of backup.datasources) {
    const uid = String(d.uid);
    const base = { kind: 'datasource' as const, key: uid, name: String(d.name) };
    const secure = dsSecure(d);
    const current = liveDsUids.has(uid)
      ? await client.getOptional<JsonObject>(`/api/datasources/uid/${enc(uid)}`)
      : null;
    if (!current) {
      const clash = live.datasources.find((x) => String(x.name) === String(d.name));
      if (clash) {
        items.push({
          ...base,
          action: 'error',
          reason: `a data source named '${d.name}' exists with another uid (${clash.uid})`,
        });
        continue;
      }
      items.push({
        ...base,
        action: 'create',
        human: secure.length
          ? `re-enter its secure fields (${secure.join(', ')}): Grafana never exports them`
          : undefined,
        apply: async () => {
          await client.request('POST', '/api/datasources', dsBody(d));
        },
      });
      continue;
    }
    const missingSecrets = secure.filter((k) => !dsSecure(current).includes(k));
    const human = missingSecrets.length
      ? `re-enter its secure fields (${missingSecrets.join(', ')}): Grafana never exports them`
      : undefined;
    if (sameJson(dsBody(current), dsBody(d))) {
      items.push({ ...base, action: 'unchanged', human });
      continue;
    }
    if (current.readOnly === true) {
      items.push({
        ...base,
        action: 'skipped-provisioned',
        reason: 'provisioned (read-only) data source',
        human: 'restore its provisioning file (Ansible)',
      });
      continue;
    }
    const liveVersion = Number(current.version ?? 0);
    if (liveVersion > Number(d.version ?? 0) && !force) {
      items.push({
        ...base,
        action: 'skipped-newer',
        reason: `changed in Grafana after the backup (version ${liveVersion} > ${d.version}); force overwrites`,
      });
      continue;
    }
    items.push({
      ...base,
      action: 'update',
      human,
      apply: async () => {
        await client.request('PUT', `/api/datasources/uid/${enc(uid)}`, { ...dsBody(d), version: liveVersion });
      },
    });
  }
  const knownDatasources = new Set([...liveDsUids, ...backup.datasources.map((d) => String(d.uid))]);

  // --- library panels -----------------------------------------------------------------------
  const liveLib = new Map(live.libraryPanels.map((e) => [String(e.uid), e]));
  const libFolder = (e: JsonObject) => String(e.folderUid ?? (e.meta as JsonObject | undefined)?.folderUid ?? '');
  for (const p of backup.libraryPanels as LibraryPanelObject[]) {
    const base = { kind: 'library panel' as const, key: p.uid, name: p.name };
    const folder = targetFolder(p.folderUid);
    if (folder === undefined) {
      items.push({ ...base, action: 'error', reason: missingFolder(p.folderUid) });
      continue;
    }
    const body = { uid: p.uid, name: p.name, kind: p.kind, model: p.model, folderUid: folder };
    const current = liveLib.get(p.uid);
    if (!current) {
      const clash = live.libraryPanels.find((x) => String(x.name) === p.name && libFolder(x) === folder);
      if (clash) {
        items.push({
          ...base,
          action: 'error',
          reason: `a library panel named '${p.name}' exists in ${folderName(folder)} with another uid (${clash.uid})`,
        });
        continue;
      }
      items.push({
        ...base,
        action: 'create',
        apply: async () => void (await client.request('POST', '/api/library-elements', body)),
      });
      continue;
    }
    if (String(current.name) === p.name && libFolder(current) === folder && sameJson(current.model, p.model)) {
      items.push({ ...base, action: 'unchanged' });
      continue;
    }
    const liveVersion = Number(current.version ?? 0);
    if (liveVersion > p.version && !force) {
      items.push({
        ...base,
        action: 'skipped-newer',
        reason: `changed in Grafana after the backup (version ${liveVersion} > ${p.version}); force overwrites`,
      });
      continue;
    }
    items.push({
      ...base,
      action: 'update',
      apply: async () => {
        await client.request('PATCH', `/api/library-elements/${enc(p.uid)}`, {
          name: p.name,
          kind: p.kind,
          model: p.model,
          folderUid: folder,
          version: liveVersion,
        });
      },
    });
  }

  // --- dashboards ---------------------------------------------------------------------------
  const hitByUid = new Map(live.dashboardHits.map((h) => [String(h.uid), h]));
  const model = (d: JsonObject) => without(d, ['id', 'version']);
  for (const b of backup.dashboards as DashboardObject[]) {
    const uid = String(b.dashboard.uid);
    const title = String(b.dashboard.title ?? uid);
    const folder = targetFolder(b.meta.folderUid);
    const base = {
      kind: 'dashboard' as const,
      key: uid,
      name: `${folder !== undefined ? folderName(folder) : b.meta.folderTitle || b.meta.folderUid}/${title}`,
    };
    if (folder === undefined) {
      items.push({ ...base, action: 'error', reason: missingFolder(b.meta.folderUid) });
      continue;
    }
    const current = hitByUid.has(uid)
      ? await client.getOptional<{ dashboard: JsonObject; meta: JsonObject }>(`/api/dashboards/uid/${enc(uid)}`)
      : null;
    const same =
      current &&
      String(current.meta.folderUid ?? '') === folder &&
      sameJson(model(current.dashboard), model(b.dashboard));
    if (same) {
      items.push({ ...base, action: 'unchanged' });
      continue;
    }
    if (b.meta.provisioned || current?.meta.provisioned === true) {
      const file = b.meta.provisionedExternalId || String(current?.meta.provisionedExternalId ?? '');
      items.push({
        ...base,
        action: 'skipped-provisioned',
        reason: current
          ? 'provisioned from a file: Grafana refuses to save it through the API'
          : 'was provisioned from a file and is gone from Grafana',
        human: `restore its provisioning file${file ? ` ${file}` : ''} (Ansible)`,
      });
      continue;
    }
    // By uid only: a dashboard of the same title in the folder is another dashboard (Grafana 11.3+).
    if (!current) {
      items.push({
        ...base,
        action: 'create',
        apply: async () => {
          await client.request('POST', '/api/dashboards/db', {
            dashboard: { ...model(b.dashboard), id: null },
            folderUid: folder,
            overwrite: false,
            message,
          });
        },
      });
      continue;
    }
    const liveVersion = Number(current.meta.version ?? current.dashboard.version ?? 0);
    if (liveVersion > b.meta.version && !force) {
      items.push({
        ...base,
        action: 'skipped-newer',
        reason: `changed in Grafana after the backup (version ${liveVersion} > ${b.meta.version}); force overwrites`,
      });
      continue;
    }
    items.push({
      ...base,
      action: 'update',
      reason: liveVersion > b.meta.version ? `overwrites newer version ${liveVersion} (force)` : undefined,
      apply: async () => {
        // The live version makes Grafana refuse (412) if someone saved in between; force overwrites.
        await client.request('POST', '/api/dashboards/db', {
          dashboard: { ...model(b.dashboard), id: current.dashboard.id ?? null, version: liveVersion },
          folderUid: folder,
          overwrite: force,
          message,
        });
      },
    });
  }

  // --- alerting: templates ------------------------------------------------------------------
  const provenanceOf = (o: JsonObject | null | undefined) => String(o?.provenance ?? '');
  const provisionedAlerting = (kind: ObjectKind, key: string, name: string, prov: string): PlanItem => ({
    kind,
    key,
    name,
    action: 'skipped-provisioned',
    reason: `managed by ${prov === 'file' ? 'a provisioning file' : `provenance '${prov}'`}: Grafana refuses other changes`,
    human: prov === 'file' ? 'restore its provisioning file (Ansible)' : `change it where it is managed (${prov})`,
  });
  for (const t of backup.templates) {
    const name = String(t.name);
    const current = live.templates.get(name);
    if (current && String(current.template) === String(t.template)) {
      items.push({ kind: 'template', key: name, name, action: 'unchanged' });
    } else if (current && provenanceOf(current)) {
      items.push(provisionedAlerting('template', name, name, provenanceOf(current)));
    } else {
      items.push({
        kind: 'template',
        key: name,
        name,
        action: current ? 'update' : 'create',
        apply: async () =>
          void (await client.request(
            'PUT',
            `/api/v1/provisioning/templates/${enc(name)}`,
            { template: t.template },
            NO_PROVENANCE
          )),
      });
    }
  }

  // --- contact points -----------------------------------------------------------------------
  const cpBody = (c: JsonObject): JsonObject => ({
    ...(c.uid ? { uid: c.uid } : {}),
    name: c.name,
    type: c.type,
    settings: c.settings ?? {},
    disableResolveMessage: c.disableResolveMessage ?? false,
  });
  const cpCompare = (c: JsonObject) => without(cpBody(c), ['uid']);
  for (const c of backup.contactPoints) {
    const key = String(c.uid || c.name);
    const base = { kind: 'contact point' as const, key, name: String(c.name) };
    const current =
      live.contactPoints.find((x) => c.uid && String(x.uid) === String(c.uid)) ??
      live.contactPoints.find((x) => String(x.name) === String(c.name) && String(x.type) === String(c.type));
    const secrets = redactedKeys(c.settings);
    if (!current) {
      items.push({
        ...base,
        action: 'create',
        human: secrets.length
          ? `re-enter its secure settings (${secrets.join(', ')}): Grafana never exports them`
          : undefined,
        apply: async () =>
          void (await client.request('POST', '/api/v1/provisioning/contact-points', cpBody(c), NO_PROVENANCE)),
      });
      continue;
    }
    if (sameJson(cpCompare(current), cpCompare(c))) {
      items.push({ ...base, action: 'unchanged' });
      continue;
    }
    if (provenanceOf(current)) {
      items.push(provisionedAlerting('contact point', key, String(c.name), provenanceOf(current)));
      continue;
    }
    const liveUid = String(current.uid ?? c.uid);
    items.push({
      ...base,
      action: 'update',
      // Settings shown as [REDACTED] keep the secret Grafana holds (the API does so for updates).
      apply: async () =>
        void (await client.request(
          'PUT',
          `/api/v1/provisioning/contact-points/${enc(liveUid)}`,
          { ...cpBody(c), uid: liveUid },
          NO_PROVENANCE
        )),
    });
  }
  const receivers = new Set([...live.contactPoints, ...backup.contactPoints].map((c) => String(c.name)));

  // --- mute timings ----------------------------------------------------------------------------
  for (const m of backup.muteTimings) {
    const name = String(m.name);
    const body = { name, time_intervals: m.time_intervals ?? [] };
    const current = live.muteTimings.get(name);
    if (current && sameJson(current.time_intervals ?? [], body.time_intervals)) {
      items.push({ kind: 'mute timing', key: name, name, action: 'unchanged' });
    } else if (current && provenanceOf(current)) {
      items.push(provisionedAlerting('mute timing', name, name, provenanceOf(current)));
    } else if (current) {
      items.push({
        kind: 'mute timing',
        key: name,
        name,
        action: 'update',
        apply: async () =>
          void (await client.request('PUT', `/api/v1/provisioning/mute-timings/${enc(name)}`, body, NO_PROVENANCE)),
      });
    } else {
      items.push({
        kind: 'mute timing',
        key: name,
        name,
        action: 'create',
        apply: async () =>
          void (await client.request('POST', '/api/v1/provisioning/mute-timings', body, NO_PROVENANCE)),
      });
    }
  }
  const muteNames = new Set([...live.muteTimings.keys(), ...backup.muteTimings.map((m) => String(m.name))]);

  // --- alert rules and their groups ----------------------------------------------------------
  const RULE_VOLATILE = ['id', 'updated', 'provenance', 'orgID'];
  const groupsWithRules = new Set<string>();
  for (const r of backup.alertRules) {
    const uid = String(r.uid);
    const base = { kind: 'alert rule' as const, key: uid, name: String(r.title ?? uid) };
    const folder = targetFolder(String(r.folderUID));
    if (!folder) {
      items.push({
        ...base,
        action: 'error',
        reason: folder === '' ? 'alert rules need a folder' : missingFolder(String(r.folderUID)),
      });
      continue;
    }
    const unknownDs = (Array.isArray(r.data) ? (r.data as JsonObject[]) : [])
      .map((q) => String(q.datasourceUid ?? ''))
      .filter((ds) => ds && ds !== '__expr__' && ds !== '-100' && !knownDatasources.has(ds));
    if (unknownDs.length) {
      items.push({
        ...base,
        action: 'error',
        reason: `queries data source ${[...new Set(unknownDs)].join(', ')}, which is neither in the backup nor in Grafana`,
      });
      continue;
    }
    const body: JsonObject = { ...without(r, RULE_VOLATILE), folderUID: folder };
    const current = live.alertRules.get(uid);
    groupsWithRules.add(`${folder}\u0000${r.ruleGroup}`);
    if (current && sameJson(without(current, RULE_VOLATILE), body)) {
      items.push({ ...base, action: 'unchanged' });
      continue;
    }
    if (current && provenanceOf(current)) {
      items.push(provisionedAlerting('alert rule', uid, base.name, provenanceOf(current)));
      continue;
    }
    if (current && String(current.updated ?? '') > String(r.updated ?? '') && !force) {
      items.push({
        ...base,
        action: 'skipped-newer',
        reason: `changed in Grafana after the backup (${current.updated}); force overwrites`,
      });
      continue;
    }
    items.push({
      ...base,
      action: current ? 'update' : 'create',
      apply: async () => {
        if (current) {
          await client.request('PUT', `/api/v1/provisioning/alert-rules/${enc(uid)}`, body, NO_PROVENANCE);
        } else {
          await client.request('POST', '/api/v1/provisioning/alert-rules', body, NO_PROVENANCE);
        }
      },
    });
  }
  for (const g of backup.alertRuleGroups as RuleGroupObject[]) {
    const folder = targetFolder(g.folderUid);
    if (!folder || !groupsWithRules.has(`${folder}\u0000${g.title}`)) {
      continue; // its rules are in error, reported there
    }
    const path = `/api/v1/provisioning/folder/${enc(folder)}/rule-groups/${enc(g.title)}`;
    const current = await client.getOptional<JsonObject>(path);
    const base = { kind: 'rule group' as const, key: `${folder}/${g.title}`, name: `${folderName(folder)}/${g.title}` };
    const liveInterval = current ? Number(current.interval ?? 0) : null;
    if (liveInterval === g.interval) {
      items.push({ ...base, action: 'unchanged' });
      continue;
    }
    items.push({
      ...base,
      // A group comes into being with its first rule (at Grafana's default interval); then its interval is set.
      action: current ? 'update' : 'create',
      reason: current
        ? `evaluation interval ${liveInterval} s → ${g.interval} s`
        : `evaluation interval ${g.interval} s`,
      apply: async () => {
        // Send the group's rules as they are now, so that only the interval changes.
        const now = await client.get<JsonObject>(path);
        await client.request('PUT', path, { ...now, interval: g.interval }, NO_PROVENANCE);
      },
    });
  }

  // --- notification policy tree ------------------------------------------------------------
  if (backup.policies) {
    const tree = without(backup.policies, ['provenance']);
    const named = (route: JsonObject, key: 'receiver' | 'mute_time_intervals'): string[] => {
      const own =
        key === 'receiver'
          ? route.receiver
            ? [String(route.receiver)]
            : []
          : Array.isArray(route[key])
            ? (route[key] as Json[]).map(String)
            : [];
      const children = Array.isArray(route.routes) ? (route.routes as JsonObject[]).flatMap((r) => named(r, key)) : [];
      return [...own, ...children];
    };
    const missingReceivers = [...new Set(named(tree, 'receiver'))].filter((r) => !receivers.has(r));
    const missingMutes = [...new Set(named(tree, 'mute_time_intervals'))].filter((m) => !muteNames.has(m));
    const base = { kind: 'policies' as const, key: 'policies', name: 'notification policy tree' };
    if (missingReceivers.length || missingMutes.length) {
      items.push({
        ...base,
        action: 'error',
        reason:
          [
            missingReceivers.length ? `names contact points ${missingReceivers.join(', ')}` : '',
            missingMutes.length ? `names mute timings ${missingMutes.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(' and ') + ', which are neither in the backup nor in Grafana',
      });
    } else if (live.policies && sameJson(without(live.policies, ['provenance']), tree)) {
      items.push({ ...base, action: 'unchanged' });
    } else if (live.policies && provenanceOf(live.policies)) {
      items.push(provisionedAlerting('policies', 'policies', base.name, provenanceOf(live.policies)));
    } else {
      items.push({
        ...base,
        action: 'update',
        apply: async () => void (await client.request('PUT', '/api/v1/provisioning/policies', tree, NO_PROVENANCE)),
      });
    }
  }

  return { items, errors: items.filter((i) => i.action === 'error'), folderMap };
}

// --- presenting and applying ----------------------------------------------------------------------

const ORDER: Action[] = ['create', 'update', 'unchanged', 'skipped-newer', 'skipped-provisioned', 'error'];

export function summary(plan: Plan): string {
  const counts = new Map<Action, number>();
  for (const i of plan.items) {
    counts.set(i.action, (counts.get(i.action) ?? 0) + 1);
  }
  const parts = ORDER.filter((a) => a !== 'error' && counts.get(a)).map((a) => `${counts.get(a)} ${a}`);
  return `${parts.join(', ') || 'nothing to restore'}; ${plan.errors.length} error${plan.errors.length === 1 ? '' : 's'}`;
}

/** The plan as text: one line per object that needs attention, then what a person must do. */
export function renderPlan(plan: Plan, options: { all?: boolean } = {}): string {
  const lines = [`plan: ${summary(plan)}`];
  for (const i of plan.items) {
    if (!options.all && i.action === 'unchanged') {
      continue;
    }
    lines.push(
      `  ${i.action.padEnd(19)} ${i.kind} ${i.name}${i.key !== i.name ? ` (${i.key})` : ''}${i.reason ? `: ${i.reason}` : ''}`
    );
  }
  const humans = plan.items.filter((i) => i.human);
  if (humans.length) {
    lines.push('needs a human:');
    for (const i of humans) {
      lines.push(`  ${i.kind} ${i.name}: ${i.human}`);
    }
  }
  return lines.join('\n');
}

export interface ApplyResult {
  applied: PlanItem[];
  failed: Array<{ item: PlanItem; error: string }>;
}

/** Performs the plan's changes in order. A failed change is reported; the others still run. */
export async function applyPlan(plan: Plan, onStep: (item: PlanItem) => void = () => undefined): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], failed: [] };
  for (const item of plan.items) {
    if (!item.apply) {
      continue;
    }
    onStep(item);
    try {
      await item.apply();
      result.applied.push(item);
    } catch (e) {
      const msg =
        e instanceof GrafanaError && e.grafanaStatus === 'version-mismatch'
          ? `${e.message} (changed during the restore)`
          : (e as Error).message;
      result.failed.push({ item, error: msg });
      if (e instanceof GrafanaError && (e.status === null || e.status === 401)) {
        break; // Grafana went away or the token was revoked: the rest would fail the same way
      }
    }
  }
  return result;
}
