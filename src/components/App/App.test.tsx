import { screen } from '@testing-library/react';
import { mockBackend } from '../../test/mockBackend';
import { makeAudit, makeRuns, makeStatus } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { setRole } from '../../test/role';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

describe('App routing', () => {
  beforeEach(() => {
    setRole('Viewer');
    mockBackend({ 'GET api/status': makeStatus(), 'GET api/runs': makeRuns(), 'GET api/audit': makeAudit() });
  });

  it.each(['', 'overview', 'no-such-page'])('shows the overview at "%s"', async (path) => {
    renderApp(path);
    expect(await screen.findByRole('region', { name: 'Backup history' })).toBeInTheDocument();
  });

  it('shows the activity page', async () => {
    renderApp('activity');
    expect(await screen.findByRole('region', { name: 'Audit log' })).toBeInTheDocument();
  });

  it('links each target to its page', async () => {
    renderApp('overview');
    expect((await screen.findAllByRole('link', { name: 'mysql' }))[0]).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/target/mysql'
    );
  });
});
