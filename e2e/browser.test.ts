/**
 * The BUILT plugin (dist/module.js, dist/panels/backup-age/module.js) in Debian's Chromium, inside
 * the harness that plays Grafana (e2e/harness), against the REAL service (`backup-sla serve`, a
 * child process) backing up a REAL MariaDB database into a local restic repository. Every call of
 * the pages goes through the harness's plugin proxy, which applies dist/plugin.json's routes the
 * way Grafana does, so the routes file and its roles are under test too.
 *
 * The tests run in order and build on each other: back up, damage the data, restore, look.
 * Screenshots go to e2e/screenshots/; the overview's first-render time to e2e/screenshots/timing.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startHarness } from './harness/server.mjs';
import { harnessErrors, launchChromium, newRolePage, Role, RolePage } from './support/browser';
import { eventually, Lab, startLab, TableState } from './support/lab';

const SHOTS = path.join(__dirname, 'screenshots');
const APP_ID = 'labops-backupsla-app';

interface Harness {
  url: string;
  appUrl: string;
  proxyLog: Array<{
    method: string;
    path: string;
    role: string;
    status: number;
    route: number | null;
    upstream: string | null;
  }>;
  close(): Promise<void>;
}

interface Run {
  id: number;
  target: string;
  operation: string;
  status: string;
  actor: string;
  snapshotId: string | null;
}

let lab: Lab;
let harness: Harness;
let browser: Browser;
const pages: RolePage[] = [];
const harnessLog: string[] = [];

async function open(role: Role, urlPath: string): Promise<RolePage> {
  const rp = await newRolePage(browser, harness.url, role);
  pages.push(rp);
  await rp.page.goto(`${harness.url}${urlPath}`);
  return rp;
}

async function expectClean(rp: RolePage): Promise<void> {
  expect(await harnessErrors(rp.page)).toEqual([]);
  expect(rp.problems).toEqual([]);
}

/** Full page, or the viewport only where a modal is open (its backdrop covers the viewport only). */
async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  // Icons are fetched as SVG after render (react-inlinesvg): let them arrive.
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

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

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  harness = (await startHarness({
    port: 0,
    serviceUrl: lab.serviceUrl,
    tokens: lab.tokens,
    log: (line: string) => harnessLog.push(line),
  })) as Harness;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  for (const rp of pages) {
    await rp.context.close().catch(() => undefined);
  }
  await browser?.close();
  await harness?.close();
  await lab?.stop();
});

afterEach(() => {
  // Whatever the pages asked for, nothing failed behind the proxy (no 5xx from the harness or the service;
  // requests still in flight have no status yet).
  const failed = harness.proxyLog.filter((e) => e.status >= 500);
  if (failed.length) {
    throw new Error(
      `proxy requests failed: ${JSON.stringify(failed)}\nharness: ${harnessLog.join('\n')}\nservice: ${lab.serviceLog()}`
    );
  }
});

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
    const rp = await newRolePage(browser, harness.url, 'Admin');
    pages.push(rp);
    for (let i = 0; i < 5; i++) {
      if (i === 0) {
        await rp.page.goto(`${harness.appUrl}/overview`);
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
            __harness: { marks: { start: number } };
          };
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return {
            renderedMs: Math.round(w.__overviewRendered),
            inDomMs: Math.round(w.__overviewInDom),
            // When the vendor bundle (what Grafana itself would have loaded) was evaluated and the harness began loading the plugin.
            sharedModulesReadyMs: Math.round(w.__harness.marks.start),
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
    // An Admin may operate: the buttons are there.
    await expect(page.getByRole('button', { name: 'Back up mysql now' }).count()).resolves.toBe(1);
    // The page's requests went to the service through the routes: GET api/status with the viewer token route.
    expect(
      harness.proxyLog.some(
        (e) =>
          e.method === 'GET' && e.path === '/api/status' && e.status === 200 && e.route === routesIndex('api/*', 'GET')
      )
    ).toBe(true);
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
  });

  it('lets an Editor back up with "Back up now" and shows the run finish', async () => {
    const before = (await runs('mysql')).length;
    const { page, ...rp } = await open('Editor', `/a/${APP_ID}/overview`);
    const button = page.getByRole('button', { name: 'Back up mysql now' });
    await button.waitFor({ timeout: 60_000 });
    await button.click();
    const progress = page.getByTestId('run-progress').filter({ hasText: /Backup (finished|failed)/ });
    await progress.waitFor({ timeout: 120_000 });
    await expect(progress.textContent()).resolves.toMatch(/Backup finished in .*snapshot [0-9a-f]{8}/);
    // The overview reloads the state: one version held now.
    await page.getByText('1 held / 4 required').waitFor({ timeout: 30_000 });

    const after = await runs('mysql');
    expect(after.length).toBe(before + 1);
    // Through the operator route, with the Grafana user forwarded (X-Grafana-User) into the audit.
    expect(after[0]).toMatchObject({ operation: 'backup', status: 'success', actor: 'editor' });
    expect(
      harness.proxyLog.some(
        (e) => e.method === 'POST' && e.path === '/api/targets/mysql/backup' && e.role === 'Editor' && e.status === 202
      )
    ).toBe(true);
    await shot(page, 'overview');
    await expectClean({ page, ...rp });
  });

  it('lets an Admin restore a snapshot through the dialog, and the data is back in MariaDB', async () => {
    const good: TableState = await lab.tableState();
    const snapshotRun = (await runs('mysql')).find((r) => r.operation === 'backup' && r.status === 'success')!;
    expect(snapshotRun.snapshotId).toBeTruthy();

    // Damage the data: rows lost and rows changed.
    await lab.query(`DELETE FROM \`${lab.database}\`.item WHERE id > 250`);
    await lab.query(`UPDATE \`${lab.database}\`.item SET name = 'damaged', done = 1 - done WHERE id <= 10`);
    await lab.query(`ALTER TABLE \`${lab.database}\`.item ADD COLUMN junk INT NULL`);
    const damaged = await lab.tableState();
    expect(damaged.rows).toBe(250);
    expect(damaged.checksum).not.toBe(good.checksum);

    const { page, ...rp } = await open('Admin', `/a/${APP_ID}/target/mysql`);
    const restoreButton = page.getByRole('button', { name: `Restore snapshot ${snapshotRun.snapshotId!.slice(0, 8)}` });
    await restoreButton.waitFor({ timeout: 60_000 });
    await restoreButton.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Restore mysql').first().waitFor();
    const submit = dialog.getByRole('button', { name: 'Restore', exact: true });
    await expect(submit.isDisabled()).resolves.toBe(true);
    const confirm = dialog.getByLabel('Confirm target name');
    await confirm.fill('mysq');
    await expect(submit.isDisabled()).resolves.toBe(true);
    await confirm.fill('mysql');
    await expect(submit.isEnabled()).resolves.toBe(true);
    await shot(page, 'target-restore-dialog', false);
    await submit.click();

    const result = dialog.getByText(/Restore (finished|failed)/).first();
    await result.waitFor({ timeout: 180_000 });
    await expect(result.textContent()).resolves.toBe('Restore finished');
    await shot(page, 'target-restore-finished', false);

    // The data is back: same rows, same checksum, the junk column gone.
    expect(await lab.tableState()).toEqual(good);
    const columns = await lab.query<{ COLUMN_NAME: string }>(
      'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [lab.database, 'item']
    );
    expect(columns.map((c) => c.COLUMN_NAME)).not.toContain('junk');
    const names = await lab.query<{ name: string }>(`SELECT name FROM \`${lab.database}\`.item WHERE id = 1`);
    expect(names[0].name).toBe('task 0');

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
    expect(
      harness.proxyLog.some(
        (e) =>
          e.method === 'POST' &&
          e.path === '/api/restores' &&
          e.role === 'Admin' &&
          e.status === 202 &&
          e.route === routesIndex('api/restores', 'POST')
      )
    ).toBe(true);
    await expectClean({ page, ...rp });
  });

  it('shows runs and the audit log on the activity page', async () => {
    const { page, ...rp } = await open('Admin', `/a/${APP_ID}/activity`);
    const audit = page.getByRole('region', { name: 'Audit log' });
    await audit.getByText('admin').first().waitFor({ timeout: 60_000 });
    await expect(audit.getByText('editor').count()).resolves.toBeGreaterThan(0);
    await expect(audit.textContent()).resolves.toMatch(/restore/i);
    const runsSection = page.getByRole('region', { name: 'Runs' });
    await expect(runsSection.textContent()).resolves.toMatch(/backup/i);
    await shot(page, 'activity');
    await expectClean({ page, ...rp });
  });

  it('renders the backup-age panel from dist/panels/backup-age/module.js', async () => {
    const { page, ...rp } = await open('Viewer', '/d/harness/backup-age');
    const mysqlRow = page.getByTestId('backup-age-mysql');
    await mysqlRow.waitFor({ timeout: 60_000 });
    await expect(mysqlRow.getAttribute('data-level')).resolves.toBe('ok');
    await expect(page.getByTestId('backup-age-agama').count()).resolves.toBe(1);
    await shot(page, 'panel');
    await expectClean({ page, ...rp });
  });

  it('gives a Viewer no backup or restore buttons, and the proxy answers a Viewer POST with 403', async () => {
    const runsBefore = (await runs('mysql')).length;
    const { page, ...rp } = await open('Viewer', `/a/${APP_ID}/overview`);
    await page
      .getByRole('table')
      .first()
      .getByRole('link', { name: 'mysql', exact: true })
      .waitFor({ timeout: 60_000 });
    await expect(page.getByRole('button', { name: /Back up .* now/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /^Verify / }).count()).resolves.toBe(0);
    await shot(page, 'overview-viewer');

    const backup = await proxyFetch(page, 'POST', 'api/targets/mysql/backup', {});
    expect(backup).toEqual({ status: 403, body: { message: 'plugin proxy route access denied' } });
    const restore = await proxyFetch(page, 'POST', 'api/restores', {
      target: 'mysql',
      snapshot: 'latest',
      safetyBackup: true,
      confirm: 'mysql',
    });
    expect(restore.status).toBe(403);
    // Reads still work for the Viewer.
    await expect(proxyFetch(page, 'GET', 'api/status')).resolves.toMatchObject({ status: 200 });

    await page.goto(`${harness.appUrl}/target/mysql`);
    await page.getByRole('region', { name: 'Snapshots' }).getByRole('table').waitFor({ timeout: 60_000 });
    await expect(page.getByRole('button', { name: /^Restore/ }).count()).resolves.toBe(0);
    expect((await runs('mysql')).length).toBe(runsBefore);
    await expectClean({ page, ...rp });

    // An Editor may back up but not restore: the restores route comes first and wants Admin.
    const editor = await open('Editor', `/a/${APP_ID}/overview`);
    const editorRestore = await proxyFetch(editor.page, 'POST', 'api/restores', {
      target: 'mysql',
      snapshot: 'latest',
      safetyBackup: true,
      confirm: 'mysql',
    });
    expect(editorRestore).toEqual({ status: 403, body: { message: 'plugin proxy route access denied' } });
  });

  it('shows the tokens on the configuration page as configured, never their values, and the connection test passes', async () => {
    const { page, ...rp } = await open('Admin', `/plugins/${APP_ID}`);
    const url = page.locator('#config-service-url');
    await url.waitFor({ timeout: 60_000 });
    await expect(url.inputValue()).resolves.toBe(lab.serviceUrl);
    for (const label of ['Viewer token', 'Operator token', 'Admin token']) {
      await expect(page.getByLabel(label).inputValue()).resolves.toBe('configured');
    }
    await expect(page.getByRole('button', { name: 'Reset' }).count()).resolves.toBe(3);

    // Settings as Grafana returns them: which secrets are set, never the secrets.
    const settings = await page.evaluate(async (id) => (await fetch(`/api/plugins/${id}/settings`)).json(), APP_ID);
    expect(settings.secureJsonFields).toEqual({ viewerToken: true, operatorToken: true, adminToken: true });
    expect(settings.secureJsonData).toBeUndefined();
    const everything = `${await page.content()}\n${JSON.stringify(settings)}`;
    for (const token of Object.values(lab.tokens)) {
      expect(everything).not.toContain(token);
    }

    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('The service answers and every token has the right role').waitFor({ timeout: 30_000 });
    await shot(page, 'config');
    await expectClean({ page, ...rp });
  });
});

function routesIndex(routePath: string, method: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const routes: Array<{ path: string; method: string }> = require('../dist/plugin.json').routes;
  return routes.findIndex((r) => r.path === routePath && r.method === method);
}
