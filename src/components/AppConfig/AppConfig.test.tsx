import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PluginType } from '@grafana/data';
import AppConfig, { AppConfigProps } from './AppConfig';
import { HttpError, mockBackend } from '../../test/mockBackend';
import { mockDataSources } from '../../test/dataSources';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const SETTINGS = 'POST /api/plugins/labops-backupsla-app/settings';
const WHOAMI_OK = {
  'GET api/whoami': { role: 'viewer' },
  'POST api/whoami': { role: 'operator' },
  'POST api/restores/whoami': { role: 'admin' },
};

function renderConfig(meta: Partial<AppConfigProps['plugin']['meta']> = {}) {
  const plugin = {
    meta: {
      id: 'labops-backupsla-app',
      name: 'Backup SLA',
      type: PluginType.app,
      enabled: true,
      pinned: true,
      jsonData: {},
      ...meta,
    },
  } as unknown as AppConfigProps['plugin'];
  return render(<AppConfig plugin={plugin} query={{}} />);
}

const configured = {
  jsonData: { serviceUrl: 'http://127.0.0.1:8470' },
  secureJsonFields: { viewerToken: true, operatorToken: true, adminToken: true },
};

describe('App configuration page', () => {
  beforeEach(() => {
    mockDataSources([
      { uid: 'backup-sla-prometheus', name: 'Backup SLA Prometheus' },
      { uid: 'lab-prom', name: 'Lab Prometheus' },
    ]);
  });

  it('saves first, then tests what was saved, as data sources do ("Save & test", issue 15.8)', async () => {
    const order: string[] = [];
    const backend = mockBackend({
      [SETTINGS]: () => {
        order.push('save');
        return {};
      },
      'GET api/whoami': () => {
        order.push('test');
        return { role: 'viewer' };
      },
      'POST api/whoami': { role: 'operator' },
      'POST api/restores/whoami': { role: 'admin' },
    });
    const user = userEvent.setup({ delay: null });
    // First setup: nothing saved, the app not even enabled.
    renderConfig({ enabled: false, pinned: false });
    const save = screen.getByRole('button', { name: 'Save & test' });
    expect(save).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Test connection' })).toBeNull();

    await user.type(screen.getByRole('textbox', { name: /Service URL/ }), 'http://127.0.0.1:8470/');
    await user.type(screen.getByLabelText('Viewer token'), 'v-secret');
    await user.type(screen.getByLabelText('Operator token'), 'o-secret');
    expect(save).toBeDisabled();
    expect(screen.getByText('All three tokens are needed.')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Admin token'), 'a-secret');
    await user.click(save);

    const results = await screen.findByLabelText('Connection test results');
    expect(
      within(results).getByText('Saved. The service answers and every token has the right role')
    ).toBeInTheDocument();
    expect(order).toEqual(['save', 'test']);
    expect(backend.calls(SETTINGS)[0].body).toEqual({
      enabled: true,
      pinned: false,
      jsonData: { serviceUrl: 'http://127.0.0.1:8470' },
      secureJsonData: { viewerToken: 'v-secret', operatorToken: 'o-secret', adminToken: 'a-secret' },
    });
    // Saved tokens show as configured now; the typed values are gone from the page.
    for (const label of ['Viewer token', 'Operator token', 'Admin token']) {
      expect(screen.getByLabelText(label)).toHaveValue('configured');
    }
    expect(within(results).getByRole('link', { name: 'Open Backup SLA' })).toHaveAttribute(
      'href',
      '/a/labops-backupsla-app/overview'
    );
  });

  it('never tests without saving: a failed save says so and tests nothing', async () => {
    const backend = mockBackend({
      [SETTINGS]: new HttpError(403, 'Permissions needed: plugins:write', false),
      ...WHOAMI_OK,
    });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    await user.click(screen.getByRole('button', { name: 'Save & test' }));
    expect(await screen.findByText('Saving the settings failed')).toBeInTheDocument();
    expect(backend.calls('GET api/whoami')).toHaveLength(0);
    expect(screen.queryByLabelText('Connection test results')).toBeNull();
  });

  it('never shows a configured token: it says "configured" and offers Reset; only a new token is sent', async () => {
    const backend = mockBackend({ [SETTINGS]: {}, ...WHOAMI_OK });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    for (const label of ['Viewer token', 'Operator token', 'Admin token']) {
      expect(screen.getByLabelText(label)).toHaveValue('configured');
      expect(screen.getByLabelText(label)).toBeDisabled();
    }
    await user.click(screen.getAllByRole('button', { name: 'Reset' })[1]);
    const operator = screen.getByLabelText('Operator token');
    expect(operator).toHaveValue('');
    expect(screen.getByRole('button', { name: 'Save & test' })).toBeDisabled();
    await user.type(operator, 'new-operator');
    await user.click(screen.getByRole('button', { name: 'Save & test' }));
    await waitFor(() => expect(backend.calls(SETTINGS)).toHaveLength(1));
    expect(backend.calls(SETTINGS)[0].body).toMatchObject({
      jsonData: { serviceUrl: 'http://127.0.0.1:8470' },
      secureJsonData: { operatorToken: 'new-operator' },
    });
  });

  it('saves the Prometheus data source chosen for the history charts', async () => {
    const backend = mockBackend({ [SETTINGS]: {}, ...WHOAMI_OK });
    const user = userEvent.setup({ delay: null });
    renderConfig({ ...configured, jsonData: { ...configured.jsonData, prometheusDatasourceUid: 'lab-prom' } });
    expect(screen.getByText('Lab Prometheus')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save & test' }));
    await waitFor(() => expect(backend.calls(SETTINGS)).toHaveLength(1));
    expect(backend.calls(SETTINGS)[0].body).toMatchObject({
      jsonData: { serviceUrl: 'http://127.0.0.1:8470', prometheusDatasourceUid: 'lab-prom' },
    });
  });

  it('rejects a service URL that is not http(s), in words without backticks', async () => {
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    const url = screen.getByRole('textbox', { name: /Service URL/ });
    await user.clear(url);
    await user.type(url, '127.0.0.1:8470');
    expect(screen.getByText('Give a full http:// or https:// URL')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save & test' })).toBeDisabled();
    expect(document.body.textContent).not.toContain('`');
  });

  it('says which token is wrong (401) and which has the wrong role', async () => {
    mockBackend({
      [SETTINGS]: {},
      'GET api/whoami': { role: 'admin' },
      'POST api/whoami': new HttpError(401, 'invalid token'),
      'POST api/restores/whoami': { role: 'admin' },
    });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    await user.click(screen.getByRole('button', { name: 'Save & test' }));
    const results = await screen.findByLabelText('Connection test results');
    expect(within(results).getByText('Saved, but the connection is not right yet')).toBeInTheDocument();
    expect(results).toHaveTextContent(
      'Viewer token (GET api/whoami): the service took this token as its admin token, not the viewer one.'
    );
    expect(results).toHaveTextContent(
      "Operator token (POST api/whoami): the service rejected the operator token (401): it does not match the service's operator token file."
    );
    expect(results).toHaveTextContent('Admin token (POST api/restores/whoami): accepted as admin');
    expect(within(results).queryByRole('link', { name: 'Open Backup SLA' })).toBeNull();
  });

  it('says when the service cannot be reached (502) and stops there', async () => {
    const backend = mockBackend({ [SETTINGS]: {}, 'GET api/whoami': new HttpError(502, 'Bad Gateway', false) });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    await user.click(screen.getByRole('button', { name: 'Save & test' }));
    const results = await screen.findByLabelText('Connection test results');
    expect(results).toHaveTextContent(
      'the service cannot be reached: check that the service (backup-sla serve) is running'
    );
    expect(backend.requests.filter((r) => r.path.startsWith('api/'))).toHaveLength(1);
  });
});
