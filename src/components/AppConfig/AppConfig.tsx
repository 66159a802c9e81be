import React, { ChangeEvent, FormEvent, useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { AppPluginMeta, locationUtil, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { DataSourcePicker, getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Icon, Input, LinkButton, SecretInput, Stack, Text } from '@grafana/ui';
import { describeError } from '../../api/errors';
import { PLUGIN_BASE_URL } from '../../constants';
import { AppSettings, DEFAULT_PROMETHEUS_UID } from '../../data/useAppSettings';
import { ConnectionCheck, testConnection } from './connectionTest';

export type { AppSettings };

type TokenName = 'viewerToken' | 'operatorToken' | 'adminToken';

const TOKENS: Array<{ name: TokenName; label: string; description: string }> = [
  {
    name: 'viewerToken',
    label: 'Viewer token',
    description: "Content of the service's viewer token file. Grafana sends it for reads (every role).",
  },
  {
    name: 'operatorToken',
    label: 'Operator token',
    description: 'Content of the operator token file. Sent when an Editor starts a backup or a verification.',
  },
  {
    name: 'adminToken',
    label: 'Admin token',
    description: 'Content of the admin token file. Sent only when an Admin starts a restore.',
  },
];

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

type Outcome = { saved: true; checks: ConnectionCheck[] } | { saved: false; error: unknown };

/**
 * The app's settings, saved and tested in one step as Grafana's data sources do ("Save & test",
 * issue 15.8): the test always runs against what was just saved, never against stale settings.
 */
const AppConfig = ({ plugin }: AppConfigProps) => {
  const { pinned, jsonData, secureJsonFields } = plugin.meta;
  const [serviceUrl, setServiceUrl] = useState(jsonData?.serviceUrl ?? '');
  const [prometheusUid, setPrometheusUid] = useState(jsonData?.prometheusDatasourceUid ?? '');
  const [tokens, setTokens] = useState<Record<TokenName, string>>({
    viewerToken: '',
    operatorToken: '',
    adminToken: '',
  });
  const [configured, setConfigured] = useState<Record<TokenName, boolean>>({
    viewerToken: Boolean(secureJsonFields?.viewerToken),
    operatorToken: Boolean(secureJsonFields?.operatorToken),
    adminToken: Boolean(secureJsonFields?.adminToken),
  });
  const [busy, setBusy] = useState<'saving' | 'testing' | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const urlValid = /^https?:\/\/[^\s/]+/.test(serviceUrl.trim());
  const tokensComplete = TOKENS.every((t) => configured[t.name] || tokens[t.name].trim() !== '');

  const onTokenChange = (name: TokenName) => (e: ChangeEvent<HTMLInputElement>) =>
    setTokens((s) => ({ ...s, [name]: e.target.value.trim() }));
  const onTokenReset = (name: TokenName) => () => {
    setTokens((s) => ({ ...s, [name]: '' }));
    setConfigured((s) => ({ ...s, [name]: false }));
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!urlValid || !tokensComplete || busy) {
      return;
    }
    // Only the tokens typed in now are sent: Grafana keeps the ones left untouched.
    const secureJsonData: Partial<Record<TokenName, string>> = {};
    for (const t of TOKENS) {
      if (tokens[t.name]) {
        secureJsonData[t.name] = tokens[t.name];
      }
    }
    setOutcome(null);
    setBusy('saving');
    try {
      await updatePlugin(plugin.meta.id, {
        // Saving the connection enables the app (first setup: it was not enabled yet).
        enabled: true,
        pinned: pinned ?? true,
        jsonData: {
          serviceUrl: serviceUrl.trim().replace(/\/+$/, ''),
          ...(prometheusUid.trim() ? { prometheusDatasourceUid: prometheusUid.trim() } : {}),
        },
        secureJsonData,
      });
    } catch (err) {
      setOutcome({ saved: false, error: err });
      setBusy(null);
      return;
    }
    setConfigured((s) => ({
      viewerToken: s.viewerToken || Boolean(secureJsonData.viewerToken),
      operatorToken: s.operatorToken || Boolean(secureJsonData.operatorToken),
      adminToken: s.adminToken || Boolean(secureJsonData.adminToken),
    }));
    setTokens({ viewerToken: '', operatorToken: '', adminToken: '' });
    // Grafana's proxy reads the settings just saved: this tests them, not the page's old copy.
    setBusy('testing');
    try {
      setOutcome({ saved: true, checks: await testConnection() });
    } finally {
      setBusy(null);
    }
  };

  const allGood = outcome?.saved === true && outcome.checks.length === 3 && outcome.checks.every((c) => c.ok);
  return (
    <form onSubmit={onSubmit}>
      <FieldSet label="Backup SLA service">
        <Field
          label="Service URL"
          description={
            <>
              Where Grafana&apos;s server reaches the service (<code>api.listen</code> in backup-sla.yaml), e.g.
              http://127.0.0.1:8470.
            </>
          }
          invalid={serviceUrl !== '' && !urlValid}
          error="Give a full http:// or https:// URL"
          required
        >
          <Input
            width={60}
            id="config-service-url"
            name="serviceUrl"
            value={serviceUrl}
            placeholder="http://127.0.0.1:8470"
            onChange={(e) => setServiceUrl(e.currentTarget.value)}
          />
        </Field>
        {TOKENS.map((t) => (
          <Field key={t.name} label={t.label} description={t.description} required>
            <SecretInput
              width={60}
              id={`config-${t.name}`}
              name={t.name}
              aria-label={t.label}
              value={tokens[t.name]}
              isConfigured={configured[t.name]}
              placeholder="paste the token"
              onChange={onTokenChange(t.name)}
              onReset={onTokenReset(t.name)}
            />
          </Field>
        ))}
        <Field
          label="Prometheus data source"
          description={`The Prometheus that scrapes the service's /metrics, for the history charts. The provisioned dashboard and alert rules use ${DEFAULT_PROMETHEUS_UID}.`}
        >
          <DataSourcePicker
            inputId="config-prometheus"
            type="prometheus"
            width={60}
            noDefault
            current={prometheusUid || DEFAULT_PROMETHEUS_UID}
            onChange={(ds) => setPrometheusUid(ds.uid)}
          />
        </Field>
        <Stack gap={2} alignItems="center">
          <Button
            type="submit"
            icon={busy ? 'spinner' : undefined}
            disabled={!urlValid || !tokensComplete || busy !== null}
          >
            {busy === 'saving' ? 'Saving…' : busy === 'testing' ? 'Testing…' : 'Save & test'}
          </Button>
          {!tokensComplete && (
            <Text color="secondary" variant="bodySmall">
              All three tokens are needed.
            </Text>
          )}
        </Stack>
        {outcome?.saved === false && (
          <Alert severity="error" title="Saving the settings failed">
            {describeError(outcome.error).text}
          </Alert>
        )}
        {outcome?.saved === true && (
          <div aria-label="Connection test results">
            <Alert
              severity={allGood ? 'success' : 'error'}
              title={
                allGood
                  ? 'Saved. The service answers and every token has the right role'
                  : 'Saved, but the connection is not right yet'
              }
            >
              <ul>
                {outcome.checks.map((c) => (
                  <li key={c.label}>
                    <Icon name={c.ok ? 'check' : 'times'} /> {c.label}: {c.message}
                  </li>
                ))}
              </ul>
              {allGood && (
                <LinkButton
                  variant="secondary"
                  icon="arrow-right"
                  href={`${PLUGIN_BASE_URL}/overview`}
                  // A full load: Grafana reads the app's new settings when it loads.
                  onClick={(e) => {
                    e.preventDefault();
                    window.location.assign(locationUtil.assureBaseUrl(`${PLUGIN_BASE_URL}/overview`));
                  }}
                >
                  Open Backup SLA
                </LinkButton>
              )}
            </Alert>
          </div>
        )}
      </FieldSet>
    </form>
  );
};

export default AppConfig;

const updatePlugin = async (pluginId: string, data: Partial<PluginMeta<AppSettings>>) => {
  const response = getBackendSrv().fetch({
    url: `/api/plugins/${pluginId}/settings`,
    method: 'POST',
    data,
    // The page says how saving went, and the test of what was saved, in one place.
    showErrorAlert: false,
    showSuccessAlert: false,
  });
  return lastValueFrom(response);
};
