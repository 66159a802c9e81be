#!/usr/bin/env node
/**
 * `npm run test:e2e`: builds the service and the plugin (the tests use the BUILT dist/ and
 * backend/dist/), then runs the browser tests in band. Extra arguments go to Jest, e.g.
 *   npm run test:e2e -- e2e/dist.test.ts
 * BSLA_E2E_NO_BUILD=1 skips the two builds (e.g. when scripts/test-all.sh has just built).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, { quiet = false } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    if (quiet) {
      process.stderr.write(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    }
    process.exit(r.status ?? 1);
  }
}

if (process.env.BSLA_E2E_NO_BUILD !== '1') {
  process.stderr.write('e2e: building the service (backend/dist) and the plugin (dist) ...\n');
  run(npm, ['run', 'build', '-w', 'backend'], { quiet: true });
  run(npm, ['run', 'build'], { quiet: true });
}
run(process.execPath, [
  path.join(ROOT, 'node_modules/jest/bin/jest.js'),
  '-c',
  'e2e/jest.config.js',
  '--runInBand',
  ...process.argv.slice(2),
]);
