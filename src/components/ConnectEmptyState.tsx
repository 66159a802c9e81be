import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, LinkButton, Text } from '@grafana/ui';
import { CONFIG_PAGE_URL } from '../constants';
import { useRole } from '../data/useRole';

/**
 * First setup (issue 15.8): before an admin has saved the service's URL and tokens, the pages ask
 * nothing of the proxy (it could only answer 500) and say what to do instead.
 */
export function ConnectEmptyState() {
  const { role } = useRole();
  return (
    <PluginPage>
      {role === 'Admin' ? (
        <EmptyState
          variant="call-to-action"
          message="Connect Backup SLA"
          button={
            <LinkButton href={CONFIG_PAGE_URL} icon="plug" size="lg">
              Connect Backup SLA
            </LinkButton>
          }
        >
          <Text element="p" color="secondary">
            Tell Grafana where the Backup SLA service runs and give it the service&apos;s three tokens. Then every
            target&apos;s backups, verifications and restores show here.
          </Text>
        </EmptyState>
      ) : (
        <EmptyState variant="call-to-action" message="Backup SLA is not connected yet">
          <Text element="p" color="secondary">
            Ask an admin of this Grafana organisation to connect it to the Backup SLA service (Administration, Plugins,
            Backup SLA). Nothing is wrong with the backups themselves.
          </Text>
        </EmptyState>
      )}
    </PluginPage>
  );
}
