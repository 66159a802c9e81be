/**
 * Test harness: a throw-away lab directory with a config file, password files, a catalog and an
 * engine over real restic repositories. Tests describe targets in the config's own YAML shape.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { loadConfig } from '../config/load';
import { Catalog } from '../catalog/catalog';
import { Engine } from '../engine/engine';
import { NoRepositoryError, ResticRepository, ResticSnapshot } from '../repository/restic';

export interface Lab {
  dir: string;
  configFile: string;
  engine: Engine;
  /** Moves the injected clock. */
  clock: { now: Date; advance(seconds: number): void };
  /** Reloads config + catalog + engine (e.g. after editing the config or to simulate a restart). */
  reopen(): Engine;
  cleanup(): void;
}

export interface LabOptions {
  /** `repositories:` section; default one local repository `main`. */
  repositories?: Record<string, Record<string, unknown>>;
  targets: Record<string, Record<string, unknown>>;
  api?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** Files to write into the lab directory before the config is loaded (name → content). */
  files?: Record<string, string>;
  /** Start of the injected clock; default: real time, frozen at creation and moved by advance(). */
  start?: Date;
  /** The engine follows the real clock (advance() moves it further): tests of the log archive, whose events carry the server's time. */
  realClock?: boolean;
  /** The engine's logger (default: silent), kept across reopen(): tests that read the logs. */
  log?: Logger;
}

export function writeSecret(dir: string, name: string, value: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
}

export function makeLab(options: LabOptions): Lab {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-test-'));
  writeSecret(dir, 'repo.pass', `repo-password-${Math.random().toString(36).slice(2)}`);
  for (const [name, content] of Object.entries(options.files ?? {})) {
    writeSecret(dir, name, content);
  }
  const config = {
    repositories: options.repositories ?? { main: { url: './repo', passwordFile: './repo.pass' } },
    targets: options.targets,
    ...(options.api ? { api: options.api } : {}),
    ...(options.extra ?? {}),
  };
  const configFile = path.join(dir, 'backup-sla.yaml');
  writeFileSync(configFile, YAML.stringify(config));
  let offsetMs = 0;
  const frozen = { now: options.start ?? new Date() };
  const clock = {
    get now(): Date {
      return options.realClock ? new Date(Date.now() + offsetMs) : frozen.now;
    },
    set now(d: Date) {
      frozen.now = d;
      offsetMs = d.getTime() - Date.now();
    },
    advance(seconds: number) {
      if (options.realClock) {
        offsetMs += seconds * 1000;
      } else {
        frozen.now = new Date(frozen.now.getTime() + seconds * 1000);
      }
    },
  };
  let engine: Engine;
  const open = () => {
    const cfg = loadConfig(configFile);
    engine = new Engine(cfg, new Catalog(cfg.catalog), { now: () => clock.now, log: options.log });
    return engine;
  };
  open();
  return {
    dir,
    configFile,
    get engine() {
      return engine;
    },
    clock,
    reopen() {
      engine.catalog.close();
      return open();
    },
    cleanup() {
      try {
        engine.catalog.close();
      } catch {
        // already closed
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Changes what the catalog recorded for snapshot `id` (its metadata) as a damaged or hand-edited
 * record would be; returns what puts the record back.
 */
export function changeRecordedMetadata(lab: Lab, id: string, change: (meta: any) => void): () => void {
  const db = lab.engine.catalog.db;
  const { metadata } = db.prepare('SELECT metadata FROM snapshots WHERE id = ?').get(id) as { metadata: string };
  const meta = JSON.parse(metadata);
  change(meta);
  const update = db.prepare('UPDATE snapshots SET metadata = ? WHERE id = ?');
  update.run(JSON.stringify(meta), id);
  return () => update.run(metadata, id);
}

/** The tag a run's snapshots carry (`run=<uuid>`): run numbers are the catalog's own. */
export function runTag(lab: Lab, runId: number): string {
  return `run=${lab.engine.catalog.run(runId)!.uid}`;
}

/** What restic itself holds in one of the lab's repositories (to compare with the catalog). */
export async function resticSnapshots(lab: Lab, repo = 'main'): Promise<Array<ResticSnapshot & { tags: string[] }>> {
  // A repository object of its own (not the engine's): its own restic call, any backend. Only a
  // backup creates a repository: a lab whose backups all failed has none, so holds nothing.
  const held = await new ResticRepository(lab.engine.config.repositories[repo])
    .snapshots()
    .catch((e) => (e instanceof NoRepositoryError ? [] : Promise.reject(e)));
  return held.map((s) => ({ ...s, tags: s.tags ?? [] }));
}
