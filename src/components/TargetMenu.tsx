import React from 'react';
import { Dropdown, IconButton, Menu } from '@grafana/ui';
import type { TargetStatus } from '../api/types';
import { useAddress, useLab } from '../data/useLab';
import { isBusy, useOperationsContext } from '../data/useOperations';
import { NEEDS, useRole } from '../data/useRole';
import { refKey } from '../utils/lab';
import { dashboardUrl, restoreUrl, targetUrl } from '../utils/routing';

/**
 * A target's actions in one menu (issue 15.1: one row, no row of buttons): back up, verify,
 * restore, open. What the user's role does not allow stays in the menu, disabled, with the reason;
 * so does what an instance that does not answer cannot do.
 */
export function TargetMenu({ target }: { target: TargetStatus }) {
  const { canOperate, canRestore } = useRole();
  const { state, start } = useOperationsContext();
  const lab = useLab();
  const address = useAddress()(target);
  const busy = isBusy(state[refKey(target)], target.running);
  const silent = lab.instances.find((i) => i.name === target.instance && !i.reachable);
  const why = (allowed: boolean, needs: string) =>
    !allowed
      ? needs
      : silent
        ? `Instance ${target.instance} does not answer`
        : busy
          ? 'An operation is running on this target'
          : undefined;

  const menu = (
    <Menu ariaLabel={`Actions for ${address}`}>
      <Menu.Item
        label="Back up now"
        ariaLabel={`Back up ${address} now`}
        icon="save"
        disabled={!canOperate || busy || Boolean(silent)}
        description={why(canOperate, NEEDS.operate)}
        onClick={() => start(target, 'backup')}
      />
      <Menu.Item
        label="Verify the latest snapshot"
        ariaLabel={`Verify ${address}`}
        icon="check-circle"
        disabled={!canOperate || busy || Boolean(silent)}
        description={why(canOperate, NEEDS.operate)}
        onClick={() => start(target, 'verify')}
      />
      <Menu.Item
        label="Restore…"
        ariaLabel={`Restore ${address}`}
        icon="history"
        disabled={!canRestore || Boolean(silent)}
        description={
          !canRestore
            ? NEEDS.restore
            : silent
              ? `Instance ${target.instance} does not answer`
              : 'Pick a snapshot and see what it holds first'
        }
        url={canRestore && !silent ? restoreUrl(address) : undefined}
      />
      <Menu.Divider />
      <Menu.Item label={`Open ${address}`} icon="arrow-right" url={targetUrl(address)} />
      <Menu.Item label="Open in the Backup SLA dashboard" icon="apps" url={dashboardUrl(target, lab.multi)} />
    </Menu>
  );
  return (
    <Dropdown overlay={menu} placement="bottom-end">
      <IconButton name="ellipsis-v" aria-label={`Actions for ${address}`} />
    </Dropdown>
  );
}
