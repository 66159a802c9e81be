// Preloaded into the CLI under test (node --require bench/peak-rss.js …): at exit, writes the
// process's own peak RSS (getrusage ru_maxrss, exact, no sampling) to $BENCH_PEAK_RSS_FILE.
'use strict';
const fs = require('node:fs');
const out = process.env.BENCH_PEAK_RSS_FILE;
if (out) {
  process.on('exit', () => {
    try {
      fs.writeFileSync(out, JSON.stringify({ pid: process.pid, maxRssKiB: process.resourceUsage().maxRSS }));
    } catch {
      // the benchmark reports the sampled value instead
    }
  });
}
