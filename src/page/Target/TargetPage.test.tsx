import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError, mockBackend, sequence } from '../../test/mockBackend';
import { NOW, makeRestores, makeRun, makeRuns, makeSnapshot, makeSnapshots, makeStatus } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
  PluginPage: jest.requireActual('../../test/pluginPage').TestPluginPage,
}));

const mysql = makeStatus().targets.find((t) => t.name === 'mysql')!;
const routes = {
  'GET api/targets/mysql': mysql,
  'GET api/targets/mysql/snapshots': makeSnapshots(),
  'GET api/runs': { runs: makeRuns().runs.filter((r) => r.target === 'mysql') },
  'GET api/restores': { restores: [] },
};

async function openRestore(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole('button', { name: 'Restore snapshot a1b2c3d4' }));
  return screen.findByRole('dialog');
}

describe('Target page', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    setRole('Viewer');
  });
  afterEach(() => jest.useRealTimers());

  it('states the policy in words, with where the target stands', async () => {
    const backend = mockBackend(routes);
    renderApp('target/mysql');
    const list = await screen.findByLabelText('Policy', { selector: 'dl' });
    expect(list).toHaveTextContent('the AGAMA database (table item)');
    expect(list).toHaveTextContent('daily at 02:00; next run in 14 h');
    expect(list).toHaveTextContent('at most 24 h of changes may be lost');
    expect(list).toHaveTextContent('last good backup 31 h ago');
    expect(list).toHaveTextContent('4 weekly versions — 4 held of 4 required');
    expect(list).toHaveTextContent(
      'restore into a scratch database; same tables, row counts and CHECKSUM TABLE; runs weekly on Sunday at 04:00'
    );
    expect(list).toHaveTextContent('restore within 5 min — last measured 60 s');
    expect(list).toHaveTextContent('kept in main and copied to flash');
    expect(screen.getByRole('list', { name: 'Reasons' })).toHaveTextContent('last good backup 31 h ago, RPO 24 h');
    expect(backend.calls('GET api/runs')[0].query).toEqual({ target: 'mysql', limit: '50' });
  });

  it('names the target once, as the page title, with its kind, state and actions in the header', async () => {
    setRole('Editor');
    mockBackend(routes);
    renderApp('target/mysql');
    await screen.findByLabelText('Policy', { selector: 'dl' });
    expect(screen.getAllByRole('heading', { name: 'mysql' })).toHaveLength(1);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('mysql');
    const subTitle = screen.getByTestId('page-subtitle');
    expect(subTitle).toHaveTextContent('mysql target');
    expect(within(subTitle).getByLabelText('SLA Critical')).toBeInTheDocument();
    const actions = screen.getByTestId('page-actions');
    expect(within(actions).getByRole('button', { name: 'Back up mysql now' })).toBeInTheDocument();
    expect(within(actions).getByRole('button', { name: 'Verify mysql' })).toBeInTheDocument();
  });

  it('lists the snapshots with their verification and where they are held', async () => {
    mockBackend(routes);
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Snapshots' });
    const good = (await within(section).findByText('a1b2c3d4')).closest('tr') as HTMLElement;
    expect(within(good).queryByRole('button')).not.toBeInTheDocument();
    expect(within(good).getByText('verified')).toBeInTheDocument();
    expect(within(good).getByText('main, flash')).toBeInTheDocument();
    expect(within(good).getByText('12 MB')).toBeInTheDocument();
    const bad = within(section).getByText('ffee0011').closest('tr') as HTMLElement;
    expect(within(bad).getByText('verification failed')).toBeInTheDocument();
    expect(within(bad).getByText('main')).toBeInTheDocument();
  });

  it('marks the safety snapshot of a restore and never offers it as "the latest"', async () => {
    setRole('Admin');
    const safety = makeSnapshot({
      id: makeRestores().restores[0].safetySnapshotId!,
      shortId: '5afe5afe',
      time: NOW.toISOString(),
      verification: 'unverified',
      verifiedAt: null,
    });
    mockBackend({
      ...routes,
      'GET api/targets/mysql/snapshots': { snapshots: [safety, ...makeSnapshots().snapshots] },
      'GET api/restores': makeRestores(),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Snapshots' });
    const row = (await within(section).findByText('5afe5afe')).closest('tr') as HTMLElement;
    expect(await within(row).findByText('safety backup')).toBeInTheDocument();
    expect(
      within(within(section).getByText('a1b2c3d4').closest('tr') as HTMLElement).queryByText('safety backup')
    ).toBeNull();

    await user.click(within(section).getByRole('button', { name: 'Restore the latest…' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('a1b2c3d4')).toBeInTheDocument();
  });

  it('shows the run history with the error text of failed runs', async () => {
    mockBackend(routes);
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Run history' });
    expect(await within(section).findByText(/mysqldump: Got error: 2002/)).toBeInTheDocument();
    expect(within(section).getByText('alice')).toBeInTheDocument();
  });

  it.each(['Viewer', 'Editor'] as const)('offers no restore to a %s', async (role) => {
    setRole(role);
    mockBackend(routes);
    renderApp('target/mysql');
    await screen.findAllByText('a1b2c3d4');
    expect(screen.queryByRole('button', { name: /restore/i })).not.toBeInTheDocument();
  });

  it('keeps the restore button disabled until the target name is typed', async () => {
    setRole('Admin');
    mockBackend(routes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    const restore = within(dialog).getByRole('button', { name: 'Restore' });
    expect(restore).toBeDisabled();
    expect(restore).toHaveAttribute('data-variant', 'secondary');
    expect(within(dialog).getByRole('switch', { name: 'Safety backup first' })).toBeChecked();

    // Empty, without a greyed-out name in it that would look typed already.
    const confirm = within(dialog).getByRole('textbox', { name: 'Confirm target name' });
    expect(confirm).toHaveValue('');
    expect(confirm).not.toHaveAttribute('placeholder', 'mysql');
    expect(within(dialog).getByText('Restore stays disabled until the name matches.')).toBeInTheDocument();
    await user.type(confirm, 'mysq');
    expect(restore).toBeDisabled();
    await user.type(confirm, 'l');
    expect(restore).toBeEnabled();
    expect(restore).toHaveAttribute('data-variant', 'destructive');
    expect(within(dialog).getByText('Name confirmed: Restore is enabled.')).toBeInTheDocument();
    await user.type(confirm, 'x');
    expect(restore).toBeDisabled();
    expect(restore).toHaveAttribute('data-variant', 'secondary');
    await user.type(confirm, '{Backspace} ');
    // A blank around a pasted name does not count against it.
    expect(restore).toBeEnabled();

    // "Another name" needs the name.
    await user.click(within(dialog).getByRole('radio', { name: 'Another name' }));
    expect(restore).toBeDisabled();
    await user.type(within(dialog).getByRole('textbox', { name: 'New name' }), 'agama_restored');
    expect(restore).toBeEnabled();
  });

  it('restores: posts the request, follows the run and reports the result with the safety snapshot', async () => {
    setRole('GrafanaAdmin');
    const backend = mockBackend({
      ...routes,
      'POST api/restores': { runId: 77 },
      'GET api/runs/77': sequence(
        makeRun({
          id: 77,
          operation: 'restore',
          status: 'running',
          phase: 'safety backup',
          bytesDone: null,
          startedAt: NOW.toISOString(),
          finishedAt: null,
          durationSeconds: null,
        }),
        makeRun({ id: 77, operation: 'restore', status: 'success', durationSeconds: 62, snapshotId: null })
      ),
      'GET api/restores': makeRestores(),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql');
    await user.click(within(dialog).getByRole('button', { name: 'Restore' }));

    expect(await within(dialog).findByText(/Restoring: safety backup/)).toBeInTheDocument();
    expect(backend.calls('POST api/restores')[0].body).toEqual({
      target: 'mysql',
      snapshot: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
      safetyBackup: true,
      confirm: 'mysql',
    });
    await act(async () => {
      jest.advanceTimersByTime(1000);
    });
    const result = await within(dialog).findByText(/was restored from snapshot a1b2c3d4/);
    expect(result).toHaveTextContent('mysql was restored from snapshot a1b2c3d4 in place in 62 s (RTO 5 min).');
    await waitFor(() => expect(within(dialog).getByText(/kept as snapshot 5afe5afe/)).toBeInTheDocument());
    // The modal's own X and the button row's Close; the restore is over, so nothing says it goes on.
    expect(within(dialog).getAllByRole('button', { name: 'Close' })).toHaveLength(2);
    expect(within(dialog).queryByRole('button', { name: /goes on/ })).not.toBeInTheDocument();
  });

  it('restores under another name without a safety backup when asked', async () => {
    setRole('Admin');
    const backend = mockBackend({
      ...routes,
      'POST api/restores': { runId: 78 },
      'GET api/runs/78': makeRun({
        id: 78,
        operation: 'restore',
        status: 'failed',
        error: 'database agama_restored exists',
      }),
      'GET api/restores': { restores: [] },
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    await user.click(within(dialog).getByRole('radio', { name: 'Another name' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'New name' }), 'agama_restored');
    await user.click(within(dialog).getByRole('switch', { name: 'Safety backup first' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql ');
    await user.click(within(dialog).getByRole('button', { name: 'Restore' }));

    expect(await within(dialog).findByText('Restore failed')).toBeInTheDocument();
    expect(within(dialog).getByText(/database agama_restored exists/)).toBeInTheDocument();
    expect(backend.calls('POST api/restores')[0].body).toMatchObject({
      to: 'agama_restored',
      safetyBackup: false,
      confirm: 'mysql',
    });
  });

  it('explains a refused restore (403 from Grafana for the role)', async () => {
    setRole('Admin');
    mockBackend({ ...routes, 'POST api/restores': new HttpError(403, 'plugin proxy route access denied', false) });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql');
    await user.click(within(dialog).getByRole('button', { name: 'Restore' }));
    expect(await within(dialog).findByText('Starting the restore: not allowed')).toBeInTheDocument();
    expect(within(dialog).getByText(/admins restore/)).toBeInTheDocument();
  });

  it('says when the target does not exist (404 from the service)', async () => {
    mockBackend({
      'GET api/targets/nope': new HttpError(404, 'unknown target "nope"'),
      'GET api/targets/nope/snapshots': new HttpError(404, 'unknown target "nope"'),
      'GET api/runs': { runs: [] },
    });
    renderApp('target/nope');
    expect(await screen.findByText('Loading nope: not found')).toBeInTheDocument();
    expect(screen.getAllByText('The service does not know this (404: unknown target "nope").').length).toBeGreaterThan(
      0
    );
    expect(await screen.findByText('Nothing has run on nope yet.')).toBeInTheDocument();
  });

  it('says so when there are no snapshots yet', async () => {
    mockBackend({ ...routes, 'GET api/targets/mysql/snapshots': { snapshots: [] } });
    renderApp('target/mysql');
    expect(await screen.findByText('No snapshots of mysql yet: no backup has succeeded.')).toBeInTheDocument();
  });
});
