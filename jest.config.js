// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const scaffold = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

// The scaffold's TypeScript/JavaScript transform, reused for `.mjs`: d3-color and friends ship ESM as `.mjs`.
const [, swcTransform] = Object.entries(scaffold.transform)[0];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...scaffold,
  transform: {
    ...scaffold.transform,
    '^.+\\.mjs$': swcTransform,
  },
  // yaml's package exports give jsdom its ESM browser build: transform it like Grafana's ESM packages.
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, 'yaml', '@grafana/scenes'])],
  // Generous: the page tests render @grafana/ui tables and type into inputs, slow on a loaded machine.
  testTimeout: 30000,
  // The frontend Jest runs src/ only: backend/ has its own Jest config and e2e/ runs in a real browser.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/backend', '<rootDir>/e2e', '<rootDir>/dist'],
  modulePathIgnorePatterns: ['<rootDir>/backend', '<rootDir>/e2e', '<rootDir>/dist'],
};
