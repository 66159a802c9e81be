/**
 * Builds the harness's vendor bundle (e2e/harness/build/vendor.js) with the root's webpack when
 * it is missing or its inputs changed. `node e2e/harness/build.mjs [--force]`.
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
export const VENDOR_FILE = path.join(HERE, 'build', 'vendor.js');
const STAMP_FILE = path.join(HERE, 'build', '.inputs-hash');
const require = createRequire(import.meta.url);

/**
 * A hash of what the bundle is made of: the harness's sources and the installed versions
 * (package-lock.json). Compared with the one stored at the last build (webpack leaves unchanged
 * output files alone, so their mtimes say nothing).
 */
/** The browser side's sources: client/ (recursively) and the webpack config. */
function clientFiles(dir = path.join(HERE, 'client')) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? clientFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter((f) => /\.(js|cjs|mjs)$/.test(f));
}

function inputsHash() {
  const hash = createHash('sha256');
  const files = [...clientFiles(), path.join(HERE, 'webpack.config.cjs')];
  files.push(path.join(ROOT, 'package-lock.json'));
  for (const file of files.filter((f) => existsSync(f))) {
    hash
      .update(`${path.relative(HERE, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  }
  return hash.digest('hex');
}

export function vendorIsFresh() {
  return existsSync(VENDOR_FILE) && existsSync(STAMP_FILE) && readFileSync(STAMP_FILE, 'utf8').trim() === inputsHash();
}

/** Resolves when build/vendor.js is up to date; rejects with webpack's errors otherwise. */
export async function ensureVendorBundle({ force = false, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  if (!force && vendorIsFresh()) {
    return VENDOR_FILE;
  }
  const webpack = require(path.join(ROOT, 'node_modules', 'webpack'));
  const config = require('./webpack.config.cjs')({});
  const hash = inputsHash();
  const started = Date.now();
  log('harness: building the vendor bundle (react, @grafana/data|ui|runtime, ...) ...');
  await new Promise((resolve, reject) => {
    webpack(config, (err, stats) => {
      if (err) {
        reject(err);
        return;
      }
      if (stats.hasErrors()) {
        reject(new Error(stats.toString({ all: false, errors: true, errorDetails: true })));
        return;
      }
      if (stats.hasWarnings()) {
        log(stats.toString({ all: false, warnings: true }));
      }
      resolve();
    });
  });
  writeFileSync(STAMP_FILE, `${hash}\n`);
  log(`harness: vendor bundle built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return VENDOR_FILE;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureVendorBundle({ force: process.argv.includes('--force') }).catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
  });
}
