/**
 * One combined markdown table of a `npm run bench` run, with the machine at the top: printed and
 * written to bench/results/README-table.md.
 *
 *   report.ts --start <epoch ms> [--load <1-min load at start>] <name>:<exit code|missing> ...
 *
 * Reads the results written during this run: the lines of bench/results/latest.jsonl (emptied by
 * scripts/bench.sh at the start) and any bench/results/<name>.json written since --start (for a
 * benchmark that writes only that file). The last result per name wins.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BenchResult, RESULTS_DIR, Row, machine, markdownTable } from './lib';

function parseArgs(argv: string[]): {
  start: number;
  load: number | null;
  runs: Array<{ name: string; status: string }>;
} {
  let start = 0;
  let load: number | null = null;
  const runs: Array<{ name: string; status: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--start') {
      start = Number(argv[++i]);
    } else if (argv[i] === '--load') {
      load = Number(argv[++i]);
    } else {
      const [name, status] = argv[i].split(':');
      runs.push({ name, status: status ?? '?' });
    }
  }
  return { start, load, runs };
}

function readResults(start: number, names: string[]): Map<string, BenchResult> {
  const found = new Map<string, BenchResult>();
  const latest = path.join(RESULTS_DIR, 'latest.jsonl');
  if (existsSync(latest)) {
    for (const line of readFileSync(latest, 'utf8').split('\n')) {
      if (!line.trim()) {
        continue;
      }
      try {
        const r = JSON.parse(line) as BenchResult;
        if (r && typeof r.name === 'string') {
          found.set(r.name, r);
        }
      } catch {
        // a torn line: ignored
      }
    }
  }
  for (const name of names) {
    const file = path.join(RESULTS_DIR, `${name}.json`);
    if (!found.has(name) && existsSync(file) && statSync(file).mtimeMs >= start) {
      try {
        found.set(name, JSON.parse(readFileSync(file, 'utf8')) as BenchResult);
      } catch {
        // unreadable: reported as no result
      }
    }
  }
  return found;
}

/** Rows of a result, tolerating a benchmark that wrote another shape. */
function rowsOf(r: BenchResult): Row[] {
  if (r.skipped) {
    return [{ metric: `skipped: ${r.skipped}`, value: null, unit: 'text' }];
  }
  if (Array.isArray(r.rows)) {
    return r.rows;
  }
  return [{ metric: 'result (unknown shape)', value: JSON.stringify(r).slice(0, 300), unit: 'text' }];
}

function main(): void {
  const { start, load, runs } = parseArgs(process.argv.slice(2));
  const totalSeconds = Math.round((Date.now() - start) / 1000);
  const m = machine();
  const results = readResults(
    start,
    runs.map((r) => r.name)
  );
  const sections: string[] = [];
  const problems: string[] = [];
  const table: string[] = [];
  let header = true;
  for (const run of runs) {
    const r = results.get(run.name);
    let rows: Row[];
    if (run.status === 'missing') {
      rows = [{ metric: `not run: bench/${run.name}.ts does not exist`, value: null, unit: 'text' }];
    } else if (!r) {
      rows = [
        {
          metric: `FAILED (exit ${run.status}) without a result: see bench/results/last-run.log`,
          value: null,
          unit: 'text',
        },
      ];
      problems.push(run.name);
    } else {
      rows = rowsOf(r);
      if (run.status !== '0') {
        rows = [...rows, { metric: `exited ${run.status} after writing this result`, value: null, unit: 'text' }];
        problems.push(run.name);
      }
    }
    const lines = markdownTable(rows, run.name + (r?.seconds !== undefined ? ` (${r.seconds} s)` : '')).split('\n');
    table.push(...(header ? lines : lines.slice(2)));
    header = false;
  }
  const goals = [...results.values()]
    .flatMap((r) => (Array.isArray(r.rows) ? r.rows : []))
    .filter((row) => row.met === true || row.met === false);
  const met = goals.filter((g) => g.met).length;
  const mins = `${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s`;
  sections.push('# Benchmarks');
  sections.push('');
  sections.push(
    `Machine: ${m.nproc} CPUs (nproc), ${m.model}, ${m.memoryGiB} GiB memory, Node ${m.node}. ` +
      `Load average (1 min) ${load !== null && Number.isFinite(load) ? `${load} at the start, ` : ''}${m.load1} at the end: other work on the machine skews the timings.`
  );
  sections.push('');
  sections.push(
    `Run ${new Date(start).toISOString()}: \`npm run bench\` took ${mins}. Goals met: ${met} of ${goals.length}.`
  );
  sections.push('');
  sections.push(table.join('\n'));
  sections.push('');
  sections.push(
    'Ratios are value ÷ baseline, both measured in the same run (for the memory goal: ÷ the same CLI doing `status`).'
  );
  if (problems.length) {
    sections.push('');
    sections.push(`Problems: ${problems.join(', ')} (see bench/results/last-run.log).`);
  }
  const text = sections.join('\n') + '\n';
  writeFileSync(path.join(RESULTS_DIR, 'README-table.md'), text);
  console.log('\n' + text);
  process.exitCode = problems.length ? 1 : 0;
}

main();
