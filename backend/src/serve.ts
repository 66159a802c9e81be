/**
 * `backup-sla serve`: the daemon. Loads the config, opens the catalog, closes runs a dead process
 * left open, then serves the HTTP API and /metrics and runs the scheduler until SIGTERM/SIGINT.
 *
 * Shutdown (DESIGN §5): no new work is accepted; running work gets half of the grace period
 * (BACKUP_SLA_SHUTDOWN_GRACE, a duration such as 30s, default 30s) to finish and is then aborted,
 * which forgets any partial snapshot and clears the locks; then the HTTP server and the catalog
 * close and the process exits 0. A second signal exits at once (the next start cleans up).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Catalog } from './catalog/catalog';
import { loadConfig, ConfigError } from './config/load';
import { parseDuration } from './config/duration';
import type { Config } from './config/types';
import { Engine } from './engine/engine';
import { TokenAuth } from './api/auth';
import { buildApi } from './api/server';
import { createMetrics } from './metrics/metrics';
import { Peers } from './peers/peers';
import { Scheduler } from './scheduler/scheduler';
import { createLogger, silentLogger } from './util/log';

export interface ServiceOptions {
  now?: () => Date;
  log?: Logger;
  /** Run the scheduler (default true). */
  scheduler?: boolean;
  /** Listen on api.listen (default true); tests may use app.inject instead. */
  listen?: boolean;
  /** Use this engine (and its catalog) instead of opening new ones (tests). */
  engine?: Engine;
  /** How long running work may take to finish or abort on close (default 30 s). */
  shutdownGraceMs?: number;
}

export interface Service {
  app: FastifyInstance;
  engine: Engine;
  scheduler: Scheduler | null;
  /** http://host:port of the listening server, or null when not listening. */
  address: string | null;
  /** Graceful stop: no new work, running work finished or aborted, server and catalog closed. */
  close(): Promise<void>;
}

function version(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  if (!config.api) {
    throw new ConfigError(config.file, [
      'api: is required by `serve` (listen address and the token files of viewer, operator and admin)',
    ]);
  }
  const log = options.log ?? silentLogger;
  const auth = TokenAuth.fromConfig(config.api);
  const ownsEngine = !options.engine;
  const engine = options.engine ?? new Engine(config, new Catalog(config.catalog), { log, now: options.now });
  const grace = options.shutdownGraceMs ?? 30_000;
  let app: FastifyInstance | undefined;
  let scheduler: Scheduler | null = null;
  try {
    const recovered = await engine.recoverInterrupted();
    for (const r of recovered) {
      log.warn({ run: r.id, target: r.target, operation: r.operation }, 'closed a run left open by a stopped process');
    }
    const metrics = createMetrics(engine);
    // The other machines' services: their token files are read now (a missing one stops the start).
    const peers = new Peers(config, () => engine.now());
    app = buildApi({ engine, api: config.api, auth, metrics, log, version: version(), peers });
    let address: string | null = null;
    if (options.listen ?? true) {
      await app.listen({ host: config.api.listen.host, port: config.api.listen.port });
      const a = app.server.address() as AddressInfo;
      address = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    }
    if (options.scheduler ?? true) {
      scheduler = new Scheduler(engine, { log, now: options.now });
      scheduler
        .start()
        .catch((e) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'catch-up at start failed'));
    }
    let closing: Promise<void> | null = null;
    const service: Service = {
      app,
      engine,
      scheduler,
      address,
      close: () =>
        (closing ??= (async () => {
          await scheduler?.stop();
          await engine.shutdown(grace);
          await app!.close();
          await scheduler?.idle();
          if (ownsEngine) {
            engine.catalog.close();
          }
        })()),
    };
    return service;
  } catch (e) {
    await app?.close().catch(() => undefined);
    await scheduler?.stop().catch(() => undefined);
    if (ownsEngine) {
      engine.catalog.close();
    }
    throw e;
  }
}

function graceFromEnv(): number | undefined {
  const text = process.env.BACKUP_SLA_SHUTDOWN_GRACE;
  if (!text) {
    return undefined;
  }
  const s = parseDuration(text);
  if (s === null) {
    throw new Error(`BACKUP_SLA_SHUTDOWN_GRACE: not a duration: '${text}' (use e.g. 30s, 2m)`);
  }
  return s * 1000;
}

export async function serve(configFile: string): Promise<void> {
  const config = loadConfig(configFile);
  if (!config.api) {
    throw new ConfigError(config.file, [
      'api: is required by `serve` (listen address and the token files of viewer, operator and admin)',
    ]);
  }
  const log = createLogger();
  const service = await startService(config, { log, shutdownGraceMs: graceFromEnv() });
  log.info(
    {
      api: `${service.address}/api`,
      metrics: `${service.address}/metrics`,
      openapi: `${service.address}/api/openapi.json`,
    },
    `backup-sla serving ${Object.keys(config.targets).length} targets on ${service.address} as instance ${config.instance}${
      Object.keys(config.peers).length ? `, with peers ${Object.keys(config.peers).join(', ')}` : ''
    }`
  );

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now; the next start cleans up what was running');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down: no new work; running work finishes or is aborted');
      service.close().then(
        () => {
          log.info('stopped');
          resolve();
        },
        (e) => {
          log.error({ err: e instanceof Error ? e.message : String(e) }, 'shutdown failed');
          process.exit(1);
        }
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  process.exit(0);
}
