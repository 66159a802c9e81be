import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError, mockBackend } from '../../test/mockBackend';
import {
  NOW,
  makeAside,
  makeAudit,
  makeLabStatus,
  makeRun,
  makeRuns,
  makeStatus,
  unreachableMon1,
} from '../../test/fixtures';
import { currentLocation, renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const routes = {
  'GET api/runs': makeRuns(),
  'GET api/audit': makeAudit(),
  'GET api/status': makeStatus(),
  'GET api/restores/aside': makeAside(),
};

describe('Activity page', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true });
    setRole('Viewer');
  });
  afterEach(() => jest.useRealTimers());

  it('lists the runs of every target with their result and error', async () => {
    mockBackend(routes);
    renderApp('activity');
    const runs = await screen.findByRole('region', { name: 'Runs' });
    const failed = (await within(runs).findByText(/mysqldump: Got error/)).closest('tr') as HTMLElement;
    expect(within(failed).getByText('failed')).toBeInTheDocument();
    expect(within(failed).getByRole('link', { name: 'mysql' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mysql'
    );
    expect(within(runs).getByRole('link', { name: 'ansible' })).toBeInTheDocument();
    expect(within(runs).getByText('verify')).toBeInTheDocument();
  });

  it('shows one audit row per action: a restore that started and ended is one row (issue 15.6)', async () => {
    mockBackend(routes);
    renderApp('activity');
    const audit = await screen.findByRole('region', { name: 'Audit log' });
    const rows = within(await within(audit).findByRole('table'))
      .getAllByRole('row')
      .slice(1);
    expect(rows).toHaveLength(3);
    const restore = within(audit)
      .getByText('snapshot a1b2c3d4 to agama_restored: restored to database agama_restored')
      .closest('tr') as HTMLElement;
    expect(within(restore).getByText('alice')).toBeInTheDocument();
    expect(within(restore).getByText('(admin)')).toBeInTheDocument();
    expect(within(restore).getByText('ok')).toBeInTheDocument();
    expect(within(restore).getByText('after 62 s')).toBeInTheDocument();
    // Started at, on one line, with the seconds on hover.
    const when = within(restore).getByText('2025-03-10 10:58');
    expect(when).toHaveStyle({ whiteSpace: 'nowrap' });
    expect(within(audit).queryByText('started')).toBeNull();
  });

  it('filters runs and audit by operation, target, result and time, kept in the URL (issue 15.6)', async () => {
    const backend = mockBackend(routes);
    const user = userEvent.setup({ delay: null, advanceTimers: jest.advanceTimersByTime });
    renderApp('activity');
    await screen.findByText(/mysqldump: Got error/);
    const audit = screen.getByRole('region', { name: 'Audit log' });

    await user.click(screen.getByRole('radio', { name: 'Restores' }));
    await waitFor(() =>
      expect(backend.calls('GET api/runs').at(-1)?.query).toEqual({ operation: 'restore', limit: '1000' })
    );
    expect(currentLocation().params.get('operation')).toBe('restore');
    // The audit log follows: only the restore.
    await waitFor(() => expect(within(within(audit).getByRole('table')).getAllByRole('row')).toHaveLength(2));
    expect(within(audit).getByText('restore')).toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'All' }));
    await user.click(screen.getByRole('radio', { name: 'Failed' }));
    expect(currentLocation().params.get('status')).toBe('failed');
    // The service filters: runs and audit entries that failed, not the last 1000 filtered here.
    await waitFor(() =>
      expect(backend.calls('GET api/runs').at(-1)?.query).toEqual({ status: 'failed', limit: '1000' })
    );
    expect(backend.calls('GET api/audit').at(-1)?.query).toEqual({ status: 'failed', limit: '1000' });
    const runs = screen.getByRole('region', { name: 'Runs' });
    await waitFor(() => expect(within(within(runs).getByRole('table')).getAllByRole('row')).toHaveLength(2));
    expect(within(runs).getByText(/mysqldump: Got error/)).toBeInTheDocument();
    expect(within(within(audit).getByRole('table')).getAllByRole('row')).toHaveLength(2);
    expect(within(audit).getByText('manual backup')).toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'OK' }));
    await waitFor(() =>
      expect(backend.calls('GET api/runs').at(-1)?.query).toEqual({ status: 'success,unchanged', limit: '1000' })
    );
    expect(backend.calls('GET api/audit').at(-1)?.query).toEqual({ status: 'ok', limit: '1000' });
    await user.click(screen.getByRole('radio', { name: 'Running' }));
    await waitFor(() =>
      expect(backend.calls('GET api/audit').at(-1)?.query).toEqual({ status: 'started', limit: '1000' })
    );
    await user.click(screen.getByRole('radio', { name: 'Any result' }));
    await user.click(screen.getByRole('radio', { name: '24 h' }));
    expect(currentLocation().params.get('time')).toBe('24h');
    const day = new Date(NOW.getTime() - 86400_000).toISOString();
    await waitFor(() => expect(backend.calls('GET api/runs').at(-1)?.query).toEqual({ since: day, limit: '1000' }));
    expect(backend.calls('GET api/audit').at(-1)?.query).toEqual({ since: day, limit: '1000' });
    // The ansible backup of 3 days ago and the verification of 2 days ago are older than 24 h.
    await waitFor(() => expect(within(runs).queryByRole('link', { name: 'ansible' })).toBeNull());
    expect(within(runs).queryByText('verify')).toBeNull();
  });

  it('takes its filters from the URL, the target one asking the service for that target only', async () => {
    const backend = mockBackend(routes);
    renderApp('activity?target=ansible&time=30d');
    await waitFor(() =>
      expect(backend.calls('GET api/runs')[0]?.query).toEqual({
        target: 'ansible',
        since: new Date(NOW.getTime() - 30 * 86400_000).toISOString(),
        limit: '1000',
      })
    );
    expect(backend.calls('GET api/audit')[0]?.query).toEqual({
      since: new Date(NOW.getTime() - 30 * 86400_000).toISOString(),
      limit: '1000',
    });
    const runs = await screen.findByRole('region', { name: 'Runs' });
    expect(await within(runs).findByText('backup')).toBeInTheDocument();
    expect(await screen.findByText('No audit entry matches these filters.')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Target' })).toHaveValue('ansible');
  });

  it('lists what every restore moved aside', async () => {
    mockBackend(routes);
    renderApp('activity');
    const aside = await screen.findByRole('region', { name: 'Moved aside by restores' });
    expect(await within(aside).findByText('/srv/ansible.before-restore-20250309T100000Z')).toBeInTheDocument();
    expect(within(aside).getByText('agama_before_restore_20250310T115900Z')).toBeInTheDocument();
  });

  it('says when nothing has happened yet', async () => {
    mockBackend({ ...routes, 'GET api/runs': { runs: [] }, 'GET api/audit': { entries: [] } });
    renderApp('activity');
    expect(await screen.findByText('Nothing has run yet.')).toBeInTheDocument();
    expect(await screen.findByText(/The audit log is empty/)).toBeInTheDocument();
  });

  it('shows a long action that is still running as running', async () => {
    const started = makeAudit().entries.find((e) => e.result === 'started')!;
    mockBackend({ ...routes, 'GET api/audit': { entries: [started] }, 'GET api/runs': { runs: [makeRun()] } });
    renderApp('activity');
    const audit = await screen.findByRole('region', { name: 'Audit log' });
    expect(await within(audit).findByText('running')).toBeInTheDocument();
  });

  it('explains errors in plain words (403 from the service, 502 from Grafana)', async () => {
    mockBackend({
      ...routes,
      'GET api/runs': new HttpError(502, 'Bad Gateway', false),
      'GET api/audit': new HttpError(403, 'token role viewer may not read the audit log'),
    });
    renderApp('activity');
    expect(await screen.findByText('Loading the runs: the Backup SLA service cannot be reached')).toBeInTheDocument();
    expect(await screen.findByText('Loading the audit log: the service does not allow this')).toBeInTheDocument();
    expect(screen.getByText(/token role viewer may not read the audit log/)).toBeInTheDocument();
  });

  it("in a lab of two machines: targets by address, the peer's runs linked to it, one row for a forwarded restore, and who is missing", async () => {
    const lab = makeLabStatus();
    const backend = mockBackend({
      ...routes,
      'GET api/status': lab,
      'GET api/runs': {
        runs: [
          makeRun({ id: 7, instance: 'mon1', target: 'mysql', operation: 'restore', startedAt: NOW.toISOString() }),
          makeRun({ id: 7, instance: 'app1', target: 'mysql', startedAt: NOW.toISOString() }),
        ],
        unreachable: [],
      },
      'GET api/audit': {
        entries: [
          {
            ...makeAudit().entries[0],
            id: 50,
            instance: 'mon1',
            target: 'mysql',
            runId: 7,
            detail: 'snapshot a1b2c3d4 to the same place: restored to database monitoring',
            finishedAt: NOW.toISOString(),
          },
          {
            ...makeAudit().entries[0],
            id: 20,
            instance: 'app1',
            target: 'mon1/mysql',
            runId: 7,
            detail: 'forwarded to mon1: run 7',
            result: 'started',
          },
        ],
        unreachable: [unreachableMon1()],
      },
    });
    const { unmount } = renderApp('activity');
    const runs = await screen.findByRole('region', { name: 'Runs' });
    expect(await within(runs).findByRole('link', { name: 'mon1/mysql' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mon1/mysql'
    );
    expect(within(runs).getByRole('link', { name: 'mysql' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mysql'
    );
    const audit = screen.getByRole('region', { name: 'Audit log' });
    const rows = within(await within(audit).findByRole('table'))
      .getAllByRole('row')
      .slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('mon1/mysql (asked through app1)');
    expect(rows[0]).toHaveTextContent('restored to database monitoring');
    expect(within(rows[0]).getByText('ok')).toBeInTheDocument();
    // A peer that did not answer: its part of the list is missing, and the page says so.
    expect(within(audit).getByText('The audit entries of mon1 are missing: it does not answer')).toBeInTheDocument();
    unmount();
    // The target filter, by address, asks the service for that target of that machine.
    renderApp('activity?target=mon1/mysql');
    await waitFor(() =>
      expect(backend.calls('GET api/runs').at(-1)?.query).toEqual({ target: 'mon1/mysql', limit: '1000' })
    );
    expect(await screen.findByRole('combobox', { name: 'Target' })).toHaveValue('mon1/mysql');
    const only = await screen.findByRole('region', { name: 'Runs' });
    await waitFor(() => expect(within(only).getAllByRole('link')).toHaveLength(1));
    expect(within(only).getByRole('link', { name: 'mon1/mysql' })).toBeInTheDocument();
  });
});
