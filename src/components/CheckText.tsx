import React from 'react';
import { Text, Tooltip } from '@grafana/ui';
import type { SlaCheck } from '../api/types';

const COLOR = { ok: undefined, warning: 'warning', critical: 'error', unknown: 'secondary' } as const;

/**
 * A value coloured by the level of the SLA check behind it (never by comparing numbers here: the
 * service decides, e.g. fewer versions than required while building up is ok); the check's reason
 * is the tooltip.
 */
export function CheckText({
  check,
  children,
}: {
  check: SlaCheck | undefined;
  children: NonNullable<React.ReactNode>;
}) {
  const text = (
    <Text color={check ? COLOR[check.level] : undefined} element="span">
      {children}
    </Text>
  );
  if (!check?.reason) {
    return <span data-level={check?.level}>{text}</span>;
  }
  return (
    <Tooltip content={check.reason}>
      <span aria-label={check.reason} data-level={check.level}>
        {text}
      </span>
    </Tooltip>
  );
}
