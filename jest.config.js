// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const scaffold = require('./.config/jest.config');

// The scaffold's TypeScript/JavaScript transform, reused for `.mjs`: d3-color and friends ship ESM as `.mjs`.
const [, swcTransform] = Object.entries(scaffold.transform)[0];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...scaffold,
  transform: {
    ...scaffold.transform,
    '^.+\\.mjs$': swcTransform,
  },
  // Generous: the page tests render @grafana/ui tables and type into inputs, slow on a loaded machine.
  testTimeout: 30000,
  // The frontend Jest runs src/ only: backend/ has its own Jest config and e2e/ runs in a real browser.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/backend', '<rootDir>/e2e', '<rootDir>/dist'],
  modulePathIgnorePatterns: ['<rootDir>/backend', '<rootDir>/e2e', '<rootDir>/dist'],
};
