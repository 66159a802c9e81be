/**
 * Global setup of the browser tests: the plugin and the service must be built (dist/,
 * backend/dist/; built here only when missing), the harness's vendor bundle is built when stale,
 * and the real MariaDB is started (`scripts/services.sh start mariadb`, idempotent) with its
 * coordinates (`scripts/services.sh env --json`, BSLA_*) put into process.env for the tests.
 *
 * BSLA_SERVICES_STARTED=1 / BSLA_SKIP_SERVICES=1: the services are already up (scripts/test-all.sh).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureVendorBundle } from './harness/build.mjs';
import { exportServicesEnv, runCommand as run, runServices } from '../backend/src/test/servicesEnv';

const ROOT = path.resolve(__dirname, '..');

export default async function globalSetup(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'backend/dist/cli/main.js'))) {
    run('npm', ['run', 'build', '-w', 'backend'], 300_000);
  }
  if (!existsSync(path.join(ROOT, 'dist/module.js'))) {
    run('npm', ['run', 'build'], 300_000);
  }
  await ensureVendorBundle();

  const skip = process.env.BSLA_SKIP_SERVICES === '1' || process.env.BSLA_SERVICES_STARTED === '1';
  if (!skip) {
    runServices(['start', 'mariadb'], 120_000);
  }
  exportServicesEnv(skip);
}
