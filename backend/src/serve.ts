/**
 * `backup-sla serve`: the daemon. Loads the config, opens the catalog, closes runs a dead process
 * left open, then serves the HTTP API and /metrics and runs the scheduler until SIGTERM/SIGINT.
 *
 * Shutdown (docs/design.md §5): no new work is accepted; running work gets half of the grace period
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
import { buildApi, HttpTimeouts } from './api/server';
import { isLoopback } from './config/schema';
import { attachProgressLog } from './cli/progress';
import { createMetrics } from './metrics/metrics';
import { Peers } from './peers/peers';
import { Scheduler } from './scheduler/scheduler';
import { Archivers } from './engine/pitr/archivers';
import { createLogger, silentLogger } from './util/log';

export interface ServiceOptions {
  now?: () => Date;
  log?: Logger;
  /** Run the scheduler (default true). */
  scheduler?: boolean;
  /** Run the binary log archivers of targets with pitr (default: as the scheduler). */
  archivers?: boolean;
  /** Listen on api.listen (default true); tests may use app.inject instead. */
  listen?: boolean;
  /** Use this engine (and its catalog) instead of opening new ones (tests). */
  engine?: Engine;
  /** How long running work may take to finish or abort on close (default 30 s). */
  shutdownGraceMs?: number;
  /** HTTP timeouts (tests shorten them). */
  httpTimeouts?: Partial<HttpTimeouts>;
}

export interface Service {
  app: FastifyInstance;
  engine: Engine;
  scheduler: Scheduler | null;
  /** The binary log archivers (targets with pitr), beside the scheduler. */
  archivers: Archivers | null;
  /** http://host:port of the listening server, or null when not listening. */
  address: string | null;
  /** Graceful stop: no new work, running work finished or aborted, server and catalog closed. */
  close(): Promise<void>;
  /**
   * Reads the configuration file again and takes it (SIGHUP, `systemctl reload backup-sla`):
   * targets, schedules, repositories and tokens change at once; running work goes on untouched.
   * A configuration with a problem is not taken (the old one stays); what needs a restart (the
   * catalog, api.listen, api.tls, api.bodyLimit) is named in the log and waits for one.
   */
  reload(file?: string): { applied: boolean; problems: string[]; needsRestart: string[] };
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
  let archivers: Archivers | null = null;
  try {
    const recovered = await engine.recoverInterrupted();
    for (const r of recovered) {
      log.warn({ run: r.id, target: r.target, operation: r.operation }, 'closed a run left open by a stopped process');
    }
    const metrics = createMetrics(engine);
    // The other machines' services: their token files are read now (a missing one stops the start).
    const peers = new Peers(config, () => engine.now());
    app = buildApi({
      engine,
      api: config.api,
      auth,
      metrics,
      log,
      version: version(),
      timeouts: options.httpTimeouts,
      peers,
    });
    let address: string | null = null;
    if (options.listen ?? true) {
      await app.listen({ host: config.api.listen.host, port: config.api.listen.port });
      const a = app.server.address() as AddressInfo;
      address = `${config.api.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
      if (!isLoopback(config.api.listen.host)) {
        log.warn(
          { listen: `${config.api.listen.host}:${config.api.listen.port}`, tls: !!config.api.tls },
          config.api.tls
            ? 'listening beyond loopback: other machines can reach the API (TLS on); limit who may connect with a firewall'
            : 'listening beyond loopback without TLS: tokens and answers cross the network in clear text; set api.tls or put the TLS proxy of docs/operations.md in front'
        );
      }
    }
    if (options.archivers ?? options.scheduler ?? true) {
      archivers = new Archivers(engine, log);
      await archivers.sync();
    }
    if (options.scheduler ?? true) {
      scheduler = new Scheduler(engine, { log, now: options.now });
      scheduler
        .start()
        .catch((e) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'catch-up at start failed'));
    }
    let closing: Promise<void> | null = null;
    const running = config.api;
    const service: Service = {
      app,
      engine,
      scheduler,
      archivers,
      address,
      reload: (file = engine.config.file) => {
        let next: Config;
        let nextAuth: TokenAuth;
        try {
          next = loadConfig(file);
          if (!next.api) {
            throw new ConfigError(next.file, ['api: is required by `serve`']);
          }
          nextAuth = TokenAuth.fromConfig(next.api);
          engine.reload(next);
        } catch (e) {
          const problems = e instanceof ConfigError ? e.problems.map((p) => `${e.file}: ${p}`) : [(e as Error).message];
          log.error({ problems }, 'reload refused: the configuration has problems; the running one stays');
          return { applied: false, problems, needsRestart: [] };
        }
        auth.update(nextAuth);
        const needsRestart = (['listen', 'tls', 'bodyLimitBytes'] as const)
          .filter((k) => JSON.stringify(next.api![k]) !== JSON.stringify(running[k]))
          .map((k) => `api.${k === 'bodyLimitBytes' ? 'bodyLimit' : k}`);
        if (needsRestart.length) {
          log.warn({ fields: needsRestart }, 'reload: these take effect at the next restart');
        }
        void scheduler?.reschedule();
        void archivers
          ?.sync()
          .catch((e) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'archivers after reload'));
        log.info({ targets: Object.keys(next.targets) }, 'configuration reloaded');
        return { applied: true, problems: [], needsRestart };
      },
      close: () =>
        (closing ??= (async () => {
          await scheduler?.stop();
          // The archivers save what they cut and stop their followers (the next start resumes there).
          await archivers?.stop();
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
    await archivers?.stop().catch(() => undefined);
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
  // Under systemd stderr is the journal: long work shows there every few seconds.
  const detachProgress = attachProgressLog(service.engine, log);
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
    process.on('SIGHUP', () => {
      if (!stopping) {
        log.info({ file: configFile }, 'SIGHUP: reading the configuration again');
        service.reload(configFile);
      }
    });
  });
  detachProgress();
  process.exit(0);
}
