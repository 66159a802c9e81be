/**
 * Faults of timing: two triggers of the same target at once, a restore asked for while a backup
 * runs (rule 3: one operation per target, a clear "busy"), and weeks of failing backups (rule 2:
 * no retention after a failed backup; the last good versions stay; the status says how overdue).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { makeLab, Lab } from '../test/harness';
import { createAgama, mysqlTarget, query, tableState } from '../test/mysql';
import { auth, finished, json, makeServiceLab, request, ServiceLab } from '../test/service';
import { createMetrics } from '../metrics/metrics';
import { slaState, targetState } from '../engine/sla';

const DB = 'agama_fault_conc';
const WEEKS_DB = 'agama_fault_weeks';
const DAY = 86400;
const WEEK = 7 * DAY;

/** Nothing left behind: no lock of ours, no restic lock, no temp dir. */
function expectNothingLeft(lab: Lab) {
  expect(readdirSync(path.join(path.dirname(lab.engine.config.catalog), 'locks'))).toEqual([]);
  expect(readdirSync(path.join(lab.dir, 'repo', 'locks'))).toEqual([]);
  expect(readdirSync(lab.engine.config.workDir)).toEqual([]);
  expect(lab.engine.catalog.runningRuns()).toEqual([]);
}

function metricValue(text: string, name: string, target: string): number | null {
  const m = text.match(new RegExp(`^backup_sla_${name}\\{target="${target}"\\} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : null;
}

describe('two requests for one target', () => {
  let s: ServiceLab;
  let base: string;

  beforeAll(async () => {
    // About 9 MB of dump: a backup takes a couple of seconds.
    await createAgama(DB, 40_000, 200);
    s = await makeServiceLab({ targets: { mysql: mysqlTarget(DB, { retention: { keepLast: 10 } }) } });
    base = s.service.address!;
  });
  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
    await query(`DROP DATABASE IF EXISTS ${DB}`);
  });

  const post = (url: string, payload: unknown, role: 'operator' | 'admin' = 'operator') =>
    request(base, { method: 'POST', url, headers: auth(role), payload });

  it('two backup triggers at once: one 202, one 409 "busy"; one run recorded, and it succeeds', async () => {
    const answers = await Promise.all([post('/api/targets/mysql/backup', {}), post('/api/targets/mysql/backup', {})]);
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes).toEqual([202, 409]);
    const accepted = answers.find((a) => a.statusCode === 202)!;
    const refused = answers.find((a) => a.statusCode === 409)!;
    expect(json(refused)).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: expect.stringMatching(
        /^target mysql is busy: backup running since \S+; try again when it has finished$/
      ),
    });
    const run = await finished(s.lab, json(accepted).runId);
    expect(run.status).toBe('success');
    expect(s.lab.engine.catalog.runs({ target: 'mysql' })).toHaveLength(1);
    expectNothingLeft(s.lab);
  });

  it('a restore (and a verification) asked for while a backup runs: 409, nothing restored, the backup completes', async () => {
    const before = await tableState(DB);
    const [snapshot] = s.lab.engine.snapshots('mysql');
    const backup = await post('/api/targets/mysql/backup', {});
    expect(backup.statusCode).toBe(202);
    const restore = await post(
      '/api/restores',
      { target: 'mysql', snapshot: snapshot.id, safetyBackup: false, confirm: 'mysql' },
      'admin'
    );
    expect(restore.statusCode).toBe(409);
    expect(json(restore).message).toMatch(/^target mysql is busy: backup running since/);
    const verify = await post('/api/targets/mysql/verify', {});
    expect(verify.statusCode).toBe(409);

    const run = await finished(s.lab, json(backup).runId);
    expect(run.status).toBe('success');
    expect(s.lab.engine.snapshots('mysql')).toHaveLength(2);
    // Nothing was restored, nor recorded as restored or attempted.
    expect(await tableState(DB)).toEqual(before);
    expect(s.lab.engine.catalog.runs({ operation: 'restore' })).toEqual([]);
    expect(s.lab.engine.catalog.runs({ operation: 'verify' })).toEqual([]);
    expect(s.lab.engine.catalog.auditEntries().filter((a) => a.action === 'restore')).toEqual([]);
    // Once the backup is done, the same restore is accepted (the 409 was only "busy").
    const again = await post(
      '/api/restores',
      { target: 'mysql', snapshot: snapshot.id, to: `${DB}_copy`, safetyBackup: false, confirm: 'mysql' },
      'admin'
    );
    expect(again.statusCode).toBe(202);
    expect((await finished(s.lab, json(again).runId)).status).toBe('success');
    expect(await tableState(`${DB}_copy`)).toEqual(before);
    await query(`DROP DATABASE ${DB}_copy`);
    expectNothingLeft(s.lab);
  });
});

describe('backups failing for weeks', () => {
  let lab: Lab;

  beforeAll(async () => {
    await createAgama(WEEKS_DB, 50);
    // The SLA's own policy for the database: daily, RPO 1 d, 4 weekly versions. A Monday noon.
    lab = makeLab({ targets: { mysql: mysqlTarget(WEEKS_DB) }, start: new Date('2026-03-02T12:00:00') });
  });
  afterAll(async () => {
    lab.cleanup();
    await query(`DROP DATABASE IF EXISTS ${WEEKS_DB}`);
  });

  function setPort(port: number) {
    const doc = YAML.parse(readFileSync(lab.configFile, 'utf8'));
    doc.targets.mysql.connection.port = port;
    writeFileSync(lab.configFile, YAML.stringify(doc));
    lab.reopen();
  }

  it('keep the last good versions, no retention after a failure, and the status says how overdue', async () => {
    const good: string[] = [];
    for (let week = 0; week < 5; week++) {
      const o = await lab.engine.backup('mysql', 'scheduler');
      expect(o.status).toBe('success');
      good.push(o.snapshotId!);
      if (week === 0) {
        // The oldest version is the newest one proven restorable: retention must keep it (rule 2).
        expect((await lab.engine.verify('mysql', o.snapshotId!, 'test')).status).toBe('success');
      }
      lab.clock.advance(WEEK);
    }
    expect(lab.engine.snapshots('mysql')).toHaveLength(5);
    const lastGoodAt = lab.engine.catalog.lastRun('mysql', 'backup', ['success'])!.finishedAt!;

    // The database server moves away (the config now points at a closed port): six weeks of failures.
    const port = lab.engine.config.targets.mysql.settings.connection as { port: number };
    const realPort = port.port;
    setPort(1);
    let last;
    for (let week = 0; week < 6; week++) {
      last = await lab.engine.backup('mysql', 'scheduler');
      expect(last.status).toBe('failed');
      lab.clock.advance(WEEK);
    }
    expect(last!.error).toMatch(/^cannot connect to MySQL at 127\.0\.0\.1:1: ECONNREFUSED/);

    // Every good version is still held, in the catalog and in restic; nothing was ever forgotten.
    expect(
      lab.engine
        .snapshots('mysql')
        .map((x) => x.id)
        .sort()
    ).toEqual([...good].sort());
    const inRestic = await lab.engine.repository('main').snapshots(['target=mysql']);
    expect(inRestic.map((x) => x.id).sort()).toEqual([...good].sort());
    expect(lab.engine.catalog.everForgotten('mysql')).toBe(false);
    expect(lab.engine.catalog.runs({ target: 'mysql', operation: 'forget' })).toEqual([]);
    expectNothingLeft(lab);

    // The status: critical, overdue against the RPO, in words, with the reason of the failure.
    const now = lab.clock.now;
    const st = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, now);
    expect(st.level).toBe('critical');
    expect(st.checks.fresh).toEqual({
      level: 'critical',
      reason: 'last good backup 49 d ago, RPO 24 h; the last backup failed',
      cause: last!.error,
    });
    expect(st.reasons[0]).toBe(st.checks.fresh.reason);
    expect(st.checks.versions).toEqual({ level: 'ok', reason: '5 versions held, 4 required' });
    expect(st.ageSeconds).toBe((now.getTime() - Date.parse(lastGoodAt)) / 1000);
    expect(slaState(lab.engine.config, lab.engine.catalog, now).level).toBe('critical');
    // The metrics say the same.
    const text = await createMetrics(lab.engine).render();
    expect(metricValue(text, 'last_run_success', 'mysql')).toBe(0);
    expect(metricValue(text, 'last_success_timestamp_seconds', 'mysql')).toBe(Date.parse(lastGoodAt) / 1000);
    expect(metricValue(text, 'last_run_timestamp_seconds', 'mysql')).toBe(
      Date.parse(last ? lab.engine.catalog.run(last.runId)!.finishedAt! : '') / 1000
    );
    expect(metricValue(text, 'snapshots', 'mysql')).toBe(5);
    expect(metricValue(text, 'rpo_seconds', 'mysql')).toBe(DAY);

    // The server is back: the first good backup applies retention, which keeps 4 weekly versions
    // and, besides them, the newest one that passed verification (the oldest here).
    setPort(realPort);
    const ok = await lab.engine.backup('mysql', 'scheduler');
    expect(ok.status).toBe('success');
    const held = lab.engine.snapshots('mysql').map((x) => x.id);
    expect(held.sort()).toEqual([ok.snapshotId!, good[4], good[3], good[2], good[0]].sort());
    expect(ok.detail.forgotten).toEqual([good[1]]);
    const after = targetState(lab.engine.config.targets.mysql, lab.engine.catalog, lab.clock.now);
    expect(after.checks.fresh).toEqual({ level: 'ok', reason: 'last good backup 0 s ago, RPO 24 h' });
  });
});
