import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError, mockBackend, sequence } from '../../test/mockBackend';
import { NOW, makeRun, makeRuns, makeStatus } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const baseRoutes = {
  'GET api/status': makeStatus(),
  'GET api/runs': makeRuns(),
};

function rowOf(name: string) {
  const link = screen.getAllByRole('link', { name })[0];
  return link.closest('tr') as HTMLElement;
}

describe('Overview page', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    setRole('Viewer');
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('shows one row per target with its state, age against RPO, versions and copies', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');

    await screen.findByRole('link', { name: 'mysql' });
    const mysql = rowOf('mysql');
    expect(within(mysql).getByLabelText('SLA Critical')).toBeInTheDocument();
    expect(within(mysql).getByText('31 h ago / RPO 24 h')).toBeInTheDocument();
    expect(within(mysql).getAllByText('last good backup 31 h ago, RPO 24 h').length).toBeGreaterThan(0);
    expect(within(mysql).getByText('4 held / 4 required')).toBeInTheDocument();
    expect(within(mysql).getByText('passed 48 h ago')).toBeInTheDocument();
    expect(within(mysql).getByText('in 14 h')).toBeInTheDocument();

    expect(within(rowOf('prometheus')).getByText('7 held / 10 required')).toBeInTheDocument();
    expect(within(rowOf('prometheus')).getByLabelText('SLA Warning')).toBeInTheDocument();
    expect(within(rowOf('agama')).getByText('2 h ago / no RPO — current version held')).toBeInTheDocument();
    expect(within(rowOf('ansible')).getAllByText('3 held / 3 required')).toHaveLength(2);
  });

  it('colours values by the level of their check, never by comparing numbers', async () => {
    const status = makeStatus();
    const [ansible, agama, , prometheus] = status.targets;
    // Building up: fewer versions than required, and the service says that is ok.
    ansible.versionsHeld = 1;
    ansible.checks.versions = { level: 'ok', reason: '1 of 3 versions held so far (building up)' };
    // No extra copies required.
    agama.copiesHeld = 0;
    agama.copiesRequired = 0;
    agama.checks.copies = { level: 'ok', reason: 'no extra copies required' };
    mockBackend({ ...baseRoutes, 'GET api/status': status });
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });

    const held = within(rowOf('ansible')).getByText('1 held / 3 required');
    expect(held.closest('[data-level]')).toHaveAttribute('data-level', 'ok');
    expect(within(rowOf('ansible')).getByText('building up')).toBeInTheDocument();
    expect(within(rowOf(prometheus.name)).queryByText('building up')).not.toBeInTheDocument();
    expect(within(rowOf('ansible')).getByLabelText('SLA OK')).toBeInTheDocument();
    expect(within(rowOf('agama')).getByText('none required')).toBeInTheDocument();
    // prometheus really is short of versions: that check is a warning, and so is its reason.
    const short = within(rowOf(prometheus.name)).getByText('7 held / 10 required');
    expect(short.closest('[data-level]')).toHaveAttribute('data-level', 'warning');
    expect(within(rowOf(prometheus.name)).getByText('7 of 10 versions held').closest('li')).toHaveAttribute(
      'data-level',
      'warning'
    );
  });

  it('shows a target whose only open check is unknown (no restore measured yet) as Unknown, not as a warning', async () => {
    const status = makeStatus();
    const ansible = status.targets[0];
    // The service counts an unknown check as a warning in the target's level.
    ansible.level = 'warning';
    ansible.reasons = ['no restore measured yet, RTO 20 min'];
    ansible.recoverySeconds = null;
    ansible.checks.recovery = { level: 'unknown', reason: 'no restore measured yet, RTO 20 min' };
    // Nothing else is wrong anywhere.
    status.targets = [ansible];
    status.level = 'warning';
    mockBackend({ ...baseRoutes, 'GET api/status': status });
    renderApp('overview');
    await screen.findAllByRole('link', { name: 'ansible' });

    const row = rowOf('ansible');
    expect(within(row).getByLabelText('SLA Unknown')).toBeInTheDocument();
    expect(within(row).queryByLabelText('SLA Warning')).not.toBeInTheDocument();
    const reason = within(row).getByText('no restore measured yet, RTO 20 min').closest('li');
    expect(reason).toHaveAttribute('data-level', 'unknown');
    expect(screen.getByText('Overall: Unknown')).toBeInTheDocument();
    // The services ansible covers read the same.
    const covered = screen.getByRole('region', { name: 'Services covered by another target' });
    expect(within(covered).getAllByLabelText('SLA Unknown')).toHaveLength(4);
  });

  it('keeps times on one line', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    const next = within(rowOf('mysql')).getByText('in 14 h');
    expect(next).toHaveStyle({ whiteSpace: 'nowrap' });
    expect(within(rowOf('mysql')).getByText('passed 48 h ago')).toHaveStyle({ whiteSpace: 'nowrap' });
  });

  it('lists the services covered by ansible with its level', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');
    const section = await screen.findByRole('region', { name: 'Services covered by another target' });
    for (const service of ['Nginx', 'uWSGI', 'Telegraf', 'DNS']) {
      const row = within(section).getByText(service).closest('tr') as HTMLElement;
      expect(within(row).getByText(/covered by/)).toHaveTextContent('covered by ansible');
      expect(within(row).getByLabelText('SLA OK')).toBeInTheDocument();
    }
  });

  it('hides "Back up now" and "Verify" from viewers', async () => {
    mockBackend(baseRoutes);
    renderApp('overview');
    await screen.findByRole('link', { name: 'mysql' });
    expect(screen.queryByRole('button', { name: /back up .* now/i })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^verify/i })).not.toBeInTheDocument();
  });

  it('lets editors back up now and follows the run every second until it finishes', async () => {
    setRole('Editor');
    const backend = mockBackend({
      ...baseRoutes,
      'POST api/targets/mysql/backup': { runId: 42 },
      'GET api/runs/42': sequence(
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

    await user.click(await screen.findByRole('button', { name: 'Back up mysql now' }));
    expect(await screen.findByText(/Backing up: uploading, 5.0 MB read/)).toBeInTheDocument();
    expect(backend.calls('POST api/targets/mysql/backup')).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Back up mysql now' })).toBeDisabled();

    await act(async () => {
      jest.advanceTimersByTime(1000);
    });
    expect(await screen.findByText('Backup finished in 14 s, snapshot deadbeef (12 MB)')).toBeInTheDocument();
    expect(backend.calls('GET api/runs/42')).toHaveLength(2);
    // The finished run reloads the state.
    await waitFor(() => expect(backend.calls('GET api/status').length).toBeGreaterThanOrEqual(2));
    expect(screen.getByRole('button', { name: 'Back up mysql now' })).toBeEnabled();
  });

  it('says clearly when the service is busy with that target (409)', async () => {
    setRole('Admin');
    mockBackend({
      ...baseRoutes,
      'POST api/targets/mysql/verify': new HttpError(409, 'mysql is busy: backup run 41 is running'),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('overview');
    await user.click(await screen.findByRole('button', { name: 'Verify mysql' }));
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
    mockBackend({ ...baseRoutes, 'GET api/status': status, 'GET api/runs/50': running });
    renderApp('overview');
    expect(await screen.findByText(/Backing up: dumping/)).toBeInTheDocument();
  });

  it("explains an unreachable service (502 from Grafana's proxy)", async () => {
    mockBackend({
      'GET api/status': new HttpError(502, 'Bad Gateway', false),
      'GET api/runs': new HttpError(502, 'Bad Gateway', false),
    });
    renderApp('overview');
    expect(
      await screen.findByText('Loading the backup state: the Backup SLA service cannot be reached')
    ).toBeInTheDocument();
    expect(screen.getAllByText(/Check that `backup-sla serve` is running/).length).toBeGreaterThan(0);
  });

  it('explains a wrong token (401)', async () => {
    mockBackend({ 'GET api/status': new HttpError(401, 'invalid token'), 'GET api/runs': makeRuns() });
    renderApp('overview');
    expect(await screen.findByText('Loading the backup state: the service rejected the token')).toBeInTheDocument();
  });

  it('says so when there are no targets and no backups yet', async () => {
    mockBackend({ 'GET api/status': { ...makeStatus(), targets: [], covered: [] }, 'GET api/runs': { runs: [] } });
    renderApp('overview');
    expect(await screen.findByText(/No backup targets are configured yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No finished backups yet/)).toBeInTheDocument();
  });

  it('draws backup size and duration from the last 200 backups', async () => {
    const backend = mockBackend(baseRoutes);
    renderApp('overview');
    expect(await screen.findByRole('img', { name: 'Backup size (bytes read from the source)' })).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Backup duration' })).toBeInTheDocument();
    // A series of one backup is a dot, named in the legend with its value, and says so on hover.
    const legend = screen.getByRole('list', { name: 'Backup size (bytes read from the source): legend' });
    expect(within(legend).getByText('mysql').closest('li')).toHaveTextContent('mysql12 MB');
    expect(within(legend).getByText('ansible').closest('li')).toHaveTextContent('ansible2.0 MB');
    const size = screen.getByRole('img', { name: 'Backup size (bytes read from the source)' });
    const tips = [...size.querySelectorAll('title')].map((t) => t.textContent);
    expect(tips).toEqual(
      expect.arrayContaining(['mysql, 2025-03-10 10:00:00: 12 MB', 'ansible, 2025-03-07 12:00:00: 2.0 MB'])
    );
    expect(backend.calls('GET api/runs')[0].query).toEqual({ operation: 'backup', limit: '200' });
  });
});
