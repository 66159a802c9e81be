/**
 * Point-in-time recovery in the app (issue 13): the target page's section (window, gaps, lag) and
 * the restore dialog's "A point in time", which refuses a time the archive cannot reach before
 * anything is sent and sends `at` instead of `snapshot`. Targets without pitr see no change.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError, mockBackend } from '../../test/mockBackend';
import { mockDataSources } from '../../test/dataSources';
import {
  NOW,
  makeAside,
  makePitr,
  makePitrTarget,
  makeRestore,
  makeRun,
  makeRuns,
  makeSnapshots,
  makeStatus,
} from '../../test/fixtures';
import { currentLocation, renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
  PluginPage: jest.requireActual('../../test/pluginPage').TestPluginPage,
}));

const status = makeStatus();
const withPitr = makePitrTarget();
const plain = status.targets.find((t) => t.name === 'mysql')!;
const routes = (target = withPitr) => ({
  'GET api/status': { ...status, targets: status.targets.map((t) => (t.name === 'mysql' ? target : t)) },
  'GET api/targets/mysql': target,
  'GET api/targets/mysql/snapshots': makeSnapshots(),
  'GET api/runs': { runs: makeRuns().runs.filter((r) => r.target === 'mysql'), unreachable: [] },
  'GET api/restores': { restores: [], unreachable: [] },
  'GET api/restores/aside': makeAside(),
});

type User = ReturnType<typeof userEvent.setup>;

function setup() {
  return userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
}

/** Opens the restore dialog from the section's button, on "A point in time". */
async function openPointInTime(user: User) {
  const section = await screen.findByRole('region', { name: 'Point-in-time recovery' });
  await user.click(within(section).getByRole('button', { name: 'Restore to a point in time…' }));
  return screen.findByRole('dialog');
}

async function snapshotDialog(user: User, shortId = 'a1b2c3d4') {
  await user.click(await screen.findByRole('button', { name: `Actions for snapshot ${shortId}` }));
  const menu = await screen.findByRole('menu', { name: `Actions for snapshot ${shortId}` });
  await user.click(within(menu).getByRole('menuitem', { name: `Restore snapshot ${shortId}` }));
  return screen.findByRole('dialog');
}

describe('Point-in-time recovery', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    setRole('Viewer');
    mockDataSources([]);
  });
  afterEach(() => jest.useRealTimers());

  it('shows the recoverable window, the gap with its reason first, the archiver and its lag in words, and the size', async () => {
    mockBackend(routes());
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Point-in-time recovery' });
    // The gap comes first, as a warning whose title is the sentence a person reads.
    const warning = within(section).getByText(/^The recoverable window is interrupted by 1 gap/);
    expect(warning.compareDocumentPosition(within(section).getByText('Recoverable'))).toBe(
      Node.DOCUMENT_POSITION_FOLLOWING
    );
    const gaps = within(section).getByRole('list', { name: 'Gaps' });
    expect(gaps).toHaveTextContent(
      '2025-03-08 10:00:00 – 2025-03-09 02:00:06: The archive broke. Binlog.000042 was purged from the server before it was archived to its end'
    );
    const facts = within(section).getByLabelText('Point-in-time recovery', { selector: 'dl' });
    expect(facts).toHaveTextContent('Recoverable2025-03-03 02:00:05 – 2025-03-10 11:59:55, interrupted by 1 gap');
    expect(facts).toHaveTextContent("ArchiverFollowing the server's binary log, 4 s behind the server");
    expect(facts).toHaveTextContent('Archive37 log files, 48 MB');
    // The bar: two recoverable stretches with the gap cut out, the gap's reason as its text.
    const bar = within(section).getByRole('list', { name: 'Recoverable window' });
    expect(
      within(bar)
        .getAllByRole('listitem')
        .map((li) => li.textContent)
    ).toEqual([
      'Recoverable: 2025-03-03 02:00:05 – 2025-03-08 09:59:59',
      expect.stringMatching(
        /^Gap 2025-03-08 10:00:00 – 2025-03-09 02:00:06: The archive broke: binlog\.000042 was purged/
      ),
      'Recoverable: 2025-03-09 02:00:07 – 2025-03-10 11:59:55',
    ]);
    // Hovering the gap tells its reason.
    await setup().hover(within(bar).getByTestId('pitr-gap'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Gap 2025-03-08 10:00:00 – 2025-03-09 02:00:06. The archive broke: binlog.000042 was purged from the server'
    );
    // Viewers see the restore disabled, with why.
    expect(within(section).getByRole('button', { name: 'Restore to a point in time…' })).toBeDisabled();
    expect(section).toHaveTextContent('Restores need the Admin role');
  });

  it('shows a stalled archive as a warning, the sentence first, and what the archiver says', async () => {
    const stalled = makePitrTarget({
      pitr: makePitr({
        gaps: [],
        ranges: [{ start: '2025-03-03T02:00:05Z', end: '2025-03-10T11:40:00Z' }],
        windowEnd: '2025-03-10T11:40:00Z',
        lagSeconds: 1200,
        archiver: 'retrying',
        archiverDetail: 'connecting to the server: Access denied for user backup_sla',
        archiverRestarts: 3,
        stalled:
          'the archive holds nothing newer than 1200 s ago (over 600 s): connecting to the server: Access denied for user backup_sla',
      }),
    });
    mockBackend(routes(stalled));
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Point-in-time recovery' });
    expect(
      within(section).getByText('The binary log archive has stopped: recent changes cannot be recovered')
    ).toBeInTheDocument();
    expect(section).toHaveTextContent('The archive holds nothing newer than 1200 s ago (over 600 s)');
    const facts = within(section).getByLabelText('Point-in-time recovery', { selector: 'dl' });
    expect(facts).toHaveTextContent(
      'Retrying after it stopped, 20 min behind the server: connecting to the server: Access denied for user backup_sla; started again 3 times'
    );
    expect(facts).toHaveTextContent('without a gap');
    expect(within(section).queryByRole('list', { name: 'Gaps' })).toBeNull();
  });

  it('refuses a time in a gap or outside the window before sending, with the nearest recoverable times', async () => {
    setRole('Admin');
    const backend = mockBackend({ ...routes(), 'POST api/restores': { runId: 90, instance: 'app1' } });
    const user = setup();
    renderApp('target/mysql');
    const dialog = await openPointInTime(user);
    expect(currentLocation().params.get('restore')).toBe('time');
    expect(within(dialog).getByRole('radio', { name: 'A point in time' })).toBeChecked();
    // The snapshot's facts are not what is restored here: the service picks the dump.
    expect(within(dialog).queryByLabelText('The snapshot')).toBeNull();
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql');
    const input = within(dialog).getByRole('textbox', { name: 'Point in time' });

    await user.type(input, '2025-03-08 12:00:00');
    expect(dialog).toHaveTextContent(
      '2025-03-08 12:00:00 cannot be recovered: it lies in a gap of the archive (2025-03-08 10:00:00 – 2025-03-09 02:00:06): binlog.000042 was purged from the server before it was archived to its end; recoverable again from the first backup after it. Nearest recoverable: 2025-03-08 09:59:59 (the latest before) or 2025-03-09 02:00:07 (the earliest after).'
    );
    const refusedButton = within(dialog).getByRole('button', { name: 'Replace agama as of 2025-03-08 12:00:00' });
    expect(refusedButton).toBeDisabled();
    // Submitting the form anyway (Enter in a browser) sends nothing either.
    fireEvent.submit(dialog.querySelector('form')!);
    expect(within(dialog).getByRole('list', { name: 'Recoverable window' })).toContainElement(
      within(dialog).getByLabelText('Chosen: 2025-03-08 12:00:00')
    );

    await user.clear(input);
    await user.type(input, '2025-03-10 11:59:58');
    expect(dialog).toHaveTextContent(
      '2025-03-10 11:59:58 cannot be recovered: the archive holds the log only through 2025-03-10 11:59:55. Nearest recoverable: 2025-03-10 11:59:55 (the latest before).'
    );
    await user.clear(input);
    await user.type(input, '2025-03-01 08:00');
    expect(dialog).toHaveTextContent(
      'it is before the oldest backup the archived log starts from. Nearest recoverable: 2025-03-03 02:00:05 (the earliest after).'
    );
    await user.clear(input);
    await user.type(input, 'yesterday');
    expect(dialog).toHaveTextContent('Enter a time as YYYY-MM-DD HH:mm:ss, e.g. 2025-03-10 11:59:55.');
    expect(within(dialog).getByRole('button', { name: 'Replace agama' })).toBeDisabled();
    expect(backend.calls('POST api/restores')).toHaveLength(0);

    // The nearest recoverable time is one click away, and then the restore can start.
    await user.clear(input);
    await user.type(input, '2025-03-08 12:00:00');
    await user.click(within(dialog).getByRole('button', { name: 'Use 2025-03-09 02:00:07 (the earliest after)' }));
    expect(input).toHaveValue('2025-03-09 02:00:07');
    expect(within(dialog).getByRole('button', { name: 'Replace agama as of 2025-03-09 02:00:07' })).toBeEnabled();
    expect(backend.calls('POST api/restores')).toHaveLength(0);
  });

  it('sends `at` (ISO with the offset) and no snapshot for a recoverable time, and says what was restored', async () => {
    setRole('Admin');
    const backend = mockBackend({
      ...routes(),
      'POST api/restores': { runId: 91, instance: 'app1' },
      'GET api/runs/app1/91': makeRun({
        id: 91,
        operation: 'restore',
        status: 'success',
        snapshotId: null,
        durationSeconds: 75,
        restoredTo: 'database agama',
      }),
      'GET api/restores': {
        restores: [makeRestore({ runId: 91, snapshotId: 'b2c3d4e5f6a7', at: '2025-03-08T09:30:00Z' })],
        unreachable: [],
      },
    });
    const user = setup();
    renderApp('target/mysql');
    // Opened from a snapshot, then switched to a point in time.
    const dialog = await snapshotDialog(user);
    expect(within(dialog).getByRole('radio', { name: 'A snapshot' })).toBeChecked();
    await user.click(within(dialog).getByRole('radio', { name: 'A point in time' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Point in time' }), '2025-03-08 09:30:00');
    expect(within(dialog).getByLabelText('What the restore does')).toHaveTextContent(
      'Loads: the newest backup before that time, then replays the archived binary log up to it'
    );
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql');
    const submit = within(dialog).getByRole('button', { name: 'Replace agama as of 2025-03-08 09:30:00' });
    expect(submit).toBeEnabled();
    await user.click(submit);
    await waitFor(() => expect(backend.calls('POST api/restores')).toHaveLength(1));
    const body = backend.calls('POST api/restores')[0].body as Record<string, unknown>;
    expect(body).toEqual({ target: 'mysql', at: '2025-03-08T09:30:00+00:00', safetyBackup: true, confirm: 'mysql' });
    expect(body).not.toHaveProperty('snapshot');
    expect(await within(dialog).findByText('Restore finished')).toBeInTheDocument();
    await waitFor(() =>
      expect(dialog).toHaveTextContent(
        'mysql was restored to its state as of 2025-03-08 09:30:00 (snapshot b2c3d4e5 and the archived binary log) to database agama'
      )
    );
  });

  it("shows the service's refusal when the window changed since the page was loaded", async () => {
    setRole('Admin');
    const refusal =
      '2025-03-10T11:59:50Z cannot be recovered: it lies in a gap of the archive (2025-03-10T11:50:00Z – 2025-03-10T11:59:55Z: binlog.000051 was purged from the server before it was archived to its end); nearest recoverable: 2025-03-10T11:49:59Z (the latest before)';
    mockBackend({ ...routes(), 'POST api/restores': new HttpError(400, refusal) });
    const user = setup();
    renderApp('target/mysql');
    const dialog = await openPointInTime(user);
    await user.type(within(dialog).getByRole('textbox', { name: 'Point in time' }), '2025-03-10 11:59:50');
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql');
    await user.click(within(dialog).getByRole('button', { name: 'Replace agama as of 2025-03-10 11:59:50' }));
    await waitFor(() => expect(dialog).toHaveTextContent('Starting the restore: the service refused the request'));
    expect(dialog).toHaveTextContent(refusal);
    // Nothing started: the choice stays, to pick another time.
    expect(within(dialog).getByRole('textbox', { name: 'Point in time' })).toBeEnabled();
  });

  it('a MySQL target without pitr says what turning it on gives and needs; nothing else changes, the snapshot is sent', async () => {
    setRole('Admin');
    const backend = mockBackend({ ...routes(plain), 'POST api/restores': { runId: 92, instance: 'app1' } });
    const user = setup();
    renderApp('target/mysql');
    await screen.findByRole('region', { name: 'Policy' });
    // What the server needs and what the RPO is then, in words; no window, no restore to a time.
    const off = screen.getByRole('region', { name: 'Point-in-time recovery' });
    expect(off).toHaveTextContent(
      /^Point-in-time recoveryOff: a failure loses what changed since the last dump \(RPO 24 h\)\./
    );
    expect(off).toHaveTextContent('the RPO default becomes 4 h');
    expect(off).toHaveTextContent(
      'The server needs log_bin, binlog_format=ROW, a server_id and binlog_expire_logs_seconds of a week or more'
    );
    expect(within(off).queryByRole('button')).toBeNull();
    const dialog = await snapshotDialog(user);
    expect(within(dialog).queryByRole('radio', { name: 'A point in time' })).toBeNull();
    expect(within(dialog).queryByRole('textbox', { name: 'Point in time' })).toBeNull();
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql{Enter}');
    await waitFor(() => expect(backend.calls('POST api/restores')).toHaveLength(1));
    expect(backend.calls('POST api/restores')[0].body).toEqual({
      target: 'mysql',
      snapshot: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
      safetyBackup: true,
      confirm: 'mysql',
    });
  });

  it('does not offer a point in time while nothing is recoverable yet', async () => {
    setRole('Admin');
    const empty = makePitrTarget({
      pitr: makePitr({
        windowStart: null,
        windowEnd: null,
        ranges: [],
        gaps: [],
        lagSeconds: null,
        files: 0,
        bytes: 0,
      }),
    });
    mockBackend(routes(empty));
    const user = setup();
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Point-in-time recovery' });
    expect(section).toHaveTextContent('Recoverablenothing yet');
    expect(section).toHaveTextContent("Following the server's binary log, nothing archived yet");
    expect(within(section).queryByRole('button', { name: 'Restore to a point in time…' })).toBeNull();
    const dialog = await snapshotDialog(user);
    expect(within(dialog).getByRole('radio', { name: 'A point in time' })).toBeDisabled();
  });
});
