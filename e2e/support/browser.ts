/** Debian's Chromium through playwright-core, and pages that record what went wrong in them. */
import path from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/** Where the browser tests put their screenshots (the README's are copied from here to docs/screenshots/). */
export const SHOTS = path.join(__dirname, '..', 'screenshots');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export type Role = 'Viewer' | 'Editor' | 'Admin';

export interface RolePage {
  role: Role;
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors, except missing web fonts (Grafana's Inter is not in npm). */
  problems: string[];
}

/**
 * Records, from navigation start, when the overview's targets table first shows a target link:
 * `window.__overviewRendered` = performance.now() at the first animation frame after it appears.
 */
const FIRST_RENDER_PROBE = `
(() => {
  window.__overviewRendered = null;
  const seen = () => {
    for (const table of document.querySelectorAll('table')) {
      if (table.querySelector('a[href*="/target/"]')) return true;
    }
    return false;
  };
  const observer = new MutationObserver(() => {
    if (window.__overviewRendered === null && seen()) {
      observer.disconnect();
      window.__overviewInDom = performance.now();
      requestAnimationFrame(() => { window.__overviewRendered = performance.now(); });
    }
  });
  observer.observe(document, { childList: true, subtree: true });
})();
`;

/** A page of its own (browser context) for a role; the Grafana under test signs it in (support/grafana.ts). */
export async function newRolePage(
  browser: Browser,
  baseUrl: string,
  role: Role,
  options: { width?: number; height?: number } = {}
): Promise<RolePage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1400, height: options.height ?? 900 },
    deviceScaleFactor: 1,
    baseURL: baseUrl,
  });
  await context.addInitScript(FIRST_RENDER_PROBE);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) {
      problems.push(`console.error: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !/\/public\/fonts\//.test(res.url()) && !res.url().includes('/api/plugin-proxy/')) {
      problems.push(`HTTP ${res.status()} ${res.request().method()} ${res.url()}`);
    }
  });
  return { role, context, page, problems };
}

/** What the harness page itself caught (render crashes, load errors, unhandled rejections). */
export async function harnessErrors(page: Page): Promise<unknown[]> {
  return page.evaluate(() => (window as unknown as { __harness?: { errors?: unknown[] } }).__harness?.errors ?? []);
}

/** Nothing went wrong in the page: no render crash, no page or console error, no failed request. */
export async function expectClean(rp: RolePage): Promise<void> {
  expect(await harnessErrors(rp.page)).toEqual([]);
  expect(rp.problems).toEqual([]);
}

/** Full page, or the viewport only where a modal is open (its backdrop covers the viewport only). */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  // Icons are fetched as SVG after render (react-inlinesvg): let them arrive.
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

/** Everything wider than its box: the page itself, and any element that scrolls sideways. */
export async function sidewaysScrolling(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) {
      out.push(`page: ${root.scrollWidth} > ${root.clientWidth}`);
    }
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      const style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
        const label = el.getAttribute('aria-label') ?? el.querySelector('th, h3, a')?.textContent ?? el.className;
        out.push(`${el.tagName.toLowerCase()} "${String(label).slice(0, 40)}": ${el.scrollWidth} > ${el.clientWidth}`);
      }
    }
    return out;
  });
}

/**
 * What the sideways check cannot see in a fixed-layout table: a cell whose content runs into the
 * next one (wider than the cell, overflow visible), and an SLA badge squeezed onto several lines.
 */
export async function crampedTables(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const cell of Array.from(document.querySelectorAll<HTMLElement>('table th, table td'))) {
      if (cell.scrollWidth > cell.clientWidth + 1) {
        out.push(
          `${cell.tagName.toLowerCase()} "${(cell.textContent ?? '').slice(0, 40)}": ${cell.scrollWidth} > ${cell.clientWidth}`
        );
      }
    }
    for (const badge of Array.from(document.querySelectorAll<HTMLElement>('[aria-label^="SLA "]'))) {
      const lineHeight = parseFloat(getComputedStyle(badge).lineHeight) || 16;
      if (badge.getBoundingClientRect().height > 2 * lineHeight) {
        out.push(
          `badge "${badge.getAttribute('aria-label')}" on several lines: ${Math.round(badge.getBoundingClientRect().height)} px high`
        );
      }
    }
    return out;
  });
}
