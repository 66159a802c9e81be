/**
 * Jest global setup for the service's tests: starts the real services on loopback
 * (`scripts/services.sh start`, idempotent: already-running services are left alone) and puts
 * their coordinates (`scripts/services.sh env --json`, the BSLA_* variables) into process.env,
 * which the test environments inherit. Read them through `services()` from ./services.
 *
 * BSLA_SKIP_SERVICES=1 (or BSLA_SERVICES_STARTED=1, set by scripts/test-all.sh after it started
 * them) skips the start; BSLA_* variables already set then win over the defaults printed by env.
 */
import { exportServicesEnv, runServices } from './servicesEnv';

export default async function globalSetup(): Promise<void> {
  const skip = process.env.BSLA_SKIP_SERVICES === '1' || process.env.BSLA_SERVICES_STARTED === '1';
  if (!skip) {
    runServices(['start'], 300_000);
  }
  exportServicesEnv(skip);
}
