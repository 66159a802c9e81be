/**
 * AGAMA, the lab's application, for the files tests, the conformance suite and the drill: the two
 * releases of the stand-in (fixtures/agama, one file `agama.py` each), installed and served the
 * lab's way — Debian's uWSGI with its python3 plugin — on a private port and SQLite database.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../targets/tools';
import { run } from '../util/subprocess';
import { waitFor } from './process';

export const AGAMA_FIXTURE = path.join(__dirname, 'fixtures', 'agama');
/** Matches both footer forms of the real AGAMA: `AGAMA v0.2 running on …` and `AGAMA</a> v0.3`. */
export const BOTH_FORMS = 'AGAMA(?:</a>)? (v[0-9.]+)';

/** Installs a release into `app` (what an upgrade does: agama.py replaced). */
export function install(app: string, release: 'v0.2' | 'v0.3'): void {
  mkdirSync(app, { recursive: true });
  cpSync(path.join(AGAMA_FIXTURE, release, 'agama.py'), path.join(app, 'agama.py'));
}

/** The smoke run of the files target: the restored agama.py under uWSGI on a scratch SQLite database. */
export const uwsgiSmoke = (extra: Record<string, unknown> = {}) => ({
  wsgi: { file: 'agama.py', callable: 'app' },
  expectBody: 'A first item',
  timeout: '30s',
  env: { AGAMA_DATABASE_URI: 'sqlite:///{tmp}/agama.db' },
  ...extra,
});

export interface ServedAgama {
  url: string;
  /** [program, args…] that restarts it: the target's afterRestore (as `systemctl restart uwsgi`). */
  restartHook: string[];
  stop(): Promise<void>;
}

/**
 * Serves the live application `app` under uWSGI from `dir` (pid file, log, the SQLite database
 * `agama.db`), as the lab's uWSGI does; `restartHook` stops and starts it again.
 */
export async function serveAgama(app: string, dir: string): Promise<ServedAgama> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const pid = path.join(dir, 'uwsgi.pid');
  const start = [
    `AGAMA_DATABASE_URI=sqlite:///${dir}/agama.db setsid uwsgi --need-plugin python3 --http-socket 127.0.0.1:${port}`,
    `--chdir ${app} --wsgi-file agama.py --callable app --master --processes 1 --need-app --die-on-term`,
    `--pidfile ${pid} </dev/null >>${dir}/uwsgi.log 2>&1 &`,
  ].join(' ');
  const stop = `if [ -f ${pid} ]; then p=$(cat ${pid}); kill $p 2>/dev/null; for i in $(seq 1 100); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; rm -f ${pid}; fi`;
  const ready = `for i in $(seq 1 100); do curl -sf ${url}/ >/dev/null && exit 0; sleep 0.1; done; echo not answering >&2; exit 1`;
  writeFileSync(path.join(dir, 'restart.sh'), `${stop}\n${start}\n${ready}\n`);
  writeFileSync(path.join(dir, 'stop.sh'), `${stop}\n`);
  const restartHook = ['bash', path.join(dir, 'restart.sh')];
  await run({ command: 'bash', args: restartHook.slice(1), timeoutMs: 30_000 });
  await waitFor(
    async () =>
      (await fetch(url)
        .then((r) => r.status)
        .catch(() => 0)) === 200,
    30_000,
    'AGAMA to answer'
  );
  return {
    url,
    restartHook,
    stop: async () => void (await run({ command: 'bash', args: [path.join(dir, 'stop.sh')], timeoutMs: 30_000 })),
  };
}
