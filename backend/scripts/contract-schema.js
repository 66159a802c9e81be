#!/usr/bin/env node
/**
 * Derives the JSON schemas of the HTTP API from its one source, the TypeScript contract
 * (packages/contract/index.d.ts): one definition per exported type, with its descriptions and the
 * JSDoc annotations (@format, @pattern, @minLength...). The service's schemas (src/api/schemas.ts)
 * and its OpenAPI document are built from the result, src/api/contract.schema.json.
 *
 *   node scripts/contract-schema.js           print it
 *   node scripts/contract-schema.js --write   write src/api/contract.schema.json (npm run contract:schemas)
 *
 * contract.test.ts fails when the committed file is not what this prints.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createGenerator } = require('ts-json-schema-generator');
const prettier = require('prettier');

const CONTRACT = path.resolve(__dirname, '../../packages/contract/index.d.ts');
const OUT = path.resolve(__dirname, '../src/api/contract.schema.json');

async function generate() {
  const schema = createGenerator({
    path: CONTRACT,
    type: '*',
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
    // The contract is a declaration file of types only; the app's and the service's tsc check it.
    skipTypeCheck: true,
    // Declaration order: fast-json-stringify writes an answer's fields in the schema's order.
    sortProps: false,
    additionalProperties: false,
  }).createSchema('*');
  const options = (await prettier.resolveConfig(OUT)) ?? {};
  return prettier.format(JSON.stringify(schema), { ...options, filepath: OUT });
}

generate().then(
  (text) => {
    if (process.argv.includes('--write')) {
      fs.writeFileSync(OUT, text);
      process.stderr.write(`wrote ${path.relative(process.cwd(), OUT)}\n`);
    } else {
      process.stdout.write(text);
    }
  },
  (err) => {
    process.stderr.write(`contract-schema: ${err.stack ?? err}\n`);
    process.exit(1);
  }
);
