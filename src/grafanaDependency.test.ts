/**
 * The lowest Grafana the app and its panel declare (dependencies.grafanaDependency), and why.
 *
 * Checked with @grafana/levitate (scripts/grafana-compat.sh), which compares what src/module.tsx
 * uses of @grafana/data, @grafana/ui and @grafana/runtime with each version's packages:
 * compatible with 11.6.0; with 11.3.0 `Combobox` and `MultiCombobox` (@grafana/ui) are missing,
 * with 10.4.0 also `EmptyState`. @grafana/scenes 8.19 (the history charts) declares Grafana
 * >=11.6.0 itself. And with what Grafana shares with plugins at run time
 * (public/app/features/plugins/loader/sharedDependencies.ts): the built module imports
 * @emotion/css, @grafana/data|runtime|ui, react, react-dom, rxjs and `react-router`, which
 * Grafana maps to react-router v6 (react-router-dom-v5-compat) since 10.1 (the plugin bundles
 * react-router-dom v6 itself). So: the newest of these lower bounds, 11.6.0.
 */
import fs from 'fs';
import path from 'path';
import app from './plugin.json';
import panel from './panels/backup-age/plugin.json';

/** The first Grafana that provides each thing the plugin uses and older versions lack. */
const SINCE: Array<{ what: string; version: string; used: (source: string) => boolean }> = [
  {
    what: "react-router v6 shared as 'react-router' (the plugin bundles react-router-dom v6)",
    version: '10.1.0',
    used: (s) => /from 'react-router-dom'/.test(s),
  },
  {
    what: 'EmptyState from @grafana/ui (levitate: missing in 10.4.0, present in 11.0.0)',
    version: '11.0.0',
    used: (s) => /import \{[^}]*\bEmptyState\b[^}]*\} from '@grafana\/ui'/.test(s),
  },
  {
    what: 'Combobox and MultiCombobox from @grafana/ui (levitate: missing in 11.3.0, present in 11.6.0)',
    version: '11.6.0',
    used: (s) => /import \{[^}]*\b(Multi)?Combobox\b[^}]*\} from '@grafana\/ui'/.test(s),
  },
  {
    what: '@grafana/scenes 8.19 (its package declares Grafana >=11.6.0)',
    version: '11.6.0',
    used: (s) => /from '@grafana\/scenes'/.test(s),
  },
];

/** "1.2.3" compared as numbers, newest first. */
const newestFirst = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
};
/** The lowest version a ">=X.Y.Z" range admits. */
const lowestOf = (range: string) => /^>=\s*(\d+\.\d+\.\d+)$/.exec(range)![1];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      return sources(p);
    }
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !p.includes(`${path.sep}test${path.sep}`)
      ? [p]
      : [];
  });
}

describe('grafanaDependency', () => {
  const source = sources(__dirname)
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');

  it('is the same for the app and its nested panel', () => {
    expect(panel.dependencies.grafanaDependency).toBe(app.dependencies.grafanaDependency);
  });

  it('is >=11.6.0: the newest lower bound of what the plugin uses', () => {
    const declared = app.dependencies.grafanaDependency;
    expect(declared).toBe('>=11.6.0');
    const needed = SINCE.filter((s) => s.used(source));
    expect(needed.map((s) => s.what)).toHaveLength(SINCE.length);
    const lowest = needed.map((s) => s.version).sort(newestFirst)[0];
    expect(lowestOf(declared)).toBe(lowest);
  });

  it('is what the README says', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const [major, minor] = lowestOf(app.dependencies.grafanaDependency).split('.');
    expect(readme).toContain(`Grafana ${major}.${minor} or newer`);
  });
});
