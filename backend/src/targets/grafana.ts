/**
 * kind: grafana — everything people build in Grafana by hand: folders (nested), dashboards,
 * data sources (without their secrets, which Grafana never returns), library panels, alert rules
 * with their group intervals, contact points, notification policies, mute timings and templates.
 *
 * Backup exports through the HTTP API with a service account token into one JSON file per object
 * and saves a new snapshot only when the content changed ("monthly and whenever we make
 * significant changes"): the export's content hash is the version, compared with the newest
 * snapshot's; without changes the run answers `unchanged`, unless the newest snapshot is older
 * than `saveAtLeastEvery` (30 days: the monthly backup). Verification restores the snapshot,
 * parses every file, checks counts and hash against the manifest, and computes the re-import plan
 * against the live Grafana (nothing applied). Restore shows that plan, then applies it.
 */
import path from 'node:path';
import { z } from 'zod';
import { readSecret } from '../config/secret';
import { UnavailableError } from '../util/errors';
import { doc, durationField, serviceUrlField } from '../config/schema';
import { parseDuration, formatDuration } from '../config/duration';
import { GrafanaClient, GrafanaError } from './grafana/client';
import { countsOf, countsText, exportGrafana, readExport, writeExport, Counts } from './grafana/export';
import { grafanaRecord, readGrafanaMetadata } from './grafana/metadata';
import { applyPlan, planRestore, renderPlan, summary } from './grafana/plan';
import type { DoctorCheck, DriverContext, SnapshotReader, TargetDriver } from './types';

export interface GrafanaSettings {
  connection: { url: string; tokenFile: string };
  /** Save a snapshot even without changes when the newest is older than this (default 30d). */
  saveAtLeastEvery?: string;
  verify: Record<string, never>;
}

const DEFAULT_SAVE_EVERY = '30d';
const REQUEST_TIMEOUT_MS = 30_000;

function client(ctx: DriverContext<GrafanaSettings>): GrafanaClient {
  const c = ctx.target.settings.connection;
  const token = readSecret({ file: c.tokenFile }, 'grafana connection token');
  return new GrafanaClient(c.url, token, {
    signal: ctx.signal,
    timeoutMs: Math.min(REQUEST_TIMEOUT_MS, ctx.target.timeoutSeconds * 1000),
  });
}

/** Reachable (health needs no token) and answering: gives Grafana's version for the manifest. */
async function connect(ctx: DriverContext<GrafanaSettings>): Promise<{ api: GrafanaClient; version: string }> {
  const api = client(ctx);
  ctx.progress('connecting to Grafana');
  const health = await api.health();
  if (health.database && health.database !== 'ok') {
    throw new Error(`Grafana at ${api.base} reports its database as '${health.database}'`);
  }
  return { api, version: health.version };
}

/**
 * Grafana not reached, or the token refused or short of rights: nothing was learned about the data
 * (a verification then "could not verify", never "failed").
 */
function unavailable(e: unknown): unknown {
  // Not reached at all is already the kit's UnavailableError.
  return e instanceof GrafanaError && (e.status === 401 || e.status === 403) ? new UnavailableError(e.message) : e;
}

/** What the export reads: the token must be able to read each (doctor). */
const READS: Array<[string, string]> = [
  ['dashboards', '/api/search?type=dash-db&limit=1'],
  ['folders', '/api/folders?limit=1'],
  ['data sources', '/api/datasources'],
  ['library panels', '/api/library-elements?kind=1&perPage=1'],
  ['alert rules', '/api/v1/provisioning/alert-rules'],
  ['contact points', '/api/v1/provisioning/contact-points'],
  ['notification policies', '/api/v1/provisioning/policies'],
  ['mute timings', '/api/v1/provisioning/mute-timings'],
];

async function grafanaDoctor(s: GrafanaSettings): Promise<DoctorCheck[]> {
  let api: GrafanaClient;
  try {
    api = new GrafanaClient(
      s.connection.url,
      readSecret({ file: s.connection.tokenFile }, 'grafana connection token'),
      {
        timeoutMs: REQUEST_TIMEOUT_MS,
      }
    );
  } catch (e) {
    return [{ name: 'token', level: 'failed', detail: (e as Error).message }];
  }
  try {
    const h = await api.health();
    if (h.database && h.database !== 'ok') {
      return [
        { name: 'API', level: 'failed', detail: `Grafana at ${api.base} reports its database as '${h.database}'` },
      ];
    }
    const checks: DoctorCheck[] = [{ name: 'API', level: 'ok', detail: `Grafana ${h.version} at ${api.base} answers` }];
    const denied: string[] = [];
    for (const [what, path] of READS) {
      try {
        await api.get(path);
      } catch (e) {
        if (e instanceof GrafanaError && e.status === 404 && what !== 'dashboards') {
          continue; // an optional part of Grafana that is not there (nothing to export)
        }
        denied.push(`${what} (${(e as Error).message})`);
      }
    }
    checks.push(
      denied.length
        ? { name: 'token', level: 'failed', detail: `the token cannot read ${denied.join('; ')}` }
        : {
            name: 'token',
            level: 'ok',
            detail: `the token reads everything the backup exports (${READS.map(([w]) => w).join(', ')})`,
          }
    );
    return checks;
  } catch (e) {
    return [{ name: 'API', level: 'failed', detail: (e as Error).message }];
  }
}

function countsProblems(want: Partial<Counts>, got: Counts, what: string): string[] {
  return (Object.keys(got) as Array<keyof Counts>)
    .filter((k) => want[k] !== undefined && want[k] !== got[k])
    .map((k) => `${k}: ${got[k]} in the snapshot, ${want[k]} in ${what}`);
}

async function restoreSnapshot(ctx: DriverContext<GrafanaSettings> & { reader: SnapshotReader }) {
  const dir = path.join(ctx.tmpDir, 'snapshot');
  ctx.progress('reading snapshot');
  await ctx.reader.restoreTo(dir);
  return readExport(dir);
}

export const grafanaDriver: TargetDriver<GrafanaSettings> = {
  kind: 'grafana',
  settingsShape: (h) => ({
    connection: doc(
      z.strictObject({
        url: doc(
          serviceUrlField('http://127.0.0.1:3000', 'put the token in tokenFile'),
          "Grafana's URL",
          'http://127.0.0.1:3000'
        ),
        tokenFile: doc(
          h.secretFile(),
          "a file holding a service account token with Grafana's Admin role",
          './secrets/grafana.token'
        ),
      }),
      'how to reach Grafana',
      { url: 'http://127.0.0.1:3000', tokenFile: './secrets/grafana.token' }
    ),
    saveAtLeastEvery: doc(
      durationField(),
      'save a version even without changes when the newest is older than this (default 30d: the monthly backup)',
      '30d'
    ).optional(),
  }),
  defaults: {
    // A daily check is cheap (a few hundred small HTTP requests) and catches "significant changes"
    // within a day; without changes it only records `unchanged`.
    schedule: '30 1 * * *',
    rpo: '30d',
    rto: '5m',
    // SLA: "last three versions" and "stored for 30 days". restic keeps the union of both rules:
    // never fewer than the last 3 versions, and no version younger than 30 days is dropped (a burst
    // of changes in one afternoon must not push out last week's good state). Versions are a few
    // hundred deduplicated JSON files, so the union costs almost nothing.
    retention: { keepLast: 3, keepWithin: '30d' },
    verifySchedule: '0 3 * * 0',
    coverage:
      'Grafana: folders (nested), dashboards, data sources (secure fields cannot be exported), library panels, alert rules, contact points, notification policies, mute timings, templates',
    usability:
      'every exported file parses, object counts and content hash match the manifest, and a dry-run re-import plan against the live Grafana has no errors',
  },

  // Grafana objects are identified by uid and restored in place; another Grafana is another target.
  checkRestoreTarget: () =>
    'a Grafana restore always goes back into the configured Grafana, by uid (folders of the same title are reused); configure another grafana target to restore elsewhere',

  destinations: (t) => ({
    inPlace: {
      replaces: `the objects of the snapshot in Grafana at ${t.settings.connection.url} (by uid)`,
      movedAsideAs:
        'Grafana objects cannot be moved aside: the current objects are kept in the safety snapshot; objects changed since the snapshot are skipped unless forced',
      note: 'objects provisioned from files are never replaced',
      unavailable: null,
    },
    elsewhere: null,
  }),

  contents: (meta) => {
    const items = Object.entries(readGrafanaMetadata(meta)!.counts).map(([name, count]) => ({
      name,
      count,
      unit: 'objects',
    }));
    return {
      summary: items.map((i) => `${i.count} ${i.name}`).join(', '),
      items,
    };
  },

  async backup(ctx) {
    const s = ctx.target.settings;
    const { api, version: grafanaVersion } = await connect(ctx).catch((e) => Promise.reject(unavailable(e)));
    // A safety backup saves what is there: a Grafana whose dashboards were deleted exports what is left.
    const exp = await exportGrafana(api, (phase) => ctx.progress(phase)).catch((e) => Promise.reject(unavailable(e)));
    const dir = path.join(ctx.tmpDir, 'export');
    const manifest = writeExport(dir, exp, grafanaVersion);
    const version = manifest.contentHash;
    const prev = ctx.previous;
    const maxAge = parseDuration(s.saveAtLeastEvery ?? DEFAULT_SAVE_EVERY)!;
    if (prev && prev.version === version) {
      const age = (Date.now() - Date.parse(prev.time)) / 1000;
      if (age < maxAge) {
        ctx.log.info({ version, counts: manifest.counts }, 'Grafana unchanged since the newest snapshot');
        return { kind: 'unchanged', version };
      }
      ctx.log.info(
        { version },
        `no change, but the newest snapshot is ${formatDuration(age)} old: saving the periodic version`
      );
    }
    ctx.progress('saving');
    const snapshot = await ctx.store.saveDirectory(dir, { version });
    const metadata = grafanaRecord({
      grafanaVersion,
      url: api.base,
      contentHash: version,
      counts: manifest.counts,
      provisionedDashboards: manifest.provisionedDashboards,
      secureFields: manifest.secureFields,
    });
    return { kind: 'saved', snapshot, version, metadata };
  },

  async verify(ctx) {
    // Malformed metadata fails the verification here, before anything is read (kit/metadata.ts).
    const recorded = readGrafanaMetadata(ctx.snapshot.metadata)?.counts;
    const read = await restoreSnapshot(ctx);
    const problems = [...read.problems];
    const got = countsOf(read.export);
    if (read.manifest) {
      problems.push(...countsProblems(read.manifest.counts, got, 'the manifest'));
      if (read.manifest.contentHash !== read.contentHash) {
        problems.push(`content hash ${read.contentHash} differs from the manifest's ${read.manifest.contentHash}`);
      }
    }
    if (recorded) {
      problems.push(...countsProblems(recorded, got, 'the catalog'));
    }
    if (ctx.snapshot.version && ctx.snapshot.version !== read.contentHash) {
      problems.push(`content hash ${read.contentHash} differs from the snapshot's version ${ctx.snapshot.version}`);
    }
    if (problems.length) {
      return {
        ok: false,
        detail: `${problems.length} problem${problems.length > 1 ? 's' : ''}: ${problems.slice(0, 5).join('; ')}`,
      };
    }
    let plan;
    try {
      const { api } = await connect(ctx);
      ctx.progress('planning a re-import (dry run)');
      plan = await planRestore(api, read.export, { force: false });
    } catch (e) {
      throw unavailable(e);
    }
    ctx.log.info({ plan: renderPlan(plan) }, 'dry-run restore plan');
    const base = `${read.files} files parse; counts and content hash match the manifest (${countsText(got)})`;
    if (plan.errors.length) {
      const errs = plan.errors.slice(0, 3).map((i) => `${i.kind} ${i.name}: ${i.reason}`);
      return { ok: false, detail: `${base}; re-import plan has errors: ${errs.join('; ')}` };
    }
    return { ok: true, detail: `${base}; re-import plan: ${summary(plan)}` };
  },

  async restore(ctx) {
    const read = await restoreSnapshot(ctx);
    if (read.problems.length) {
      throw new Error(`the snapshot is damaged, nothing was applied: ${read.problems.slice(0, 3).join('; ')}`);
    }
    const { api } = await connect(ctx).catch((e) => Promise.reject(unavailable(e)));
    ctx.progress('planning');
    const plan = await planRestore(api, read.export, {
      force: ctx.options.force === true,
      message: `restored by backup-sla from snapshot ${ctx.snapshot.id.slice(0, 8)}`,
    }).catch((e) => Promise.reject(unavailable(e)));
    const text = renderPlan(plan);
    ctx.log.info({ plan: text }, 'restore plan');
    if (plan.errors.length) {
      const errs = plan.errors.slice(0, 3).map((i) => `${i.kind} ${i.name}: ${i.reason}`);
      throw new Error(
        `restore plan has ${plan.errors.length} error${plan.errors.length > 1 ? 's' : ''}, nothing was applied: ${errs.join('; ')}`
      );
    }
    const changes = plan.items.filter((i) => i.apply).length;
    const result = await applyPlan(plan, (item) => ctx.progress(`${item.action} ${item.kind} ${item.name}`));
    for (const f of result.failed) {
      ctx.log.error({ kind: f.item.kind, object: f.item.key, err: f.error }, 'restore step failed');
    }
    if (result.failed.length) {
      const notTried = changes - result.applied.length - result.failed.length;
      throw new Error(
        `restore incomplete: ${result.applied.length} of ${changes} changes applied, ${result.failed.length} failed${notTried ? `, ${notTried} not tried` : ''}; first: ${result.failed[0].item.kind} ${result.failed[0].item.name}: ${result.failed[0].error}`
      );
    }
    const count = (actions: string[]) => plan.items.filter((i) => actions.includes(i.action)).length;
    return {
      location: `Grafana at ${api.base}`,
      detail: `${text}\napplied ${result.applied.length} change${result.applied.length === 1 ? '' : 's'}`,
      counts: {
        created: result.applied.filter((i) => i.action === 'create').length,
        updated: result.applied.filter((i) => i.action === 'update').length,
        skipped: count(['skipped-newer', 'skipped-provisioned']),
        unchanged: count(['unchanged', 'mapped']),
      },
      // Grafana objects cannot be moved aside: what was replaced is in the safety snapshot.
      movedAside: [],
      next: plan.items.filter((i) => i.human).map((i) => `${i.kind} ${i.name}: ${i.human}`),
    };
  },

  doctor: (target) => grafanaDoctor(target.settings),
};
