import React, { useState } from 'react';
import { Button, Stack } from '@grafana/ui';
import { backupSla } from '../api/client';
import { ServiceError, toServiceError } from '../api/errors';
import type { Operation, Run, TargetStatus } from '../api/types';
import { useRole } from '../data/useRole';
import { useRun } from '../data/useRun';
import { RunProgress } from './RunProgress';
import { ServiceErrorAlert } from './ServiceErrorAlert';

interface Props {
  target: Pick<TargetStatus, 'name' | 'running'>;
  /** Called when a run followed here has finished, so the page can load the new state. */
  onFinished?: (run: Run) => void;
}

/**
 * "Back up now" and "Verify" for Editors and Admins, with the live progress of the run (started
 * here or by the scheduler). Viewers see the progress only.
 */
export function TargetActions({ target, onFinished }: Props) {
  const { canOperate } = useRole();
  const [startedRunId, setStartedRunId] = useState<number | null>(null);
  const [starting, setStarting] = useState<Operation | null>(null);
  const [error, setError] = useState<ServiceError | undefined>();
  const runId = startedRunId ?? target.running?.id ?? null;
  const { run, error: pollError } = useRun(runId, onFinished);
  const running = starting !== null || run?.status === 'running' || (!run && Boolean(target.running));

  const start = async (operation: 'backup' | 'verify') => {
    setError(undefined);
    setStarting(operation);
    try {
      const accepted =
        operation === 'backup' ? await backupSla.startBackup(target.name) : await backupSla.startVerify(target.name);
      setStartedRunId(accepted.runId);
    } catch (err) {
      setError(toServiceError(err));
    } finally {
      setStarting(null);
    }
  };

  return (
    <Stack direction="column" gap={1}>
      {canOperate && (
        <Stack gap={1}>
          <Button
            size="sm"
            icon="save"
            disabled={running}
            onClick={() => start('backup')}
            aria-label={`Back up ${target.name} now`}
          >
            Back up now
          </Button>
          <Button
            size="sm"
            variant="secondary"
            icon="check-circle"
            disabled={running}
            onClick={() => start('verify')}
            aria-label={`Verify ${target.name}`}
          >
            Verify
          </Button>
        </Stack>
      )}
      {run && <RunProgress run={run} />}
      {error && (
        <ServiceErrorAlert
          error={error}
          severity={error.kind === 'busy' ? 'warning' : 'error'}
          action={`${target.name}`}
        />
      )}
      {pollError && !error && <ServiceErrorAlert error={pollError} action="Following the run" severity="warning" />}
    </Stack>
  );
}
