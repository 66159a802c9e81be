/** Debian's Chromium through playwright-core, and pages that record what went wrong in them. */
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

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
