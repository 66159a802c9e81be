/**
 * A second machine of the lab for the browser tests (issue 14): the REAL service as instance
 * `mon1` with its own configuration, port, catalog, restic repository and role tokens, backing up
 * two directories of its own (kind files). The lab's service (`startLab({ instance: 'app1',
 * peers: [peer.asPeer] })`) names it as its peer and answers for both; the browser only ever
 * talks to app1. It can be stopped and started again (the same port and catalog), as a machine
 * that goes away and comes back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PeerOfLab } from './lab';
import {
  freePort,
  newTokens,
  ServiceProcess,
  startService,
  waitForCatchUp,
  writeServiceConfig,
  writeTokenFiles,
} from './service';

export interface PeerInstance {
  name: string;
  dir: string;
  /** Its own targets (both back up): `ansible` and `rules`. */
  targets: string[];
  service: ServiceProcess;
  /** What the lab's configuration needs to name it as a peer. */
  asPeer: PeerOfLab;
  /** Stops the service and removes its directory. */
  cleanup(): Promise<void>;
}

export async function startPeerInstance(name = 'mon1'): Promise<PeerInstance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bsla-e2e-${name}-`));
  try {
    // The machine's own sources: the Ansible repository's files and Prometheus's alerting rules.
    mkdirSync(path.join(dir, 'ansible', 'roles', 'backup-sla'), { recursive: true });
    writeFileSync(path.join(dir, 'ansible', 'site.yml'), '- hosts: all\n  roles: [backup-sla]\n');
    writeFileSync(path.join(dir, 'ansible', 'roles', 'backup-sla', 'main.yml'), '- name: install\n  debug: {}\n');
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(
      path.join(dir, 'rules', 'lab.rules.yml'),
      'groups:\n  - name: lab\n    rules:\n      - alert: Down\n        expr: up == 0\n'
    );

    const tokens = newTokens();
    writeTokenFiles(dir, tokens);
    const port = await freePort();
    const files = (paths: string, schedule: string) => ({
      kind: 'files',
      source: { paths: [paths] },
      schedule,
      rpo: '1d',
      rto: '5m',
      retention: { keepLast: 3 },
      verify: { schedule: null },
    });
    const configFile = writeServiceConfig(dir, port, {
      instance: name,
      targets: { ansible: files('./ansible', '0 4 * * *'), rules: files('./rules', '10 4 * * *') },
      covered: [],
    });

    const service = await startService(dir, configFile, port, tokens);
    try {
      await waitForCatchUp(service);
    } catch (err) {
      await service.stop();
      throw err;
    }
    return {
      name,
      dir,
      targets: ['ansible', 'rules'],
      service,
      asPeer: { name, url: service.url, tokens },
      async cleanup() {
        await service.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
