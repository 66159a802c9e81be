// Browser tests of the BUILT plugin (dist/) in Debian's Chromium against the real service and a
// real MariaDB, plus static checks of dist/. Run in band: the suites share the services.
//   npx jest -c e2e/jest.config.js --runInBand      (or: npm run test:e2e)
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/harness/build/'],
  modulePathIgnorePatterns: ['<rootDir>/harness/build/'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.ts$': swc,
    // The harness server is plain Node ESM (no build step); Jest loads it through swc as CommonJS.
    '^.+\\.mjs$': swc,
  },
  globalSetup: '<rootDir>/globalSetup.ts',
  testTimeout: 180000,
  maxWorkers: 1,
};
