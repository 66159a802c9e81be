#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (postinstall) or `npm run build -w backend`.
require('../dist/cli/main.js').main(process.argv);
