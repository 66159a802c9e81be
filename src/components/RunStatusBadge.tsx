import React from 'react';
import { Badge } from '@grafana/ui';
import type { Run, RunStatus } from '../api/types';

type Look = { color: 'blue' | 'green' | 'red' | 'orange' | 'darkgrey'; text: string };

const LOOK: Record<RunStatus, Look> = {
  running: { color: 'blue', text: 'running' },
  success: { color: 'green', text: 'success' },
  unchanged: { color: 'green', text: 'unchanged' },
  failed: { color: 'red', text: 'failed' },
};

/**
 * A run's result. A verification that could not run (outcome unknown: source or repository
 * unreachable) is "could not verify", never "failed": nothing was learned about the snapshot.
 */
export function runLook(run: Pick<Run, 'status' | 'operation' | 'verification'>): Look {
  if (run.operation === 'verify' && run.verification) {
    switch (run.verification.outcome) {
      case 'unknown':
        return { color: 'orange', text: 'could not verify' };
      case 'failed':
        return { color: 'red', text: 'failed' };
      case 'passed':
        return { color: 'green', text: 'passed' };
    }
  }
  return LOOK[run.status] ?? { color: 'darkgrey', text: run.status };
}

export function RunStatusBadge({ run }: { run: Pick<Run, 'status' | 'operation' | 'verification'> }) {
  const look = runLook(run);
  return <Badge color={look.color} text={look.text} icon={run.status === 'running' ? 'sync' : undefined} />;
}
