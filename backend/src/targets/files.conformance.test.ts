/**
 * The driver conformance suite for kind files: AGAMA v0.3 (one file, agama.py) verified under
 * uWSGI on a scratch SQLite database, as the lab runs it. "Unreachable" is a source path that is
 * not there, and a Python that is not installed (the verification cannot run).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conformance } from './testing/conformance';
import { BOTH_FORMS, install, uwsgiSmoke } from '../test/agama';

const base = path.join(os.tmpdir(), `bsla-conf-files-${process.pid}`);
const app = path.join(base, 'agama');
const elsewhere = path.join(base, 'agama-restored');

/** Every file of a directory, path → content. */
function readTree(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(path.join(dir, rel)).sort()) {
    const r = path.join(rel, e);
    if (statSync(path.join(dir, r)).isDirectory()) {
      Object.assign(out, readTree(dir, r));
    } else {
      out[r] = readFileSync(path.join(dir, r), 'utf8');
    }
  }
  return out;
}

conformance<Record<string, string>>({
  kind: 'files',
  create: async () => {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    install(app, 'v0.3');
  },
  destroy: async () => rmSync(base, { recursive: true, force: true }),
  target: () => ({
    kind: 'files',
    source: { paths: [app], versionFrom: { file: path.join(app, 'agama.py'), pattern: BOTH_FORMS } },
    verify: { smoke: uwsgiSmoke() },
  }),
  unreachable: (t) => ({
    ...t,
    source: { paths: [path.join(base, 'gone', 'agama')] },
    verify: { python: '/nonexistent/python3' },
  }),
  secrets: [],
  // A restore elsewhere puts each path in by its name: `<to>/agama`.
  read: async (place) => readTree(place === undefined ? app : place === elsewhere ? path.join(place, 'agama') : place),
  change: async () => {
    const file = path.join(app, 'agama.py');
    writeFileSync(file, `${readFileSync(file, 'utf8')}# changed after the backup\n`);
    writeFileSync(path.join(app, 'local_settings.py'), 'DEBUG = True\n');
  },
  elsewhere: { to: elsewhere },
  tamper: (m) => ({ ...m, contentHash: '0'.repeat(64) }),
  aside: { kind: 'moved' },
  scratchLeft: async () => (existsSync(base) ? readdirSync(base).filter((n) => n.includes('.restoring-')) : []),
});
