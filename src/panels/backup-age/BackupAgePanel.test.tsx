import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import { dateTime, PanelProps } from '@grafana/data';
import { BackupAgePanel, entries, rpoText } from './BackupAgePanel';
import type { BackupAgeOptions } from './types';
import { capacity, fit, resolveMode, restText } from './layout';
import { HttpError, mockBackend } from '../../test/mockBackend';
import { makeLabStatus, makeStatus } from '../../test/fixtures';
import { plugin } from './module';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

function range() {
  const to = dateTime();
  return { from: dateTime(to).subtract(6, 'hours'), to, raw: { from: 'now-6h', to: 'now' } };
}

function props(options: Partial<BackupAgeOptions> = {}, size = { width: 400, height: 300 }, timeRange = range()) {
  return {
    options: { showCovered: false, ...options },
    timeRange,
    ...size,
  } as unknown as PanelProps<BackupAgeOptions>;
}

function renderPanel(options: Partial<BackupAgeOptions> = {}, size?: { width: number; height: number }) {
  return render(<BackupAgePanel {...props(options, size)} />);
}

function shownNames() {
  return screen.queryAllByTestId(/^backup-age-(?!more|summary)/).map((e) => e.getAttribute('data-testid')!.slice(11));
}

describe('Backup age panel', () => {
  it('needs no query: it reads api/status through the app proxy', async () => {
    const backend = mockBackend({ 'GET api/status': makeStatus() });
    renderPanel();
    await screen.findByTestId('backup-age-mysql');
    expect(backend.fetch.mock.calls[0][0].url).toBe('/api/plugin-proxy/labops-backupsla-app/api/status');
  });

  it('agrees with the app (issue 15.7): coloured by the SLA state by default, worst first, linking into the app', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderPanel();
    const mysql = await screen.findByTestId('backup-age-mysql');
    expect(shownNames()).toEqual(['mysql', 'prometheus', 'agama', 'ansible']);
    expect(mysql).toHaveAttribute('data-level', 'critical');
    expect(mysql).toHaveTextContent('31 h ago');
    expect(mysql).toHaveTextContent('RPO 24 h');
    expect(within(mysql).getByRole('link')).toHaveAttribute('href', '/a/labops-backupsla-app/target/mysql');
    // prometheus is fresh but short of versions: the app says Warning, so does the panel.
    expect(screen.getByTestId('backup-age-prometheus')).toHaveAttribute('data-level', 'warning');
  });

  it('can colour by freshness only, and sort by name or age', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    const { rerender } = renderPanel({ colourBy: 'freshness', sortBy: 'name' });
    await screen.findByTestId('backup-age-mysql');
    expect(screen.getByTestId('backup-age-prometheus')).toHaveAttribute('data-level', 'ok');
    expect(shownNames()).toEqual(['agama', 'ansible', 'mysql', 'prometheus']);
    rerender(<BackupAgePanel {...props({ sortBy: 'age' })} />);
    expect(shownNames()[0]).toBe('mysql');
  });

  it('follows the dashboard: reads the state again on a refresh (a new time range), never on its own', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const backend = mockBackend({ 'GET api/status': makeStatus() });
      const { rerender } = render(<BackupAgePanel {...props()} />);
      await screen.findByTestId('backup-age-mysql');
      jest.advanceTimersByTime(10 * 60_000);
      expect(backend.calls('GET api/status')).toHaveLength(1);
      rerender(<BackupAgePanel {...props({}, undefined, range())} />);
      await waitFor(() => expect(backend.calls('GET api/status')).toHaveLength(2));
    } finally {
      jest.useRealTimers();
    }
  });

  it('degrades when small: the worst that fit, then "+N OK"', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    renderPanel({ displayMode: 'list' }, { width: 400, height: 95 });
    await screen.findByTestId('backup-age-mysql');
    expect(shownNames()).toEqual(['mysql', 'prometheus']);
    expect(screen.getByTestId('backup-age-more')).toHaveTextContent('+2 OK');
    expect(within(screen.getByTestId('backup-age-more')).getByRole('link')).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/overview'
    );
  });

  it('has a compact and a summary display, and picks them by itself when narrow or tiny', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    const { unmount } = renderPanel({}, { width: 250, height: 200 });
    const chip = await screen.findByTestId('backup-age-mysql');
    expect(chip).toHaveTextContent('mysql31 h ago');
    unmount();
    renderPanel({}, { width: 400, height: 40 });
    const summary = await screen.findByTestId('backup-age-summary');
    expect(summary).toHaveTextContent('1 critical1 warning2 OKworst: mysql');
    expect(summary).toHaveAttribute('href', '/a/labops-backupsla-app/overview');
  });

  it('says in words where the SLA sets no RPO: the current version held, or none', async () => {
    const status = makeStatus();
    mockBackend({ 'GET api/status': status });
    renderPanel();
    const agama = await screen.findByTestId('backup-age-agama');
    expect(agama).toHaveTextContent('no RPO, current version held');
    expect(rpoText({ ...status.targets[1], versionsHeld: 0 })).toBe('no RPO, no version held');
    expect(rpoText(status.targets[2])).toBe('RPO 24 h');
  });

  it("shows only the chosen targets, and the covered services on request with their backup's reason", async () => {
    const status = makeStatus();
    expect(
      entries(status, { targets: ['ansible', 'mysql'], showCovered: false } as BackupAgeOptions).map((e) => e.name)
    ).toEqual(['mysql', 'ansible']);
    mockBackend({ 'GET api/status': status });
    renderPanel({ showCovered: true }, { width: 400, height: 600 });
    expect(await screen.findByTestId('backup-age-DNS')).toHaveTextContent('covered by ansible');
  });

  it('explains a service it cannot reach, and a missing app (404 from Grafana)', async () => {
    mockBackend({ 'GET api/status': new HttpError(502, 'Bad Gateway', false) });
    const { unmount } = renderPanel();
    expect(await screen.findByRole('alert')).toHaveTextContent('The Backup SLA service cannot be reached');
    unmount();
    mockBackend({ 'GET api/status': new HttpError(404, 'Plugin not found', false) });
    renderPanel();
    expect(await screen.findByRole('alert')).toHaveTextContent('Is the Backup SLA app enabled');
  });

  it('lays out what fits', () => {
    expect(resolveMode('auto', 400, 300)).toBe('list');
    expect(resolveMode('auto', 250, 300)).toBe('compact');
    expect(resolveMode('auto', 400, 50)).toBe('summary');
    expect(resolveMode('list', 100, 20)).toBe('list');
    expect(capacity('list', 400, 95)).toBe(3);
    expect(capacity('compact', 300, 56)).toBe(4);
    const fitted = fit(['c', 'w', 'o1', 'o2', 'o3'], 3, (x) => (x === 'c' ? 'critical' : x === 'w' ? 'warning' : 'ok'));
    expect(fitted.shown).toEqual(['c', 'w']);
    expect(restText(fitted.rest)).toBe('+3 OK');
    expect(restText(fit(['c', 'w', 'o'], 1, (x) => (x === 'c' ? 'critical' : x === 'w' ? 'warning' : 'ok')).rest)).toBe(
      '+1 critical, +1 warning, +1 OK'
    );
  });

  it('offers its options: targets from the service, colour, sort, display, covered services', async () => {
    mockBackend({ 'GET api/status': makeStatus() });
    const items: Array<{ path: string; defaultValue?: unknown; settings?: { getOptions?: () => Promise<unknown> } }> =
      [];
    const fake = new Proxy(
      {},
      {
        get: () => (item: (typeof items)[number]) => {
          items.push(item);
          return fake;
        },
      }
    );
    plugin.getPanelOptionsSupplier()(fake as never, {} as never);
    expect(items.map((i) => [i.path, i.defaultValue])).toEqual([
      ['targets', undefined],
      ['instances', undefined],
      ['colourBy', 'overall'],
      ['sortBy', 'worst'],
      ['displayMode', 'auto'],
      ['showCovered', false],
    ]);
    expect(await items[0].settings!.getOptions!()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: 'mysql' }),
        expect.objectContaining({ value: 'ansible' }),
      ])
    );
  });

  it('in a lab of two machines: names each line <instance>/<target> and links to it there; filters by instance', async () => {
    const lab = makeLabStatus();
    const all = entries(lab, { showCovered: false } as BackupAgeOptions);
    expect(all.map((e) => e.name)).toEqual([
      'app1/mysql',
      'mon1/prometheus',
      'app1/agama',
      'app1/ansible',
      'mon1/influxdb',
      'mon1/mysql',
    ]);
    expect(all.find((e) => e.name === 'mon1/mysql')!.href).toBe('/a/labops-backupsla-app/target/mon1/mysql');
    expect(all.find((e) => e.name === 'app1/mysql')!.href).toBe('/a/labops-backupsla-app/target/mysql');
    // One instance chosen: plain names again, that machine's only (its covered services too).
    const mon1 = entries(lab, { showCovered: true, instances: ['mon1'] } as BackupAgeOptions);
    expect(mon1.map((e) => e.name)).toEqual(['prometheus', 'influxdb', 'mysql', 'Grafana alerts']);
    expect(mon1[3]).toMatchObject({ coveredBy: 'influxdb', href: '/a/labops-backupsla-app/target/mon1/influxdb' });
    // Targets chosen by address: a bare name is the asked instance's (app1), mon1's is named so.
    expect(
      entries(lab, { showCovered: false, targets: ['mysql', 'mon1/prometheus'] } as BackupAgeOptions).map((e) => e.name)
    ).toEqual(['app1/mysql', 'mon1/prometheus']);

    mockBackend({ 'GET api/status': lab });
    renderPanel({ instances: ['mon1'] }, { width: 400, height: 300 });
    const row = await screen.findByTestId('backup-age-prometheus');
    expect(within(row).getByRole('link')).toHaveAttribute('href', '/a/labops-backupsla-app/target/mon1/prometheus');
    expect(shownNames()).toEqual(['prometheus', 'influxdb', 'mysql']);
  });

  it('offers the instances of the lab as an option', async () => {
    mockBackend({ 'GET api/status': makeLabStatus() });
    const items: Array<{ path: string; settings?: { getOptions?: () => Promise<unknown> } }> = [];
    const fake = new Proxy(
      {},
      {
        get: () => (item: (typeof items)[number]) => {
          items.push(item);
          return fake;
        },
      }
    );
    plugin.getPanelOptionsSupplier()(fake as never, {} as never);
    const instances = items.find((i) => i.path === 'instances')!;
    expect(await instances.settings!.getOptions!()).toEqual([
      expect.objectContaining({ value: 'app1', description: 'the service Grafana talks to' }),
      expect.objectContaining({ value: 'mon1' }),
    ]);
    const targets = items.find((i) => i.path === 'targets')!;
    expect(await targets.settings!.getOptions!()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: 'mysql' }),
        expect.objectContaining({ value: 'mon1/mysql' }),
      ])
    );
  });
});
