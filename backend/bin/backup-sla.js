#!/usr/bin/env node
// The `backup-sla` command. In the repository the CLI is compiled to dist/ by `npm install`
// (postinstall) or `npm run build -w backend`; in the release archive (scripts/package.mjs) this
// file is bin/backup-sla beside the same dist/. It checks the Node it runs on first, so that a
// wrong one is one clear line, not a stack trace from the native SQLite module.
'use strict';
const path = require('node:path');

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  process.stderr.write(`backup-sla: Node ${process.versions.node} is too old: Node 20 or newer is needed\n`);
  process.exit(3);
}
let build = null;
try {
  build = require(path.join(__dirname, '..', 'package.json')).build || null;
} catch {
  // no package.json beside bin/: nothing to check
}
if (build && build.modules !== process.versions.modules) {
  process.stderr.write(
    `backup-sla: this package was built for Node ${build.node.split('.')[0]} (module ABI ${build.modules}); ` +
      `this is Node ${process.versions.node} (ABI ${process.versions.modules}): ` +
      `install the package built for Node ${major}, or run \`npm rebuild better-sqlite3\` in ${path.join(__dirname, '..')}\n`
  );
  process.exit(3);
}
require('../dist/cli/main.js').main(process.argv);
