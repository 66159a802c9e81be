import React from 'react';
import { Alert, TextLink } from '@grafana/ui';
import { describeError, toServiceError } from '../api/errors';
import { CONFIG_PAGE_URL } from '../constants';
import { getGrafanaRole } from '../data/useRole';

interface Props {
  error: unknown;
  /** What was being done, e.g. "Loading the backup state". */
  action?: string;
  onRetry?: () => void;
  /** Shows a close button instead of "Try again". */
  onRemove?: () => void;
  severity?: 'error' | 'warning';
}

/** An error from the service in plain words, with a pointer to the fix where there is one. */
export function ServiceErrorAlert({ error, action, onRetry, onRemove, severity = 'error' }: Props) {
  const { title, text } = describeError(error);
  const kind = toServiceError(error).kind;
  const configFix =
    (kind === 'unreachable' || kind === 'unauthorized' || kind === 'unconfigured') && getGrafanaRole() === 'Admin';
  return (
    <Alert
      severity={severity}
      title={action ? `${action}: ${title.charAt(0).toLowerCase()}${title.slice(1)}` : title}
      buttonContent={onRetry ? 'Try again' : undefined}
      onRemove={onRetry ?? onRemove}
    >
      {text}
      {configFix && (
        <>
          {' '}
          <TextLink href={CONFIG_PAGE_URL} inline>
            Open the configuration page
          </TextLink>
        </>
      )}
    </Alert>
  );
}
