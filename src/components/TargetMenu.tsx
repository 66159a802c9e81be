import React from 'react';
import { Dropdown, IconButton, Menu } from '@grafana/ui';
import type { TargetStatus } from '../api/types';
import { isBusy, useOperationsContext } from '../data/useOperations';
import { NEEDS, useRole } from '../data/useRole';
import { dashboardUrl, restoreUrl, targetUrl } from '../utils/routing';

/**
 * A target's actions in one menu (issue 15.1: one row, no row of buttons): back up, verify,
 * restore, open. What the user's role does not allow stays in the menu, disabled, with the reason.
 */
export function TargetMenu({ target }: { target: TargetStatus }) {
  const { canOperate, canRestore } = useRole();
  const { state, start } = useOperationsContext();
  const busy = isBusy(state[target.name], target.running);
  const busyText = busy ? 'An operation is running on this target' : undefined;

  const menu = (
    <Menu ariaLabel={`Actions for ${target.name}`}>
      <Menu.Item
        label="Back up now"
        ariaLabel={`Back up ${target.name} now`}
        icon="save"
        disabled={!canOperate || busy}
        description={!canOperate ? NEEDS.operate : busyText}
        onClick={() => start(target.name, 'backup')}
      />
      <Menu.Item
        label="Verify the latest snapshot"
        ariaLabel={`Verify ${target.name}`}
        icon="check-circle"
        disabled={!canOperate || busy}
        description={!canOperate ? NEEDS.operate : busyText}
        onClick={() => start(target.name, 'verify')}
      />
      <Menu.Item
        label="Restore…"
        ariaLabel={`Restore ${target.name}`}
        icon="history"
        disabled={!canRestore}
        description={canRestore ? 'Pick a snapshot and see what it holds first' : NEEDS.restore}
        url={canRestore ? restoreUrl(target.name) : undefined}
      />
      <Menu.Divider />
      <Menu.Item label={`Open ${target.name}`} icon="arrow-right" url={targetUrl(target.name)} />
      <Menu.Item label="Open in the Backup SLA dashboard" icon="apps" url={dashboardUrl(target.name)} />
    </Menu>
  );
  return (
    <Dropdown overlay={menu} placement="bottom-end">
      <IconButton name="ellipsis-v" aria-label={`Actions for ${target.name}`} />
    </Dropdown>
  );
}
