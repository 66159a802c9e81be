import React from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PluginType } from '@grafana/data';
import AppConfig, { AppConfigProps } from './AppConfig';
import { HttpError, mockBackend } from '../../test/mockBackend';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const SETTINGS = 'POST /api/plugins/labops-backupsla-app/settings';

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
  const reload = jest.fn();
  beforeAll(() => {
    Object.defineProperty(window, 'location', { configurable: true, value: { ...window.location, reload } });
  });
  beforeEach(() => reload.mockReset());

  it('asks for the service URL and the three tokens before it can save', async () => {
    const backend = mockBackend({ [SETTINGS]: {} });
    const user = userEvent.setup({ delay: null });
    renderConfig();
    const save = screen.getByRole('button', { name: 'Save settings' });
    expect(save).toBeDisabled();

    await user.type(screen.getByRole('textbox', { name: /Service URL/ }), 'http://127.0.0.1:8470/');
    await user.type(screen.getByLabelText('Viewer token'), 'v-secret');
    await user.type(screen.getByLabelText('Operator token'), 'o-secret');
    expect(save).toBeDisabled();
    await user.type(screen.getByLabelText('Admin token'), 'a-secret');
    await user.click(save);

    expect(backend.calls(SETTINGS)[0].body).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { serviceUrl: 'http://127.0.0.1:8470' },
      secureJsonData: { viewerToken: 'v-secret', operatorToken: 'o-secret', adminToken: 'a-secret' },
    });
    expect(reload).toHaveBeenCalled();
  });

  it('never shows a configured token: it says "configured" and offers Reset; only a new token is sent', async () => {
    const backend = mockBackend({ [SETTINGS]: {} });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    for (const label of ['Viewer token', 'Operator token', 'Admin token']) {
      expect(screen.getByLabelText(label)).toHaveValue('configured');
      expect(screen.getByLabelText(label)).toBeDisabled();
    }
    expect(screen.getAllByRole('button', { name: 'Reset' })).toHaveLength(3);

    await user.click(screen.getAllByRole('button', { name: 'Reset' })[1]);
    const operator = screen.getByLabelText('Operator token');
    expect(operator).toHaveValue('');
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
    await user.type(operator, 'new-operator');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(backend.calls(SETTINGS)[0].body).toMatchObject({
      jsonData: { serviceUrl: 'http://127.0.0.1:8470' },
      secureJsonData: { operatorToken: 'new-operator' },
    });
  });

  it('rejects a service URL that is not http(s)', async () => {
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    const url = screen.getByRole('textbox', { name: /Service URL/ });
    await user.clear(url);
    await user.type(url, '127.0.0.1:8470');
    expect(screen.getByText('Give a full http:// or https:// URL')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  });

  it('tests the connection: each token answers with its own role', async () => {
    const backend = mockBackend({
      'GET api/whoami': { role: 'viewer' },
      'POST api/whoami': { role: 'operator' },
      'POST api/restores/whoami': { role: 'admin' },
    });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    const results = await screen.findByLabelText('Connection test results');
    expect(within(results).getByText('The service answers and every token has the right role')).toBeInTheDocument();
    expect(backend.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET api/whoami',
      'POST api/whoami',
      'POST api/restores/whoami',
    ]);
  });

  it('says which token is wrong (401) and which has the wrong role', async () => {
    mockBackend({
      'GET api/whoami': { role: 'admin' },
      'POST api/whoami': new HttpError(401, 'invalid token'),
      'POST api/restores/whoami': { role: 'admin' },
    });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    const results = await screen.findByLabelText('Connection test results');
    expect(within(results).getByText('The connection is not right yet')).toBeInTheDocument();
    expect(results).toHaveTextContent(
      'Viewer token (GET api/whoami): the service took this token as its admin token, not the viewer one.'
    );
    expect(results).toHaveTextContent(
      "Operator token (POST api/whoami): the service rejected the operator token (401): it does not match the service's operator token file."
    );
    expect(results).toHaveTextContent('Admin token (POST api/restores/whoami): accepted as admin');
  });

  it('says when the service cannot be reached (502) and stops there', async () => {
    const backend = mockBackend({ 'GET api/whoami': new HttpError(502, 'Bad Gateway', false) });
    const user = userEvent.setup({ delay: null });
    renderConfig(configured);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    const results = await screen.findByLabelText('Connection test results');
    expect(results).toHaveTextContent('the service cannot be reached');
    expect(backend.requests).toHaveLength(1);
  });
});
