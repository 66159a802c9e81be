/**
 * The archivers `backup-sla serve` runs: one per target that archives its log, started with the
 * service, following a reload (a target gained or lost `pitr`, or its settings changed: its
 * archiver is stopped and started again, resuming where the archive ends), stopped on shutdown.
 */
import type { Logger } from 'pino';
import type { Engine } from '../engine';
import { Archiver } from './archiver';
import { pitrOf } from './log';

export class Archivers {
  private readonly running = new Map<string, { archiver: Archiver; settings: string }>();

  constructor(
    private readonly engine: Engine,
    private readonly log: Logger
  ) {}

  /** Starts (or restarts) an archiver for every target that archives its log, stops the others. */
  async sync(): Promise<void> {
    const wanted = new Map<string, string>();
    for (const t of Object.values(this.engine.config.targets)) {
      if (pitrOf(t)) {
        wanted.set(t.name, JSON.stringify([t.settings, t.repository, t.copies]));
      }
    }
    for (const [name, r] of [...this.running]) {
      if (wanted.get(name) !== r.settings) {
        this.running.delete(name);
        await r.archiver.stop();
      }
    }
    for (const [name, settings] of wanted) {
      if (!this.running.has(name)) {
        const archiver = new Archiver(this.engine, name, { log: this.log, owner: this.engine.config.catalog });
        this.running.set(name, { archiver, settings });
        archiver.start();
        this.log.info({ target: name }, 'binary log archiver started');
      }
    }
  }

  async stop(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.archiver.stop()));
  }

  get targets(): string[] {
    return [...this.running.keys()];
  }
}
