// Splits the backend's test files between the shards of scripts/test-all.sh by how long each
// takes (test-weights.json: seconds, measured by a full run), not by Jest's path hash: the files
// differ 100-fold, and the hash left one shard minutes behind the other. Longest first onto the
// lighter shard; a file not listed yet counts as 10 s. Refresh the weights with
// `node scripts/test-weights.js` after a full run when files were added or grew.
const Sequencer = require('@jest/test-sequencer').default;
const path = require('node:path');
const weights = require('./test-weights.json');

const weightOf = (test) => weights[path.relative(__dirname, test.path)] ?? 10;

class WeightedSequencer extends Sequencer {
  shard(tests, { shardIndex, shardCount }) {
    const loads = Array.from({ length: shardCount }, () => 0);
    const mine = [];
    const byWeight = [...tests].sort((a, b) => weightOf(b) - weightOf(a) || a.path.localeCompare(b.path));
    for (const t of byWeight) {
      const lightest = loads.indexOf(Math.min(...loads));
      loads[lightest] += weightOf(t);
      if (lightest === shardIndex - 1) {
        mine.push(t);
      }
    }
    return mine;
  }
}

module.exports = WeightedSequencer;
