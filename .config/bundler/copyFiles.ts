import fs from 'fs';
import path from 'path';
import { globSync } from 'glob';
import { getPluginJson, hasReadme } from './utils.ts';
import { SOURCE_DIR } from './constants.ts';

const pluginJson = getPluginJson();
const logoPaths: string[] = Array.from(new Set([pluginJson.info?.logos?.large, pluginJson.info?.logos?.small])).filter(
  Boolean
);
const screenshotPaths: string[] = pluginJson.info?.screenshots?.map((s: { path: string }) => s.path) || [];

// Nested plugins (src/**/plugin.json, e.g. panels/backup-age) name their logos relative to their own
// folder; copy those too, or Grafana shows a broken image for them. (Local addition to the scaffold.)
const nestedLogoPaths: string[] = globSync('*/**/plugin.json', {
  cwd: path.resolve(process.cwd(), SOURCE_DIR),
}).flatMap((nested) => {
  const json = JSON.parse(fs.readFileSync(path.resolve(process.cwd(), SOURCE_DIR, nested), 'utf8'));
  const dir = path.dirname(nested);
  const logos: string[] = [json.info?.logos?.small, json.info?.logos?.large].filter(Boolean);
  return Array.from(new Set(logos.map((logo) => path.join(dir, logo))));
});

export const copyFilePatterns = [
  // If src/README.md exists use it; otherwise the root README
  // To `compiler.options.output`
  { from: hasReadme() ? 'README.md' : '../README.md', to: '.', force: true },
  { from: 'plugin.json', to: '.' },
  { from: '../LICENSE', to: '.' },
  { from: '../CHANGELOG.md', to: '.', force: true },
  { from: '**/*.json', to: '.' },
  { from: '**/query_help.md', to: '.', noErrorOnMissing: true },
  ...logoPaths.map((logoPath) => ({ from: logoPath, to: logoPath })),
  ...nestedLogoPaths.map((logoPath) => ({ from: logoPath, to: logoPath })),
  ...screenshotPaths.map((screenshotPath) => ({
    from: screenshotPath,
    to: screenshotPath,
  })),
];
