import React, { ChangeEvent, FormEvent, useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Icon, Input, SecretInput, Stack, Text } from '@grafana/ui';
import { describeError } from '../../api/errors';
import { ConnectionCheck, testConnection } from './connectionTest';

/** jsonData of the app: only the service URL (and optionally the Prometheus data source). Tokens live in secureJsonData. */
export type AppSettings = {
  serviceUrl?: string;
  prometheusDatasourceUid?: string;
};

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

const AppConfig = ({ plugin }: AppConfigProps) => {
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
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
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const [testing, setTesting] = useState(false);
  const [checks, setChecks] = useState<ConnectionCheck[] | null>(null);

  const urlValid = /^https?:\/\/[^\s/]+/.test(serviceUrl.trim());
  const tokensComplete = TOKENS.every((t) => configured[t.name] || tokens[t.name].trim() !== '');
  const dirty =
    serviceUrl !== (jsonData?.serviceUrl ?? '') ||
    prometheusUid !== (jsonData?.prometheusDatasourceUid ?? '') ||
    TOKENS.some((t) => tokens[t.name] !== '' || configured[t.name] !== Boolean(secureJsonFields?.[t.name]));

  const onTokenChange = (name: TokenName) => (e: ChangeEvent<HTMLInputElement>) =>
    setTokens((s) => ({ ...s, [name]: e.target.value.trim() }));
  const onTokenReset = (name: TokenName) => () => {
    setTokens((s) => ({ ...s, [name]: '' }));
    setConfigured((s) => ({ ...s, [name]: false }));
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!urlValid || !tokensComplete) {
      return;
    }
    // Only the tokens typed in now are sent: Grafana keeps the ones left untouched.
    const secureJsonData: Partial<Record<TokenName, string>> = {};
    for (const t of TOKENS) {
      if (tokens[t.name]) {
        secureJsonData[t.name] = tokens[t.name];
      }
    }
    setSaving(true);
    setSaveError(undefined);
    try {
      await updatePlugin(plugin.meta.id, {
        enabled,
        pinned,
        jsonData: {
          serviceUrl: serviceUrl.trim().replace(/\/+$/, ''),
          ...(prometheusUid.trim() ? { prometheusDatasourceUid: prometheusUid.trim() } : {}),
        },
        secureJsonData,
      });
      // The proxy and the pages read the settings at load; reload to use the new ones.
      window.location.reload();
    } catch (err) {
      setSaveError(err);
    } finally {
      setSaving(false);
    }
  };

  const onTest = async () => {
    setTesting(true);
    setChecks(null);
    try {
      setChecks(await testConnection());
    } finally {
      setTesting(false);
    }
  };

  return (
    <form onSubmit={onSubmit}>
      <FieldSet label="Backup SLA service">
        <Field
          label="Service URL"
          description="Where Grafana's server reaches the service (`api.listen` in backup-sla.yaml), e.g. http://127.0.0.1:8470."
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
          label="Prometheus data source UID (optional)"
          description="The Prometheus that scrapes the service's /metrics; the provisioned dashboard and alert rules use backup-sla-prometheus."
        >
          <Input
            width={60}
            id="config-prometheus-uid"
            value={prometheusUid}
            placeholder="backup-sla-prometheus"
            onChange={(e) => setPrometheusUid(e.currentTarget.value)}
          />
        </Field>
        {saveError !== undefined && (
          <Alert severity="error" title="Saving the settings failed">
            {describeError(saveError).text}
          </Alert>
        )}
        <Stack gap={2}>
          <Button type="submit" disabled={!urlValid || !tokensComplete || saving || !dirty}>
            {saving ? 'Saving…' : 'Save settings'}
          </Button>
          <Button type="button" variant="secondary" icon="plug" onClick={onTest} disabled={testing}>
            {testing ? 'Testing…' : 'Test connection'}
          </Button>
        </Stack>
        {dirty && (
          <Text color="secondary" variant="bodySmall">
            Test connection uses the saved settings: save your changes first.
          </Text>
        )}
        {checks && (
          <div aria-label="Connection test results">
            <Alert
              severity={checks.every((c) => c.ok) && checks.length === 3 ? 'success' : 'error'}
              title={
                checks.every((c) => c.ok) && checks.length === 3
                  ? 'The service answers and every token has the right role'
                  : 'The connection is not right yet'
              }
            >
              <ul>
                {checks.map((c) => (
                  <li key={c.label}>
                    <Icon name={c.ok ? 'check' : 'times'} /> {c.label}: {c.message}
                  </li>
                ))}
              </ul>
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
    showErrorAlert: false,
  });
  return lastValueFrom(response);
};
