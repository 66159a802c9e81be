import React, { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { Link } from 'react-router-dom';
import { Button, ConfirmModal, EmptyState, InteractiveTable, LoadingPlaceholder, Text } from '@grafana/ui';
import { backupSla } from '../api/client';
import { toServiceError } from '../api/errors';
import type { AsideItem } from '../api/types';
import { useAside } from '../data/useAside';
import { useAddress } from '../data/useLab';
import { sameTarget, TargetRef } from '../utils/lab';
import { NEEDS, useRole } from '../data/useRole';
import { formatBytes } from '../utils/format';
import { targetUrl } from '../utils/routing';
import { ServiceErrorAlert } from './ServiceErrorAlert';
import { TimeText } from './TimeText';
import type { TableColumn } from './tableColumn';

/**
 * Names of moved-aside data are long and unbroken (`agama_before_restore_20261130T…`): they wrap, the
 * table stays in the page. Grafana's global style keeps `code` on one line (white-space: nowrap),
 * which overflow-wrap alone cannot break.
 */
const breakAnywhere = css({ overflowWrap: 'anywhere', whiteSpace: 'normal' });

/**
 * What restores moved aside (issue 10.2): kept, never dropped by a restore, until an admin removes
 * it here, typing its name to confirm.
 */
export function AsideList({ target, reloadKey = 0 }: { target?: TargetRef; reloadKey?: number }) {
  const aside = useAside();
  // A new reloadKey (an operation ended) asks again: a restore may have moved something aside.
  const reloadAside = aside.reload;
  useEffect(() => {
    if (reloadKey > 0) {
      reloadAside();
    }
  }, [reloadKey, reloadAside]);
  const address = useAddress();
  const { canRestore } = useRole();
  const [removing, setRemoving] = useState<AsideItem | null>(null);
  const [removeError, setRemoveError] = useState<unknown>();
  const items = useMemo(
    () =>
      (aside.data?.items ?? []).filter((i) => !target || sameTarget({ instance: i.instance, name: i.target }, target)),
    [aside.data, target]
  );

  const columns = useMemo<Array<TableColumn<AsideItem>>>(() => {
    const cols: Array<TableColumn<AsideItem>> = [
      {
        id: 'name',
        header: 'Kept as',
        cell: ({ row: { original: i } }) => <code className={breakAnywhere}>{i.name}</code>,
      },
      { id: 'was', header: 'What it was' },
    ];
    if (!target) {
      cols.push({
        id: 'target',
        header: 'Target',
        cell: ({ row: { original: i } }) => {
          const at = address({ instance: i.instance, name: i.target });
          return <Link to={targetUrl(at)}>{at}</Link>;
        },
      });
    }
    cols.push(
      // When and by which restore in one column: the list fits a 1000 px page with its Target column.
      {
        id: 'createdAt',
        header: 'Moved aside',
        cell: ({ row: { original: i } }) => (
          <>
            <TimeText iso={i.createdAt} />
            {i.runId ? ` by run ${i.runId}` : ''}
          </>
        ),
      },
      { id: 'bytes', header: 'Size', cell: ({ row: { original: i } }) => formatBytes(i.bytes) },
      {
        id: 'remove',
        header: '',
        disableGrow: true,
        cell: ({ row: { original: i } }) => (
          <Button
            size="sm"
            variant="secondary"
            icon="trash-alt"
            disabled={!canRestore}
            tooltip={canRestore ? undefined : NEEDS.removeAside}
            aria-label={`Remove ${i.name}`}
            onClick={() => {
              setRemoveError(undefined);
              setRemoving(i);
            }}
          >
            Remove…
          </Button>
        ),
      }
    );
    return cols;
  }, [target, canRestore, address]);

  if (aside.loading) {
    return <LoadingPlaceholder text="Loading what restores moved aside…" />;
  }
  if (aside.error) {
    if (aside.error.kind === 'notFound' && aside.error.fromService) {
      return (
        <Text color="secondary" element="p">
          This version of the service does not list what restores moved aside.
        </Text>
      );
    }
    return <ServiceErrorAlert error={aside.error} action="Loading what restores moved aside" onRetry={aside.reload} />;
  }
  return (
    <>
      {removeError !== undefined && <ServiceErrorAlert error={removeError} action="Removing" />}
      {items.length === 0 ? (
        <EmptyState
          variant="completed"
          hideImage
          message={target ? `Nothing of ${address(target)} is kept aside.` : 'Nothing is kept aside.'}
        />
      ) : (
        <InteractiveTable
          columns={columns}
          data={items}
          getRowId={(i: AsideItem) => `${i.instance}/${i.target}/${i.name}`}
        />
      )}
      {removing && (
        <ConfirmModal
          isOpen
          title={`Remove ${removing.name}`}
          body={
            <>
              <p>
                {`${removing.name} holds ${removing.was} as it was before restore run ${removing.runId ?? '?'}. `}
                Removing it deletes it for good; no snapshot of it is taken.
              </p>
            </>
          }
          description="Type the name to confirm."
          confirmationText={removing.name}
          confirmText={`Remove ${removing.name}`}
          onDismiss={() => setRemoving(null)}
          onConfirm={async () => {
            try {
              // A peer's item is removed by the peer: its target is addressed as <instance>/<target>.
              await backupSla.removeAside({
                target: address({ instance: removing.instance, name: removing.target }),
                name: removing.name,
                confirm: removing.name,
              });
              setRemoving(null);
              aside.reload();
            } catch (err) {
              setRemoving(null);
              setRemoveError(toServiceError(err));
            }
          }}
        />
      )}
    </>
  );
}
