/**
 * The Grafana plugin: size of dist/module.js after the production build (`npm run build` at the
 * root), with its gzip size (what travels to the browser) and the lazily loaded chunks beside it;
 * and the overview's time to first render in the browser harness, read from
 * e2e/screenshots/timing.json (written by the e2e browser test: `npm run test:e2e`), else
 * "not measured".
 *
 *   BENCH_PLUGIN_BUILD=0 skips the build and measures dist/ as it is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Bench, ROOT, fmtBytes, runMain } from './lib';

const DIST = path.join(ROOT, 'dist');
const TIMING = path.join(ROOT, 'e2e/screenshots/timing.json');

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      out.push(...jsFiles(p));
    } else if (e.name.endsWith('.js')) {
      out.push(p);
    }
  }
  return out;
}

const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

runMain(async () => {
  const bench = new Bench('plugin', "Grafana plugin: bundle size and the overview's first render");
  if (process.env.BENCH_PLUGIN_BUILD !== '0') {
    bench.log('npm run build (webpack, production)');
    const t0 = Date.now();
    const r = spawnSync('npm', ['run', 'build'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 10 * 60_000,
      maxBuffer: 64 * 2 ** 20,
    });
    const seconds = (Date.now() - t0) / 1000;
    if (r.status !== 0) {
      const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      throw new Error(`npm run build failed (exit ${r.status ?? r.signal}):\n${tail}`);
    }
    bench.add({ metric: 'production build time (npm run build)', value: seconds, unit: 's' });
  }
  const moduleJs = path.join(DIST, 'module.js');
  if (!existsSync(moduleJs)) {
    bench.skip('dist/module.js does not exist: npm run build');
  }
  const all = jsFiles(DIST);
  const chunks = all.filter((f) => path.dirname(f) === DIST && f !== moduleJs);
  const panel = path.join(DIST, 'panels/backup-age/module.js');
  const size = statSync(moduleJs).size;
  bench.add({ metric: 'dist/module.js', value: size, unit: 'B', note: `gzip ${fmtBytes(gz(moduleJs))}` });
  bench.add({
    metric: 'lazy chunks beside it (dist/*.js)',
    value: chunks.reduce((n, f) => n + statSync(f).size, 0),
    unit: 'B',
    note: `${chunks.length} files, gzip ${fmtBytes(chunks.reduce((n, f) => n + gz(f), 0))}`,
  });
  if (existsSync(panel)) {
    bench.add({
      metric: 'dist/panels/backup-age/module.js',
      value: statSync(panel).size,
      unit: 'B',
      note: `gzip ${fmtBytes(gz(panel))}`,
    });
  }

  if (!existsSync(TIMING)) {
    bench.add({
      metric: 'overview first render',
      value: 'not measured',
      unit: 'text',
      note: 'no e2e/screenshots/timing.json: npm run test:e2e',
    });
  } else {
    const t = JSON.parse(readFileSync(TIMING, 'utf8'));
    const stale = statSync(TIMING).mtimeMs < statSync(moduleJs).mtimeMs;
    const when = `measured ${String(t.measuredAt ?? statSync(TIMING).mtime.toISOString())}${stale ? ', before this build' : ''}`;
    const num = (k: string) => (typeof t[k] === 'number' ? (t[k] as number) : null);
    const rows: Array<[string, string, string]> = [
      ['coldMs', 'overview first render, cold (navigation start → table)', when],
      ['medianWarmMs', 'overview first render, warm (median)', String(t.browser ?? '')],
      ['pluginColdMs', '… of which the plugin, cold (shared modules ready → table)', ''],
      ['pluginMedianWarmMs', '… of which the plugin, warm (median)', ''],
    ];
    for (const [k, metric, note] of rows) {
      if (num(k) !== null) {
        bench.add({ metric, value: num(k), unit: 'ms', ...(note ? { note } : {}) });
      }
    }
    if (!rows.some(([k]) => num(k) !== null)) {
      bench.add({
        metric: 'overview first render',
        value: 'not measured',
        unit: 'text',
        note: 'timing.json has no known field',
      });
    }
  }
  bench.finish();
});
