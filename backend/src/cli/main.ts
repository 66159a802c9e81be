/**
 * The `backup-sla` command line: a thin layer over the engine, usable when Grafana (or the
 * daemon) is down. Exit 0 on success; otherwise one clear line on stderr and a non-zero exit.
 */
import os from 'node:os';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError } from 'commander';
import { loadConfig, defaultConfigPath, ConfigError, SYSTEM_CONFIG } from '../config/load';
import { Catalog } from '../catalog/catalog';
import { Engine, RunOutcome } from '../engine/engine';
import { BusyError, InvalidRequestError, NotFoundError } from '../engine/errors';
import { slaState, retentionText } from '../engine/sla';
import { formatDuration } from '../config/duration';
import { rebuildCatalog } from '../catalog/rebuild';
import { doctor, formatReport } from '../doctor/doctor';
import { redact } from '../util/redact';
import { parsePointInTime } from '../util/point-in-time';
import { attachProgress } from './progress';
import { createLogger, silentLogger } from '../util/log';
import type { Config } from '../config/types';
import type * as Api from '../api/contract';
import { parseTargetArg, RemoteTarget, TargetArg } from './remote';
import { configJsonSchema, renderExample, renderKind } from '../config/document';
import { LAB_EXAMPLE } from '../config/example';
import { toPitr, toStatus } from '../api/mapping';
import { labStatus, Peers } from '../peers/peers';
import { drivers } from '../targets/registry';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 3, busy: 4, notFound: 5 } as const;

class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number
  ) {
    super(message);
  }
}

const actor = () => `cli:${os.userInfo().username}`;

/** The version of the service: its package.json (backend/ in the repository, the archive's root when installed). */
export function packageVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function open(program: Command, verbose = false, readonly = false): Engine {
  const file: string = program.opts().config ?? defaultConfigPath();
  const config = loadConfig(file);
  const catalog = new Catalog(config.catalog, { readonly });
  return new Engine(config, catalog, { log: verbose ? createLogger() : silentLogger });
}

function configOf(program: Command): Config {
  return loadConfig(program.opts().config ?? defaultConfigPath());
}

/**
 * A command on `<instance>/<target>`: a peer's target goes through the peer's API (cli/remote.ts),
 * audited here too; this instance's own target runs here.
 */
async function onTarget(
  program: Command,
  arg: string,
  local: (engine: Engine, target: string) => Promise<void>,
  remote: (r: RemoteTarget) => Promise<Api.Run | void>,
  audited?: string,
  options: { readonly?: boolean } = {}
): Promise<void> {
  const config = configOf(program);
  const where: TargetArg = parseTargetArg(config, arg);
  if (!where.peer) {
    return withEngine(program, (engine) => local(engine, where.target), options);
  }
  const r = new RemoteTarget(config, where.peer, where.target);
  const catalog = audited ? new Catalog(config.catalog) : null;
  const audit = (detail: string, result: 'ok' | 'failed' | 'started') =>
    catalog?.audit({ actor: r.actor, role: null, action: audited!, target: r.address, detail, result }, new Date());
  try {
    const run = await remote(r);
    if (run) {
      audit(`forwarded to ${r.peer}: run ${run.id} ${run.status}`, 'ok');
    }
  } catch (e) {
    audit(`forwarded to ${r.peer}: ${e instanceof Error ? e.message : String(e)}`, 'failed');
    throw e;
  } finally {
    r.close();
    catalog?.close();
  }
}

/** A peer's finished run, as the CLI says it; a failed run exits 1 with its error. */
function remoteOutcome(run: Api.Run): RunOutcome {
  if (run.status === 'failed') {
    throw new ExitError(run.error ?? 'failed', EXIT.failed);
  }
  return {
    runId: run.id,
    status: run.status as RunOutcome['status'],
    snapshotId: run.snapshotId,
    error: run.error,
    detail: {
      restore: run.restore ?? undefined,
      location: run.restore?.location,
      result: run.verification?.detail,
    },
  };
}

const phaseLine = (address: string) => (phase: string) => {
  if (process.stderr.isTTY) {
    process.stderr.write(`${address}: ${phase}\n`);
  }
};

/**
 * Runs a command over an engine. Commands that change something first close what a dead process
 * left running (recovery); read-only ones (`status`, `list`) open the catalog read-only and never
 * recover nor run restic, so that they are safe beside the daemon and for any user who may read.
 */
async function withEngine<T>(
  program: Command,
  fn: (engine: Engine) => Promise<T>,
  options: { readonly?: boolean } = {}
): Promise<T> {
  const engine = open(program, program.opts().verbose, options.readonly);
  const detach = attachProgress(engine, program.opts().verbose ? engine.log : null);
  try {
    if (!options.readonly) {
      await engine.recoverInterrupted();
    }
    return await fn(engine);
  } finally {
    detach();
    engine.catalog.close();
  }
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function json(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

function ensureOk(outcome: RunOutcome): RunOutcome {
  if (outcome.status === 'failed') {
    throw new ExitError(outcome.error ?? 'failed', EXIT.failed);
  }
  return outcome;
}

async function confirm(
  expected: string,
  question = `This replaces the current data of ${expected}. Type the target name to confirm: `
): Promise<boolean> {
  if (!process.stdin.isTTY) {
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return answer.trim() === expected;
}

/** What a restore did, for a person: where the data went, what came back, where the old data is, what next. */
function restoreReport(o: RunOutcome): string {
  const r = o.detail.restore;
  const at = o.detail.at ? ` as of ${new Date(o.detail.at).toString()}` : '';
  const lines = [`restored ${o.snapshotId?.slice(0, 8)}${at} to ${r?.location ?? o.detail.location}`];
  const counts = Object.entries(r?.counts ?? {}).map(([k, n]) => `${n} ${k}`);
  if (counts.length) {
    lines.push(`  restored: ${counts.join(', ')}`);
  }
  if (o.detail.safetySnapshotId) {
    lines.push(`  the state before the restore is kept as snapshot ${o.detail.safetySnapshotId.slice(0, 8)}`);
  } else if (o.detail.safetyBackup === 'nothing') {
    lines.push('  safety backup: there was nothing to save');
  }
  for (const m of r?.movedAside ?? []) {
    lines.push(`  moved aside (kept): ${m}  (backup-sla aside list / remove)`);
  }
  for (const n of r?.next ?? []) {
    lines.push(`  next: ${n}`);
  }
  return lines.join('\n');
}

export function buildProgram(): Command {
  const program = new Command('backup-sla')
    .description('Backups that follow the SLA: scheduled, verified, restorable')
    .option('-c, --config <file>', `configuration file (default: $BACKUP_SLA_CONFIG, then ${SYSTEM_CONFIG})`)
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-v, --verbose', 'log what happens to stderr')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('check-config')
    .description('validate the configuration and print every target with its effective policy')
    .action(() => {
      const config = loadConfig(program.opts().config ?? defaultConfigPath());
      print(`${config.file}: OK`);
      for (const t of Object.values(config.targets)) {
        print(
          [
            `${t.name} (${t.kind})`,
            `  schedule ${t.schedule}, RPO ${t.rpoSeconds === null ? 'none (current version held)' : formatDuration(t.rpoSeconds)}, RTO ${formatDuration(t.rtoSeconds)}`,
            `  retention ${retentionText(t.retention)}; verify ${t.verifySchedule ?? 'on demand'}`,
            `  repository ${t.repository}${t.copies.length ? `, copies ${t.copies.join(', ')}` : ''}`,
          ].join('\n')
        );
      }
      for (const c of config.covered) {
        print(`${c.name}: covered by ${c.coveredBy}`);
      }
    });

  const configCommand = program
    .command('config')
    .description(
      'the configuration documented: a commented example, a JSON Schema for editors (no configuration needed)'
    );
  configCommand
    .command('example [kind]')
    .description(
      "print the example configuration (the lab's SLA), or one target of <kind> with every field, each explained"
    )
    .action((kind: string | undefined) => {
      if (kind !== undefined && !Object.hasOwn(drivers, kind)) {
        throw new ExitError(`unknown kind '${kind}' (one of: ${Object.keys(drivers).join(', ')})`, EXIT.usage);
      }
      process.stdout.write(kind === undefined ? renderExample(LAB_EXAMPLE) : renderKind(kind));
    });
  configCommand
    .command('schema')
    .description('print the JSON Schema of the configuration (for yaml-language-server: README, Configuration)')
    .action(() => json(configJsonSchema()));

  program
    .command('backup <target>')
    .description('back up a target now (<instance>/<target>: on that peer); prints the new snapshot id')
    .action((arg: string) =>
      onTarget(
        program,
        arg,
        async (engine, target) => {
          const o = ensureOk(await engine.backup(target, actor()));
          print(
            o.status === 'unchanged' ? `unchanged: current version ${String(o.detail.version)} is held` : o.snapshotId!
          );
          const copyErrors = o.detail.copyErrors;
          if (copyErrors?.length) {
            process.stderr.write(`warning: copy failed: ${copyErrors.join('; ')}\n`);
          }
        },
        async (r) => {
          const run = await r.backup(phaseLine(r.address));
          const o = remoteOutcome(run);
          print(o.status === 'unchanged' ? 'unchanged: the current version is held' : o.snapshotId!);
          return run;
        },
        'backup'
      )
    );

  program
    .command('list <target>')
    .description('list the snapshots held for a target')
    .option('--json', 'machine-readable output')
    .action((arg: string, opts: { json?: boolean }) => {
      const show = (
        snaps: Array<Pick<Api.Snapshot, 'id' | 'time' | 'version' | 'verification' | 'safety' | 'heldBy'>>
      ) => {
        if (opts.json) {
          return json(snaps);
        }
        if (!snaps.length) {
          return print(`${arg}: no snapshots`);
        }
        for (const s of snaps) {
          print(
            `${s.id.slice(0, 8)}  ${s.time}  ${s.version ?? ''}  ${s.verification}${s.safety ? '  (safety)' : ''}  held by ${s.heldBy.join(', ')}`
          );
        }
      };
      return onTarget(
        program,
        arg,
        async (engine, target) => show(engine.snapshots(target)),
        async (r) => show(await r.snapshots()),
        undefined,
        { readonly: true }
      );
    });

  program
    .command('verify <target> [snapshot]')
    .description('prove a snapshot restorable by a test restore (default: latest)')
    .option('--json', 'machine-readable output')
    .action((arg: string, snapshot: string | undefined, opts: { json?: boolean }) =>
      onTarget(
        program,
        arg,
        async (engine, target) => {
          const o = await engine.verify(target, snapshot ?? 'latest', actor());
          if (opts.json) {
            json(o);
          } else if (o.status !== 'failed') {
            print(`verified ${o.snapshotId?.slice(0, 8)}: ${String(o.detail.result)}`);
          }
          ensureOk(o);
        },
        async (r) => {
          const run = await r.verify(snapshot ?? 'latest', phaseLine(r.address));
          if (opts.json) {
            json(run);
          }
          const o = remoteOutcome(run);
          if (!opts.json) {
            print(`verified ${o.snapshotId?.slice(0, 8)}: ${String(o.detail.result)}`);
          }
          return run;
        },
        'verify'
      )
    );

  program
    .command('restore <target> [snapshot]')
    .description(
      'restore a snapshot (or "latest"), or with --at the state of a second (targets with pitr); takes a safety backup of the current state first'
    )
    .option(
      '--at <time>',
      'restore to this second instead of a snapshot: "YYYY-MM-DD HH:MM:SS" (the service\'s local time) or ISO 8601 with an offset'
    )
    .option('--to <name>', 'restore beside the live data (another database / directory) instead of in place')
    .option('--yes', 'confirm without asking')
    .option('--no-safety-backup', 'do not back up the current state first')
    .option('--force', 'with --to: replace what is there (it is moved aside, never deleted)')
    .action(
      (
        arg: string,
        snapshot: string | undefined,
        opts: { at?: string; to?: string; yes?: boolean; safetyBackup: boolean; force?: boolean }
      ) => {
        let at: Date | undefined;
        if (opts.at !== undefined) {
          const parsed = parsePointInTime(opts.at);
          if (!(parsed instanceof Date)) {
            throw new ExitError(`--at: ${parsed.problem}`, EXIT.usage);
          }
          at = parsed;
        }
        if ((snapshot === undefined) === (at === undefined)) {
          throw new ExitError('restore: give a snapshot (or "latest") or --at <time>, not both', EXIT.usage);
        }
        return onTarget(
          program,
          arg,
          async (engine, target) => {
            engine.target(target);
            if (at) {
              engine.pointInTime(target, at); // refused here, before the question, when out of reach
            }
            if (!opts.yes && !(await confirm(target))) {
              throw new ExitError(`restore of ${target} not confirmed: re-run with --yes to confirm`, EXIT.usage);
            }
            const o = ensureOk(
              await engine.restore(
                target,
                { snapshot, at, to: opts.to, safetyBackup: opts.safetyBackup, force: opts.force },
                actor()
              )
            );
            print(restoreReport(o));
          },
          async (r) => {
            if (opts.force) {
              throw new ExitError(`--force is for this instance's targets only (not ${r.address})`, EXIT.usage);
            }
            if (!opts.yes && !(await confirm(r.address))) {
              throw new ExitError(`restore of ${r.address} not confirmed: re-run with --yes to confirm`, EXIT.usage);
            }
            const run = await r.restore(
              {
                ...(snapshot !== undefined ? { snapshot } : {}),
                ...(at ? { at: at.toISOString() } : {}),
                ...(opts.to !== undefined ? { to: opts.to } : {}),
                safetyBackup: opts.safetyBackup,
              },
              phaseLine(r.address)
            );
            print(restoreReport(remoteOutcome(run)));
            return run;
          },
          'restore'
        );
      }
    );

  program
    .command('forget <target>')
    .description('apply the retention policy now')
    .action((target: string) =>
      withEngine(program, async (engine) => {
        const o = ensureOk(await engine.forget(target, actor()));
        const gone = (o.detail.forgotten as string[]) ?? [];
        print(gone.length ? `forgot ${gone.map((id) => id.slice(0, 8)).join(', ')}` : 'nothing to forget');
      })
    );

  program
    .command('status')
    .description('the SLA state of every target (with peers: of the whole lab)')
    .option('--json', 'machine-readable output')
    .option('--local', 'this instance only, not its peers')
    .action((opts: { json?: boolean; local?: boolean }) =>
      withEngine(
        program,
        async (engine) => {
          if (!opts.local && Object.keys(engine.config.peers).length) {
            return labStatusCommand(engine, opts.json ?? false);
          }
          const state = slaState(engine.config, engine.catalog, engine.now());
          if (opts.json) {
            return json({
              generatedAt: state.generatedAt,
              level: state.level,
              targets: state.targets.map(({ target: _t, snapshots: _s, ...rest }) => rest),
              covered: state.covered,
            });
          }
          for (const t of state.targets) {
            const causes = Object.values(t.checks)
              .filter((c) => c.level !== 'ok' && c.cause)
              .map((c) => `  cause: ${redact(c.cause!)}`);
            print(
              [
                `${t.level.toUpperCase().padEnd(8)} ${t.name.padEnd(12)} ${t.reasons.length ? t.reasons.join('; ') : t.checks.fresh.reason}`,
                ...causes,
                ...(t.pitr ? [pitrLine(toPitr(t.pitr))] : []),
              ].join('\n')
            );
          }
          for (const c of state.covered) {
            print(`${c.level.toUpperCase().padEnd(8)} ${c.name.padEnd(12)} covered by ${c.coveredBy}`);
          }
          if (state.level === 'critical') {
            process.exitCode = EXIT.failed;
          }
        },
        { readonly: true }
      )
    );

  program
    .command('doctor [targets...]')
    .description(
      'check what the configuration needs: tools, repositories, free space, secrets, tokens (exit 1 when a check fails)'
    )
    .option('--json', 'machine-readable output')
    .action(async (targets: string[], opts: { json?: boolean }) => {
      const config = loadConfig(program.opts().config ?? defaultConfigPath());
      for (const t of targets) {
        if (!Object.hasOwn(config.targets, t)) {
          throw new NotFoundError(`unknown target '${t}' (configured: ${Object.keys(config.targets).join(', ')})`);
        }
      }
      // Read only: the catalog (if there is one) only for the size of the last backups.
      let catalog: Catalog | null = null;
      try {
        catalog = new Catalog(config.catalog, { readonly: true });
      } catch {
        catalog = null;
      }
      try {
        const report = await doctor(config, {
          targets: targets.length ? targets : undefined,
          catalog,
          log: program.opts().verbose ? createLogger() : silentLogger,
        });
        if (opts.json) {
          json(report);
        } else {
          process.stdout.write(formatReport(report));
        }
        if (report.level === 'failed') {
          process.exitCode = EXIT.failed;
        }
      } finally {
        catalog?.close();
      }
    });

  program
    .command('prune <repository>')
    .description('give back the space of forgotten snapshots (a shared repository: on its pruning instance only)')
    .action((repository: string) =>
      withEngine(program, async (engine) => {
        const r = await engine.prune(repository, actor());
        print(`pruned ${repository} in ${r.seconds.toFixed(1)} s`);
      })
    );

  program
    .command('rebuild-catalog')
    .description('recreate the catalog from the repositories (after losing it)')
    .action(() =>
      withEngine(program, async (engine) => {
        for (const r of await rebuildCatalog(engine)) {
          print(
            `${r.target}: ${r.found} snapshots in the repository, ${r.added} added to the catalog${r.dropped ? `, ${r.dropped} gone from the repository (dropped from the catalog)` : ''}`
          );
        }
      })
    );

  const aside = program
    .command('aside')
    .description('what restores moved aside (the data they replaced, kept): list it, remove it for good');
  aside
    .command('list [target]')
    .description('list what restores moved aside and is still there')
    .option('--json', 'machine-readable output')
    .action((target: string | undefined, opts: { json?: boolean }) =>
      withEngine(program, async (engine) => {
        if (target !== undefined) {
          engine.target(target);
        }
        const items = await engine.aside(target);
        if (opts.json) {
          return json(items);
        }
        if (!items.length) {
          return print('nothing moved aside');
        }
        for (const a of items) {
          print(`${a.target.padEnd(12)} ${a.kind.padEnd(9)} ${a.name}  (was ${a.was}, ${a.createdAt})`);
        }
      })
    );
  aside
    .command('remove <target> <name>')
    .description('delete one thing a restore moved aside, for good')
    .option('--yes', 'confirm without asking')
    .action((target: string, name: string, opts: { yes?: boolean }) =>
      withEngine(program, async (engine) => {
        engine.target(target);
        if (!opts.yes && !(await confirm(name, `This deletes ${name} for good. Type its name to confirm: `))) {
          throw new ExitError(`removal of ${name} not confirmed: re-run with --yes to confirm`, EXIT.usage);
        }
        const removed = await engine.removeAside(target, name, actor());
        print(`removed ${removed.kind} ${removed.name}`);
      })
    );

  program
    .command('serve')
    .description('run the scheduler, the HTTP API and /metrics')
    .action(async () => {
      const { serve } = await import('../serve');
      await serve(program.opts().config ?? defaultConfigPath());
    });

  return program;
}

/**
 * `status` with peers: this instance's targets and every peer's (each asked within its timeout; one
 * that does not answer shows its last known targets as unknown), as `<instance>/<target>`.
 */
async function labStatusCommand(engine: Engine, asJson: boolean): Promise<void> {
  const peers = new Peers(engine.config);
  let status: Api.StatusResponse;
  try {
    const own = toStatus(
      slaState(engine.config, engine.catalog, engine.now()),
      (t) => engine.destinations(t.name),
      engine.config.instance
    );
    status = labStatus(own, await peers.statuses());
  } finally {
    peers.close();
  }
  if (asJson) {
    return json(status);
  }
  for (const i of status.instances.filter((x) => !x.reachable)) {
    print(`UNKNOWN  ${i.name.padEnd(12)} ${i.error ?? 'not answering'}`);
  }
  for (const t of status.targets) {
    const causes = Object.values(t.checks)
      .filter((c) => c.level !== 'ok' && c.cause)
      .map((c) => `  cause: ${redact(c.cause!)}`);
    print(
      [
        `${t.level.toUpperCase().padEnd(8)} ${`${t.instance}/${t.name}`.padEnd(20)} ${t.reasons.length ? t.reasons.join('; ') : t.checks.fresh.reason}`,
        ...causes,
        ...(t.pitr ? [pitrLine(t.pitr)] : []),
      ].join('\n')
    );
  }
  for (const c of status.covered) {
    print(`${c.level.toUpperCase().padEnd(8)} ${c.name.padEnd(20)} covered by ${c.instance}/${c.coveredBy}`);
  }
  if (status.level === 'critical') {
    process.exitCode = EXIT.failed;
  }
}

/** A target's point-in-time window in one line under its status line. */
function pitrLine(p: Api.PitrStatus): string {
  const window = p.windowStart ? `${p.windowStart} … ${p.windowEnd}` : 'nothing recoverable yet';
  const lag = p.lagSeconds === null ? '' : `, archive ${p.lagSeconds} s behind`;
  const gaps = p.gaps.length ? `; ${p.gaps.length} gap(s), the last: ${p.gaps[p.gaps.length - 1].reason}` : '';
  return `  point in time: ${window}${lag} (archiver ${p.archiver}${p.stalled ? `: ${p.stalled}` : ''})${gaps}`;
}

function exitCodeOf(e: unknown): number {
  if (e instanceof ExitError) {
    return e.code;
  }
  if (e instanceof ConfigError) {
    return EXIT.config;
  }
  if (e instanceof BusyError) {
    return EXIT.busy;
  }
  if (e instanceof NotFoundError) {
    return EXIT.notFound;
  }
  if (e instanceof InvalidRequestError) {
    return EXIT.usage;
  }
  return EXIT.failed;
}

export async function main(argv: string[]): Promise<void> {
  // `backup-sla status | head -1`: the reader went away; that ends the output, not the program with a stack.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') {
        process.exit(process.exitCode ?? 0);
      }
      throw e;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`backup-sla: ${redact(message)}\n`);
    process.exitCode = exitCodeOf(e);
  }
}
