import { makeStatus, makeTarget, NOW } from '../test/fixtures';
import { buildingUp, expectedRestoreText, verificationShort, versionsLong, versionsShort } from './targetText';

describe('target wording', () => {
  beforeAll(() => jest.useFakeTimers({ now: NOW }));
  afterAll(() => jest.useRealTimers());

  it('judges versions against what the retention can have kept by now (issue 15.3)', () => {
    const agama = makeStatus().targets[1];
    expect(buildingUp(agama)).toBe(true);
    expect(versionsShort(agama)).toBe('1/2 versions, building up');
    expect(versionsLong(agama)).toBe('1 of 2 versions held; the retention can have kept 1 by now, all 2 by 2025-03-17');
    // Extra manual backups pruned by weekly retention: fewer than required, as many as expected: building up, not short.
    const weekly = makeTarget({ versionsHeld: 2, versionsRequired: 4, versionsExpected: 2 });
    expect(versionsShort(weekly)).toBe('2/4 versions, building up');
    const short = makeTarget({ versionsHeld: 1, versionsRequired: 4, versionsExpected: 2 });
    expect(versionsShort(short)).toBe('1/4 versions');
  });

  it('tells "could not verify" apart from "failed" (issue 10.8)', () => {
    const at = new Date(NOW.getTime() - 3600_000).toISOString();
    const v = (outcome: 'passed' | 'failed' | 'unknown') => ({
      lastVerification: { at, success: true, outcome, durationSeconds: 1, snapshotId: 'x' },
    });
    expect(verificationShort(v('passed'))).toBe('verified 60 min ago');
    expect(verificationShort(v('failed'))).toBe('verification failed 60 min ago');
    expect(verificationShort(v('unknown'))).toBe('could not verify 60 min ago');
    expect(verificationShort({ lastVerification: null })).toBe('never verified');
  });

  it('says how long a restore should take against the RTO', () => {
    expect(expectedRestoreText(makeTarget({ recoverySeconds: 600 }))).toBe(
      'about 10 min (the last measured restore), longer than the RTO 5 min'
    );
    expect(expectedRestoreText(makeTarget({ recoverySeconds: 0.3 }))).toBe(
      'under a second (the last measured restore), within the RTO 5 min'
    );
    expect(expectedRestoreText(makeTarget({ recoverySeconds: null }))).toBe('no restore measured yet (RTO 5 min)');
  });
});
