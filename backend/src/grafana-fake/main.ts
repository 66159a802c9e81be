/**
 * The Grafana fake as a standalone process, for the demo lab (Grafana itself cannot be installed
 * here). Lives outside src/test/ so that `npm run build` compiles it (tsconfig.build.json
 * excludes src/test/**; the fake's modules are pulled in through the import below).
 *
 *   node backend/dist/grafana-fake/main.js --port 3000 --token-file ./secrets/grafana.token --seed demo
 *
 * Options: --port N (default 3000; 0 = any free port), --host H (default 127.0.0.1),
 * --token-file F (the service account token Bearer requests must carry; required),
 * --seed demo|empty (default demo). Prints one line "grafana-fake listening on URL" when ready,
 * stops on SIGTERM / SIGINT.
 */
import { readFileSync } from 'node:fs';
import { GrafanaState, startGrafanaFake } from '../test/grafana-fake/server';
import { seed, SeedName, SEEDS } from '../test/grafana-fake/seed';

function usage(problem: string): never {
  process.stderr.write(
    `grafana-fake: ${problem}\nusage: grafana-fake --token-file FILE [--port N] [--host H] [--seed ${SEEDS.join('|')}]\n`
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { port: number; host: string; tokenFile: string; seed: SeedName } {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      usage(`unexpected argument '${argv[i]}'`);
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) {
      usage(`--${m[1]} needs a value`);
    }
    out[m[1]] = value;
  }
  for (const k of Object.keys(out)) {
    if (!['port', 'host', 'token-file', 'seed'].includes(k)) {
      usage(`unknown option --${k}`);
    }
  }
  if (!out['token-file']) {
    usage('--token-file is required');
  }
  const port = Number(out.port ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    usage(`--port: not a port number: ${out.port}`);
  }
  const s = (out.seed ?? 'demo') as SeedName;
  if (!SEEDS.includes(s)) {
    usage(`--seed: one of ${SEEDS.join(', ')}`);
  }
  return { port, host: out.host ?? '127.0.0.1', tokenFile: out['token-file'], seed: s };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let token: string;
  try {
    token = readFileSync(args.tokenFile, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    usage(`cannot read --token-file ${args.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (!token.trim()) {
    usage(`--token-file ${args.tokenFile} is empty`);
  }
  const state = seed(new GrafanaState(token), args.seed);
  const fake = await startGrafanaFake({ state, port: args.port, host: args.host });
  process.stdout.write(`grafana-fake listening on ${fake.url} (seed ${args.seed})\n`);
  const stop = () => {
    fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`grafana-fake: ${(e as Error).message}\n`);
  process.exit(1);
});
