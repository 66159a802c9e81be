/**
 * The disaster drill: for each kind, the live source is damaged as the SLA's restoration criteria
 * describe (a table dropped, a database deleted, dashboards deleted...), then restored through the
 * real HTTP API exactly as Grafana's plugin proxy sends the restore dialog's request — the admin
 * route's token, the Grafana user forwarded, the dialog's defaults (the latest version, a safety
 * backup first, in place) — and the data and the application are checked. Each restore's time is
 * printed against the target's RTO, and must be inside it.
 *
 *   drill('data stores', { setup, lab, teardown, scenarios: [{ target, disaster, damage, check }] })
 *
 * Run by `npm test` (it is a Jest suite of the service) and on its own by `npm run drill`.
 */
import { LabOptions } from '../test/harness';
import { waitFor } from '../test/process';
import { json, makeServiceLab, request, ServiceLab, TOKENS } from '../test/service';

export interface DrillScenario {
  /** The target restored (its name in the lab's configuration). */
  target: string;
  /** What went wrong, in the SLA's words ("table dropped"). */
  disaster: string;
  /** Damages the live source. */
  damage(): Promise<void>;
  /** Throws (expect) unless the data and the application are back. */
  check(): Promise<void>;
}

export interface DrillOptions {
  /** Makes the live sources with known data (before the lab). */
  setup?(): Promise<void>;
  /** The lab: its targets and files (the `api` section with role tokens is added). */
  lab(): LabOptions;
  /** Removes what setup and the scenarios made. */
  teardown?(): Promise<void>;
  scenarios: DrillScenario[];
}

/** The Grafana user the drill's requests come from (X-Grafana-User, into the audit log). */
export const DRILL_USER = 'drill-admin';

/**
 * A request as Grafana's plugin proxy forwards it (pluginproxy: the route's headers win, the
 * Grafana user and context are added, cookies are dropped).
 */
function proxied(role: 'viewer' | 'operator' | 'admin'): Record<string, string> {
  return {
    authorization: `Bearer ${TOKENS[role]}`,
    accept: 'application/json',
    'x-grafana-user': DRILL_USER,
    'x-grafana-context': JSON.stringify({ UserID: 1, Login: DRILL_USER, OrgID: 1, OrgRole: 'Admin' }),
    'x-forwarded-for': '127.0.0.1',
  };
}

interface RunView {
  status: string;
  error: string | null;
  durationSeconds: number | null;
  restore: { location: string; counts: Record<string, number>; movedAside: string[]; next: string[] } | null;
}

async function finishedRun(base: string, runId: number, timeoutMs: number): Promise<RunView> {
  let run: RunView | null = null;
  await waitFor(
    async () => {
      const res = await request(base, { method: 'GET', url: `/api/runs/${runId}`, headers: proxied('viewer') });
      run = json<RunView>(res);
      return run.status !== 'running';
    },
    timeoutMs,
    `run ${runId} to finish`
  );
  return run!;
}

function human(seconds: number): string {
  return seconds >= 60 ? `${Math.round(seconds / 6) / 10} min` : `${Math.round(seconds * 10) / 10} s`;
}

export function drill(title: string, options: DrillOptions): void {
  describe(`disaster drill: ${title}`, () => {
    let s: ServiceLab;
    let base: string;
    const report: string[] = [];

    beforeAll(async () => {
      await options.setup?.();
      s = await makeServiceLab(options.lab());
      base = s.service.address!;
      // The versions to restore: one backup of each target, through the operator route.
      for (const target of [...new Set(options.scenarios.map((x) => x.target))]) {
        const res = await request(base, {
          method: 'POST',
          url: `/api/targets/${target}/backup`,
          headers: proxied('operator'),
        });
        expect(res.statusCode).toBe(202);
        const run = await finishedRun(base, json<{ runId: number }>(res).runId, 300_000);
        expect(run.error).toBeNull();
        expect(run.status).toBe('success');
      }
    });
    afterAll(async () => {
      if (report.length) {
        process.stdout.write(`\ndisaster drill (${title}): restores through the HTTP API, the dialog's defaults\n`);
        process.stdout.write(`${report.join('\n')}\n\n`);
      }
      await s?.service.close();
      s?.lab.cleanup();
      await options.teardown?.();
    });

    for (const scenario of options.scenarios) {
      test(`${scenario.target}: ${scenario.disaster} — restored through the API, back within the RTO`, async () => {
        const rto = s.lab.engine.config.targets[scenario.target].rtoSeconds;
        await scenario.damage();
        const started = Date.now();
        // The restore dialog's defaults, as the plugin posts them through the admin route.
        const res = await request(base, {
          method: 'POST',
          url: '/api/restores',
          headers: { ...proxied('admin'), 'content-type': 'application/json' },
          payload: { target: scenario.target, snapshot: 'latest', safetyBackup: true, confirm: scenario.target },
        });
        expect(res.statusCode).toBe(202);
        const run = await finishedRun(base, json<{ runId: number }>(res).runId, rto * 1000);
        const seconds = (Date.now() - started) / 1000;
        expect(run.error).toBeNull();
        expect(run.status).toBe('success');
        await scenario.check();
        report.push(
          `  ${`${scenario.target}: ${scenario.disaster}`.padEnd(42)} restored in ${human(seconds).padStart(7)}` +
            `   RTO ${human(rto).padStart(6)}   (${((100 * seconds) / rto).toFixed(1)}% of the RTO)` +
            (run.restore?.movedAside.length ? `; kept: ${run.restore.movedAside.join(', ')}` : '')
        );
        expect(seconds).toBeLessThan(rto);
        // Who did it is in the audit log: the Grafana user, not only the token's role.
        const audit = json<{ entries: Array<{ actor: string; action: string; target: string; result: string }> }>(
          await request(base, { method: 'GET', url: '/api/audit?limit=5', headers: proxied('viewer') })
        );
        expect(audit.entries.find((e) => e.action === 'restore' && e.target === scenario.target)).toMatchObject({
          actor: DRILL_USER,
          result: 'ok',
        });
      });
    }
  });
}
