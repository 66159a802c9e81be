import React from 'react';
import { Badge } from '@grafana/ui';
import type { SlaLevel } from '../api/types';
import { LEVEL_COLOR, LEVEL_TEXT } from '../utils/format';

const LEVEL_ICON = {
  ok: 'check',
  warning: 'exclamation-triangle',
  critical: 'exclamation-circle',
  unknown: 'question-circle',
} as const;

interface Props {
  level: SlaLevel;
  /** Why the level is what it is, worst first; shown as the badge's tooltip. */
  reasons?: string[];
  text?: string;
}

export function SlaBadge({ level, reasons, text }: Props) {
  const tooltip = reasons && reasons.length ? reasons.join('\n') : undefined;
  return (
    <Badge
      color={LEVEL_COLOR[level] ?? 'darkgrey'}
      icon={LEVEL_ICON[level] ?? 'question-circle'}
      text={text ?? LEVEL_TEXT[level] ?? level}
      tooltip={tooltip}
      aria-label={`SLA ${LEVEL_TEXT[level] ?? level}`}
    />
  );
}
