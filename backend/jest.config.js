// Backend tests run against real services (MariaDB, InfluxDB, Prometheus, sshd, rclone, restic)
// started by scripts/services.sh from the global setup; they run in band because they share them.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  globalSetup: '<rootDir>/src/test/globalSetup.ts',
  testTimeout: 120000,
  // Shards of even length (scripts/test-all.sh runs two side by side).
  testSequencer: '<rootDir>/jest.sequencer.js',
};
