import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError, mockBackend, sequence } from '../../test/mockBackend';
import { NOW, makeLabStatus, makeRun, makeStatus } from '../../test/fixtures';
import { currentLocation, renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const baseRoutes = { 'GET api/status': makeStatus() };

function targetsTable() {
  return screen.getAllByRole('table')[0];
}

function rowOf(name: string) {
  const link = within(targetsTable()).getByRole('link', { name });
  return link.closest('tr') as HTMLElement;
}

function rowNames() {
  return within(targetsTable())
    .getAllByRole('row')
    .slice(1)
    .map((r) => within(r).getAllByRole('link')[0].textContent);
}

async function openMenu(user: ReturnType<typeof userEvent.setup>, target: string) {
  await user.click(within(rowOf(target)).getByRole('button', { name: `Actions for ${target}` }));
  return screen.findByRole('menu', { name: `Actions for ${target}` });
}

describe('Overview page', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    setRole('Viewer');
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('puts the worst first (issue 15.2): critical, then warning, then OK by name', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    expect(rowNames()).toEqual(['mysql', 'prometheus', 'agama', 'ansible']);
    expect(within(rowOf('mysql')).getByLabelText('SLA Critical')).toBeInTheDocument();
    expect(within(rowOf('prometheus')).getByLabelText('SLA Warning')).toBeInTheDocument();
  });

  it('reads each target in one row (issue 15.1): state with its reason, age against RPO, versions · verification · copies, next run', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    const mysql = rowOf('mysql');
    expect(within(mysql).getByText('31 h ago')).toBeInTheDocument();
    expect(within(mysql).getByText('RPO 24 h')).toBeInTheDocument();
    expect(within(mysql).getByText('last good backup 31 h ago, RPO 24 h')).toBeInTheDocument();
    expect(within(mysql).getByText('4/4 versions')).toBeInTheDocument();
    expect(within(mysql).getByText('verified 48 h ago')).toBeInTheDocument();
    expect(within(mysql).getByText('2/2 copies')).toBeInTheDocument();
    expect(within(mysql).getByText('in 14 h')).toHaveStyle({ whiteSpace: 'nowrap' });
    // No row of buttons: one menu per row.
    expect(
      within(mysql)
        .getAllByRole('button')
        .map((b) => b.getAttribute('aria-label') ?? b.textContent)
    ).toEqual(['Show the error', 'Actions for mysql']);
    expect(screen.queryByRole('button', { name: /back up/i })).not.toBeInTheDocument();
  });

  it('says the human sentence first and keeps the raw error behind a toggle (issue 15.2)', async () => {
    mockBackend(baseRoutes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    const mysql = rowOf('mysql');
    expect(within(mysql).queryByText(/mysqldump: Got error/)).not.toBeInTheDocument();
    await user.click(within(mysql).getByRole('button', { name: 'Show the error' }));
    expect(within(mysql).getByText(/mysqldump: Got error: 2002/)).toBeInTheDocument();
    await user.click(within(mysql).getByRole('button', { name: 'Hide the error' }));
    expect(within(mysql).queryByText(/mysqldump: Got error/)).not.toBeInTheDocument();
  });

  it('judges versions as the service does (issue 15.3): a target building up its history is OK and says when it is complete', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');
    await screen.findByRole('link', { name: 'agama' });
    const held = within(rowOf('agama')).getByText('1/2 versions, building up');
    expect(held.closest('[data-level]')).toHaveAttribute('data-level', 'ok');
    expect(held.closest('[aria-label]')).toHaveAttribute(
      'aria-label',
      expect.stringContaining('the retention can have kept 1 by now, all 2 by 2025-03-17')
    );
    expect(within(rowOf('agama')).getByLabelText('SLA OK')).toBeInTheDocument();
    // prometheus could hold 10 by now and holds 7: that is the warning, in the check's colour.
    const short = within(rowOf('prometheus')).getByText('7/10 versions');
    expect(short.closest('[data-level]')).toHaveAttribute('data-level', 'warning');
    expect(within(rowOf('agama')).getByText('no copies required')).toBeInTheDocument();
  });

  it('counts the targets per state in one line that filters, kept in the URL (issue 15.2)', async () => {
    mockBackend(baseRoutes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    const summary = await screen.findByRole('group', { name: 'Targets by state' });
    expect(summary).toHaveTextContent('1 critical·1 warning·2 OK');

    await user.click(within(summary).getByRole('button', { name: '1 critical' }));
    expect(rowNames()).toEqual(['mysql']);
    expect(currentLocation().params.get('state')).toBe('critical');
    expect(within(summary).getByRole('button', { name: '1 critical' })).toHaveAttribute('aria-pressed', 'true');

    await user.click(within(summary).getByRole('button', { name: '2 OK' }));
    expect(rowNames()).toEqual(['mysql', 'agama', 'ansible']);
    expect(currentLocation().params.get('state')).toBe('critical,ok');

    await user.click(screen.getByRole('button', { name: 'Show all' }));
    expect(rowNames()).toHaveLength(4);
    expect(currentLocation().params.get('state')).toBeNull();
  });

  it('takes filter and sort from the URL, and sorts by a column on request', async () => {
    mockBackend(baseRoutes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    const { unmount } = renderApp('overview?state=ok,warning&sort=name');
    await screen.findByRole('link', { name: 'agama' });
    expect(rowNames()).toEqual(['agama', 'ansible', 'prometheus']);
    // Covered services follow the filter too (ansible, their backup, is OK).
    expect(screen.getByRole('region', { name: 'Services covered by another target' })).toBeInTheDocument();
    unmount();

    renderApp('overview?sort=name');
    await screen.findByRole('link', { name: 'agama' });
    await user.click(within(targetsTable()).getByRole('button', { name: /Last good backup/ }));
    await waitFor(() => expect(currentLocation().params.get('sort')).toBe('age'));
    // Oldest last good backup last (mysql: 31 h), the rest by name.
    expect(rowNames()).toEqual(['agama', 'ansible', 'prometheus', 'mysql']);
  });

  it("lists the covered services with their backup's state and its reason; the coverage is said apart", async () => {
    const status = makeStatus();
    const ansible = status.targets[0];
    ansible.level = 'warning';
    ansible.reasons = ['last verification failed 3 d ago'];
    ansible.checks.verified = { level: 'warning', reason: 'last verification failed 3 d ago' };
    mockBackend({ 'GET api/status': status });
    renderApp('overview');
    const section = await screen.findByRole('region', { name: 'Services covered by another target' });
    const nginx = within(section).getByText('Nginx').closest('tr') as HTMLElement;
    expect(within(nginx).getByLabelText('SLA Warning')).toBeInTheDocument();
    expect(within(nginx).getByText('ansible: last verification failed 3 d ago')).toBeInTheDocument();
    expect(within(nginx).getByText(/covered by/)).toHaveTextContent('covered by ansible');
    expect(within(nginx).getByText('configured only by Ansible')).toBeInTheDocument();
  });

  it('shows a target whose only open check is unknown (no restore measured yet) as Unknown, not as a warning', async () => {
    const status = makeStatus();
    const ansible = status.targets[0];
    ansible.level = 'warning';
    ansible.reasons = ['no restore measured yet, RTO 20 min'];
    ansible.recoverySeconds = null;
    ansible.checks.recovery = { level: 'unknown', reason: 'no restore measured yet, RTO 20 min' };
    status.targets = [ansible];
    status.level = 'warning';
    mockBackend({ 'GET api/status': status });
    renderApp('overview');
    await screen.findAllByRole('link', { name: 'ansible' });
    expect(within(rowOf('ansible')).getByLabelText('SLA Unknown')).toBeInTheDocument();
    expect(screen.getByText('Overall: Unknown')).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Targets by state' })).toHaveTextContent('1 unknown');
  });

  it('offers a Viewer the menu with what their role does not allow disabled, and why', async () => {
    mockBackend(baseRoutes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    const menu = await openMenu(user, 'mysql');
    expect(within(menu).getByRole('menuitem', { name: 'Back up mysql now' })).toBeDisabled();
    expect(within(menu).getByRole('menuitem', { name: 'Verify mysql' })).toBeDisabled();
    expect(within(menu).getByRole('menuitem', { name: 'Restore mysql' })).toBeDisabled();
    expect(within(menu).getAllByText('Backups and verifications need the Editor role')).toHaveLength(2);
    expect(within(menu).getByText('Restores need the Admin role')).toBeInTheDocument();
    expect(within(menu).getByRole('menuitem', { name: 'Open mysql' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mysql'
    );
    expect(within(menu).getByRole('menuitem', { name: 'Open in the Backup SLA dashboard' })).toHaveAttribute(
      'href',
      '/d/backup-sla?var-target=mysql'
    );
  });

  it('treats a Grafana server admin who is an org Viewer as a Viewer (issue 11: the proxy decides by org role)', async () => {
    setRole('GrafanaAdmin');
    mockBackend(baseRoutes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    const menu = await openMenu(user, 'mysql');
    expect(within(menu).getByRole('menuitem', { name: 'Back up mysql now' })).toBeDisabled();
    expect(within(menu).getByRole('menuitem', { name: 'Restore mysql' })).toBeDisabled();
  });

  it('lets an Admin open the restore flow of a target from its menu', async () => {
    setRole('Admin');
    mockBackend(baseRoutes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    const menu = await openMenu(user, 'mysql');
    expect(within(menu).getByRole('menuitem', { name: 'Restore mysql' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mysql?restore=latest'
    );
  });

  it('lets an Editor back up from the menu and follows the run every second until it finishes', async () => {
    setRole('Editor');
    const backend = mockBackend({
      ...baseRoutes,
      'POST api/targets/mysql/backup': { runId: 42, instance: 'app1' },
      'GET api/runs/app1/42': sequence(
        makeRun({
          id: 42,
          status: 'running',
          phase: 'uploading',
          bytesDone: 5_000_000,
          startedAt: NOW.toISOString(),
          finishedAt: null,
          durationSeconds: null,
          snapshotId: null,
        }),
        makeRun({
          id: 42,
          status: 'success',
          durationSeconds: 14,
          bytesDone: 12_300_000,
          snapshotId: 'deadbeef00112233',
        })
      ),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    await user.click(within(await openMenu(user, 'mysql')).getByRole('menuitem', { name: 'Back up mysql now' }));
    const progress = await screen.findByText(/Backing up: uploading, 5.0 MB read/);
    expect(progress.closest('tr')).toBe(rowOf('mysql'));
    expect(backend.calls('POST api/targets/mysql/backup')).toHaveLength(1);
    // One operation per target: the menu offers no second one while it runs.
    expect(within(await openMenu(user, 'mysql')).getByRole('menuitem', { name: 'Back up mysql now' })).toBeDisabled();
    await user.keyboard('{Escape}');

    await act(async () => {
      jest.advanceTimersByTime(1000);
    });
    expect(await screen.findByText('Backup finished in 14 s, snapshot deadbeef (12 MB)')).toBeInTheDocument();
    expect(backend.calls('GET api/runs/app1/42')).toHaveLength(2);
    // The finished run reloads the state.
    await waitFor(() => expect(backend.calls('GET api/status').length).toBeGreaterThanOrEqual(2));
    expect(within(await openMenu(user, 'mysql')).getByRole('menuitem', { name: 'Back up mysql now' })).toBeEnabled();
  });

  it('says clearly when the service is busy with that target (409)', async () => {
    setRole('Admin');
    mockBackend({
      ...baseRoutes,
      'POST api/targets/mysql/verify': new HttpError(409, 'mysql is busy: backup run 41 is running'),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    await user.click(within(await openMenu(user, 'mysql')).getByRole('menuitem', { name: 'Verify mysql' }));
    expect(await screen.findByText('mysql: busy')).toBeInTheDocument();
    expect(
      screen.getByText(/Another operation is already running on this target.*mysql is busy: backup run 41 is running/)
    ).toBeInTheDocument();
  });

  it('shows a run in progress started by the scheduler, also to viewers', async () => {
    const status = makeStatus();
    const running = makeRun({
      id: 50,
      target: 'prometheus',
      status: 'running',
      phase: 'dumping',
      bytesDone: null,
      startedAt: NOW.toISOString(),
      finishedAt: null,
      durationSeconds: null,
    });
    status.targets[3].running = running;
    mockBackend({ 'GET api/status': status, 'GET api/runs/app1/50': running });
    renderApp('overview');
    const progress = await screen.findByText(/Backing up: dumping/);
    expect(progress.closest('tr')).toBe(rowOf('prometheus'));
  });

  it("explains an unreachable service (502 from Grafana's proxy), without backticks", async () => {
    mockBackend({ 'GET api/status': new HttpError(502, 'Bad Gateway', false) });
    renderApp('overview');
    expect(
      await screen.findByText('Loading the backup state: the Backup SLA service cannot be reached')
    ).toBeInTheDocument();
    expect(screen.getByText(/Check that the service \(backup-sla serve\) is running/)).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('`');
  });

  it('explains a wrong token (401)', async () => {
    mockBackend({ 'GET api/status': new HttpError(401, 'invalid token') });
    renderApp('overview');
    expect(await screen.findByText('Loading the backup state: the service rejected the token')).toBeInTheDocument();
  });

  it('says so when there are no targets yet', async () => {
    mockBackend({ 'GET api/status': { ...makeStatus(), targets: [], covered: [] } });
    renderApp('overview');
    expect(await screen.findByText(/No backup targets are configured yet/)).toBeInTheDocument();
  });

  it('links to the history charts', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');
    expect(await screen.findByRole('link', { name: 'History' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/history'
    );
  });
});

describe('Overview of a lab of two machines (issue 14)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    setRole('Viewer');
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const section = (instance: string) => screen.getByRole('region', { name: `Instance ${instance}` });
  const namesIn = (instance: string) =>
    within(within(section(instance)).getByRole('table'))
      .getAllByRole('row')
      .slice(1)
      .map((r) => within(r).getAllByRole('link')[0].textContent);

  it('groups the targets by machine, worst first within and across machines; the summary counts the whole lab', async () => {
    mockBackend({ 'GET api/status': makeLabStatus() });
    renderApp('overview');
    await screen.findByRole('region', { name: 'Instance mon1' });
    // app1 has the critical target, so it comes first; mon1 (a warning) second.
    expect(screen.getAllByRole('region', { name: /^Instance / }).map((r) => r.getAttribute('aria-label'))).toEqual([
      'Instance app1',
      'Instance mon1',
    ]);
    expect(namesIn('app1')).toEqual(['mysql', 'agama', 'ansible']);
    expect(namesIn('mon1')).toEqual(['prometheus', 'influxdb', 'mysql']);
    expect(within(section('app1')).getByText('answers for the lab')).toBeInTheDocument();
    expect(within(section('mon1')).getByText('3 targets')).toBeInTheDocument();
    expect(within(section('mon1')).getAllByLabelText(/^SLA /)[0]).toHaveAttribute('aria-label', 'SLA Warning');
    // The whole lab: 1 critical (app1's mysql), 1 warning (mon1's prometheus), 4 OK.
    expect(await screen.findByRole('group', { name: 'Targets by state' })).toHaveTextContent(
      '1 critical·1 warning·4 OK'
    );
    // Same name, two machines: each row links to its own target, by address.
    expect(within(section('app1')).getByRole('link', { name: 'mysql' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mysql'
    );
    expect(within(section('mon1')).getByRole('link', { name: 'mysql' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mon1/mysql'
    );
    // The covered service of mon1 names its covering target there.
    const covered = screen.getByRole('region', { name: 'Services covered by another target' });
    expect(within(covered).getByRole('link', { name: 'mon1/influxdb' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mon1/influxdb'
    );
  });

  it('puts the machine with the worse targets first, and filters every machine by state', async () => {
    const status = makeLabStatus();
    // Two of mon1's targets become critical: mon1 (2 critical, 1 warning) is worse than app1 (1 critical).
    for (const name of ['influxdb', 'mysql']) {
      const t = status.targets.find((x) => x.instance === 'mon1' && x.name === name)!;
      t.level = 'critical';
      t.reasons = ['never backed up'];
      t.checks = { ...t.checks, fresh: { level: 'critical', reason: 'never backed up' } };
    }
    mockBackend({ 'GET api/status': status });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await screen.findByRole('region', { name: 'Instance mon1' });
    expect(screen.getAllByRole('region', { name: /^Instance / }).map((r) => r.getAttribute('aria-label'))).toEqual([
      'Instance mon1',
      'Instance app1',
    ]);
    await user.click(screen.getByRole('button', { name: '1 warning' }));
    expect(currentLocation().params.get('state')).toBe('warning');
    // Only mon1 has a warning (prometheus): app1 is left out.
    expect(screen.queryByRole('region', { name: 'Instance app1' })).toBeNull();
    expect(namesIn('mon1')).toEqual(['prometheus']);
  });

  it('shows a machine that does not answer as such, since when and why, with its last known targets', async () => {
    setRole('Admin');
    mockBackend({ 'GET api/status': makeLabStatus({ mon1Down: true }) });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    const mon1 = await screen.findByRole('region', { name: 'Instance mon1' });
    const alert = within(mon1).getByRole('alert');
    expect(alert).toHaveTextContent(/^mon1 does not answer since 2025-03-10 11:55:00 \(5 min ago\)/);
    expect(alert).toHaveTextContent('connect ECONNREFUSED 127.0.0.1:8470');
    expect(alert).toHaveTextContent('Its targets are shown as last known (5 min ago)');
    // Its last known targets stay listed, unknown, with the service's reason (the one that also had a warning first).
    expect(namesIn('mon1')).toEqual(['prometheus', 'influxdb', 'mysql']);
    const row = within(mon1).getByRole('link', { name: 'prometheus' }).closest('tr') as HTMLElement;
    expect(within(row).getByLabelText('SLA Unknown')).toBeInTheDocument();
    expect(within(row).getByText(/instance mon1 unreachable since/)).toBeInTheDocument();
    // app1's critical target still comes first, mon1 (unknown) after it.
    expect(screen.getAllByRole('region', { name: /^Instance / })[0]).toHaveAttribute('aria-label', 'Instance app1');
    // Nothing can be started there, and the menu says why.
    await user.click(within(row).getByRole('button', { name: 'Actions for mon1/prometheus' }));
    const menu = await screen.findByRole('menu', { name: 'Actions for mon1/prometheus' });
    expect(within(menu).getByRole('menuitem', { name: 'Back up mon1/prometheus now' })).toBeDisabled();
    expect(within(menu).getByRole('menuitem', { name: 'Restore mon1/prometheus' })).toBeDisabled();
    expect(within(menu).getAllByText('Instance mon1 does not answer').length).toBeGreaterThan(0);
  });

  it("backs up a peer's target through its address and follows the run on that peer", async () => {
    setRole('Editor');
    const backend = mockBackend({
      'GET api/status': makeLabStatus(),
      'POST api/targets/mon1/mysql/backup': { runId: 7, instance: 'mon1' },
      'GET api/runs/mon1/7': sequence(
        makeRun({
          id: 7,
          instance: 'mon1',
          status: 'running',
          phase: 'dumping',
          finishedAt: null,
          durationSeconds: null,
        }),
        makeRun({ id: 7, instance: 'mon1', status: 'success', durationSeconds: 9, snapshotId: 'cafe0000aaaa' })
      ),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    const mon1 = await screen.findByRole('region', { name: 'Instance mon1' });
    await user.click(within(mon1).getByRole('button', { name: 'Actions for mon1/mysql' }));
    await user.click(
      within(await screen.findByRole('menu', { name: 'Actions for mon1/mysql' })).getByRole('menuitem', {
        name: 'Back up mon1/mysql now',
      })
    );
    const progress = await screen.findByText(/Backing up: dumping/);
    // In mon1's row, not in app1's mysql.
    expect(progress.closest('[aria-label^="Instance "]')).toBe(mon1);
    expect(backend.calls('POST api/targets/mon1/mysql/backup')).toHaveLength(1);
    await act(async () => {
      jest.advanceTimersByTime(1000);
    });
    expect(await screen.findByText(/Backup finished in 9 s, snapshot cafe0000/)).toBeInTheDocument();
    expect(backend.calls('GET api/runs/mon1/7')).toHaveLength(2);
    expect(backend.requests.some((r) => r.path.includes('%2F'))).toBe(false);
  });

  it('shows a single instance without any grouping', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    expect(screen.queryByRole('region', { name: /^Instance / })).toBeNull();
    expect(screen.queryByText('answers for the lab')).toBeNull();
    expect(screen.getAllByRole('table')).toHaveLength(2); // targets and covered services
  });
});
