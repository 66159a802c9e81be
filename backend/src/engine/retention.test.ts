/**
 * Retention decided from the catalog: restic's own policy algorithm (checked against restic
 * itself), applied to versions only, with the catalog's rules on top (safety snapshots apart,
 * failed versions never pushing out passed ones, nothing removed when the clock is in doubt).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SnapshotRecord } from '../catalog/catalog';
import { resticTime } from '../repository/restic';
import { run } from '../util/subprocess';
import { applyPolicy, clockTrouble, isoWeek, planRetention } from './retention';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

let seq = 0;
function snap(time: Date, extra: Partial<SnapshotRecord> = {}): SnapshotRecord {
  seq += 1;
  return {
    id: `${String(seq).padStart(4, '0')}${'0'.repeat(60)}`,
    target: 't',
    time: time.toISOString(),
    bytes: 1,
    version: null,
    metadata: null,
    verification: 'unverified',
    verifiedAt: null,
    verificationDetail: null,
    runId: seq,
    runUid: `uid-${seq}`,
    seq,
    heldBy: ['main'],
    safety: false,
    ...extra,
  };
}

/** Newest first, as the catalog answers. */
const newestFirst = (list: SnapshotRecord[]) => [...list].sort((a, b) => b.seq - a.seq);

describe("restic's policy, from the catalog", () => {
  it('gives exactly what restic forget --dry-run decides for the same snapshot times', async () => {
    // Irregular times over eleven weeks: several a day, gaps, a month boundary.
    const start = new Date('2026-08-03T09:00:00');
    const offsets = [0, 2, 26, 27, 50, 100, 170, 171, 300, 460, 620, 790, 791, 960, 1130, 1300, 1301, 1500, 1700, 1850];
    const times = offsets.map((h) => new Date(start.getTime() + h * HOUR));
    const policy = { keepLast: 2, keepDaily: 4, keepWeekly: 3, keepMonthly: 2, keepWithin: '3d' };

    const dir = mkdtempSync(path.join(os.tmpdir(), 'bsla-policy-'));
    try {
      const env = { ...process.env, RESTIC_PASSWORD: 'policy-test', RESTIC_REPOSITORY: path.join(dir, 'repo') };
      await run({ command: 'restic', args: ['init', '-q'], env });
      writeFileSync(path.join(dir, 'f'), 'x');
      const ids: string[] = [];
      for (const t of times) {
        const out = await run({
          command: 'restic',
          args: ['backup', '--json', '--time', resticTime(t), '--host', 'h', '--tag', 'target=t', 'f'],
          env,
          cwd: dir,
        });
        const summary = out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
          .find((m) => m.message_type === 'summary');
        ids.push(summary.snapshot_id);
      }
      const plan = JSON.parse(
        (
          await run({
            command: 'restic',
            args: [
              'forget',
              '--dry-run',
              '--json',
              '--group-by',
              '',
              '--keep-last',
              '2',
              '--keep-daily',
              '4',
              '--keep-weekly',
              '3',
              '--keep-monthly',
              '2',
              '--keep-within',
              '3d',
            ],
            env,
          })
        )
          .split('\n')
          .find((l) => l.startsWith('['))!
      ) as Array<{ keep: Array<{ short_id: string }> }>;
      const resticKept = new Set(plan.flatMap((g) => g.keep.map((s) => s.short_id)));
      const ours = applyPolicy(times.map((t, i) => ({ id: ids[i], time: t.toISOString() })).reverse(), policy);
      expect([...ours].sort()).toEqual(ids.filter((id) => resticKept.has(id.slice(0, 8))).sort());
      expect(ours.size).toBeLessThan(times.length); // the case removes something
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('ISO weeks as restic counts them (the Thursday decides the year)', () => {
    expect(isoWeek(new Date('2027-01-01T12:00:00'))).toBe(202653);
    expect(isoWeek(new Date('2024-12-30T12:00:00'))).toBe(202501);
    expect(isoWeek(new Date('2026-11-30T12:00:00'))).toBe(202649);
  });

  it('keepWithin means exactly the duration it says: 30m is thirty minutes (restic would read months), 90s and 2w work', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const at = (ms: number) => ({ id: String(ms), time: new Date(now.getTime() - ms).toISOString() });
    const versions = [at(0), at(20 * 60_000), at(40 * 60_000), at(2 * HOUR)];
    expect([...applyPolicy(versions, { keepWithin: '30m' })]).toEqual([versions[0].id, versions[1].id]);
    expect([...applyPolicy(versions, { keepWithin: '90s' })]).toEqual([versions[0].id]);
    expect(applyPolicy(versions, { keepWithin: '2w' }).size).toBe(4);
  });
});

describe('what retention removes', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('safety snapshots are not versions: never counted, never pushed out by the policy, kept for their own period', () => {
    const v1 = snap(new Date(now.getTime() - 3 * DAY));
    const safetyOld = snap(new Date(now.getTime() - 40 * DAY), { safety: true, seq: 0 });
    const v2 = snap(new Date(now.getTime() - 2 * DAY));
    const safety = snap(new Date(now.getTime() - DAY), { safety: true });
    const v3 = snap(now);
    const plan = planRetention(newestFirst([safetyOld, v1, v2, safety, v3]), {
      policy: { keepLast: 2 },
      safetyRetentionSeconds: 30 * 86400,
      now,
    });
    // keepLast 2 keeps v3 and v2 (the safety snapshot between them does not count); the 40-day-old
    // safety snapshot is past its 30 days.
    expect(plan.remove.sort()).toEqual([v1.id, safetyOld.id].sort());
    expect(plan.keep).toEqual(expect.arrayContaining([v3.id, v2.id, safety.id]));
  });

  it('a version that failed verification never pushes out one that passed, and goes once older than every kept one', () => {
    const v1 = snap(new Date(now.getTime() - 4 * DAY), { verification: 'passed' });
    const v2 = snap(new Date(now.getTime() - 3 * DAY), { verification: 'passed' });
    const bad = snap(new Date(now.getTime() - 2 * DAY), { verification: 'failed' });
    const v4 = snap(new Date(now.getTime() - DAY), { verification: 'passed' });
    let plan = planRetention(newestFirst([v1, v2, bad]), {
      policy: { keepLast: 2 },
      safetyRetentionSeconds: 86400,
      now,
    });
    expect(plan.remove).toEqual([]); // bad does not count: v2 and v1 are the two versions
    plan = planRetention(newestFirst([v1, v2, bad, v4]), {
      policy: { keepLast: 2 },
      safetyRetentionSeconds: 86400,
      now,
    });
    expect(plan.remove).toEqual([v1.id]); // v4, v2 kept; bad is newer than v2: still there
    const v5 = snap(now, { verification: 'passed' });
    plan = planRetention(newestFirst([v2, bad, v4, v5]), {
      policy: { keepLast: 2 },
      safetyRetentionSeconds: 86400,
      now,
    });
    expect(plan.remove.sort()).toEqual([v2.id, bad.id].sort());
  });

  it('never removes the newest version that passed verification, nor the one just taken', () => {
    const good = snap(new Date(now.getTime() - 10 * DAY), { verification: 'passed' });
    const a = snap(new Date(now.getTime() - 2 * DAY));
    const b = snap(new Date(now.getTime() - DAY));
    const plan = planRetention(newestFirst([good, a, b]), {
      policy: { keepLast: 1 },
      safetyRetentionSeconds: 86400,
      now,
      justTaken: a.id,
    });
    expect(plan.remove).toEqual([]);
  });

  it('a clock that went back: nothing is removed, and the reason says so', () => {
    const a = snap(new Date(now.getTime() - DAY));
    const b = snap(new Date(now.getTime() - 5 * DAY)); // taken after a, dated before it
    const c = snap(new Date(now.getTime() - 4 * DAY));
    const held = newestFirst([a, b, c]);
    expect(clockTrouble(held, now)).toMatch(/was taken after .* but is dated before it: the clock went back/);
    const plan = planRetention(held, { policy: { keepLast: 1 }, safetyRetentionSeconds: 86400, now });
    expect(plan.remove).toEqual([]);
    expect(plan.held).toMatch(/^retention skipped: .*the clock went back/);
  });

  it('a snapshot dated in the future: nothing is removed', () => {
    const future = snap(new Date(now.getTime() + 3 * DAY));
    const older = snap(new Date(now.getTime() - 3 * DAY), { seq: 0 });
    const plan = planRetention(newestFirst([older, future]), {
      policy: { keepLast: 1 },
      safetyRetentionSeconds: 86400,
      now,
    });
    expect(plan.remove).toEqual([]);
    expect(plan.held).toMatch(/after the service's clock/);
  });
});
