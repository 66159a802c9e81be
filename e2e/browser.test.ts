/**
 * The BUILT plugin (dist/module.js, its lazy chunks, dist/panels/backup-age/module.js) in Debian's
 * Chromium, inside the harness that plays Grafana (or a real Grafana: E2E_GRAFANA_URL, see
 * support/grafana.ts), against the REAL service (`backup-sla serve`, a child process) backing up a
 * REAL MariaDB database into a local restic repository, with a REAL Prometheus scraping the
 * service for the history charts. Every call of the pages goes through the plugin proxy, which
 * applies dist/plugin.json's routes the way Grafana does, so the routes file is under test too.
 *
 * One browser, one lab and one Grafana for the whole file; the tests run in order and build on
 * each other: back up, look at every page in both themes at two widths, damage the data, restore.
 * Screenshots go to e2e/screenshots/; the overview's first-render time to e2e/screenshots/timing.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startHarness } from './harness/server.mjs';
import { expectClean, launchChromium, Role, SHOTS, shot, sidewaysScrolling } from './support/browser';
import { APP_ID, expectNoProxyFailures, GrafanaUnderTest, openPages, startGrafana, withTheme } from './support/grafana';
import { eventually, Lab, startLab, TableState } from './support/lab';

interface Run {
  id: number;
  target: string;
  operation: string;
  status: string;
  actor: string;
  snapshotId: string | null;
}

let lab: Lab;
let grafana: GrafanaUnderTest;
let browser: Browser;
const grafanaLog: string[] = [];
const harnessOnly = () => grafana.kind === 'harness';

const { open, track, close, closeAll } = openPages(
  () => grafana,
  () => browser
);

async function proxyFetch(
  page: Page,
  method: string,
  proxyPath: string,
  body?: unknown
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    },
    { method, url: `/api/plugin-proxy/${APP_ID}/${proxyPath}`, body }
  );
}

async function runs(target: string): Promise<Run[]> {
  const r = await lab.api<{ runs: Run[] }>('viewer', 'GET', `/api/runs?target=${target}&limit=50`);
  expect(r.status).toBe(200);
  return r.body.runs;
}

function routesIndex(routePath: string, method: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const routes: Array<{ path: string; method: string }> = require('../dist/plugin.json').routes;
  return routes.findIndex((r) => r.path === routePath && r.method === method);
}

async function openRowMenu(page: Page, target: string) {
  await page.getByRole('button', { name: `Actions for ${target}`, exact: true }).click();
  return page.getByRole('menu', { name: `Actions for ${target}` });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  grafana = await startGrafana(lab, (line: string) => grafanaLog.push(line));
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await closeAll();
  await browser?.close();
  await grafana?.close();
  await lab?.stop();
});

afterEach(() =>
  expectNoProxyFailures(grafana, () => `harness: ${grafanaLog.join('\n')}\nservice: ${lab.serviceLog()}`)
);

describe('the built app in Chromium, against the real service', () => {
  it('renders the overview from dist/module.js through the proxy, and its first render is timed', async () => {
    const measurements: Array<{
      renderedMs: number;
      inDomMs: number;
      sharedModulesReadyMs: number;
      domContentLoadedMs: number;
      loadMs: number;
    }> = [];
    // The first in a fresh browser context (nothing cached), then four reloads (vendor bundle cached).
    const rp = await grafana.page(browser, 'Admin');
    track(rp);
    for (let i = 0; i < 5; i++) {
      if (i === 0) {
        await rp.page.goto(`${grafana.appUrl}/overview`);
      } else {
        await rp.page.reload();
      }
      await rp.page.waitForFunction(
        () => (window as unknown as { __overviewRendered: number | null }).__overviewRendered !== null,
        null,
        { timeout: 60_000 }
      );
      measurements.push(
        await rp.page.evaluate(() => {
          const w = window as unknown as {
            __overviewRendered: number;
            __overviewInDom: number;
            __harness?: { marks: { start: number } };
          };
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return {
            renderedMs: Math.round(w.__overviewRendered),
            inDomMs: Math.round(w.__overviewInDom),
            // When the vendor bundle (what Grafana itself would have loaded) was evaluated and the harness began loading the plugin.
            sharedModulesReadyMs: Math.round(w.__harness?.marks.start ?? 0),
            domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
            loadMs: Math.round(nav.loadEventEnd),
          };
        })
      );
    }
    const page = rp.page;
    const table = page.getByRole('table').first();
    await expect(table.getByRole('link', { name: 'mysql', exact: true }).isVisible()).resolves.toBe(true);
    await expect(table.getByRole('link', { name: 'agama', exact: true }).isVisible()).resolves.toBe(true);
    // Worst first: the target that cannot be backed up, its reason in words, the tool's error behind a toggle.
    const first = table.getByRole('row').nth(1);
    await expect(first.getByRole('link').first().textContent()).resolves.toBe('reports');
    await expect(first.getByLabel('SLA Critical').count()).resolves.toBe(1);
    const reports = (
      await lab.api<{
        targets: Array<{
          name: string;
          reasons: string[];
          checks: Record<string, { reason: string; cause?: string | null }>;
        }>;
      }>('viewer', 'GET', '/api/status')
    ).body.targets.find((t) => t.name === 'reports')!;
    await expect(first.textContent()).resolves.toContain(reports.reasons[0]);
    const cause = Object.values(reports.checks).find((c) => c.reason === reports.reasons[0])?.cause;
    if (cause) {
      await first.getByRole('button', { name: 'Show the error' }).click();
      await expect(first.locator('pre').textContent()).resolves.toBe(cause);
    }
    // One menu per row, no row of buttons.
    await expect(page.getByRole('button', { name: 'Actions for mysql', exact: true }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: /Back up/ }).count()).resolves.toBe(0);
    if (grafana.proxyLog) {
      // GET api/status through the viewer-token route.
      expect(
        grafana.proxyLog.some(
          (e) =>
            e.method === 'GET' &&
            e.path === '/api/status' &&
            e.status === 200 &&
            e.route === routesIndex('api/*', 'GET')
        )
      ).toBe(true);
    }
    await expectClean(rp);

    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
    };
    const warm = measurements.slice(1);
    const timing = {
      what: 'overview first render: navigation start -> targets table with a target visible (first animation frame after it is in the DOM)',
      unit: 'ms',
      coldMs: measurements[0].renderedMs,
      medianWarmMs: median(warm.map((m) => m.renderedMs)),
      // The plugin's own part: from the shared modules being ready (Grafana's job) to the table.
      pluginColdMs: measurements[0].renderedMs - measurements[0].sharedModulesReadyMs,
      pluginMedianWarmMs: median(warm.map((m) => m.renderedMs - m.sharedModulesReadyMs)),
      runs: measurements,
      browser: `chromium ${browser.version()}`,
      measuredAt: new Date().toISOString(),
    };
    writeFileSync(path.join(SHOTS, 'timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
    // eslint-disable-next-line no-console
    console.log(
      `overview first render (navigation start -> targets table visible): ${timing.coldMs} ms cold, ${timing.medianWarmMs} ms warm (median of ${warm.length}); ` +
        `of which the plugin (shared modules ready -> table): ${timing.pluginColdMs} ms cold, ${timing.pluginMedianWarmMs} ms warm`
    );
    await close(rp);
  });

  it('lets an Editor back up from the row menu and shows the run finish', async () => {
    const before = (await runs('mysql')).length;
    const rp = await open('Editor', `/a/${APP_ID}/overview`);
    const { page } = rp;
    await page.getByRole('link', { name: 'mysql', exact: true }).first().waitFor({ timeout: 60_000 });
    const menu = await openRowMenu(page, 'mysql');
    await menu.getByRole('menuitem', { name: 'Back up mysql now' }).click();
    const progress = page.getByTestId('run-progress').filter({ hasText: /Backup (finished|failed)/ });
    await progress.waitFor({ timeout: 120_000 });
    await expect(progress.textContent()).resolves.toMatch(/Backup finished in .*snapshot [0-9a-f]{8}/);

    const after = await runs('mysql');
    expect(after.length).toBe(before + 1);
    // Through the operator route, with the Grafana user forwarded (X-Grafana-User) into the audit.
    expect(after[0]).toMatchObject({ operation: 'backup', status: 'success', actor: 'editor' });
    if (grafana.proxyLog) {
      expect(
        grafana.proxyLog.some(
          (e) =>
            e.method === 'POST' && e.path === '/api/targets/mysql/backup' && e.role === 'Editor' && e.status === 202
        )
      ).toBe(true);
    }
    // The restore stays in the menu for an Editor, disabled, with the reason.
    const again = await openRowMenu(page, 'mysql');
    await expect(again.getByRole('menuitem', { name: 'Restore mysql' }).isDisabled()).resolves.toBe(true);
    await expect(again.getByText('Restores need the Admin role').count()).resolves.toBe(1);
    await page.keyboard.press('Escape');
    await expectClean(rp);
    await close(rp);
  });

  it('fits 1000 px and 1400 px wide in the dark and the light theme on every page, without sideways scrolling', async () => {
    // A verified snapshot, so that the target page offers "Restore the latest verified".
    const verify = await lab.api<{ runId: number }>('operator', 'POST', '/api/targets/mysql/verify', {});
    expect(verify.status).toBe(202);
    await eventually('the verification to finish', async () => {
      const r = await lab.api<{ status: string }>('viewer', 'GET', `/api/runs/${verify.body.runId}`);
      return r.body.status !== 'running' ? true : undefined;
    });
    const panelPath = grafana.panelUrl.slice(grafana.url.length);
    const views: Array<{ name: string; path: string; role: Role; ready: (page: Page) => Promise<unknown> }> = [
      {
        name: 'overview',
        path: `/a/${APP_ID}/overview`,
        role: 'Admin',
        ready: (p) => p.getByRole('group', { name: 'Targets by state' }).waitFor({ timeout: 60_000 }),
      },
      {
        name: 'target',
        path: `/a/${APP_ID}/target/mysql?from=now-15m&to=now`,
        role: 'Admin',
        ready: (p) => p.getByRole('button', { name: /Restore the latest verified/ }).waitFor({ timeout: 60_000 }),
      },
      {
        name: 'history',
        path: `/a/${APP_ID}/history?from=now-15m&to=now`,
        role: 'Viewer',
        ready: (p) => p.locator('.u-over').nth(3).waitFor({ timeout: 60_000 }),
      },
      {
        name: 'activity',
        path: `/a/${APP_ID}/activity`,
        role: 'Viewer',
        ready: (p) => p.getByRole('region', { name: 'Audit log' }).getByRole('table').waitFor({ timeout: 60_000 }),
      },
      {
        name: 'config',
        path: `/plugins/${APP_ID}`,
        role: 'Admin',
        ready: (p) => p.getByRole('button', { name: 'Save & test' }).waitFor({ timeout: 60_000 }),
      },
      {
        name: 'panel',
        path: panelPath,
        role: 'Viewer',
        ready: (p) => p.getByTestId('backup-age-mysql').waitFor({ timeout: 60_000 }),
      },
    ];
    const problems: string[] = [];
    for (const width of [1000, 1400]) {
      for (const theme of ['dark', 'light'] as const) {
        for (const role of ['Admin', 'Viewer'] as Role[]) {
          const mine = views.filter((v) => v.role === role);
          const rp = await open(role, mine[0].path, { width, theme });
          for (const [i, view] of mine.entries()) {
            if (i > 0) {
              await rp.page.goto(`${grafana.url}${withTheme(view.path, theme)}`);
            }
            await view.ready(rp.page);
            // The page is in the theme asked for (Grafana's body class).
            await expect(rp.page.evaluate(() => document.body.className)).resolves.toContain(`theme-${theme}`);
            for (const wide of await sidewaysScrolling(rp.page)) {
              problems.push(`${view.name} at ${width} px, ${theme}: ${wide}`);
            }
            if (width === 1400 && theme === 'dark' && view.name === 'overview') {
              await shot(rp.page, 'overview');
            }
            if (width === 1000 && theme === 'light' && view.name === 'overview') {
              await shot(rp.page, 'overview-1000-light');
            }
          }
          await expectClean(rp);
          await close(rp);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps the overview filter and sort in the URL', async () => {
    const rp = await open('Viewer', `/a/${APP_ID}/overview`);
    const { page } = rp;
    const summary = page.getByRole('group', { name: 'Targets by state' });
    await summary.waitFor({ timeout: 60_000 });
    const first = summary.getByRole('button').first();
    const label = (await first.textContent()) ?? '';
    await first.click();
    await page.waitForURL(/[?&]state=/);
    const state = new URL(page.url()).searchParams.get('state');
    expect(label).toContain(state === 'ok' ? 'OK' : state!);
    await page.getByRole('button', { name: 'Sort column Target' }).click();
    await page.waitForURL(/[?&]sort=name/);
    await page.reload();
    await summary.waitFor({ timeout: 60_000 });
    await expect(summary.getByRole('button', { name: label }).getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(page.getByRole('button', { name: 'Show all' }).count()).resolves.toBe(1);
    await expectClean(rp);
    await close(rp);
  });

  it('draws the history with Grafana time series panels on the real Prometheus, with time range and refresh pickers', async () => {
    const dsQueries: Array<{ uid: string; expr: string }> = [];
    const rp = await grafana.page(browser, 'Viewer');
    track(rp);
    rp.page.on('request', (req) => {
      if (req.url().includes('/api/ds/query') && req.method() === 'POST') {
        const body = req.postDataJSON() as { queries: Array<{ datasource: { uid: string }; expr: string }> };
        dsQueries.push(...body.queries.map((q) => ({ uid: q.datasource.uid, expr: q.expr })));
      }
    });
    const { page } = rp;
    await page.goto(`${grafana.appUrl}/history?from=now-15m&to=now`);
    const panels = page.locator('[data-viz-panel-key]');
    await page.locator('.u-over').nth(3).waitFor({ timeout: 60_000 });
    await expect(panels.count()).resolves.toBe(4);
    // Each chart has data: a legend naming the targets, no "No data".
    await eventually('the charts to show both targets', async () =>
      (await page.getByText('No data').count()) === 0 && (await panels.nth(1).textContent())?.includes('mysql')
        ? true
        : undefined
    );
    expect(
      dsQueries.some((q) => q.uid === 'backup-sla-e2e-prometheus' && q.expr.includes('backup_sla_last_backup_bytes'))
    ).toBe(true);
    await expect(page.getByRole('button', { name: /Last 15 minutes/ }).count()).resolves.toBeGreaterThan(0);
    await expect(page.getByTestId('data-testid RefreshPicker run button').count()).resolves.toBe(1);
    await shot(page, 'history');

    // A panel's menu opens its queries in Explore.
    await panels.nth(1).hover();
    await panels
      .nth(1)
      .getByRole('button', { name: /Menu for panel/ })
      .click();
    const explore = page.getByRole('menuitem', { name: 'Explore' });
    const href = decodeURIComponent((await explore.getAttribute('href')) ?? '');
    expect(href).toContain('/explore?schemaVersion=1');
    expect(href).toContain('backup_sla_last_backup_bytes');
    expect(href).toContain('"from":"now-15m"');
    await page.keyboard.press('Escape');

    // The target picker narrows every chart to one target, in the URL.
    await page.goto(`${grafana.appUrl}/history?targets=agama&from=now-15m&to=now`);
    await page.locator('.u-over').nth(3).waitFor({ timeout: 60_000 });
    await eventually('the charts for agama only', async () => {
      const legend = (await panels.nth(1).textContent()) ?? '';
      return legend.includes('agama') && !legend.includes('mysql') ? true : undefined;
    });
    await expectClean(rp);
    await close(rp);
  });

  it('lets an Admin restore with the facts in front of them, and the data is back in MariaDB', async () => {
    const good: TableState = await lab.tableState();
    const snapshotRun = (await runs('mysql')).find((r) => r.operation === 'backup' && r.status === 'success')!;
    expect(snapshotRun.snapshotId).toBeTruthy();
    const short = snapshotRun.snapshotId!.slice(0, 8);

    // Damage the data: rows lost and rows changed.
    await lab.query(`DELETE FROM \`${lab.database}\`.item WHERE id > 250`);
    await lab.query(`UPDATE \`${lab.database}\`.item SET name = 'damaged', done = 1 - done WHERE id <= 10`);
    await lab.query(`ALTER TABLE \`${lab.database}\`.item ADD COLUMN junk INT NULL`);
    const damaged = await lab.tableState();
    expect(damaged.rows).toBe(250);
    expect(damaged.checksum).not.toBe(good.checksum);

    const rp = await open('Admin', `/a/${APP_ID}/target/mysql?from=now-15m&to=now`);
    const { page } = rp;
    await page.getByRole('button', { name: `Actions for snapshot ${short}` }).click({ timeout: 60_000 });
    await page.getByRole('menuitem', { name: `Restore snapshot ${short}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Restore mysql').first().waitFor();
    // The facts: what it holds, verified or not, what is replaced and where the current data goes, time vs RTO.
    await expect(dialog.getByLabel('The snapshot', { exact: true }).textContent()).resolves.toMatch(
      new RegExp(
        `Snapshot ${short} of .*Holds: database ${lab.database} \\([a-z0-9]+, [a-z0-9_]+\\): 1 table, 500 rows`
      )
    );
    await expect(dialog.getByLabel('What the restore does').textContent()).resolves.toBe(
      `Replaces: database ${lab.database}The current data: database ${lab.database}_before_restore_<time> (kept until removed)` +
        'the snapshot is loaded and checked in a staging database first; the live database is untouched until then'
    );
    await expect(dialog.textContent()).resolves.toMatch(/Should take: .*RTO 5 min/);
    const submit = dialog.getByRole('button', { name: `Replace ${lab.database}`, exact: true });
    await expect(submit.isDisabled()).resolves.toBe(true);
    const confirm = dialog.getByLabel('Confirm target name');
    await confirm.fill('mysq');
    await expect(submit.isDisabled()).resolves.toBe(true);
    await confirm.fill('mysql');
    await expect(submit.isEnabled()).resolves.toBe(true);
    await shot(page, 'target-restore-dialog', false);
    await confirm.press('Enter');

    const result = dialog.getByText(/^Restore (finished|failed)$/).first();
    await result.waitFor({ timeout: 180_000 });
    await expect(result.textContent()).resolves.toBe('Restore finished');
    await expect(dialog.getByRole('list', { name: 'Phases' }).count()).resolves.toBe(1);
    await expect(dialog.textContent()).resolves.toMatch(
      new RegExp(`mysql was restored from snapshot ${short} to database ${lab.database} in .* \\(RTO 5 min\\)`)
    );
    // The outcome as the service reports it (issue 10.9): counts restored, where the old data went.
    const restoreRun = (await runs('mysql')).find((r) => r.operation === 'restore')!;
    const outcome = (
      await lab.api<{ restore: { counts: Record<string, number>; movedAside: string[] } | null }>(
        'viewer',
        'GET',
        `/api/runs/${restoreRun.id}`
      )
    ).body.restore;
    const text = (await dialog.textContent()) ?? '';
    for (const moved of outcome?.movedAside ?? []) {
      expect(text).toContain(`moved aside and kept: ${moved}`);
    }
    if (outcome && Object.keys(outcome.counts).length > 0) {
      expect(text).toMatch(/Restored: \d/);
    }
    await shot(page, 'target-restore-finished', false);

    // The data is back: same rows, same checksum, the junk column gone.
    expect(await lab.tableState()).toEqual(good);
    const columns = await lab.query<{ COLUMN_NAME: string }>(
      'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [lab.database, 'item']
    );
    expect(columns.map((c) => c.COLUMN_NAME)).not.toContain('junk');

    // Recorded with who and a safety backup of the damaged state first.
    const restores = await lab.api<{
      restores: Array<{ actor: string; status: string; safetySnapshotId: string | null; snapshotId: string }>;
    }>('viewer', 'GET', '/api/restores');
    expect(restores.body.restores[0]).toMatchObject({
      actor: 'admin',
      status: 'success',
      snapshotId: snapshotRun.snapshotId,
    });
    expect(restores.body.restores[0].safetySnapshotId).toBeTruthy();
    if (grafana.proxyLog) {
      expect(
        grafana.proxyLog.some(
          (e) =>
            e.method === 'POST' &&
            e.path === '/api/restores' &&
            e.role === 'Admin' &&
            e.status === 202 &&
            e.route === routesIndex('api/restores', 'POST')
        )
      ).toBe(true);
    }

    // After the restore: the run history says where it restored to, the safety snapshot is marked.
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    const history = page.getByRole('region', { name: 'Run history' });
    await history.getByText(`database ${lab.database}`).first().waitFor({ timeout: 30_000 });
    await page
      .getByRole('region', { name: 'Snapshots' })
      .getByText('safety backup')
      .first()
      .waitFor({ timeout: 30_000 });
    // What the restore moved aside, once the service lists it (GET api/restores/aside).
    const aside = await lab.api('viewer', 'GET', '/api/restores/aside');
    const asideSection = page.getByRole('region', { name: 'Moved aside by restores' });
    if (aside.status === 200) {
      await asideSection.getByText(`${lab.database}_before_restore_`).first().waitFor({ timeout: 30_000 });
    } else {
      await asideSection.getByText('This version of the service does not list what restores moved aside.').waitFor();
    }
    await expectClean(rp);
    await close(rp);
  });

  it('goes back to the overview by the target page breadcrumb, and fits 1000 px with a restore in its history', async () => {
    // After the restore, at 1000 px: the run history with its "restored to" column still fits.
    const rp = await open('Viewer', `/a/${APP_ID}/target/mysql`, { width: 1000 });
    const { page } = rp;
    await page.getByRole('region', { name: 'Run history' }).getByText('restore').first().waitFor({ timeout: 60_000 });
    expect(await sidewaysScrolling(page)).toEqual([]);
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('group', { name: 'Targets by state' }).waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).pathname).toBe(`/a/${APP_ID}/overview`);
    await expectClean(rp);
    await close(rp);
  });

  it('filters runs and the audit log alike from the URL, one audit row per action', async () => {
    const rp = await open('Admin', `/a/${APP_ID}/activity?operation=restore`, { width: 1000 });
    const { page } = rp;
    const audit = page.getByRole('region', { name: 'Audit log' });
    await audit.getByRole('table').waitFor({ timeout: 60_000 });
    expect(await sidewaysScrolling(page)).toEqual([]);
    const auditRows = audit.getByRole('table').getByRole('row');
    // Header + the one restore (its "started" and "ok" entries are one row).
    await expect(auditRows.count()).resolves.toBe(2);
    await expect(auditRows.nth(1).textContent()).resolves.toMatch(/adminrestoremysql.*okafter \d/);
    const runRows = page.getByRole('region', { name: 'Runs' }).getByRole('table').getByRole('row');
    await expect(runRows.count()).resolves.toBe(2);
    await expect(runRows.nth(1).textContent()).resolves.toContain('restore');
    // Every operation, with the restore among them, still fits.
    await page.getByRole('radio', { name: 'All' }).first().click();
    await page.waitForURL((u) => !u.searchParams.has('operation'));
    await page.getByRole('region', { name: 'Runs' }).getByText('restore').first().waitFor();
    expect(await sidewaysScrolling(page)).toEqual([]);
    await page.setViewportSize({ width: 1400, height: 900 });
    await shot(page, 'activity');
    await expectClean(rp);
    await close(rp);
  });

  it('renders the backup-age panel like the app, and reads the state again on a dashboard refresh', async () => {
    const rp = await open('Viewer', grafana.panelUrl.slice(grafana.url.length));
    const { page } = rp;
    let statusReads = 0;
    page.on('request', (req) => {
      if (req.url().endsWith(`/api/plugin-proxy/${APP_ID}/api/status`)) {
        statusReads++;
      }
    });
    const mysqlRow = page.getByTestId('backup-age-mysql');
    await mysqlRow.waitFor({ timeout: 60_000 });
    const overview = await lab.api<{ targets: Array<{ name: string; level: string }> }>('viewer', 'GET', '/api/status');
    await expect(page.getByTestId('backup-age-agama').count()).resolves.toBe(1);
    // Coloured as the app: the level the app shows (the unknown-only rule aside, both are levels of the service).
    expect(['ok', 'unknown', 'warning', 'critical']).toContain(await mysqlRow.getAttribute('data-level'));
    expect(overview.body.targets.map((t) => t.name)).toContain('mysql');
    await shot(page, 'panel');
    if (harnessOnly()) {
      await page.getByTestId('harness-panel').screenshot({ path: path.join(SHOTS, 'panel-only.png') });
    }
    await page.waitForTimeout(1500);
    const before = statusReads;
    await page.getByTestId('data-testid RefreshPicker run button').click();
    await eventually(
      'the panel to read the state again',
      async () => (statusReads > before ? true : undefined),
      15_000
    );
    if (harnessOnly()) {
      // Tiny: a summary that links into the app.
      await page.goto(`${grafana.panelUrl}?width=320&height=70`);
      const summary = page.getByTestId('backup-age-summary');
      await summary.waitFor({ timeout: 30_000 });
      await expect(summary.getAttribute('href')).resolves.toBe(`/a/${APP_ID}/overview`);
    }
    await expectClean(rp);
    await close(rp);
  });

  it('gives a Viewer the actions disabled with the reason, and the proxy answers a Viewer POST with 403', async () => {
    const runsBefore = (await runs('mysql')).length;
    const rp = await open('Viewer', `/a/${APP_ID}/overview`);
    const { page } = rp;
    await page.getByRole('link', { name: 'mysql', exact: true }).first().waitFor({ timeout: 60_000 });
    const menu = await openRowMenu(page, 'mysql');
    await expect(menu.getByRole('menuitem', { name: 'Back up mysql now' }).isDisabled()).resolves.toBe(true);
    await expect(menu.getByRole('menuitem', { name: 'Restore mysql' }).isDisabled()).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await shot(page, 'overview-viewer');

    const backup = await proxyFetch(page, 'POST', 'api/targets/mysql/backup', {});
    expect(backup.status).toBe(403);
    const restore = await proxyFetch(page, 'POST', 'api/restores', {
      target: 'mysql',
      snapshot: 'latest',
      safetyBackup: true,
      confirm: 'mysql',
    });
    expect(restore.status).toBe(403);
    // Reads still work for the Viewer.
    await expect(proxyFetch(page, 'GET', 'api/status')).resolves.toMatchObject({ status: 200 });

    await page.goto(`${grafana.appUrl}/target/mysql`);
    const snapshots = page.getByRole('region', { name: 'Snapshots' });
    await snapshots.getByRole('table').waitFor({ timeout: 60_000 });
    await expect(snapshots.getByRole('button', { name: /Restore the latest verified/ }).isDisabled()).resolves.toBe(
      true
    );
    await expect(snapshots.getByText('Restores need the Admin role').count()).resolves.toBe(1);
    expect((await runs('mysql')).length).toBe(runsBefore);
    await expectClean(rp);
    await close(rp);

    // An Editor may back up but not restore: the restores route comes first and wants Admin.
    const editor = await open('Editor', `/a/${APP_ID}/overview`);
    const editorRestore = await proxyFetch(editor.page, 'POST', 'api/restores', {
      target: 'mysql',
      snapshot: 'latest',
      safetyBackup: true,
      confirm: 'mysql',
    });
    expect(editorRestore.status).toBe(403);
    await close(editor);
  });

  it('shows the tokens on the configuration page as configured, never their values, and Save & test passes', async () => {
    const rp = await open('Admin', `/plugins/${APP_ID}`);
    const { page } = rp;
    const url = page.locator('#config-service-url');
    await url.waitFor({ timeout: 60_000 });
    await expect(url.inputValue()).resolves.toBe(lab.serviceUrl);
    for (const label of ['Viewer token', 'Operator token', 'Admin token']) {
      await expect(page.getByLabel(label).inputValue()).resolves.toBe('configured');
    }
    const settings = await page.evaluate(async (id) => (await fetch(`/api/plugins/${id}/settings`)).json(), APP_ID);
    expect(settings.secureJsonFields).toEqual({ viewerToken: true, operatorToken: true, adminToken: true });
    expect(settings.secureJsonData).toBeUndefined();
    const everything = `${await page.content()}\n${JSON.stringify(settings)}`;
    for (const token of Object.values(lab.tokens)) {
      expect(everything).not.toContain(token);
    }
    await page.getByRole('button', { name: 'Save & test' }).click();
    await page.getByText('Saved. The service answers and every token has the right role').waitFor({ timeout: 30_000 });
    await shot(page, 'config');
    await expectClean(rp);
    await close(rp);
  });
});

describe('first setup (issue 15.8)', () => {
  it('asks an Admin to connect, an Editor to ask an admin, never calls the proxy before; Save & test connects it', async () => {
    if (!harnessOnly()) {
      return; // A real Grafana under test is already configured.
    }
    const fresh = (await startHarness({ port: 0, serviceUrl: '', configured: false })) as {
      url: string;
      proxyLog: unknown[];
      close(): Promise<void>;
    };
    try {
      const make = async (role: Role) => {
        const rp = await grafana.page(browser, role);
        track(rp);
        await rp.context.addCookies([{ name: 'grafana_harness_role', value: role, url: fresh.url }]);
        await rp.page.goto(`${fresh.url}/a/${APP_ID}/overview`);
        return rp;
      };
      const editor = await make('Editor');
      await editor.page.getByText('Backup SLA is not connected yet').waitFor({ timeout: 60_000 });
      await expect(editor.page.getByRole('link', { name: 'Connect Backup SLA' }).count()).resolves.toBe(0);
      await close(editor);

      const admin = await make('Admin');
      const { page } = admin;
      await page.getByRole('link', { name: 'Connect Backup SLA' }).click({ timeout: 60_000 });
      await page.locator('#config-service-url').waitFor({ timeout: 60_000 });
      expect(fresh.proxyLog).toEqual([]);
      await page.locator('#config-service-url').fill(lab.serviceUrl);
      await page.getByLabel('Viewer token').fill(lab.tokens.viewer);
      await page.getByLabel('Operator token').fill(lab.tokens.operator);
      await page.getByLabel('Admin token').fill(lab.tokens.admin);
      await page.getByRole('button', { name: 'Save & test' }).click();
      await page
        .getByText('Saved. The service answers and every token has the right role')
        .waitFor({ timeout: 30_000 });
      await page.getByRole('link', { name: 'Open Backup SLA' }).click();
      await page.getByRole('group', { name: 'Targets by state' }).waitFor({ timeout: 60_000 });
      expect(await page.content()).not.toMatch(/interpolate|500:/);
      await expectClean(admin);
      await close(admin);
    } finally {
      await fresh.close();
    }
  });
});
