import { screen } from '@testing-library/react';
import { HttpError, mockBackend } from '../../test/mockBackend';
import { makeAside, makeAudit, makeRuns, makeStatus } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

describe('App routing', () => {
  beforeEach(() => setRole('Viewer'));

  it.each(['', 'overview', 'no-such-page'])('shows the overview at "%s"', async (path) => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderApp(path);
    expect(await screen.findByRole('group', { name: 'Targets by state' })).toBeInTheDocument();
  });

  it('shows the activity page', async () => {
    mockBackend({
      'GET api/status': makeStatus(),
      'GET api/runs': makeRuns(),
      'GET api/audit': makeAudit(),
      'GET api/restores/aside': makeAside(),
    });
    renderApp('activity');
    expect(await screen.findByRole('region', { name: 'Audit log' })).toBeInTheDocument();
  });

  it('links each target to its page', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderApp('overview');
    expect((await screen.findAllByRole('link', { name: 'mysql' }))[0]).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mysql'
    );
  });
});

describe('First setup (issue 15.8)', () => {
  it('asks an Admin to connect Backup SLA, and asks the proxy nothing', async () => {
    setRole('Admin');
    const backend = mockBackend({});
    renderApp('overview', {});
    expect(await screen.findByRole('link', { name: 'Connect Backup SLA' })).toBeInTheDocument();
    // The empty state's message and its button.
    expect(screen.getAllByText('Connect Backup SLA')).toHaveLength(2);
    expect(screen.getByRole('link', { name: 'Connect Backup SLA' })).toHaveAttribute(
      'href',
      '/plugins/labops-backupsla-app'
    );
    expect(backend.requests).toEqual([]);
    expect(document.body.textContent).not.toMatch(/500|interpolate|`/);
  });

  it.each(['Editor', 'Viewer'] as const)('tells a %s to ask an admin', async (role) => {
    setRole(role);
    const backend = mockBackend({});
    renderApp('target/mysql', {});
    expect(await screen.findByText('Backup SLA is not connected yet')).toBeInTheDocument();
    expect(screen.getByText(/Ask an admin of this Grafana organisation to connect it/)).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Connect Backup SLA' })).toBeNull();
    expect(backend.requests).toEqual([]);
  });

  it('words the proxy\'s "Could not interpolate plugin route url" as not connected, should it still come', async () => {
    setRole('Viewer');
    mockBackend({
      'GET api/status': new HttpError(500, 'Could not interpolate plugin route url', false),
    });
    renderApp('overview');
    expect(
      await screen.findByText('Loading the backup state: the app is not connected to the Backup SLA service yet')
    ).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('interpolate');
  });
});
