import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Run } from '../../api/types';
import { HttpError, mockBackend, sequence } from '../../test/mockBackend';
import { mockDataSources } from '../../test/dataSources';
import {
  NOW,
  makeAnsibleVerify,
  makeAside,
  makeRestores,
  makeRun,
  makeRuns,
  makeSnapshot,
  makeLabStatus,
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
const mysql = status.targets.find((t) => t.name === 'mysql')!;
const ansible = status.targets.find((t) => t.name === 'ansible')!;
const prometheus = status.targets.find((t) => t.name === 'prometheus')!;
const routes = {
  'GET api/status': status,
  'GET api/targets/mysql': mysql,
  'GET api/targets/mysql/snapshots': makeSnapshots(),
  'GET api/runs': { runs: makeRuns().runs.filter((r) => r.target === 'mysql'), unreachable: [] },
  'GET api/restores': { restores: [], unreachable: [] },
  'GET api/restores/aside': makeAside(),
};

type User = ReturnType<typeof userEvent.setup>;

function snapshotsSection() {
  return screen.getByRole('region', { name: 'Snapshots' });
}

async function snapshotMenu(user: User, shortId: string) {
  await user.click(await screen.findByRole('button', { name: `Actions for snapshot ${shortId}` }));
  return screen.findByRole('menu', { name: `Actions for snapshot ${shortId}` });
}

async function openRestore(user: User, shortId = 'a1b2c3d4') {
  await user.click(
    within(await snapshotMenu(user, shortId)).getByRole('menuitem', { name: `Restore snapshot ${shortId}` })
  );
  return screen.findByRole('dialog');
}

function restoreRun(overrides: Partial<Run>): Run {
  return makeRun({
    id: 77,
    operation: 'restore',
    snapshotId: null,
    bytesDone: null,
    restoredTo: 'database agama',
    ...overrides,
  });
}

describe('Target page', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    setRole('Viewer');
    mockDataSources([]);
  });
  afterEach(() => jest.useRealTimers());

  it('states the policy in words, with where the target stands, and goes back to the overview by its breadcrumb', async () => {
    const backend = mockBackend(routes);
    renderApp('target/mysql');
    const list = await screen.findByLabelText('Policy', { selector: 'dl' });
    expect(list).toHaveTextContent('the AGAMA database (table item)');
    expect(list).toHaveTextContent('daily at 02:00; next run in 14 h');
    expect(list).toHaveTextContent('at most 24 h of changes may be lost — last good backup 31 h ago');
    expect(list).toHaveTextContent(
      '4 weekly versions; safety backups taken before restores are kept apart for 30 d — 4 of 4 versions held'
    );
    expect(list).toHaveTextContent('runs weekly on Sunday at 04:00 — last verified 48 h ago');
    expect(list).toHaveTextContent('restore within 5 min — last measured 60 s');
    expect(list).toHaveTextContent('kept in main and copied to flash');
    expect(backend.calls('GET api/runs')[0].query).toEqual({ target: 'mysql', limit: '50' });
    // Issue 15.9: the breadcrumb goes back to the overview.
    expect(
      within(screen.getByRole('navigation', { name: 'Breadcrumbs' })).getByRole('link', { name: 'Overview' })
    ).toHaveAttribute('href', '/a/labops-backupsla-app/overview');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('mysql');
  });

  it('says why the target is not OK in words, with the tool output behind a toggle', async () => {
    mockBackend(routes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const reasons = await screen.findByRole('list', { name: 'Reasons for mysql' });
    expect(reasons).toHaveTextContent('last good backup 31 h ago, RPO 24 h');
    await user.click(within(reasons).getByRole('button', { name: 'Show the error' }));
    expect(within(reasons).getByText(/Can't connect to local server through socket/)).toBeInTheDocument();
  });

  it('lists the snapshots with what they hold, marks safety snapshots from the API (issue 10.4)', async () => {
    const safety = makeSnapshot({
      id: '5afe5afe00112233445566778899aabbccddeeff00112233445566778899aabb',
      shortId: '5afe5afe',
      time: NOW.toISOString(),
      safety: true,
      verification: 'unverified',
      verifiedAt: null,
    });
    mockBackend({
      ...routes,
      'GET api/targets/mysql/snapshots': { snapshots: [safety, ...makeSnapshots().snapshots] },
    });
    renderApp('target/mysql');
    const row = (await within(await screen.findByRole('region', { name: 'Snapshots' })).findByText('5afe5afe')).closest(
      'tr'
    ) as HTMLElement;
    expect(within(row).getByText('safety backup')).toBeInTheDocument();
    const normal = within(snapshotsSection()).getByText('a1b2c3d4').closest('tr') as HTMLElement;
    expect(within(normal).queryByText('safety backup')).toBeNull();
    expect(within(normal).getByText('database agama: 1 table, 1042 rows')).toBeInTheDocument();
    expect(within(normal).getByText('verified')).toBeInTheDocument();
  });

  it('restores "the latest" as the newest VERIFIED snapshot, never a safety one, and says so (issue 15.4)', async () => {
    setRole('Admin');
    const snapshots = [
      makeSnapshot({
        id: 'f'.repeat(64),
        shortId: 'ffffffff',
        time: NOW.toISOString(),
        safety: true,
        verification: 'passed',
      }),
      makeSnapshot({
        id: 'e'.repeat(64),
        shortId: 'eeeeeeee',
        time: new Date(NOW.getTime() - 60_000).toISOString(),
        verification: 'unverified',
      }),
      ...makeSnapshots().snapshots,
    ];
    mockBackend({ ...routes, 'GET api/targets/mysql/snapshots': { snapshots } });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const button = await within(await screen.findByRole('region', { name: 'Snapshots' })).findByRole('button', {
      name: 'Restore the latest verified (a1b2c3d4, 2 h ago)…',
    });
    await user.click(button);
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('The newest snapshot that passed verification.')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('The snapshot')).toHaveTextContent('Snapshot a1b2c3d4');
    expect(currentLocation().params.get('restore')).toBe('latest');
  });

  it.each(['Viewer', 'Editor'] as const)(
    'shows a %s the restore controls disabled, with the reason (issue 15.9)',
    async (role) => {
      setRole(role);
      mockBackend(routes);
      const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
      renderApp('target/mysql');
      const section = await screen.findByRole('region', { name: 'Snapshots' });
      expect(await within(section).findByRole('button', { name: /Restore the latest verified/ })).toBeDisabled();
      expect(within(section).getByText('Restores need the Admin role')).toBeInTheDocument();
      const menu = await snapshotMenu(user, 'a1b2c3d4');
      expect(within(menu).getByRole('menuitem', { name: 'Restore snapshot a1b2c3d4' })).toBeDisabled();
      expect(within(menu).getByText('Restores need the Admin role')).toBeInTheDocument();
    }
  );

  it('lets an Editor verify one snapshot from its menu (issue 15.4)', async () => {
    setRole('Editor');
    const backend = mockBackend({
      ...routes,
      'POST api/targets/mysql/verify': { runId: 90, instance: 'app1' },
      'GET api/runs/app1/90': makeRun({
        id: 90,
        operation: 'verify',
        status: 'running',
        phase: 'restoring',
        bytesDone: null,
        finishedAt: null,
        durationSeconds: null,
      }),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    await user.click(
      within(await snapshotMenu(user, 'ffee0011')).getByRole('menuitem', { name: 'Verify snapshot ffee0011' })
    );
    await waitFor(() =>
      expect(backend.calls('POST api/targets/mysql/verify')[0]?.body).toEqual({
        snapshot: 'ffee0011aabbccdd00112233445566778899aabbccddeeff0011223344556677',
      })
    );
    expect(await screen.findByText(/Verifying: restoring/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Back up mysql now' })).toBeDisabled();
  });

  it('shows the facts before the restore (issue 15.4): contents with counts, verification, what is replaced, where the data goes, time against the RTO', async () => {
    setRole('Admin');
    mockBackend(routes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    const facts = within(dialog).getByLabelText('The snapshot');
    expect(facts).toHaveTextContent('Snapshot a1b2c3d4 of 2025-03-10 10:00, 12 MB');
    expect(facts).toHaveTextContent('Verified usable 2 h ago (2025-03-10 10:01): tables 1, rows 1042, checksums equal');
    expect(facts).toHaveTextContent('Holds: database agama: 1 table, 1042 rows');
    expect(within(facts).getByRole('list', { name: 'What the snapshot holds' })).toHaveTextContent('item 1,042 rows');
    const does = within(dialog).getByLabelText('What the restore does');
    expect(does).toHaveTextContent('Replaces: database agama');
    expect(does).toHaveTextContent('The current data: database agama_before_restore_<time>');
    expect(dialog).toHaveTextContent('Should take: about 60 s (the last measured restore), within the RTO 5 min');
    // The button names the action; disabled until the name is typed.
    const submit = within(dialog).getByRole('button', { name: 'Replace agama' });
    expect(submit).toBeDisabled();
    expect(within(dialog).getByRole('switch', { name: 'Safety backup first' })).toBeChecked();
    const confirm = within(dialog).getByRole('textbox', { name: 'Confirm target name' });
    expect(confirm).toHaveFocus();
    expect(confirm).not.toHaveAttribute('placeholder');
    await user.type(confirm, 'mysq');
    expect(submit).toBeDisabled();
    await user.type(confirm, 'l');
    expect(submit).toBeEnabled();
    expect(submit).toHaveAttribute('data-variant', 'destructive');
  });

  it('offers exactly the destinations the target supports; another name has no safety switch and names the new place (issue 10.7)', async () => {
    setRole('Admin');
    mockBackend(routes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    expect(
      within(dialog)
        .getAllByRole('radio')
        .map((r) => r.getAttribute('aria-label') ?? r.closest('label')?.textContent ?? r.id)
    ).toHaveLength(2);
    await user.click(within(dialog).getByRole('radio', { name: 'Under another name' }));
    expect(within(dialog).queryByRole('switch', { name: 'Safety backup first' })).toBeNull();
    expect(within(dialog).getByRole('textbox', { name: 'New name' })).toHaveAttribute('placeholder', 'agama_restored');
    expect(within(dialog).getByText(/New database name/)).toBeInTheDocument();
    await user.type(within(dialog).getByRole('textbox', { name: 'New name' }), 'agama_copy');
    expect(within(dialog).getByRole('button', { name: 'Restore to agama_copy' })).toBeDisabled();
  });

  it('says why in place is not possible now, and starts on what is (a Prometheus without stop hooks)', async () => {
    setRole('Admin');
    mockBackend({
      'GET api/targets/prometheus': prometheus,
      'GET api/targets/prometheus/snapshots': { snapshots: [makeSnapshot({ target: 'prometheus', contents: null })] },
      'GET api/runs': { runs: [] },
      'GET api/restores/aside': { items: [] },
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/prometheus');
    const dialog = await openRestore(user);
    expect(within(dialog).getByRole('radio', { name: 'In place' })).toBeDisabled();
    expect(within(dialog).getByRole('radio', { name: 'Under another name' })).toBeChecked();
    expect(dialog).toHaveTextContent(
      'In place is not possible now: no hooks.stop configured and Prometheus is running'
    );
    expect(dialog).toHaveTextContent('Holds: not recorded (the catalog was rebuilt from the repository)');
    expect(within(dialog).getByText(/New directory name/)).toBeInTheDocument();
  });

  it('restores with Enter: posts the request, shows the phases with their bytes, then the outcome (issue 15.4, 10.9)', async () => {
    setRole('Admin');
    const started = NOW.toISOString();
    const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
    const backend = mockBackend({
      ...routes,
      'POST api/restores': { runId: 77, instance: 'app1' },
      'GET api/runs/app1/77': sequence(
        restoreRun({
          status: 'running',
          phase: 'load',
          startedAt: started,
          finishedAt: null,
          durationSeconds: null,
          phases: [
            { name: 'safety backup', startedAt: started, bytesDone: 12_000_000 },
            { name: 'load', startedAt: at(20), bytesDone: 3_000_000 },
          ],
        }),
        restoreRun({
          status: 'success',
          phase: 'swap',
          startedAt: started,
          finishedAt: at(62),
          durationSeconds: 62,
          phases: [
            { name: 'safety backup', startedAt: started, bytesDone: 12_000_000 },
            { name: 'load', startedAt: at(20), bytesDone: 12_300_000 },
            { name: 'check', startedAt: at(50), bytesDone: null },
            { name: 'swap', startedAt: at(60), bytesDone: null },
          ],
          restore: makeRestores().restores[0].outcome,
        })
      ),
      'GET api/restores': makeRestores(),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    const asideAsked = backend.calls('GET api/restores/aside').length;
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql{Enter}');

    const phases = await within(dialog).findByRole('list', { name: 'Phases' });
    expect(backend.calls('POST api/restores')[0].body).toEqual({
      target: 'mysql',
      snapshot: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
      safetyBackup: true,
      confirm: 'mysql',
    });
    expect(
      within(phases)
        .getAllByRole('listitem')
        .map((li) => li.textContent)
    ).toEqual(['safety backup12 MB, 20 s', expect.stringMatching(/^load3\.0 MB/)]);
    await act(async () => {
      jest.advanceTimersByTime(1000);
    });
    const result = await within(dialog).findByText('Restore finished');
    const alert = result.closest('[role="status"], [role="alert"], div') as HTMLElement;
    await waitFor(() => expect(dialog).toHaveTextContent('kept as snapshot 5afe5afe'));
    expect(dialog).toHaveTextContent(
      'mysql was restored from snapshot a1b2c3d4 to database agama in 62 s (RTO 5 min).'
    );
    expect(dialog).toHaveTextContent('Restored: 1 table, 1,042 rows.');
    expect(dialog).toHaveTextContent(
      'The data that was there before was moved aside and kept: database agama_before_restore_20250310T115900Z.'
    );
    expect(alert).toBeTruthy();
    expect(within(within(dialog).getByRole('list', { name: 'Phases' })).getAllByRole('listitem')).toHaveLength(4);
    // What the restore moved aside is listed on the page at once: the list is asked again.
    await waitFor(() => expect(backend.calls('GET api/restores/aside').length).toBeGreaterThan(asideAsked));
    // The modal's own X and the button row's Close; the restore is over, so nothing says it goes on.
    expect(within(dialog).getAllByRole('button', { name: 'Close' })).toHaveLength(2);
  });

  it('says what to do next after a restore that needs it, and where things are after a failed one', async () => {
    setRole('Admin');
    mockBackend({
      ...routes,
      'POST api/restores': { runId: 78, instance: 'app1' },
      'GET api/runs/app1/78': restoreRun({
        id: 78,
        status: 'failed',
        error: 'checking the restored data: row count of item differs',
        restore: {
          location: 'database agama_restored',
          counts: {},
          movedAside: [],
          next: ['drop the half-loaded database agama_restored when you no longer need it'],
          detail: 'nothing live was touched',
        },
      }),
      'GET api/restores': { restores: [] },
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    await user.click(within(dialog).getByRole('radio', { name: 'Under another name' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'New name' }), 'agama_restored');
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql ');
    await user.click(within(dialog).getByRole('button', { name: 'Restore to agama_restored' }));
    expect(await within(dialog).findByText('Restore failed')).toBeInTheDocument();
    expect(dialog).toHaveTextContent('checking the restored data: row count of item differs');
    expect(dialog).toHaveTextContent('nothing live was touched');
    expect(dialog).toHaveTextContent('What to do next:drop the half-loaded database agama_restored');
  });

  it('explains a refused restore (403 from Grafana for the role)', async () => {
    setRole('Admin');
    mockBackend({ ...routes, 'POST api/restores': new HttpError(403, 'plugin proxy route access denied', false) });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const dialog = await openRestore(user);
    await user.type(within(dialog).getByRole('textbox', { name: 'Confirm target name' }), 'mysql');
    await user.click(within(dialog).getByRole('button', { name: 'Replace agama' }));
    expect(await within(dialog).findByText('Starting the restore: not allowed')).toBeInTheDocument();
    expect(within(dialog).getByText(/admins restore/)).toBeInTheDocument();
  });

  it('keeps a "restored to" column and marks snapshots retention has removed (issue 15.4, 15.9)', async () => {
    mockBackend({
      ...routes,
      'GET api/runs': {
        runs: [
          restoreRun({
            id: 80,
            restoredTo: 'database agama_restored',
            startedAt: new Date(NOW.getTime() - 3600_000).toISOString(),
          }),
          makeRun({ id: 12, snapshotId: 'c0ffee00'.repeat(8), snapshotHeld: false }),
          makeRun({
            id: 13,
            operation: 'verify',
            status: 'failed',
            snapshotId: null,
            error: 'could not verify: Fatal: wrong password or no key found',
            verification: { outcome: 'unknown', detail: 'Fatal: wrong password or no key found' },
          }),
          makeRun({
            id: 14,
            operation: 'verify',
            status: 'failed',
            snapshotId: null,
            error: 'row count of item differs: 1040 != 1042',
            verification: { outcome: 'failed', detail: 'row count of item differs: 1040 != 1042' },
          }),
        ],
      },
    });
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Run history' });
    const restore = (await within(section).findByText('database agama_restored')).closest('tr') as HTMLElement;
    expect(within(restore).getByText('restore')).toBeInTheDocument();
    const removed = within(section).getByText('c0ffee00').closest('tr') as HTMLElement;
    expect(within(removed).getByText('removed by retention')).toBeInTheDocument();
    // "Could not verify" is not "failed" (issue 10.8).
    const unknown = within(section)
      .getByText(/wrong password/)
      .closest('tr') as HTMLElement;
    expect(within(unknown).getByText('could not verify')).toBeInTheDocument();
    expect(within(unknown).queryByText('failed')).toBeNull();
    const failed = within(section)
      .getAllByText(/row count of item differs/)[0]
      .closest('tr') as HTMLElement;
    expect(within(failed).getByText('failed')).toBeInTheDocument();
  });

  it.each([
    ['drift', 'Drift: the live infrastructure moved away from the code.'],
    ['unapplied', 'A newer version of the code than what was last applied: not applied yet, nothing drifted.'],
  ] as const)('shows the changes an Ansible check would make, told as %s (issue 10.10)', async (kind, text) => {
    mockBackend({
      'GET api/targets/ansible': ansible,
      'GET api/targets/ansible/snapshots': { snapshots: [] },
      'GET api/runs': { runs: [makeAnsibleVerify(kind)] },
      'GET api/restores/aside': { items: [] },
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/ansible');
    const section = await screen.findByRole('region', { name: 'Run history' });
    const row = (await within(section).findByText('verify')).closest('tr') as HTMLElement;
    await user.click(within(row).getAllByRole('button')[0]);
    const changes = await within(section).findByLabelText('Changes check mode would make');
    expect(changes).toHaveTextContent(text);
    expect(within(changes).getByText('web1')).toBeInTheDocument();
    expect(within(changes).getByText('nginx : site config')).toBeInTheDocument();
    expect(within(changes).getByText(/\+ listen 8080;/)).toBeInTheDocument();
  });

  it('lists what restores of this target moved aside; an Admin removes one by typing its name (issue 10.2)', async () => {
    setRole('Admin');
    const backend = mockBackend({ ...routes, 'POST api/restores/aside/remove': {} });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Moved aside by restores' });
    const name = 'agama_before_restore_20250310T115900Z';
    const row = (await within(section).findByText(name)).closest('tr') as HTMLElement;
    expect(within(row).getByText('database agama')).toBeInTheDocument();
    expect(row).toHaveTextContent(/ by run 77/);
    // Only this target's.
    expect(within(section).queryByText(/\/srv\/ansible/)).toBeNull();

    await user.click(within(row).getByRole('button', { name: `Remove ${name}` }));
    const dialog = await screen.findByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: `Remove ${name}` });
    expect(confirm).toBeDisabled();
    await user.type(within(dialog).getByRole('textbox'), name);
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    await waitFor(() =>
      expect(backend.calls('POST api/restores/aside/remove')[0]?.body).toEqual({ target: 'mysql', name, confirm: name })
    );
    await waitFor(() => expect(backend.calls('GET api/restores/aside').length).toBe(2));
  });

  it('lets no one but an Admin remove what a restore moved aside', async () => {
    setRole('Editor');
    mockBackend(routes);
    renderApp('target/mysql');
    const section = await screen.findByRole('region', { name: 'Moved aside by restores' });
    const button = await within(section).findByRole('button', { name: 'Remove agama_before_restore_20250310T115900Z' });
    // Disabled with its reason as the tooltip (Grafana keeps such a button focusable: aria-disabled).
    expect(button).toHaveAttribute('aria-disabled', 'true');
    await userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime }).click(button);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('opens the restore dialog from the URL (the overview menu links there)', async () => {
    setRole('Admin');
    mockBackend(routes);
    renderApp('target/mysql?restore=latest');
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('The newest snapshot that passed verification.')).toBeInTheDocument();
  });

  it('says when the target does not exist (404 from the service)', async () => {
    mockBackend({
      'GET api/targets/nope': new HttpError(404, 'unknown target "nope"'),
      'GET api/targets/nope/snapshots': new HttpError(404, 'unknown target "nope"'),
      'GET api/runs': { runs: [] },
      'GET api/restores/aside': { items: [] },
    });
    renderApp('target/nope');
    expect(await screen.findByText('Loading nope: not found')).toBeInTheDocument();
    expect(await screen.findByText('Nothing has run on nope yet.')).toBeInTheDocument();
  });

  it('says so when there are no snapshots yet, and when the service does not list what was moved aside', async () => {
    mockBackend({
      ...routes,
      'GET api/targets/mysql/snapshots': { snapshots: [] },
      'GET api/restores/aside': new HttpError(404, 'Route GET:/api/restores/aside not found'),
    });
    renderApp('target/mysql');
    expect(await screen.findByText('No snapshots of mysql yet: no backup has succeeded.')).toBeInTheDocument();
    expect(
      await screen.findByText('This version of the service does not list what restores moved aside.')
    ).toBeInTheDocument();
  });
});

describe("A peer's target page (issue 14)", () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    mockDataSources([]);
  });
  afterEach(() => jest.useRealTimers());

  const lab = makeLabStatus();
  const prometheus = lab.targets.find((t) => t.instance === 'mon1' && t.name === 'prometheus')!;
  const snapshot = makeSnapshot({ instance: 'mon1', target: 'prometheus', contents: null });
  const peerRoutes = {
    'GET api/status': lab,
    'GET api/targets/mon1/prometheus': { ...prometheus, destinations: { ...prometheus.destinations, inPlace: null } },
    'GET api/targets/mon1/prometheus/snapshots': { snapshots: [snapshot] },
    'GET api/runs': {
      runs: [makeRun({ id: 5, instance: 'mon1', target: 'prometheus' })],
      unreachable: [],
    },
    'GET api/restores/aside': {
      items: [
        // Same target name on both machines: only mon1's belongs here.
        { ...makeAside().items[1], instance: 'mon1', target: 'prometheus', name: '/srv/prom.before-restore-1' },
        { ...makeAside().items[1], instance: 'app1', target: 'prometheus', name: '/srv/app1-prom.before-restore-2' },
      ],
      unreachable: [],
    },
  };

  it('names its machine and asks everything of it by <instance>/<target>', async () => {
    setRole('Viewer');
    const backend = mockBackend(peerRoutes);
    renderApp('target/mon1/prometheus');
    expect(await screen.findByText('prometheus target on mon1')).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'prometheus' })).toBeInTheDocument();
    await screen.findAllByText('a1b2c3d4');
    expect(backend.calls('GET api/runs')[0].query).toEqual({ target: 'mon1/prometheus', limit: '50' });
    const aside = await screen.findByRole('region', { name: 'Moved aside by restores' });
    expect(await within(aside).findByText('/srv/prom.before-restore-1')).toBeInTheDocument();
    expect(within(aside).queryByText('/srv/app1-prom.before-restore-2')).toBeNull();
    // The run history's runs are mon1's.
    expect(screen.getByRole('link', { name: /Backup SLA dashboard/ })).toHaveAttribute(
      'href',
      '/d/backup-sla?var-target=prometheus&var-instance=mon1'
    );
    expect(backend.requests.some((r) => r.path.includes('%2F'))).toBe(false);
  });

  it('verifies, backs up and restores on the peer, and follows each run there', async () => {
    setRole('Admin');
    const running = (id: number, operation: Run['operation']) =>
      makeRun({
        id,
        instance: 'mon1',
        target: 'prometheus',
        operation,
        status: 'running',
        phase: 'working',
        finishedAt: null,
        durationSeconds: null,
      });
    const backend = mockBackend({
      ...peerRoutes,
      'POST api/targets/mon1/prometheus/verify': { runId: 31, instance: 'mon1' },
      'GET api/runs/mon1/31': makeRun({ id: 31, instance: 'mon1', target: 'prometheus', operation: 'verify' }),
      'POST api/targets/mon1/prometheus/backup': { runId: 32, instance: 'mon1' },
      'GET api/runs/mon1/32': running(32, 'backup'),
      'POST api/restores': { runId: 33, instance: 'mon1' },
      'GET api/runs/mon1/33': running(33, 'restore'),
    });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mon1/prometheus');
    await user.click(
      within(await snapshotMenu(user, 'a1b2c3d4')).getByRole('menuitem', { name: 'Verify snapshot a1b2c3d4' })
    );
    await waitFor(() => expect(backend.calls('GET api/runs/mon1/31').length).toBeGreaterThan(0));
    await user.click(await screen.findByRole('button', { name: 'Back up mon1/prometheus now' }));
    expect(await screen.findByText(/Backing up: working/)).toBeInTheDocument();
    expect(backend.calls('POST api/targets/mon1/prometheus/backup')).toHaveLength(1);

    // The restore names the machine: it is confirmed by typing mon1/prometheus.
    const dialog = await openRestore(user);
    expect(within(dialog).getByText('Restore mon1/prometheus')).toBeInTheDocument();
    await user.type(within(dialog).getByRole('textbox', { name: 'New name' }), '/srv/restore/prometheus');
    const confirm = within(dialog).getByRole('textbox', { name: 'Confirm target name' });
    await user.type(confirm, 'prometheus');
    expect(within(dialog).getByRole('button', { name: 'Restore to /srv/restore/prometheus' })).toBeDisabled();
    await user.clear(confirm);
    await user.type(confirm, 'mon1/prometheus');
    // (Enter submits in a browser; jsdom submits by Enter only forms with one text field.)
    await user.click(within(dialog).getByRole('button', { name: 'Restore to /srv/restore/prometheus' }));
    await waitFor(() =>
      expect(backend.calls('POST api/restores')[0]?.body).toEqual({
        target: 'mon1/prometheus',
        snapshot: snapshot.id,
        to: '/srv/restore/prometheus',
        safetyBackup: false,
        confirm: 'mon1/prometheus',
      })
    );
    await waitFor(() => expect(backend.calls('GET api/runs/mon1/33').length).toBeGreaterThan(0));
    expect(backend.requests.some((r) => r.path.includes('%2F'))).toBe(false);
  });

  it("removes what a restore moved aside on the peer, by the peer's target address", async () => {
    setRole('Admin');
    const backend = mockBackend({ ...peerRoutes, 'POST api/restores/aside/remove': {} });
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('target/mon1/prometheus');
    const aside = await screen.findByRole('region', { name: 'Moved aside by restores' });
    const name = '/srv/prom.before-restore-1';
    await user.click(await within(aside).findByRole('button', { name: `Remove ${name}` }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByRole('textbox'), name);
    await user.click(within(dialog).getByRole('button', { name: `Remove ${name}` }));
    await waitFor(() =>
      expect(backend.calls('POST api/restores/aside/remove')[0]?.body).toEqual({
        target: 'mon1/prometheus',
        name,
        confirm: name,
      })
    );
  });

  it('says plainly when the machine does not answer', async () => {
    setRole('Editor');
    mockBackend({
      ...peerRoutes,
      'GET api/status': makeLabStatus({ mon1Down: true }),
      'GET api/targets/mon1/prometheus': new HttpError(502, 'instance mon1 did not answer: connect ECONNREFUSED'),
      'GET api/targets/mon1/prometheus/snapshots': new HttpError(
        502,
        'instance mon1 did not answer: connect ECONNREFUSED'
      ),
    });
    renderApp('target/mon1/prometheus');
    expect(
      await screen.findByText('Loading mon1/prometheus: another instance of the lab cannot be reached')
    ).toBeInTheDocument();
    expect(screen.getAllByText(/instance mon1 did not answer: connect ECONNREFUSED/).length).toBeGreaterThan(0);
    expect(await screen.findByText(/^mon1 does not answer since 2025-03-10 11:55:00$/)).toBeInTheDocument();
  });
});
