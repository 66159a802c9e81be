import React from 'react';
import { Button, Stack, Text } from '@grafana/ui';
import { NEEDS } from '../data/useRole';

/**
 * A button that opens a restore dialog: disabled, with the reason beside it, for those whose role
 * may not restore (the target page's "Restore the latest verified" and "Restore to a point in time").
 */
export function RestoreAction({
  canRestore,
  onClick,
  children,
}: {
  canRestore: boolean;
  onClick: () => void;
  children: string;
}) {
  return (
    <Stack gap={1} alignItems="center" wrap="wrap">
      {!canRestore && (
        <Text color="secondary" variant="bodySmall">
          {NEEDS.restore}
        </Text>
      )}
      <Button size="sm" variant="secondary" icon="history" disabled={!canRestore} onClick={onClick}>
        {children}
      </Button>
    </Stack>
  );
}
