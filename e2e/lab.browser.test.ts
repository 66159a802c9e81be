/**
 * Issue 14 in the browser: "the browser harness pointed at app1 shows both machines". Two REAL
 * services on this machine: app1 (the lab of support/lab.ts, `instance: app1`: MariaDB and the
 * application's files) and mon1 (support/peer.ts: its own configuration, port, catalog, repository
 * and tokens, two files targets), named as app1's peer with mon1's own role tokens. Grafana (the
 * harness, or a real one) talks to app1 only; everything of mon1 is asked through app1:
 *
 * - the overview groups the targets by machine at 1000 and 1400 px, dark and light, no sideways scrolling;
 * - a mon1 target's page (target/mon1/<name>) names its machine and lists mon1's snapshots;
 * - an Editor's backup of a mon1 target runs on mon1, as that user; a Viewer has nothing enabled;
 * - mon1 stopped: its targets unknown, "instance mon1 unreachable", within seconds; back when mon1 is.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { crampedTables, expectClean, launchChromium, SHOTS, shot, sidewaysScrolling } from './support/browser';
import { APP_ID, expectNoProxyFailures, GrafanaUnderTest, openPages, startGrafana } from './support/grafana';
import { eventually, Lab, startLab } from './support/lab';
import { PeerInstance, startPeerInstance } from './support/peer';

interface Run {
  id: number;
  operation: string;
  status: string;
  actor: string;
}

let mon1: PeerInstance;
let lab: Lab;
let grafana: GrafanaUnderTest;
let browser: Browser;
const grafanaLog: string[] = [];

const { open, close, closeAll } = openPages(
  () => grafana,
  () => browser
);

/** mon1's own record of a target's runs, asked of mon1 directly (not through app1). */
async function mon1Runs(target: string): Promise<Run[]> {
  const r = await mon1.service.api<{ runs: Run[] }>('viewer', 'GET', `/api/runs?target=${target}&limit=50`);
  expect(r.status).toBe(200);
  return r.body.runs;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  mon1 = await startPeerInstance('mon1');
  lab = await startLab({ rows: 100, instance: 'app1', peers: [mon1.asPeer] });
  grafana = await startGrafana(lab, (line: string) => grafanaLog.push(line));
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await closeAll();
  await browser?.close();
  await grafana?.close();
  // Both machines go, whatever happened: app1 (its service, Prometheus, database), then mon1.
  await lab?.stop();
  await mon1?.cleanup();
});

afterEach(() =>
  expectNoProxyFailures(
    grafana,
    () => `harness: ${grafanaLog.join('\n')}\napp1: ${lab.serviceLog()}\nmon1: ${mon1.service.log()}`
  )
);

describe('two machines, one view: the app pointed at app1 shows app1 and mon1', () => {
  it('groups the overview by machine at 1000 and 1400 px in the dark and the light theme, without sideways scrolling', async () => {
    const expected: Record<string, string[]> = { app1: lab.targets, mon1: mon1.targets };
    const problems: string[] = [];
    for (const width of [1000, 1400]) {
      for (const theme of ['dark', 'light'] as const) {
        const rp = await open('Viewer', `/a/${APP_ID}/overview`, { width, theme });
        const { page } = rp;
        for (const [instance, targets] of Object.entries(expected)) {
          const section = page.getByRole('region', { name: `Instance ${instance}`, exact: true });
          await section.getByRole('heading', { name: instance, exact: true }).waitFor({ timeout: 60_000 });
          // Each machine's own targets, and no other's, in its group.
          const names = await section.getByRole('table').first().locator('a[href*="/target/"]').allTextContents();
          expect([...new Set(names)].sort()).toEqual([...targets].sort());
        }
        // The machine Grafana talks to says so; the other answers (no warning of silence).
        await expect(
          page.getByRole('region', { name: 'Instance app1' }).getByText('answers for the lab').count()
        ).resolves.toBe(1);
        await expect(page.getByText('mon1 does not answer').count()).resolves.toBe(0);
        await expect(page.evaluate(() => document.body.className)).resolves.toContain(`theme-${theme}`);
        for (const wide of [...(await sidewaysScrolling(page)), ...(await crampedTables(page))]) {
          problems.push(`overview at ${width} px, ${theme}: ${wide}`);
        }
        if (width === 1400 && theme === 'dark') {
          await shot(page, 'overview-lab');
        }
        if (width === 1000 && theme === 'light') {
          await shot(page, 'overview-lab-1000-light');
        }
        await expectClean(rp);
        await close(rp);
      }
    }
    expect(problems).toEqual([]);
  });

  it("shows a mon1 target's page, naming its machine, with mon1's snapshots loaded through app1", async () => {
    const own = await mon1.service.api<{ snapshots: Array<{ shortId: string }> }>(
      'viewer',
      'GET',
      '/api/targets/ansible/snapshots'
    );
    expect(own.status).toBe(200);
    expect(own.body.snapshots.length).toBeGreaterThan(0);
    for (const width of [1000, 1400]) {
      const rp = await open('Viewer', `/a/${APP_ID}/target/mon1/ansible`, { width });
      const { page } = rp;
      await page.getByText('files target on mon1', { exact: true }).waitFor({ timeout: 60_000 });
      const snapshots = page.getByRole('region', { name: 'Snapshots' });
      for (const s of own.body.snapshots) {
        await snapshots
          .getByRole('button', { name: `Actions for snapshot ${s.shortId}`, exact: true })
          .waitFor({ timeout: 30_000 });
      }
      for (const wide of await sidewaysScrolling(page)) {
        throw new Error(`target/mon1/ansible at ${width} px: ${wide}`);
      }
      if (width === 1400) {
        await shot(page, 'target-lab-mon1');
      }
      await expectClean(rp);
      await close(rp);
    }
    if (grafana.proxyLog) {
      // Asked of app1 under the peer's address; app1 forwarded it to mon1.
      expect(
        grafana.proxyLog.some(
          (e) => e.method === 'GET' && e.path === '/api/targets/mon1/ansible/snapshots' && e.status === 200
        )
      ).toBe(true);
    }
  });

  it('lets an Editor back up a mon1 target through app1: the run is on mon1, as that user', async () => {
    const before = (await mon1Runs('ansible')).length;
    // A change on mon1 since its last snapshot, so that this backup makes a new one.
    writeFileSync(path.join(mon1.dir, 'ansible', 'inventory.yml'), 'all:\n  hosts: { app1: {}, mon1: {} }\n');
    const rp = await open('Editor', `/a/${APP_ID}/overview`);
    const { page } = rp;
    const mon1Section = page.getByRole('region', { name: 'Instance mon1', exact: true });
    await mon1Section.getByRole('link', { name: 'ansible', exact: true }).waitFor({ timeout: 60_000 });
    await mon1Section.getByRole('button', { name: 'Actions for mon1/ansible', exact: true }).click();
    const menu = page.getByRole('menu', { name: 'Actions for mon1/ansible' });
    await menu.getByRole('menuitem', { name: 'Back up mon1/ansible now' }).click();
    const progress = page.getByTestId('run-progress').filter({ hasText: /Backup (finished|failed)/ });
    await progress.waitFor({ timeout: 120_000 });
    await expect(progress.textContent()).resolves.toMatch(/Backup finished in .*snapshot [0-9a-f]{8}/);

    // mon1 ran it itself, audited with the Grafana user app1 forwarded.
    const after = await mon1Runs('ansible');
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({ operation: 'backup', status: 'success', actor: 'editor' });
    if (grafana.proxyLog) {
      expect(
        grafana.proxyLog.some(
          (e) =>
            e.method === 'POST' &&
            e.path === '/api/targets/mon1/ansible/backup' &&
            e.role === 'Editor' &&
            e.status === 202
        )
      ).toBe(true);
    }
    // The run appears on the target's page, read through app1.
    await page.goto(`${grafana.url}/a/${APP_ID}/target/mon1/ansible`);
    await page.getByText('files target on mon1', { exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('cell', { name: 'editor', exact: true }).first().waitFor({ timeout: 30_000 });
    await expectClean(rp);
    await close(rp);
  });

  it('gives a Viewer no enabled operation on a mon1 target, and app1 refuses one asked all the same', async () => {
    const before = (await mon1Runs('rules')).length;
    const rp = await open('Viewer', `/a/${APP_ID}/overview`);
    const { page } = rp;
    const mon1Section = page.getByRole('region', { name: 'Instance mon1', exact: true });
    await mon1Section.getByRole('link', { name: 'rules', exact: true }).waitFor({ timeout: 60_000 });
    await mon1Section.getByRole('button', { name: 'Actions for mon1/rules', exact: true }).click();
    const menu = page.getByRole('menu', { name: 'Actions for mon1/rules' });
    for (const item of ['Back up mon1/rules now', 'Verify mon1/rules', 'Restore mon1/rules']) {
      await expect(menu.getByRole('menuitem', { name: item }).isDisabled()).resolves.toBe(true);
    }
    await page.keyboard.press('Escape');

    // On the target page: no operation button, what restores need said, nothing enabled.
    await page.goto(`${grafana.url}/a/${APP_ID}/target/mon1/rules`);
    await page.getByText('files target on mon1', { exact: true }).waitFor({ timeout: 60_000 });
    await expect(page.getByRole('button', { name: /^(Back up|Verify)/ }).count()).resolves.toBe(0);
    for (const button of await page.getByRole('button', { name: /Restore/ }).all()) {
      await expect(button.isDisabled()).resolves.toBe(true);
    }

    // Asked anyway through the proxy: refused (Grafana's route or app1), and nothing ran on mon1.
    const refused = await page.evaluate(async (url) => {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return res.status;
    }, `/api/plugin-proxy/${APP_ID}/api/targets/mon1/rules/backup`);
    expect(refused).toBe(403);
    expect((await mon1Runs('rules')).length).toBe(before);
    await expectClean(rp);
    await close(rp);
  });

  it('shows mon1 stopped as unreachable with its targets unknown within seconds, and recovers when it is back', async () => {
    await mon1.service.stop();
    const stoppedAt = Date.now();
    const rp = await open('Viewer', `/a/${APP_ID}/overview`, { width: 1000 });
    const { page } = rp;
    const mon1Section = page.getByRole('region', { name: 'Instance mon1', exact: true });
    await mon1Section.getByText(/^mon1 does not answer/).waitFor({ timeout: 15_000 });
    const shownMs = Date.now() - stoppedAt;
    // eslint-disable-next-line no-console
    console.log(`mon1 stopped -> overview (loaded afresh) shows it unreachable: ${shownMs} ms`);
    expect(shownMs).toBeLessThan(15_000);
    for (const name of mon1.targets) {
      const row = mon1Section.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
      await expect(row.getByLabel('SLA Unknown').count()).resolves.toBe(1);
      await expect(row.textContent()).resolves.toMatch(/instance mon1 unreachable/);
    }
    // app1's own targets are still known.
    const app1Section = page.getByRole('region', { name: 'Instance app1', exact: true });
    await expect(app1Section.getByLabel('SLA Unknown').count()).resolves.toBe(0);
    await expect(sidewaysScrolling(page)).resolves.toEqual([]);
    await expect(crampedTables(page)).resolves.toEqual([]);
    await shot(page, 'overview-lab-mon1-down');

    await mon1.service.start();
    await eventually(
      'the overview to show mon1 answering again',
      async () => {
        await page.reload();
        await mon1Section.getByRole('link', { name: 'ansible', exact: true }).waitFor({ timeout: 30_000 });
        const silent = await page.getByText(/does not answer/).count();
        const unknown = await mon1Section.getByLabel('SLA Unknown').count();
        return silent === 0 && unknown === 0 ? true : undefined;
      },
      60_000,
      () => `mon1: ${mon1.service.log()}`
    );
    await expectClean(rp);
    await close(rp);
  });
});
