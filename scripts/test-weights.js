#!/usr/bin/env node
// Writes backend/test-weights.json from the last full run's results (.test-results/backend-*.json):
// how long each backend test file took, for backend/jest.sequencer.js to balance the shards.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const weights = {};
for (const f of fs.readdirSync(path.join(root, '.test-results')).filter((n) => /^backend-\d+\.json$/.test(n))) {
  const r = JSON.parse(fs.readFileSync(path.join(root, '.test-results', f), 'utf8'));
  for (const t of r.testResults) {
    weights[path.relative(path.join(root, 'backend'), t.name)] = Math.max(
      1,
      Math.round((t.endTime - t.startTime) / 1000)
    );
  }
}
const sorted = Object.fromEntries(
  Object.keys(weights)
    .sort()
    .map((k) => [k, weights[k]])
);
fs.writeFileSync(path.join(root, 'backend', 'test-weights.json'), JSON.stringify(sorted, null, 2) + '\n');
console.log(`backend/test-weights.json: ${Object.keys(sorted).length} files`);
