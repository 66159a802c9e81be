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

  program
    .command('backup <target>')
    .description('back up a target now; prints the new snapshot id')
    .action((target: string) =>
      withEngine(program, async (engine) => {
        const o = ensureOk(await engine.backup(target, actor()));
        print(
          o.status === 'unchanged' ? `unchanged: current version ${String(o.detail.version)} is held` : o.snapshotId!
        );
        const copyErrors = o.detail.copyErrors;
        if (copyErrors?.length) {
          process.stderr.write(`warning: copy failed: ${copyErrors.join('; ')}\n`);
        }
      })
    );

  program
    .command('list <target>')
    .description('list the snapshots held for a target')
    .option('--json', 'machine-readable output')
    .action((target: string, opts: { json?: boolean }) =>
      withEngine(
        program,
        async (engine) => {
          const snaps = engine.snapshots(target);
          if (opts.json) {
            return json(snaps);
          }
          if (!snaps.length) {
            return print(`${target}: no snapshots`);
          }
          for (const s of snaps) {
            print(
              `${s.id.slice(0, 8)}  ${s.time}  ${s.version ?? ''}  ${s.verification}${s.safety ? '  (safety)' : ''}  held by ${s.heldBy.join(', ')}`
            );
          }
        },
        { readonly: true }
      )
    );

  program
    .command('verify <target> [snapshot]')
    .description('prove a snapshot restorable by a test restore (default: latest)')
    .option('--json', 'machine-readable output')
    .action((target: string, snapshot: string | undefined, opts: { json?: boolean }) =>
      withEngine(program, async (engine) => {
        const o = await engine.verify(target, snapshot ?? 'latest', actor());
        if (opts.json) {
          json(o);
        } else if (o.status !== 'failed') {
          print(`verified ${o.snapshotId?.slice(0, 8)}: ${String(o.detail.result)}`);
        }
        ensureOk(o);
      })
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
        target: string,
        snapshot: string | undefined,
        opts: { at?: string; to?: string; yes?: boolean; safetyBackup: boolean; force?: boolean }
      ) =>
        withEngine(program, async (engine) => {
          engine.target(target);
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
        })
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
    .description('the SLA state of every target')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      withEngine(
        program,
        async (engine) => {
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
