#!/usr/bin/env node
/**
 * `npm run package`: the two release artifacts, versioned from package.json (CHANGELOG.md must have
 * an entry for that version), into release/ (or --out DIR):
 *
 *   labops-backupsla-app-<version>.zip (+ .sha256)
 *       the Grafana plugin in Grafana's layout: one top folder named after the plugin id, holding
 *       plugin.json, module.js and its chunks, img/, dashboards/, panels/backup-age/{plugin.json,module.js}
 *   backup-sla-<version>-linux-<arch>-node<major>.tar.gz (+ .sha256)
 *       the service, self-contained: bin/backup-sla, dist/ (built JavaScript), package.json,
 *       node_modules/ with the production dependencies only (better-sqlite3's native binary built
 *       for this machine's Node), backup-sla.example.yaml, systemd/backup-sla.service. It needs the
 *       system's Node (same major version as the build, 20 or newer) and nothing else from npm.
 *
 * Builds what is missing or older than its sources (--rebuild: always). Archives are reproducible:
 * sorted entries, owner root, times set to the last commit's time.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN_ID = 'labops-backupsla-app';

function fail(message) {
  process.stderr.write(`package: ${message}\n`);
  process.exit(1);
}

function args() {
  const out = { out: path.join(ROOT, 'release'), rebuild: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') {
      out.out = path.resolve(argv[++i] ?? fail('--out needs a directory'));
    } else if (argv[i] === '--rebuild') {
      out.rebuild = true;
    } else {
      fail(`unknown argument ${argv[i]} (use --out DIR, --rebuild)`);
    }
  }
  return out;
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const run = (cmd, argv, options = {}) => execFileSync(cmd, argv, { cwd: ROOT, stdio: 'pipe', ...options });

/** The newest modification time of the files below `dir` (0 when none). */
function newest(dir, skip = () => false) {
  if (!fs.existsSync(dir)) {
    return 0;
  }
  if (!fs.statSync(dir).isDirectory()) {
    return fs.statSync(dir).mtimeMs;
  }
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (skip(p)) {
      continue;
    }
    t = Math.max(t, e.isDirectory() ? newest(p, skip) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function buildIfStale(what, built, sources, command, rebuild) {
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  if (rebuild || builtAt === 0 || sources.some((s) => newest(s, (p) => p.endsWith('.test.ts')) > builtAt)) {
    process.stderr.write(`package: building ${what}\n`);
    run('npm', command, { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

function copyTree(from, to, keep = () => true) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (!keep(src, e)) {
      continue;
    }
    if (e.isDirectory()) {
      copyTree(src, dst, keep);
    } else if (e.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(src), dst);
    } else {
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, fs.statSync(src).mode & 0o755);
    }
  }
}

function sha256File(file) {
  const sum = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  fs.writeFileSync(`${file}.sha256`, `${sum}  ${path.basename(file)}\n`);
  return sum;
}

/** Sets every file's and folder's time to `epoch` (seconds), for reproducible archives. */
function touchAll(dir, epoch) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      touchAll(p, epoch);
    }
    if (!e.isSymbolicLink()) {
      fs.utimesSync(p, epoch, epoch);
    }
  }
  fs.utimesSync(dir, epoch, epoch);
}

/** The production dependencies of the service, as paths relative to the root node_modules. */
function productionDependencies() {
  const out = run('npm', ['ls', '--omit=dev', '--all', '--parseable', '-w', 'backend']).toString();
  const prefix = `${path.join(ROOT, 'node_modules')}${path.sep}`;
  return [...new Set(out.split('\n').filter((p) => p.startsWith(prefix)))]
    .map((p) => p.slice(prefix.length))
    .filter((p) => p !== 'backup-sla' && !p.startsWith('@labops/') && !p.startsWith('@types/'))
    .sort();
}

/**
 * What of a package is needed at run time: everything but its nested node_modules (copied as
 * packages of their own), and for better-sqlite3 only the loader and the compiled module (not
 * the SQLite sources nor the object files of the build).
 */
function runtimeFiles(pkg) {
  return (src, entry) => {
    const rel = path.relative(path.join(ROOT, 'node_modules', pkg), src);
    if (rel === 'node_modules' || rel.startsWith(`node_modules${path.sep}`)) {
      return false;
    }
    if (pkg === 'better-sqlite3') {
      const top = rel.split(path.sep)[0];
      if (['deps', 'src', 'docs', 'binding.gyp'].includes(top)) {
        return false;
      }
      if (top === 'build') {
        return entry.isDirectory()
          ? ['build', path.join('build', 'Release')].includes(rel)
          : rel === path.join('build', 'Release', 'better_sqlite3.node');
      }
    }
    // Nothing a program loads: type declarations, source maps, and a package's own tests, benchmarks,
    // documentation and examples (folders at its root only).
    if (entry.isDirectory()) {
      return !(
        path.dirname(rel) === '.' && /^(test|tests|__tests__|bench|benchmarks?|docs?|examples?)$/.test(entry.name)
      );
    }
    if (/\.d\.[cm]?ts$|\.map$/.test(entry.name)) {
      return false;
    }
    return !/\.(md|markdown)$/i.test(entry.name) || /^license/i.test(entry.name);
  };
}

/** The systemd unit of the manual install, rendered from the Ansible role's template with its defaults. */
function renderUnit(file) {
  const script = `
import sys, yaml, jinja2
defaults = yaml.safe_load(open(sys.argv[1]))
defaults['backup_sla_root'] = ''
env = jinja2.Environment(loader=jinja2.FileSystemLoader(sys.argv[2]), undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True)
text = env.get_template('backup-sla.service.j2').render(
    **defaults,
    backup_sla_unit_rw_paths=defaults['backup_sla_default_rw_paths'],
    backup_sla_unit_capabilities=defaults['backup_sla_directory_capabilities'],
    ansible_managed='rendered by npm run package from deploy/roles/backup_sla/templates/backup-sla.service.j2 with the role defaults')
open(sys.argv[3], 'w').write(text)
`;
  const role = path.join(ROOT, 'deploy/roles/backup_sla');
  run('python3', ['-c', script, path.join(role, 'defaults/main.yml'), path.join(role, 'templates'), file]);
}

/** Whether dist/ holds what src/ says: the plugin.json files (placeholders aside) and the CHANGELOG. */
function distMatchesSources() {
  const strip = (j) => {
    const { info, buildMode: _b, ...rest } = j;
    const { version: _v, updated: _u, ...infoRest } = info ?? {};
    return JSON.stringify({ ...rest, info: infoRest }).replaceAll('%PLUGIN_ID%', PLUGIN_ID);
  };
  for (const rel of ['plugin.json', 'panels/backup-age/plugin.json']) {
    const dist = path.join(ROOT, 'dist', rel);
    if (!fs.existsSync(dist) || strip(readJson(path.join(ROOT, 'src', rel))) !== strip(readJson(dist))) {
      return false;
    }
  }
  const changelog = path.join(ROOT, 'dist/CHANGELOG.md');
  return (
    fs.existsSync(changelog) &&
    fs.readFileSync(changelog, 'utf8') === fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8')
  );
}

function main() {
  const opts = args();
  const root = readJson(path.join(ROOT, 'package.json'));
  const backend = readJson(path.join(ROOT, 'backend/package.json'));
  const version = root.version;
  if (backend.version !== version) {
    fail(`backend/package.json has version ${backend.version}, package.json ${version}: they must be the same`);
  }
  const changelog = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
  if (!new RegExp(`^## ${version.replace(/\./g, '\\.')}\\b`, 'm').test(changelog)) {
    fail(`CHANGELOG.md has no entry "## ${version}": write what changed first`);
  }
  const epoch = Number(run('git', ['log', '-1', '--format=%ct']).toString().trim()) || Math.floor(Date.now() / 1000);

  buildIfStale(
    'the plugin',
    path.join(ROOT, 'dist/plugin.json'),
    [path.join(ROOT, 'src'), path.join(ROOT, 'CHANGELOG.md')],
    ['run', 'build'],
    opts.rebuild
  );
  if (!distMatchesSources()) {
    // webpack's filesystem cache (node_modules/.cache/webpack) can hand back copies of files older
    // than their sources (a cache carried over from another checkout): build once without it.
    process.stderr.write('package: dist/ differs from its sources: building the plugin without the webpack cache\n');
    fs.rmSync(path.join(ROOT, 'node_modules/.cache/webpack'), { recursive: true, force: true });
    run('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (!distMatchesSources()) {
      fail('dist/ still differs from src/ after a clean build');
    }
  }
  buildIfStale(
    'the service',
    path.join(ROOT, 'backend/dist/cli/main.js'),
    [path.join(ROOT, 'backend/src')],
    ['run', 'build', '-w', 'backend'],
    opts.rebuild
  );

  fs.mkdirSync(opts.out, { recursive: true });
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'bsla-package-'));
  try {
    // --- the Grafana plugin ---------------------------------------------------------------------
    const pluginDir = path.join(stage, 'plugin', PLUGIN_ID);
    copyTree(path.join(ROOT, 'dist'), pluginDir, (src) => !src.endsWith('.map'));
    const pluginJson = readJson(path.join(pluginDir, 'plugin.json'));
    if (pluginJson.id !== PLUGIN_ID || pluginJson.info.version !== version) {
      fail(
        `dist/plugin.json is ${pluginJson.id} ${pluginJson.info.version}, expected ${PLUGIN_ID} ${version}: rebuild (--rebuild)`
      );
    }
    touchAll(path.join(stage, 'plugin'), epoch);
    const zip = path.join(opts.out, `${PLUGIN_ID}-${version}.zip`);
    fs.rmSync(zip, { force: true });
    const entries = run('find', [PLUGIN_ID], { cwd: path.join(stage, 'plugin') })
      .toString()
      .trim()
      .split('\n')
      .sort();
    run('zip', ['-X', '-q', '-D', zip, '-@'], {
      cwd: path.join(stage, 'plugin'),
      input: entries.filter((e) => fs.statSync(path.join(stage, 'plugin', e)).isFile()).join('\n'),
    });

    // --- the service ----------------------------------------------------------------------------
    const major = process.versions.node.split('.')[0];
    const name = `backup-sla-${version}`;
    const svc = path.join(stage, 'service', name);
    copyTree(
      path.join(ROOT, 'backend/dist'),
      path.join(svc, 'dist'),
      (src) =>
        !src.endsWith('.map') &&
        !/\.test\.js$/.test(src) &&
        !src.includes(`${path.sep}test${path.sep}`) &&
        !src.endsWith(`${path.sep}test`)
    );
    fs.mkdirSync(path.join(svc, 'bin'));
    fs.copyFileSync(path.join(ROOT, 'backend/bin/backup-sla.js'), path.join(svc, 'bin/backup-sla'));
    fs.chmodSync(path.join(svc, 'bin/backup-sla'), 0o755);
    fs.writeFileSync(
      path.join(svc, 'package.json'),
      `${JSON.stringify(
        {
          name: 'backup-sla',
          version,
          description: backend.description,
          license: root.license,
          private: true,
          bin: { 'backup-sla': 'bin/backup-sla' },
          engines: { node: `>=${major} <${Number(major) + 1}` },
          dependencies: backend.dependencies,
          // What the native module was built for: bin/backup-sla checks it before loading anything.
          build: {
            node: process.versions.node,
            modules: process.versions.modules,
            platform: process.platform,
            arch: process.arch,
          },
        },
        null,
        2
      )}\n`
    );
    for (const pkg of productionDependencies()) {
      copyTree(path.join(ROOT, 'node_modules', pkg), path.join(svc, 'node_modules', pkg), runtimeFiles(pkg));
    }
    fs.copyFileSync(path.join(ROOT, 'backup-sla.example.yaml'), path.join(svc, 'backup-sla.example.yaml'));
    for (const f of ['LICENSE', 'CHANGELOG.md']) {
      fs.copyFileSync(path.join(ROOT, f), path.join(svc, f));
    }
    fs.mkdirSync(path.join(svc, 'systemd'));
    renderUnit(path.join(svc, 'systemd/backup-sla.service'));
    touchAll(path.join(stage, 'service'), epoch);
    const tarball = path.join(opts.out, `${name}-${process.platform}-${process.arch}-node${major}.tar.gz`);
    run(
      'tar',
      ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, '-czf', tarball, name],
      {
        cwd: path.join(stage, 'service'),
        env: { ...process.env, GZIP: '-n' },
      }
    );

    for (const f of [zip, tarball]) {
      sha256File(f);
      process.stdout.write(`${f} (${(fs.statSync(f).size / 1024).toFixed(0)} KiB)\n`);
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

main();
