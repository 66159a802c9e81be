/**
 * A fake of Grafana's HTTP API — the one fake docs/design.md §6 allows, because Grafana itself cannot
 * be installed here. A real HTTP server on loopback (node:http) with in-memory state, following
 * Grafana's documented request and response shapes; where the docs are silent it follows
 * Grafana's behaviour as its source code states it (noted inline).
 *
 * Followed (grafana/grafana repository):
 *   docs/sources/developers/http_api/other.md             GET /api/health (no auth): {commit, database, version}
 *   docs/sources/developers/http_api/folder_dashboard_search.md
 *                                                         GET /api/search: type=dash-db|dash-folder, query,
 *                                                         folderUIDs, dashboardUIDs, tag, limit (default 1000,
 *                                                         max 5000), page (from 1); hits carry folderUid/folderTitle
 *   docs/sources/developers/http_api/dashboard.md         GET /api/dashboards/uid/:uid → {dashboard, meta};
 *                                                         POST /api/dashboards/db {dashboard, folderUid, overwrite,
 *                                                         message} → {id, uid, url, status, version, slug};
 *                                                         412 {status: version-mismatch | name-exists, message};
 *                                                         DELETE /api/dashboards/uid/:uid
 *   docs/sources/developers/http_api/folder.md            GET /api/folders (limit, page, parentUid: immediate
 *                                                         subfolders), GET/PUT/DELETE /api/folders/:uid (PUT:
 *                                                         version or overwrite, 412 version-mismatch), POST
 *                                                         /api/folders {uid, title, parentUid} (409 exists),
 *                                                         POST /api/folders/:uid/move {parentUid}; nested
 *                                                         folders answer parentUid and parents
 *   docs/sources/developers/http_api/data_source.md       GET /api/datasources (list, no secureJsonFields),
 *                                                         GET/PUT /api/datasources/uid/:uid, POST /api/datasources
 *                                                         → {datasource, id, message, name}; secureJsonData is
 *                                                         stored, only secureJsonFields booleans are returned
 *   docs/sources/developers/http_api/library_element.md   GET /api/library-elements (perPage default 100, page,
 *                                                         kind) → {result: {totalCount, page, perPage, elements}},
 *                                                         GET/PATCH/DELETE /api/library-elements/:uid (PATCH 412
 *                                                         on version mismatch), POST (400 if name or uid exists)
 *   docs/sources/developers/http_api/alerting_provisioning.md
 *                                                         /api/v1/provisioning/alert-rules (POST 201, PUT 200,
 *                                                         X-Disable-Provenance header), folder/:f/rule-groups/:g
 *                                                         (AlertRuleGroup {title, folderUid, interval, rules}),
 *                                                         contact-points (POST/PUT 202, EmbeddedContactPoint),
 *                                                         policies (Route tree, PUT 202), mute-timings (POST 201,
 *                                                         PUT 200, MuteTimeInterval), templates (PUT /:name 202,
 *                                                         NotificationTemplate {name, template, provenance})
 *   public/api-merged.json (Swagger 2.0, basePath /api)   /dashboards/db (200, 400, 401, 403, 404, 412),
 *                                                         /folders (limit default 1000, page default 1; POST
 *                                                         409 conflict), /library-elements (perPage default 100;
 *                                                         PATCH 412 preconditionFailed), /datasources/uid/{uid}
 *   pkg/services/dashboards/errors.go (source, not docs)  "Cannot save provisioned dashboard" → 400;
 *                                                         "provisioned dashboard cannot be deleted" → 400
 * Auth: `Authorization: Bearer <service account token>`; anything else → 401 {message: "Unauthorized"}.
 * Contact point secure settings are shown as "[REDACTED]" and an update carrying "[REDACTED]" keeps
 * the stored secret, as Grafana's provisioning API does.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

type Obj = Record<string, any>;
export interface Reply {
  status: number;
  body?: unknown;
}
interface Req {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  headers: http.IncomingHttpHeaders;
  params: string[];
}

/**
 * The Grafana version the fake plays: 12.x, where (since 11.3) dashboard and folder titles need
 * not be unique: objects are told apart by uid only, and the fake refuses no duplicate title.
 */
export const FAKE_GRAFANA_VERSION = '12.3.0';
const REDACTED = '[REDACTED]';
/** Settings Grafana treats as secure, per contact point type (a subset of Grafana's notifier list). */
const SECURE_SETTINGS: Record<string, string[]> = {
  slack: ['url', 'token'],
  webhook: ['password', 'authorization_credentials'],
  telegram: ['bottoken'],
  pagerduty: ['integrationKey'],
  discord: ['url'],
  teams: [],
  email: [],
};
const MAX_FOLDER_DEPTH = 4;

const ok = (body?: unknown, status = 200): Reply => ({ status, body });
const fail = (status: number, message: string, extra: Obj = {}): Reply => ({ status, body: { message, ...extra } });
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const slug = (t: string) =>
  t
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
const newUid = () =>
  randomBytes(10)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 14);

interface Folder {
  id: number;
  uid: string;
  title: string;
  parentUid: string | null;
  version: number;
  created: string;
  updated: string;
}
interface Dashboard {
  id: number;
  uid: string;
  model: Obj;
  folderUid: string;
  version: number;
  created: string;
  updated: string;
  provisionedExternalId: string | null;
}
interface Datasource {
  id: number;
  uid: string;
  fields: Obj;
  secureJsonData: Record<string, string>;
  version: number;
  readOnly: boolean;
}
interface LibraryElement {
  id: number;
  uid: string;
  name: string;
  kind: number;
  folderUid: string;
  model: Obj;
  version: number;
  created: string;
  updated: string;
}
interface ContactPoint {
  uid: string;
  name: string;
  type: string;
  settings: Obj;
  disableResolveMessage: boolean;
  provenance: string;
}

/** Grafana's in-memory state. Every method answers what the HTTP endpoint answers. */
export class GrafanaState {
  token: string;
  folders = new Map<string, Folder>();
  dashboards = new Map<string, Dashboard>();
  datasources = new Map<string, Datasource>();
  libraryElements = new Map<string, LibraryElement>();
  alertRules = new Map<string, Obj>();
  /** `${folderUid}\0${group}` → evaluation interval in seconds. */
  ruleGroupIntervals = new Map<string, number>();
  contactPoints = new Map<string, ContactPoint>();
  policies: Obj = { receiver: 'grafana-default-email', group_by: ['grafana_folder', 'alertname'], provenance: '' };
  muteTimings = new Map<string, Obj>();
  templates = new Map<string, Obj>();
  private nextId = 1;
  /** Injected clock for `updated` timestamps. */
  now: () => Date = () => new Date();

  constructor(token: string) {
    this.token = token;
    this.contactPoints.set('default-email', {
      uid: 'default-email',
      name: 'grafana-default-email',
      type: 'email',
      settings: { addresses: '<example@email.com>' },
      disableResolveMessage: false,
      provenance: '',
    });
  }

  private id(): number {
    return this.nextId++;
  }
  private stamp(): string {
    return this.now().toISOString();
  }

  // --- folders ---------------------------------------------------------------------------------

  private folderParents(f: Folder): Folder[] {
    const out: Folder[] = [];
    let p = f.parentUid ? this.folders.get(f.parentUid) : undefined;
    while (p && out.length < 10) {
      out.unshift(p);
      p = p.parentUid ? this.folders.get(p.parentUid) : undefined;
    }
    return out;
  }

  private folderDto(f: Folder, withParents = true): Obj {
    const dto: Obj = {
      id: f.id,
      uid: f.uid,
      title: f.title,
      url: `/dashboards/f/${f.uid}/${slug(f.title)}`,
      hasAcl: false,
      canSave: true,
      canEdit: true,
      canAdmin: true,
      canDelete: true,
      createdBy: 'admin',
      created: f.created,
      updatedBy: 'admin',
      updated: f.updated,
      version: f.version,
    };
    if (f.parentUid) {
      dto.parentUid = f.parentUid;
      if (withParents) {
        dto.parents = this.folderParents(f).map((p) => this.folderDto(p, false));
      }
    }
    return dto;
  }

  listFolders(q: URLSearchParams): Reply {
    const parent = q.get('parentUid') || null;
    if (parent && !this.folders.has(parent)) {
      return fail(404, 'folder not found');
    }
    const limit = Math.max(1, Number(q.get('limit') ?? 1000) || 1000);
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    const list = [...this.folders.values()]
      .filter((f) => f.parentUid === parent)
      .sort((a, b) => a.title.localeCompare(b.title) || a.uid.localeCompare(b.uid))
      .slice((page - 1) * limit, page * limit)
      .map((f) => ({ id: f.id, uid: f.uid, title: f.title, ...(f.parentUid ? { parentUid: f.parentUid } : {}) }));
    return ok(list);
  }

  getFolder(uid: string): Reply {
    const f = this.folders.get(uid);
    return f ? ok(this.folderDto(f)) : fail(404, 'folder not found');
  }

  createFolder(body: Obj): Reply {
    const title = typeof body?.title === 'string' ? body.title.trim() : '';
    if (!title) {
      return fail(400, 'folder title cannot be empty');
    }
    const uid = body.uid ? String(body.uid) : newUid();
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(uid)) {
      return fail(400, 'uid contains illegal characters or is longer than 40');
    }
    if (this.folders.has(uid) || this.dashboards.has(uid)) {
      return fail(409, 'a folder with the same uid already exists');
    }
    const parentUid = body.parentUid ? String(body.parentUid) : null;
    if (parentUid && !this.folders.has(parentUid)) {
      return fail(400, 'parent folder not found');
    }
    if (parentUid && this.folderParents(this.folders.get(parentUid)!).length + 1 >= MAX_FOLDER_DEPTH) {
      return fail(400, 'Maximum nested folder depth reached');
    }
    const now = this.stamp();
    const f: Folder = { id: this.id(), uid, title, parentUid, version: 1, created: now, updated: now };
    this.folders.set(uid, f);
    return ok(this.folderDto(f));
  }

  updateFolder(uid: string, body: Obj): Reply {
    const f = this.folders.get(uid);
    if (!f) {
      return fail(404, 'folder not found');
    }
    if (!body?.overwrite && Number(body?.version ?? 0) !== f.version) {
      return fail(412, 'The folder has been changed by someone else', { status: 'version-mismatch' });
    }
    const title = typeof body.title === 'string' && body.title.trim() ? body.title.trim() : f.title;
    f.title = title;
    f.version += 1;
    f.updated = this.stamp();
    return ok(this.folderDto(f));
  }

  moveFolder(uid: string, body: Obj): Reply {
    const f = this.folders.get(uid);
    if (!f) {
      return fail(404, 'folder not found');
    }
    const parentUid = body?.parentUid ? String(body.parentUid) : null;
    if (parentUid) {
      const p = this.folders.get(parentUid);
      if (!p) {
        return fail(400, 'parent folder not found');
      }
      if (parentUid === uid || this.folderParents(p).some((x) => x.uid === uid)) {
        return fail(400, 'cannot move a folder under itself or one of its subfolders');
      }
    }
    f.parentUid = parentUid;
    f.version += 1;
    f.updated = this.stamp();
    return ok(this.folderDto(f));
  }

  private subtree(uid: string): string[] {
    const out = [uid];
    for (const f of this.folders.values()) {
      if (f.parentUid === uid) {
        out.push(...this.subtree(f.uid));
      }
    }
    return out;
  }

  deleteFolder(uid: string, q: URLSearchParams): Reply {
    const f = this.folders.get(uid);
    if (!f) {
      return fail(404, 'folder not found');
    }
    const uids = new Set(this.subtree(uid));
    const rules = [...this.alertRules.values()].filter((r) => uids.has(r.folderUID));
    if (rules.length && q.get('forceDeleteRules') !== 'true') {
      return fail(400, 'folder cannot be deleted: folder contains alert rules');
    }
    if ([...this.dashboards.values()].some((d) => uids.has(d.folderUid) && d.provisionedExternalId)) {
      return fail(400, 'folder cannot be deleted: it contains provisioned dashboards');
    }
    for (const r of rules) {
      this.alertRules.delete(r.uid);
    }
    for (const [k, d] of this.dashboards) {
      if (uids.has(d.folderUid)) {
        this.dashboards.delete(k);
      }
    }
    for (const [k, e] of this.libraryElements) {
      if (uids.has(e.folderUid)) {
        this.libraryElements.delete(k);
      }
    }
    for (const u of uids) {
      this.folders.delete(u);
    }
    return ok({ message: 'Folder deleted', id: f.id, title: f.title });
  }

  // --- dashboards ------------------------------------------------------------------------------

  private dashboardUrl(d: Dashboard): string {
    return `/d/${d.uid}/${slug(String(d.model.title ?? ''))}`;
  }

  search(q: URLSearchParams): Reply {
    const type = q.get('type');
    const query = (q.get('query') ?? '').toLowerCase();
    const tags = q.getAll('tag');
    const folderUIDs = q
      .getAll('folderUIDs')
      .flatMap((s) => s.split(','))
      .filter(Boolean);
    const dashboardUIDs = q
      .getAll('dashboardUIDs')
      .flatMap((s) => s.split(','))
      .filter(Boolean);
    const limit = Math.min(5000, Math.max(1, Number(q.get('limit') ?? 1000) || 1000));
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    const hits: Obj[] = [];
    if (type !== 'dash-db') {
      for (const f of this.folders.values()) {
        if (query && !f.title.toLowerCase().includes(query)) {
          continue;
        }
        if (dashboardUIDs.length || tags.length) {
          continue;
        }
        if (folderUIDs.length && !folderUIDs.includes(f.parentUid ?? 'general')) {
          continue;
        }
        hits.push({
          id: f.id,
          uid: f.uid,
          title: f.title,
          uri: `db/${slug(f.title)}`,
          url: `/dashboards/f/${f.uid}/${slug(f.title)}`,
          slug: '',
          type: 'dash-folder',
          tags: [],
          isStarred: false,
          sortMeta: 0,
        });
      }
    }
    if (type !== 'dash-folder') {
      for (const d of this.dashboards.values()) {
        const title = String(d.model.title ?? '');
        const dtags: string[] = Array.isArray(d.model.tags) ? d.model.tags.map(String) : [];
        if (query && !title.toLowerCase().includes(query)) {
          continue;
        }
        if (tags.length && !tags.every((t) => dtags.includes(t))) {
          continue;
        }
        if (folderUIDs.length && !folderUIDs.includes(d.folderUid || 'general')) {
          continue;
        }
        if (dashboardUIDs.length && !dashboardUIDs.includes(d.uid)) {
          continue;
        }
        const hit: Obj = {
          id: d.id,
          uid: d.uid,
          title,
          uri: `db/${slug(title)}`,
          url: this.dashboardUrl(d),
          slug: '',
          type: 'dash-db',
          tags: dtags,
          isStarred: false,
          sortMeta: 0,
        };
        const f = d.folderUid ? this.folders.get(d.folderUid) : undefined;
        if (f) {
          Object.assign(hit, {
            folderId: f.id,
            folderUid: f.uid,
            folderTitle: f.title,
            folderUrl: `/dashboards/f/${f.uid}/${slug(f.title)}`,
          });
        }
        hits.push(hit);
      }
    }
    hits.sort((a, b) =>
      a.type === b.type ? String(a.title).localeCompare(String(b.title)) : a.type === 'dash-folder' ? -1 : 1
    );
    return ok(hits.slice((page - 1) * limit, page * limit));
  }

  getDashboard(uid: string): Reply {
    const d = this.dashboards.get(uid);
    if (!d) {
      return fail(404, 'Dashboard not found');
    }
    const f = d.folderUid ? this.folders.get(d.folderUid) : undefined;
    const meta: Obj = {
      type: 'db',
      canSave: !d.provisionedExternalId,
      canEdit: true,
      canAdmin: true,
      canStar: true,
      canDelete: !d.provisionedExternalId,
      slug: slug(String(d.model.title ?? '')),
      url: this.dashboardUrl(d),
      expires: '0001-01-01T00:00:00Z',
      created: d.created,
      updated: d.updated,
      updatedBy: 'admin',
      createdBy: 'admin',
      version: d.version,
      hasAcl: false,
      isFolder: false,
      folderId: f?.id ?? 0,
      folderUid: f?.uid ?? '',
      folderTitle: f?.title ?? 'General',
      folderUrl: f ? `/dashboards/f/${f.uid}/${slug(f.title)}` : '',
      provisioned: !!d.provisionedExternalId,
      provisionedExternalId: d.provisionedExternalId ?? '',
    };
    return ok({ dashboard: clone(d.model), meta });
  }

  /** POST /api/dashboards/db — checks in Grafana's order: input, version, then provisioning. */
  saveDashboard(body: Obj): Reply {
    const model = body?.dashboard;
    if (!model || typeof model !== 'object' || Array.isArray(model)) {
      return fail(400, 'bad request data');
    }
    const title = typeof model.title === 'string' ? model.title.trim() : '';
    if (!title) {
      return fail(400, 'Dashboard title cannot be empty');
    }
    const uid = model.uid ? String(model.uid) : '';
    if (uid && uid.length > 40) {
      return fail(400, 'uid too long, max 40 characters');
    }
    if (uid && !/^[A-Za-z0-9_-]+$/.test(uid)) {
      return fail(400, 'uid contains illegal characters');
    }
    const folderUid = body.folderUid ? String(body.folderUid) : '';
    if (folderUid && !this.folders.has(folderUid)) {
      return fail(400, 'folder not found');
    }
    const overwrite = body.overwrite === true;
    let existing = uid ? this.dashboards.get(uid) : undefined;
    if (!existing && !uid && model.id) {
      existing = [...this.dashboards.values()].find((d) => d.id === Number(model.id));
      if (!existing) {
        return fail(404, 'Dashboard not found');
      }
    }
    if (existing && !overwrite && Number(model.version ?? 0) !== existing.version) {
      return fail(412, 'The dashboard has been changed by someone else', { status: 'version-mismatch' });
    }
    if (existing?.provisionedExternalId) {
      return fail(400, 'Cannot save provisioned dashboard');
    }
    const now = this.stamp();
    const d: Dashboard = existing ?? {
      id: this.id(),
      uid: uid || newUid(),
      model: {},
      folderUid,
      version: 0,
      created: now,
      updated: now,
      provisionedExternalId: null,
    };
    d.version += 1;
    d.folderUid = folderUid;
    d.updated = now;
    d.model = { ...clone(model), id: d.id, uid: d.uid, title, version: d.version };
    this.dashboards.set(d.uid, d);
    return ok({
      id: d.id,
      uid: d.uid,
      url: this.dashboardUrl(d),
      status: 'success',
      version: d.version,
      slug: slug(title),
    });
  }

  deleteDashboard(uid: string): Reply {
    const d = this.dashboards.get(uid);
    if (!d) {
      return fail(404, 'Dashboard not found');
    }
    if (d.provisionedExternalId) {
      return fail(400, 'provisioned dashboard cannot be deleted');
    }
    this.dashboards.delete(uid);
    return ok({ title: d.model.title, message: `Dashboard ${d.model.title} deleted`, id: d.id });
  }

  /**
   * Not an API: what Grafana's file provisioning does when it (re)reads a dashboard file. The
   * dashboard then refuses API saves, as in Grafana with allowUiUpdates: false.
   */
  provisionDashboard(model: Obj, folderUid: string, externalId: string): void {
    const uid = String(model.uid);
    const now = this.stamp();
    const d = this.dashboards.get(uid) ?? {
      id: this.id(),
      uid,
      model: {},
      folderUid,
      version: 0,
      created: now,
      updated: now,
      provisionedExternalId: externalId,
    };
    d.version += 1;
    d.folderUid = folderUid;
    d.updated = now;
    d.provisionedExternalId = externalId;
    d.model = { ...clone(model), id: d.id, uid, version: d.version };
    this.dashboards.set(uid, d);
  }

  // --- data sources --------------------------------------------------------------------------

  private static DS_FIELDS: Obj = {
    name: '',
    type: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    withCredentials: false,
    isDefault: false,
    jsonData: {},
  };

  private dsDto(d: Datasource, full: boolean): Obj {
    const f = d.fields;
    const base: Obj = {
      id: d.id,
      uid: d.uid,
      orgId: 1,
      name: f.name,
      type: f.type,
      typeLogoUrl: `public/app/plugins/datasource/${f.type}/img/logo.svg`,
      access: f.access,
      url: f.url,
      user: f.user,
      database: f.database,
      basicAuth: f.basicAuth,
      isDefault: f.isDefault,
      jsonData: clone(f.jsonData),
      readOnly: d.readOnly,
    };
    if (!full) {
      return { ...base, typeName: f.type };
    }
    const secureJsonFields: Obj = {};
    for (const k of Object.keys(d.secureJsonData).sort()) {
      secureJsonFields[k] = true;
    }
    return {
      ...base,
      password: '',
      basicAuthUser: f.basicAuthUser,
      basicAuthPassword: '',
      withCredentials: f.withCredentials,
      secureJsonFields,
      version: d.version,
    };
  }

  listDatasources(): Reply {
    return ok(
      [...this.datasources.values()]
        .sort((a, b) => String(a.fields.name).localeCompare(String(b.fields.name)))
        .map((d) => this.dsDto(d, false))
    );
  }

  getDatasource(uid: string): Reply {
    const d = this.datasources.get(uid);
    return d ? ok(this.dsDto(d, true)) : fail(404, 'Data source not found');
  }

  private pickDs(body: Obj, base: Obj): Obj {
    const out: Obj = {};
    for (const [k, dflt] of Object.entries(GrafanaState.DS_FIELDS)) {
      out[k] = body[k] !== undefined && body[k] !== null ? clone(body[k]) : clone(base[k] ?? dflt);
    }
    return out;
  }

  createDatasource(body: Obj, readOnly = false): Reply {
    if (!body?.name || !body?.type) {
      return fail(400, 'Required fields name and type are missing');
    }
    const uid = body.uid ? String(body.uid) : newUid();
    if (this.datasources.has(uid)) {
      return fail(409, 'data source with the same uid already exists');
    }
    if ([...this.datasources.values()].some((d) => d.fields.name === body.name)) {
      return fail(409, 'data source with the same name already exists');
    }
    const d: Datasource = {
      id: this.id(),
      uid,
      fields: this.pickDs(body, {}),
      secureJsonData: { ...(body.secureJsonData ?? {}) },
      version: 1,
      readOnly,
    };
    this.datasources.set(uid, d);
    return ok({ datasource: this.dsDto(d, true), id: d.id, message: 'Datasource added', name: d.fields.name });
  }

  updateDatasource(uid: string, body: Obj): Reply {
    const d = this.datasources.get(uid);
    if (!d) {
      return fail(404, 'Data source not found');
    }
    if (d.readOnly) {
      return fail(403, 'Cannot update read-only data source');
    }
    if (body?.version !== undefined && Number(body.version) < d.version) {
      return fail(409, 'Datasource has already been updated by someone else. Please reload and try again');
    }
    if (body?.name && [...this.datasources.values()].some((o) => o !== d && o.fields.name === body.name)) {
      return fail(409, 'data source with the same name already exists');
    }
    d.fields = this.pickDs(body ?? {}, { ...GrafanaState.DS_FIELDS, name: d.fields.name, type: d.fields.type });
    Object.assign(d.secureJsonData, body?.secureJsonData ?? {});
    d.version += 1;
    return ok({ datasource: this.dsDto(d, true), id: d.id, message: 'Datasource updated', name: d.fields.name });
  }

  deleteDatasource(uid: string): Reply {
    const d = this.datasources.get(uid);
    if (!d) {
      return fail(404, 'Data source not found');
    }
    if (d.readOnly) {
      return fail(403, 'Cannot delete read-only data source');
    }
    this.datasources.delete(uid);
    return ok({ message: 'Data source deleted', id: d.id });
  }

  // --- library elements ------------------------------------------------------------------------

  private libDto(e: LibraryElement): Obj {
    const f = e.folderUid ? this.folders.get(e.folderUid) : undefined;
    const connected = [...this.dashboards.values()].filter((d) =>
      (Array.isArray(d.model.panels) ? d.model.panels : []).some((p: Obj) => p?.libraryPanel?.uid === e.uid)
    ).length;
    const who = { id: 1, name: 'admin', avatarUrl: '/avatar/46d229b033af06a191ff2267bca9ae56' };
    return {
      id: e.id,
      orgId: 1,
      folderId: f?.id ?? 0,
      folderUid: e.folderUid,
      uid: e.uid,
      name: e.name,
      kind: e.kind,
      type: String(e.model.type ?? ''),
      description: String(e.model.description ?? ''),
      model: clone(e.model),
      version: e.version,
      meta: {
        folderName: f?.title ?? 'General',
        folderUid: e.folderUid,
        connectedDashboards: connected,
        created: e.created,
        updated: e.updated,
        createdBy: who,
        updatedBy: who,
      },
    };
  }

  listLibraryElements(q: URLSearchParams): Reply {
    const perPage = Math.max(1, Number(q.get('perPage') ?? 100) || 100);
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    const kind = q.get('kind');
    const search = (q.get('searchString') ?? '').toLowerCase();
    const all = [...this.libraryElements.values()]
      .filter((e) => (!kind || e.kind === Number(kind)) && (!search || e.name.toLowerCase().includes(search)))
      .sort((a, b) => a.name.localeCompare(b.name));
    return ok({
      result: {
        totalCount: all.length,
        page,
        perPage,
        elements: all.slice((page - 1) * perPage, page * perPage).map((e) => this.libDto(e)),
      },
    });
  }

  getLibraryElement(uid: string): Reply {
    const e = this.libraryElements.get(uid);
    return e ? ok({ result: this.libDto(e) }) : fail(404, 'library element could not be found');
  }

  createLibraryElement(body: Obj): Reply {
    const name = String(body?.name ?? body?.model?.title ?? '').trim();
    if (!name || !body?.model || typeof body.model !== 'object') {
      return fail(400, 'library element name and model are required');
    }
    const folderUid = body.folderUid ? String(body.folderUid) : '';
    if (folderUid && !this.folders.has(folderUid)) {
      return fail(400, 'folder not found');
    }
    const uid = body.uid ? String(body.uid) : newUid();
    if (
      this.libraryElements.has(uid) ||
      [...this.libraryElements.values()].some((e) => e.name === name && e.folderUid === folderUid)
    ) {
      return fail(400, 'library element with that name or UID already exists');
    }
    const now = this.stamp();
    const e: LibraryElement = {
      id: this.id(),
      uid,
      name,
      kind: Number(body.kind ?? 1),
      folderUid,
      model: clone(body.model),
      version: 1,
      created: now,
      updated: now,
    };
    this.libraryElements.set(uid, e);
    return ok({ result: this.libDto(e) });
  }

  patchLibraryElement(uid: string, body: Obj): Reply {
    const e = this.libraryElements.get(uid);
    if (!e) {
      return fail(404, 'library element could not be found');
    }
    if (Number(body?.version ?? 0) !== e.version) {
      return fail(412, 'the library element has been changed by someone else');
    }
    const folderUid = body.folderUid !== undefined ? String(body.folderUid ?? '') : e.folderUid;
    if (folderUid && !this.folders.has(folderUid)) {
      return fail(400, 'folder not found');
    }
    const name = body.name ? String(body.name) : e.name;
    if ([...this.libraryElements.values()].some((o) => o !== e && o.name === name && o.folderUid === folderUid)) {
      return fail(400, 'library element with that name or UID already exists');
    }
    Object.assign(e, {
      name,
      folderUid,
      model: body.model ? clone(body.model) : e.model,
      version: e.version + 1,
      updated: this.stamp(),
    });
    return ok({ result: this.libDto(e) });
  }

  // --- alerting ------------------------------------------------------------------------------

  private static provenance(headers: http.IncomingHttpHeaders): string {
    return headers['x-disable-provenance'] ? '' : 'api';
  }

  /** Grafana refuses to change an object's provenance once it has one (other than none). */
  private static provenanceConflict(stored: string, wanted: string): Reply | null {
    return stored && stored !== wanted
      ? fail(400, `cannot change provenance from '${stored}' to '${wanted || 'none'}'`)
      : null;
  }

  private validateRule(body: Obj): Reply | null {
    for (const k of ['title', 'condition', 'ruleGroup', 'folderUID', 'noDataState', 'execErrState']) {
      if (!body?.[k] || typeof body[k] !== 'string') {
        return fail(400, `invalid alert rule: ${k} is required`);
      }
    }
    if (!Array.isArray(body.data) || body.data.length === 0) {
      return fail(400, 'invalid alert rule: no queries or expressions are found');
    }
    if (!this.folders.has(body.folderUID)) {
      return fail(400, 'invalid alert rule: folder does not exist');
    }
    if (!body.data.some((q: Obj) => q?.refId === body.condition)) {
      return fail(
        400,
        `invalid alert rule: condition ${body.condition} does not exist, must be one of the query refIds`
      );
    }
    for (const q of body.data as Obj[]) {
      const ds = String(q?.datasourceUid ?? '');
      if (ds !== '__expr__' && ds !== '-100' && !this.datasources.has(ds)) {
        return fail(400, `invalid alert rule: failed to validate query ${q?.refId}: data source ${ds} not found`);
      }
    }
    if (
      !['Alerting', 'NoData', 'OK'].includes(body.noDataState) ||
      !['Alerting', 'Error', 'OK'].includes(body.execErrState)
    ) {
      return fail(400, 'invalid alert rule: unknown noDataState or execErrState');
    }
    return null;
  }

  private storeRule(body: Obj, uid: string, id: number, provenance: string): Obj {
    const rule = {
      id,
      uid,
      orgID: 1,
      folderUID: body.folderUID,
      ruleGroup: body.ruleGroup,
      title: body.title,
      condition: body.condition,
      data: clone(body.data),
      updated: this.stamp(),
      noDataState: body.noDataState,
      execErrState: body.execErrState,
      for: body.for ?? '0s',
      annotations: clone(body.annotations ?? {}),
      labels: clone(body.labels ?? {}),
      isPaused: body.isPaused === true,
      provenance,
    };
    this.alertRules.set(uid, rule);
    const g = `${rule.folderUID}\u0000${rule.ruleGroup}`;
    if (!this.ruleGroupIntervals.has(g)) {
      this.ruleGroupIntervals.set(g, 60);
    }
    return clone(rule);
  }

  listAlertRules(): Reply {
    return ok([...this.alertRules.values()].sort((a, b) => a.uid.localeCompare(b.uid)).map(clone));
  }

  getAlertRule(uid: string): Reply {
    const r = this.alertRules.get(uid);
    return r ? ok(clone(r)) : fail(404, 'rule not found');
  }

  createAlertRule(body: Obj, headers: http.IncomingHttpHeaders): Reply {
    const invalid = this.validateRule(body);
    if (invalid) {
      return invalid;
    }
    const uid = body.uid ? String(body.uid) : newUid();
    if (this.alertRules.has(uid)) {
      return fail(409, 'a rule with the same UID already exists');
    }
    return ok(this.storeRule(body, uid, this.id(), GrafanaState.provenance(headers)), 201);
  }

  updateAlertRule(uid: string, body: Obj, headers: http.IncomingHttpHeaders): Reply {
    const r = this.alertRules.get(uid);
    if (!r) {
      return fail(404, 'rule not found');
    }
    const prov = GrafanaState.provenance(headers);
    const conflict = GrafanaState.provenanceConflict(r.provenance, prov);
    const invalid = conflict ?? this.validateRule(body);
    if (invalid) {
      return invalid;
    }
    return ok(this.storeRule(body, uid, r.id, prov));
  }

  deleteAlertRule(uid: string): Reply {
    this.alertRules.delete(uid);
    return { status: 204 };
  }

  private groupDto(folderUid: string, title: string): Obj | null {
    const rules = [...this.alertRules.values()].filter((r) => r.folderUID === folderUid && r.ruleGroup === title);
    if (!rules.length) {
      return null;
    }
    return {
      title,
      folderUid,
      interval: this.ruleGroupIntervals.get(`${folderUid}\u0000${title}`) ?? 60,
      rules: rules.map(clone),
    };
  }

  getRuleGroup(folderUid: string, title: string): Reply {
    const g = this.groupDto(folderUid, title);
    return g ? ok(g) : fail(404, 'rule group not found');
  }

  /** Sets the interval; with `rules`, the group's rules become exactly those (newer Grafana). */
  putRuleGroup(folderUid: string, title: string, body: Obj, headers: http.IncomingHttpHeaders): Reply {
    if (!this.folders.has(folderUid)) {
      return fail(400, 'folder does not exist');
    }
    const interval = Number(body?.interval);
    if (!Number.isInteger(interval) || interval <= 0 || interval % 10 !== 0) {
      return fail(400, 'invalid rule group: interval must be a positive multiple of 10 seconds');
    }
    if (Array.isArray(body.rules)) {
      const prov = GrafanaState.provenance(headers);
      for (const r of body.rules as Obj[]) {
        const invalid =
          this.validateRule({ ...r, folderUID: folderUid, ruleGroup: title }) ??
          (r.uid && this.alertRules.has(r.uid)
            ? GrafanaState.provenanceConflict(this.alertRules.get(r.uid)!.provenance, prov)
            : null);
        if (invalid) {
          return invalid;
        }
      }
      const keep = new Set(body.rules.map((r: Obj) => r.uid).filter(Boolean));
      for (const r of [...this.alertRules.values()]) {
        if (r.folderUID === folderUid && r.ruleGroup === title && !keep.has(r.uid)) {
          this.alertRules.delete(r.uid);
        }
      }
      for (const r of body.rules as Obj[]) {
        const uid = r.uid ? String(r.uid) : newUid();
        const existing = this.alertRules.get(uid);
        const unchanged =
          existing &&
          JSON.stringify({ ...existing, id: 0, updated: '', provenance: '' }) ===
            JSON.stringify({
              ...existing,
              ...r,
              folderUID: folderUid,
              ruleGroup: title,
              id: 0,
              updated: '',
              provenance: '',
            });
        if (!unchanged) {
          this.storeRule({ ...r, folderUID: folderUid, ruleGroup: title }, uid, existing?.id ?? this.id(), prov);
        }
      }
    }
    this.ruleGroupIntervals.set(`${folderUid}\u0000${title}`, interval);
    return ok(this.groupDto(folderUid, title) ?? { title, folderUid, interval, rules: [] });
  }

  private cpDto(c: ContactPoint): Obj {
    const settings = clone(c.settings);
    for (const k of SECURE_SETTINGS[c.type] ?? []) {
      if (settings[k] !== undefined && settings[k] !== '') {
        settings[k] = REDACTED;
      }
    }
    return {
      uid: c.uid,
      name: c.name,
      type: c.type,
      settings,
      disableResolveMessage: c.disableResolveMessage,
      provenance: c.provenance,
    };
  }

  listContactPoints(q: URLSearchParams): Reply {
    const name = q.get('name');
    return ok(
      [...this.contactPoints.values()]
        .filter((c) => !name || c.name === name)
        .sort((a, b) => a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid))
        .map((c) => this.cpDto(c))
    );
  }

  private validateCp(body: Obj): Reply | null {
    if (!body?.name || typeof body.name !== 'string') {
      return fail(400, 'invalid contact point: name is required');
    }
    if (!body.type || !(body.type in SECURE_SETTINGS)) {
      return fail(400, `invalid contact point: unknown type '${body.type}'`);
    }
    if (!body.settings || typeof body.settings !== 'object') {
      return fail(400, 'invalid contact point: settings are required');
    }
    return null;
  }

  createContactPoint(body: Obj, headers: http.IncomingHttpHeaders): Reply {
    const invalid = this.validateCp(body);
    if (invalid) {
      return invalid;
    }
    const uid = body.uid ? String(body.uid) : newUid();
    if (this.contactPoints.has(uid)) {
      return fail(400, 'contact point with this uid already exists');
    }
    const c: ContactPoint = {
      uid,
      name: body.name,
      type: body.type,
      settings: clone(body.settings),
      disableResolveMessage: body.disableResolveMessage === true,
      provenance: GrafanaState.provenance(headers),
    };
    this.contactPoints.set(uid, c);
    return ok(this.cpDto(c), 202);
  }

  updateContactPoint(uid: string, body: Obj, headers: http.IncomingHttpHeaders): Reply {
    const c = this.contactPoints.get(uid);
    if (!c) {
      return fail(404, 'contact point not found');
    }
    const prov = GrafanaState.provenance(headers);
    const invalid = GrafanaState.provenanceConflict(c.provenance, prov) ?? this.validateCp(body);
    if (invalid) {
      return invalid;
    }
    const settings = clone(body.settings);
    for (const [k, v] of Object.entries(settings)) {
      if (v === REDACTED) {
        settings[k] = c.settings[k]; // "[REDACTED]" keeps the stored secret
      }
    }
    const oldName = c.name;
    Object.assign(c, {
      name: body.name,
      type: body.type,
      settings,
      disableResolveMessage: body.disableResolveMessage === true,
      provenance: prov,
    });
    if (oldName !== c.name) {
      this.renameReceiver(this.policies, oldName, c.name);
    }
    return ok({ message: 'contactpoint updated' }, 202);
  }

  private renameReceiver(route: Obj, from: string, to: string): void {
    if (route.receiver === from) {
      route.receiver = to;
    }
    (route.routes ?? []).forEach((r: Obj) => this.renameReceiver(r, from, to));
  }

  private names(route: Obj, key: 'receiver' | 'mute_time_intervals'): string[] {
    const own = key === 'receiver' ? (route.receiver ? [route.receiver] : []) : (route.mute_time_intervals ?? []);
    return [...own, ...(route.routes ?? []).flatMap((r: Obj) => this.names(r, key))];
  }

  getPolicies(): Reply {
    return ok(clone(this.policies));
  }

  putPolicies(body: Obj, headers: http.IncomingHttpHeaders): Reply {
    if (!body || typeof body !== 'object' || !body.receiver) {
      return fail(400, 'invalid object specification: root route must specify a default receiver');
    }
    const prov = GrafanaState.provenance(headers);
    const conflict = GrafanaState.provenanceConflict(this.policies.provenance ?? '', prov);
    if (conflict) {
      return conflict;
    }
    const receivers = new Set([...this.contactPoints.values()].map((c) => c.name));
    const missing = this.names(body, 'receiver').find((r) => !receivers.has(r));
    if (missing) {
      return fail(400, `invalid object specification: receiver '${missing}' does not exist`);
    }
    const mute = this.names(body, 'mute_time_intervals').find((m) => !this.muteTimings.has(m));
    if (mute) {
      return fail(400, `invalid object specification: mute time interval '${mute}' does not exist`);
    }
    const { provenance: _p, ...tree } = clone(body);
    this.policies = { ...tree, provenance: prov };
    return ok({ message: 'policies updated' }, 202);
  }

  listMuteTimings(): Reply {
    return ok([...this.muteTimings.values()].sort((a, b) => a.name.localeCompare(b.name)).map(clone));
  }

  getMuteTiming(name: string): Reply {
    const m = this.muteTimings.get(name);
    return m ? ok(clone(m)) : fail(404, 'mute timing not found');
  }

  createMuteTiming(body: Obj, headers: http.IncomingHttpHeaders): Reply {
    if (!body?.name || typeof body.name !== 'string') {
      return fail(400, 'invalid mute timing: name is required');
    }
    if (this.muteTimings.has(body.name)) {
      return fail(409, 'a mute timing with this name already exists');
    }
    const m = {
      name: body.name,
      time_intervals: clone(body.time_intervals ?? []),
      provenance: GrafanaState.provenance(headers),
    };
    this.muteTimings.set(m.name, m);
    return ok(clone(m), 201);
  }

  updateMuteTiming(name: string, body: Obj, headers: http.IncomingHttpHeaders): Reply {
    const m = this.muteTimings.get(name);
    if (!m) {
      return fail(404, 'mute timing not found');
    }
    const prov = GrafanaState.provenance(headers);
    const conflict = GrafanaState.provenanceConflict(m.provenance, prov);
    if (conflict) {
      return conflict;
    }
    Object.assign(m, { time_intervals: clone(body?.time_intervals ?? []), provenance: prov });
    return ok(clone(m));
  }

  listTemplates(): Reply {
    return ok([...this.templates.values()].sort((a, b) => a.name.localeCompare(b.name)).map(clone));
  }

  putTemplate(name: string, body: Obj, headers: http.IncomingHttpHeaders): Reply {
    if (typeof body?.template !== 'string' || !body.template.trim()) {
      return fail(400, 'invalid template: template is required');
    }
    const existing = this.templates.get(name);
    const prov = GrafanaState.provenance(headers);
    const conflict = existing ? GrafanaState.provenanceConflict(existing.provenance, prov) : null;
    if (conflict) {
      return conflict;
    }
    const t = { name, template: body.template, provenance: prov };
    this.templates.set(name, t);
    return ok(clone(t), 202);
  }
}

// --- HTTP --------------------------------------------------------------------------------------

type Handler = (s: GrafanaState, r: Req) => Reply;
const ROUTES: Array<[string, RegExp, Handler]> = [
  ['GET', /^\/api\/search\/?$/, (s, r) => s.search(r.query)],
  ['GET', /^\/api\/dashboards\/uid\/([^/]+)$/, (s, r) => s.getDashboard(r.params[0])],
  ['DELETE', /^\/api\/dashboards\/uid\/([^/]+)$/, (s, r) => s.deleteDashboard(r.params[0])],
  ['POST', /^\/api\/dashboards\/db\/?$/, (s, r) => s.saveDashboard(r.body)],
  ['GET', /^\/api\/folders\/?$/, (s, r) => s.listFolders(r.query)],
  ['POST', /^\/api\/folders\/?$/, (s, r) => s.createFolder(r.body)],
  ['POST', /^\/api\/folders\/([^/]+)\/move$/, (s, r) => s.moveFolder(r.params[0], r.body)],
  ['GET', /^\/api\/folders\/([^/]+)$/, (s, r) => s.getFolder(r.params[0])],
  ['PUT', /^\/api\/folders\/([^/]+)$/, (s, r) => s.updateFolder(r.params[0], r.body)],
  ['DELETE', /^\/api\/folders\/([^/]+)$/, (s, r) => s.deleteFolder(r.params[0], r.query)],
  ['GET', /^\/api\/datasources\/?$/, (s) => s.listDatasources()],
  ['POST', /^\/api\/datasources\/?$/, (s, r) => s.createDatasource(r.body)],
  ['GET', /^\/api\/datasources\/uid\/([^/]+)$/, (s, r) => s.getDatasource(r.params[0])],
  ['PUT', /^\/api\/datasources\/uid\/([^/]+)$/, (s, r) => s.updateDatasource(r.params[0], r.body)],
  ['DELETE', /^\/api\/datasources\/uid\/([^/]+)$/, (s, r) => s.deleteDatasource(r.params[0])],
  ['GET', /^\/api\/library-elements\/?$/, (s, r) => s.listLibraryElements(r.query)],
  ['POST', /^\/api\/library-elements\/?$/, (s, r) => s.createLibraryElement(r.body)],
  ['GET', /^\/api\/library-elements\/([^/]+)$/, (s, r) => s.getLibraryElement(r.params[0])],
  ['PATCH', /^\/api\/library-elements\/([^/]+)$/, (s, r) => s.patchLibraryElement(r.params[0], r.body)],
  ['GET', /^\/api\/v1\/provisioning\/alert-rules\/?$/, (s) => s.listAlertRules()],
  ['POST', /^\/api\/v1\/provisioning\/alert-rules\/?$/, (s, r) => s.createAlertRule(r.body, r.headers)],
  ['GET', /^\/api\/v1\/provisioning\/alert-rules\/([^/]+)$/, (s, r) => s.getAlertRule(r.params[0])],
  [
    'PUT',
    /^\/api\/v1\/provisioning\/alert-rules\/([^/]+)$/,
    (s, r) => s.updateAlertRule(r.params[0], r.body, r.headers),
  ],
  ['DELETE', /^\/api\/v1\/provisioning\/alert-rules\/([^/]+)$/, (s, r) => s.deleteAlertRule(r.params[0])],
  [
    'GET',
    /^\/api\/v1\/provisioning\/folder\/([^/]+)\/rule-groups\/([^/]+)$/,
    (s, r) => s.getRuleGroup(r.params[0], r.params[1]),
  ],
  [
    'PUT',
    /^\/api\/v1\/provisioning\/folder\/([^/]+)\/rule-groups\/([^/]+)$/,
    (s, r) => s.putRuleGroup(r.params[0], r.params[1], r.body, r.headers),
  ],
  ['GET', /^\/api\/v1\/provisioning\/contact-points\/?$/, (s, r) => s.listContactPoints(r.query)],
  ['POST', /^\/api\/v1\/provisioning\/contact-points\/?$/, (s, r) => s.createContactPoint(r.body, r.headers)],
  [
    'PUT',
    /^\/api\/v1\/provisioning\/contact-points\/([^/]+)$/,
    (s, r) => s.updateContactPoint(r.params[0], r.body, r.headers),
  ],
  ['GET', /^\/api\/v1\/provisioning\/policies\/?$/, (s) => s.getPolicies()],
  ['PUT', /^\/api\/v1\/provisioning\/policies\/?$/, (s, r) => s.putPolicies(r.body, r.headers)],
  ['GET', /^\/api\/v1\/provisioning\/mute-timings\/?$/, (s) => s.listMuteTimings()],
  ['POST', /^\/api\/v1\/provisioning\/mute-timings\/?$/, (s, r) => s.createMuteTiming(r.body, r.headers)],
  ['GET', /^\/api\/v1\/provisioning\/mute-timings\/([^/]+)$/, (s, r) => s.getMuteTiming(r.params[0])],
  [
    'PUT',
    /^\/api\/v1\/provisioning\/mute-timings\/([^/]+)$/,
    (s, r) => s.updateMuteTiming(r.params[0], r.body, r.headers),
  ],
  ['GET', /^\/api\/v1\/provisioning\/templates\/?$/, (s) => s.listTemplates()],
  ['PUT', /^\/api\/v1\/provisioning\/templates\/([^/]+)$/, (s, r) => s.putTemplate(r.params[0], r.body, r.headers)],
];

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  disableProvenance: boolean;
}

export function handle(
  state: GrafanaState,
  method: string,
  rawUrl: string,
  headers: http.IncomingHttpHeaders,
  rawBody: string
): Reply {
  const url = new URL(rawUrl, 'http://fake');
  if (method === 'GET' && url.pathname === '/api/health') {
    return ok({ commit: 'grafana-fake', database: 'ok', version: FAKE_GRAFANA_VERSION });
  }
  if (headers.authorization !== `Bearer ${state.token}`) {
    return fail(401, 'Unauthorized');
  }
  let body: any = undefined;
  if (rawBody) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      return fail(400, 'bad request data');
    }
  }
  for (const [m, re, h] of ROUTES) {
    const match = m === method ? re.exec(url.pathname) : null;
    if (match) {
      return h(state, {
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        headers,
        params: match.slice(1).map(decodeURIComponent),
      });
    }
  }
  return fail(404, 'Not found');
}

export interface GrafanaFake {
  state: GrafanaState;
  readonly url: string;
  readonly port: number;
  requests: RecordedRequest[];
  /** (Re)starts listening, by default on the port used before (a restart after close()). */
  listen(port?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startGrafanaFake(options: {
  state: GrafanaState;
  port?: number;
  host?: string;
}): Promise<GrafanaFake> {
  const host = options.host ?? '127.0.0.1';
  let server: http.Server | null = null;
  let port = options.port ?? 0;
  const requests: RecordedRequest[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 10 * 1024 * 1024) {
        chunks.push(c);
      }
    });
    req.on('end', () => {
      let reply: Reply;
      try {
        reply =
          size > 10 * 1024 * 1024
            ? fail(413, 'request too large')
            : handle(
                options.state,
                req.method ?? 'GET',
                req.url ?? '/',
                req.headers,
                Buffer.concat(chunks).toString('utf8')
              );
      } catch (e) {
        reply = fail(500, `internal error: ${(e as Error).message}`);
      }
      requests.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        status: reply.status,
        disableProvenance: !!req.headers['x-disable-provenance'],
      });
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'Content-Type': 'application/json; charset=UTF-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  };
  const fake: GrafanaFake = {
    state: options.state,
    requests,
    get url() {
      return `http://${host}:${port}`;
    },
    get port() {
      return port;
    },
    async listen(p?: number) {
      if (server) {
        return;
      }
      const s = http.createServer(onRequest);
      s.keepAliveTimeout = 1000;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(p ?? port, host, () => resolve());
      });
      port = (s.address() as AddressInfo).port;
      server = s;
    },
    async close() {
      const s = server;
      server = null;
      if (s) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
  await fake.listen(port);
  return fake;
}
