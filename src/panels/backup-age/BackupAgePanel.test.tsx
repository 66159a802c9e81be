import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { PanelProps } from '@grafana/data';
import { BackupAgePanel, rpoText } from './BackupAgePanel';
import type { BackupAgeOptions } from './types';
import { HttpError, mockBackend } from '../../test/mockBackend';
import { makeStatus } from '../../test/fixtures';
import { plugin } from './module';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

function renderPanel(options: Partial<BackupAgeOptions> = {}) {
  const props = {
    options: { showCovered: false, ...options },
    width: 400,
    height: 300,
  } as unknown as PanelProps<BackupAgeOptions>;
  return render(<BackupAgePanel {...props} />);
}

describe('Backup age panel', () => {
  it('needs no query: it reads api/status through the app proxy', async () => {
    const backend = mockBackend({ 'GET api/status': makeStatus() });
    renderPanel();
    await screen.findByTestId('backup-age-mysql');
    expect(backend.fetch.mock.calls[0][0].url).toBe('/api/plugin-proxy/labops-backupsla-app/api/status');
  });

  it("shows each target's last good backup against its RPO, coloured by the freshness check, linking to its page", async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderPanel();
    const mysql = await screen.findByTestId('backup-age-mysql');
    expect(mysql).toHaveAttribute('data-level', 'critical');
    expect(mysql).toHaveTextContent('31 h ago');
    expect(mysql).toHaveTextContent('RPO 24 h');
    expect(within(mysql).getByRole('link')).toHaveAttribute('href', '/a/labops-backupsla-app/target/mysql');
    // prometheus is short of versions (warning overall) but fresh: the panel shows freshness.
    expect(screen.getByTestId('backup-age-prometheus')).toHaveAttribute('data-level', 'ok');
    expect(screen.getByTestId('backup-age-ansible')).toHaveTextContent('RPO 3 d');
    expect(screen.queryByTestId('backup-age-Nginx')).not.toBeInTheDocument();
  });

  it('says in words where the SLA sets no RPO: the current version held, or none', async () => {
    const status = makeStatus();
    mockBackend({ 'GET api/status': status });
    renderPanel();
    const agama = await screen.findByTestId('backup-age-agama');
    expect(agama).toHaveTextContent('no RPO — current version held');
    expect(agama).not.toHaveTextContent('?');

    expect(rpoText({ ...status.targets[1], versionsHeld: 0 })).toBe('no RPO — no version held');
    expect(rpoText(status.targets[2])).toBe('RPO 24 h');
  });

  it('shows only the chosen targets', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderPanel({ targets: ['ansible', 'mysql'] });
    await screen.findByTestId('backup-age-mysql');
    expect(screen.getByTestId('backup-age-ansible')).toBeInTheDocument();
    expect(screen.queryByTestId('backup-age-prometheus')).not.toBeInTheDocument();
    expect(screen.queryByTestId('backup-age-agama')).not.toBeInTheDocument();
  });

  it('can list the covered services too', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderPanel({ showCovered: true });
    expect(await screen.findByTestId('backup-age-DNS')).toHaveTextContent('covered by ansible');
  });

  it('explains a service it cannot reach', async () => {
    mockBackend({ 'GET api/status': new HttpError(502, 'Bad Gateway', false) });
    renderPanel();
    expect(await screen.findByRole('alert')).toHaveTextContent('The Backup SLA service cannot be reached');
  });

  it('explains a missing app (404 from Grafana: no proxy route)', async () => {
    mockBackend({ 'GET api/status': new HttpError(404, 'Plugin not found', false) });
    renderPanel();
    expect(await screen.findByRole('alert')).toHaveTextContent('Is the Backup SLA app enabled');
  });

  it("offers the service's targets in its options", async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    const targets = plugin.getPanelOptionsSupplier();
    expect(targets).toBeDefined();
    // The options editor is built by Grafana; check the builder registers both options.
    const builder = { items: [] as Array<{ path: string; settings?: { getOptions?: () => Promise<unknown> } }> };
    const fake = {
      addMultiSelect(item: { path: string }) {
        builder.items.push(item);
        return fake;
      },
      addBooleanSwitch(item: { path: string }) {
        builder.items.push(item);
        return fake;
      },
    };
    targets(fake as never, {} as never);
    expect(builder.items.map((i) => i.path)).toEqual(['targets', 'showCovered']);
    const options = await builder.items[0].settings!.getOptions!();
    expect(options).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: 'mysql' }),
        expect.objectContaining({ value: 'ansible' }),
      ])
    );
  });
});
