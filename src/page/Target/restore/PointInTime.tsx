import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, Field, Input, Stack, useStyles2 } from '@grafana/ui';
import type { PitrStatus } from '../../../api/types';
import { PitrBar } from '../../../components/PitrBar';
import { POINT_FORMAT, PointCheck, checkPoint, formatPoint, parsePoint, pointToIso } from '../../../utils/pitr';

export interface PointState {
  /** What the person typed. */
  input: string;
  setInput: (text: string) => void;
  /** The time it names (ms), null while it names none. */
  ms: number | null;
  /** The time as the app writes it, in the user's time zone: "2026-11-29 14:32:05". */
  text: string;
  /** The request's `at`: ISO 8601 with the user's offset; null while no recoverable time is chosen. */
  iso: string | null;
  check: PointCheck | null;
  /** A recoverable second is chosen. */
  ok: boolean;
}

/** The point in time of the restore dialog, judged against the target's window as the service judges it. */
export function usePointInTime(pitr: PitrStatus | null): PointState {
  const [input, setInput] = useState('');
  return useMemo(() => {
    const ms = parsePoint(input);
    const check = pitr && ms !== null ? checkPoint(pitr, ms) : null;
    const ok = Boolean(check?.ok);
    return {
      input,
      setInput,
      ms,
      text: ms === null ? '' : formatPoint(ms),
      iso: ok && ms !== null ? pointToIso(ms) : null,
      check,
      ok,
    };
  }, [input, pitr]);
}

interface Props {
  pitr: PitrStatus;
  state: PointState;
  disabled?: boolean;
}

/**
 * The time to restore to (issue 13): an input in the user's time zone limited to the recoverable
 * window, the window drawn as a bar with its gaps and the chosen time on it, and a time the
 * archive cannot reach refused in words with the nearest recoverable times, each one click away.
 */
export function PointInTime({ pitr, state, disabled = false }: Props) {
  const styles = useStyles2(getStyles);
  const { input, setInput, check } = state;
  const invalidText = input.trim() !== '' && state.ms === null;
  const refused = check && !check.ok ? check : null;
  const use = (iso: string) => setInput(formatPoint(iso));
  return (
    <div className={styles.box} aria-label="The point in time">
      <Field
        label="Restore the state as of"
        description={`Your time zone, to the second (${POINT_FORMAT}). Recoverable: ${formatPoint(
          pitr.windowStart!
        )} – ${formatPoint(pitr.windowEnd!)}${pitr.gaps.length ? ', except the gaps drawn below' : ''}.`}
        invalid={invalidText || Boolean(refused)}
        error={
          invalidText ? `Enter a time as ${POINT_FORMAT}, e.g. ${formatPoint(pitr.windowEnd!)}.` : refused?.message
        }
      >
        <Input
          aria-label="Point in time"
          value={input}
          disabled={disabled}
          autoComplete="off"
          spellCheck={false}
          width={28}
          onChange={(e) => setInput(e.currentTarget.value)}
        />
      </Field>
      {!disabled && (
        <Stack gap={1} wrap="wrap">
          {refused?.before && (
            <Button size="sm" variant="secondary" fill="outline" onClick={() => use(refused.before!)}>
              {`Use ${formatPoint(refused.before)} (the latest before)`}
            </Button>
          )}
          {refused?.after && (
            <Button size="sm" variant="secondary" fill="outline" onClick={() => use(refused.after!)}>
              {`Use ${formatPoint(refused.after)} (the earliest after)`}
            </Button>
          )}
          {!refused && (
            <Button size="sm" variant="secondary" fill="outline" onClick={() => use(pitr.windowEnd!)}>
              {`Use the latest recoverable (${formatPoint(pitr.windowEnd!)})`}
            </Button>
          )}
        </Stack>
      )}
      <PitrBar pitr={pitr} marker={state.ms} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({ display: 'grid', rowGap: theme.spacing(1) }),
});
