/** A BSLA_* coordinate of the test services (put into process.env by e2e/globalSetup.ts). */
export function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: run through e2e/jest.config.js (its global setup) or eval "$(bash scripts/services.sh env)"`
    );
  }
  return v;
}
