import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError, mockBackend } from '../../test/mockBackend';
import { makeAudit, makeRuns } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

describe('Activity page', () => {
  beforeEach(() => setRole('Viewer'));

  it('lists the runs of every target with their result and error', async () => {
    mockBackend({ 'GET api/runs': makeRuns(), 'GET api/audit': makeAudit() });
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
    for (const started of within(runs).getAllByRole('row').slice(1)) {
      expect(within(started).getAllByRole('cell')[0].firstElementChild).toHaveStyle({ whiteSpace: 'nowrap' });
    }
  });

  it('shows the audit log: who, what, when, result', async () => {
    mockBackend({ 'GET api/runs': makeRuns(), 'GET api/audit': makeAudit() });
    renderApp('activity');
    const audit = await screen.findByRole('region', { name: 'Audit log' });
    const restore = (await within(audit).findByText('snapshot a1b2c3d4 to agama_restored')).closest(
      'tr'
    ) as HTMLElement;
    expect(within(restore).getByText('alice')).toBeInTheDocument();
    expect(within(restore).getByText('restore')).toBeInTheDocument();
    const when = within(restore).getByText('2025-03-10 11:00');
    // On one line (it wrapped into two), with the seconds on hover.
    expect(when).toHaveStyle({ whiteSpace: 'nowrap' });
    expect(when).toHaveAttribute('title', '2025-03-10 11:00:00');
    expect(within(restore).getByText('ok')).toBeInTheDocument();
    const backup = within(audit).getByText('manual backup').closest('tr') as HTMLElement;
    expect(within(backup).getByText('failed')).toBeInTheDocument();
  });

  it('filters the runs by operation through the query', async () => {
    const backend = mockBackend({ 'GET api/runs': makeRuns(), 'GET api/audit': makeAudit() });
    const user = userEvent.setup({ delay: null });
    renderApp('activity');
    await screen.findByText(/mysqldump: Got error/);
    await user.click(screen.getByRole('radio', { name: 'Restores' }));
    await waitFor(() =>
      expect(backend.calls('GET api/runs').at(-1)?.query).toEqual({ operation: 'restore', limit: '200' })
    );
    expect(backend.calls('GET api/runs')[0].query).toEqual({ limit: '200' });
  });

  it('says when nothing has happened yet', async () => {
    mockBackend({ 'GET api/runs': { runs: [] }, 'GET api/audit': { entries: [] } });
    renderApp('activity');
    expect(await screen.findByText('Nothing has run yet.')).toBeInTheDocument();
    expect(await screen.findByText(/The audit log is empty/)).toBeInTheDocument();
  });

  it('explains errors in plain words (403 from the service, 502 from Grafana)', async () => {
    mockBackend({
      'GET api/runs': new HttpError(502, 'Bad Gateway', false),
      'GET api/audit': new HttpError(403, 'token role viewer may not read the audit log'),
    });
    renderApp('activity');
    expect(await screen.findByText('Loading the runs: the Backup SLA service cannot be reached')).toBeInTheDocument();
    expect(await screen.findByText('Loading the audit log: the service does not allow this')).toBeInTheDocument();
    expect(screen.getByText(/token role viewer may not read the audit log/)).toBeInTheDocument();
  });
});
