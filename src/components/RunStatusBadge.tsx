import React from 'react';
import { Badge } from '@grafana/ui';
import type { RunStatus } from '../api/types';

const LOOK: Record<RunStatus, { color: 'blue' | 'green' | 'red' | 'darkgrey'; text: string }> = {
  running: { color: 'blue', text: 'running' },
  success: { color: 'green', text: 'success' },
  unchanged: { color: 'green', text: 'unchanged' },
  failed: { color: 'red', text: 'failed' },
};

export function RunStatusBadge({ status }: { status: RunStatus }) {
  const look = LOOK[status] ?? { color: 'darkgrey', text: status };
  return <Badge color={look.color} text={look.text} icon={status === 'running' ? 'sync' : undefined} />;
}
