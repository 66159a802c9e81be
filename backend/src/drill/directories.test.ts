/**
 * Disaster drill of the directory targets (framework.ts says how a drill runs): AGAMA's
 * application file corrupted (a failed download) while uWSGI serves it; Prometheus's data
 * directory deleted with the server stopped; the Ansible configuration broken (the playbook
 * garbled, a role deleted). Each is restored through the HTTP API with the dialog's defaults, and
 * the application must answer again: AGAMA under uWSGI with its items, Prometheus with the
 * history it had, Ansible's code checking clean against the machine it manages.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drill } from './framework';
import { AGAMA_FIXTURE, BOTH_FORMS, install, serveAgama, ServedAgama, uwsgiSmoke } from '../test/agama';
import { applyPlaybook, checkChanged, git, makeRepo } from '../test/ansible';
import { answers, lowestTimestamp, privatePrometheus, PrivatePrometheus, waitForData } from '../test/prometheus';
import { run } from '../util/subprocess';

let base: string;
let app: string;
let agama: ServedAgama;
let prometheus: PrivatePrometheus;
let oldest: number;
let repo: string;
let head: string;

async function page(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

drill('directories', {
  setup: async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'bsla-drill-dirs-'));
    // AGAMA v0.3 served by uWSGI, with an item of its users in its database.
    app = path.join(base, 'opt', 'agama');
    install(app, 'v0.3');
    agama = await serveAgama(app, path.join(base, 'uwsgi'));
    const added = await fetch(`${agama.url}/items/add`, {
      method: 'POST',
      body: new URLSearchParams({ new_item: 'Réparer le vélo ✓' }),
      redirect: 'manual',
    });
    expect(added.status).toBe(302);
    // Prometheus scraping itself, with the stop/start hooks the lab's systemd gives.
    prometheus = await privatePrometheus({ dir: path.join(base, 'prometheus') });
    await waitForData(prometheus.url);
    oldest = await lowestTimestamp(prometheus.url);
    // The Ansible repository, applied to the machine it manages.
    repo = path.join(base, 'ansible');
    await makeRepo(repo, path.join(base, 'motd'));
    await applyPlaybook(repo);
    head = (await git(repo, 'rev-parse', 'HEAD')).trim();
  },
  lab: () => ({
    targets: {
      agama: {
        kind: 'files',
        source: { paths: [app], versionFrom: { file: path.join(app, 'agama.py'), pattern: BOTH_FORMS } },
        afterRestore: agama.restartHook,
        verify: { smoke: uwsgiSmoke() },
      },
      prometheus: {
        kind: 'prometheus',
        connection: { url: prometheus.url, dataDir: prometheus.dataDir },
        hooks: { stop: prometheus.stopHook, start: prometheus.startHook },
      },
      ansible: {
        kind: 'ansible',
        source: { path: repo },
        verify: { playbooks: ['site.yml'], inventory: 'inventory/hosts', checkMode: true },
      },
    },
  }),
  teardown: async () => {
    await agama?.stop().catch(() => undefined);
    await prometheus?.stop().catch(() => undefined);
    if (base) {
      rmSync(base, { recursive: true, force: true });
    }
  },
  scenarios: [
    {
      target: 'agama',
      disaster: 'application file corrupted',
      damage: async () => {
        // An upgrade whose download broke off: the first bytes of the file; uWSGI is down with it.
        const file = path.join(app, 'agama.py');
        writeFileSync(file, readFileSync(file).subarray(0, 300));
        await agama.stop();
        const broken = await run({ command: '/usr/bin/python3', args: ['-m', 'py_compile', file] }).catch((e) => e);
        expect(broken).toBeInstanceOf(Error);
        expect(await fetch(agama.url).catch(() => null)).toBeNull();
      },
      check: async () => {
        expect(readFileSync(path.join(app, 'agama.py'), 'utf8')).toBe(
          readFileSync(path.join(AGAMA_FIXTURE, 'v0.3', 'agama.py'), 'utf8')
        );
        // afterRestore restarted uWSGI: AGAMA answers with its items.
        const p = await page(agama.url);
        expect(p.status).toBe(200);
        expect(p.body).toContain('AGAMA</a> v0.3');
        expect(p.body).toContain('Réparer le vélo ✓');
      },
    },
    {
      target: 'prometheus',
      disaster: 'data directory deleted, server stopped',
      damage: async () => {
        await prometheus.stop();
        rmSync(prometheus.dataDir, { recursive: true });
      },
      check: async () => {
        // The start hook brought it back, on the history it had at the backup.
        expect(await answers(prometheus.url)).toBe(true);
        expect(await lowestTimestamp(prometheus.url)).toBe(oldest);
        const q = await fetch(
          `${prometheus.url}/api/v1/query?${new URLSearchParams({ query: 'up', time: ((oldest + 2000) / 1000).toFixed(3) })}`
        ).then((r) => r.json() as Promise<any>);
        expect(q.data.result.length).toBeGreaterThan(0);
        await waitForData(prometheus.url);
      },
    },
    {
      target: 'ansible',
      disaster: 'configuration broken',
      damage: async () => {
        writeFileSync(path.join(repo, 'site.yml'), '- hosts: [lab\n  roles: motd\n');
        rmSync(path.join(repo, 'roles'), { recursive: true });
      },
      check: async () => {
        expect((await git(repo, 'rev-parse', 'HEAD')).trim()).toBe(head);
        expect((await git(repo, 'status', '--porcelain')).trim()).toBe('');
        // The code checks clean against the machine it manages.
        expect(await checkChanged(repo)).toBe(0);
      },
    },
  ],
});
