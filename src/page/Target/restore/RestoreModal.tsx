import React, { FormEvent, useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import {
  Alert,
  Button,
  Field,
  Icon,
  Input,
  Modal,
  RadioButtonGroup,
  Stack,
  Switch,
  Text,
  useStyles2,
} from '@grafana/ui';
import { backupSla } from '../../../api/client';
import { ServiceError, toServiceError } from '../../../api/errors';
import type { Restore, RestoreDestinations, Run, Snapshot, TargetStatus } from '../../../api/types';
import { RunPhases, RunProgress } from '../../../components/RunProgress';
import { ServiceErrorAlert } from '../../../components/ServiceErrorAlert';
import { useRun } from '../../../data/useRun';
import type { RunRef } from '../../../utils/lab';
import { expectedRestoreText } from '../../../utils/targetText';
import { PointInTime, usePointInTime } from './PointInTime';
import { RestoreResult } from './RestoreResult';
import { SnapshotFacts } from './SnapshotFacts';

type Where = 'inPlace' | 'elsewhere';
/** What to restore: a snapshot, or (targets that archive their log) the state of a second. */
export type Choice = 'snapshot' | 'time';

interface Props {
  target: TargetStatus;
  /** How the service asked addresses the target: `mysql`, or `mon1/prometheus` for a peer's. */
  address?: string;
  snapshot: Snapshot;
  /** Why this snapshot was picked, e.g. "the newest verified snapshot". */
  pickedBecause?: string;
  /** Open on "A point in time" (targets with pitr). */
  initialChoice?: Choice;
  onDismiss: () => void;
  /** Called once the restore has finished (either way). */
  onFinished?: (run: Run) => void;
}

/** "database agama" → "agama", "live data directory /var/lib/x" → "/var/lib/x": what the button names. */
export function replacedName(replaces: string): string {
  return replaces.replace(/^(the )?(live )?(data )?(database|directory|bucket)s?\s+/i, '') || replaces;
}

/** The destinations the target's kind supports, first the usable ones. */
function firstUsable(d: RestoreDestinations): Where | null {
  if (d.inPlace && !d.inPlace.unavailable) {
    return 'inPlace';
  }
  return d.elsewhere ? 'elsewhere' : null;
}

/**
 * The restore flow (issue 15.4, 10.7, 10.9): the facts first (what the snapshot holds, whether it was
 * verified, what is replaced and where the current data goes, how long it should take against the
 * RTO), exactly the destinations the target supports, a typed confirmation, a button that names the
 * action, then the phases with their byte counts and the outcome.
 */
export function RestoreModal({
  target,
  address = target.name,
  snapshot,
  pickedBecause,
  initialChoice = 'snapshot',
  onDismiss,
  onFinished,
}: Props) {
  const styles = useStyles2(getStyles);
  const destinations = target.destinations;
  const pitr = target.pitr ?? null;
  const recoverable = Boolean(pitr?.windowStart && pitr?.windowEnd);
  const [choice, setChoice] = useState<Choice>(() => (recoverable && initialChoice === 'time' ? 'time' : 'snapshot'));
  const point = usePointInTime(pitr);
  const byTime = choice === 'time' && pitr !== null;
  const [where, setWhere] = useState<Where | null>(() => firstUsable(destinations));
  const [toName, setToName] = useState('');
  const [safetyBackup, setSafetyBackup] = useState(true);
  const [confirm, setConfirm] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ServiceError | undefined>();
  // The restore's run, numbered by the instance running it (a peer's target: the peer).
  const [runRef, setRunRef] = useState<RunRef | null>(null);
  const runId = runRef?.id ?? null;
  const [restore, setRestore] = useState<Restore | undefined>();
  const [now, setNow] = useState(() => Date.now());

  const { run, error: pollError } = useRun(runRef, (finished) => {
    // The restore's record names the safety snapshot.
    backupSla
      .getRestores()
      .then((r) =>
        setRestore(
          r.restores.find((x) => x.runId === finished.id && (x.instance ?? finished.instance) === finished.instance)
        )
      )
      .catch(() => undefined);
    onFinished?.(finished);
  });
  // The running phase's time ticks between polls.
  useEffect(() => {
    if (run?.status !== 'running') {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [run?.status]);

  const options = useMemo(() => {
    const out: Array<{ label: string; value: Where; description?: string; disabled?: boolean }> = [];
    if (destinations.inPlace) {
      out.push({
        label: 'In place',
        value: 'inPlace',
        description: destinations.inPlace.unavailable ?? `Replaces ${destinations.inPlace.replaces}`,
        disabled: Boolean(destinations.inPlace.unavailable),
      });
    }
    if (destinations.elsewhere) {
      out.push({ label: 'Under another name', value: 'elsewhere', description: destinations.elsewhere.hint });
    }
    return out;
  }, [destinations]);

  // Surrounding blanks (a pasted name) do not count against the confirmation. A peer's target is
  // confirmed with its instance (`mon1/prometheus`), as the service asks: one machine's `files` is
  // not another's.
  const confirmed = confirm.trim() === address;
  const newName = toName.trim();
  const destinationOk = where === 'inPlace' || (where === 'elsewhere' && newName.length > 0);
  // A point in time the service would refuse is refused here, before anything is sent.
  const whatOk = !byTime || point.ok;
  const canSubmit = where !== null && confirmed && destinationOk && whatOk && !submitting && runId === null;
  const asOf = byTime && point.ms !== null ? ` as of ${point.text}` : '';
  const actionLabel =
    (where === 'inPlace' && destinations.inPlace
      ? `Replace ${replacedName(destinations.inPlace.replaces)}`
      : `Restore to ${newName || destinations.elsewhere?.example || 'another name'}`) + asOf;

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!canSubmit) {
      return;
    }
    setError(undefined);
    setSubmitting(true);
    try {
      const accepted = await backupSla.startRestore({
        target: address,
        // Either a snapshot or a point in time, never both: the service picks the dump for `at`.
        ...(byTime ? { at: point.iso! } : { snapshot: snapshot.id }),
        ...(where === 'elsewhere' ? { to: newName } : {}),
        // Another name touches nothing live: there is nothing to take a safety backup of.
        safetyBackup: where === 'inPlace' ? safetyBackup : false,
        confirm: confirm.trim(),
      });
      setRunRef({ instance: accepted.instance ?? target.instance, id: accepted.runId });
    } catch (err) {
      setError(toServiceError(err));
    } finally {
      setSubmitting(false);
    }
  };

  const finished = run && run.status !== 'running';
  return (
    <Modal title={`Restore ${address}`} isOpen onDismiss={onDismiss} className={styles.modal}>
      <form id="restore-form" onSubmit={submit} className={styles.form}>
        {pitr && runId === null && (
          <Field label="What to restore">
            <RadioButtonGroup<Choice>
              options={[
                { label: 'A snapshot', value: 'snapshot', description: `Snapshot ${snapshot.shortId}` },
                {
                  label: 'A point in time',
                  value: 'time',
                  description: recoverable
                    ? 'The state of one second, from the newest backup before it and the archived binary log'
                    : 'Nothing is recoverable to a point in time yet',
                },
              ]}
              disabledOptions={recoverable ? [] : ['time']}
              value={choice}
              onChange={setChoice}
            />
          </Field>
        )}
        {byTime ? (
          <PointInTime pitr={pitr} state={point} disabled={runId !== null} />
        ) : (
          <>
            {pickedBecause && (
              <Text color="secondary" italic>
                {pickedBecause}
              </Text>
            )}
            <SnapshotFacts snapshot={snapshot} />
          </>
        )}
        {runId === null && (
          <>
            {options.length === 0 ? (
              <Alert severity="error" title="This target cannot be restored from Grafana">
                Its kind offers no restore destination.
              </Alert>
            ) : (
              <Field label="Where to">
                <RadioButtonGroup<Where>
                  options={options}
                  disabledOptions={options.filter((o) => o.disabled).map((o) => o.value)}
                  value={where ?? undefined}
                  onChange={setWhere}
                />
              </Field>
            )}
            {destinations.inPlace?.unavailable && (
              <Text color="warning" element="p">
                {`In place is not possible now: ${destinations.inPlace.unavailable}`}
              </Text>
            )}
            {where === 'inPlace' && destinations.inPlace && (
              <div className={styles.facts} aria-label="What the restore does">
                <div>
                  <Text color="secondary">Replaces: </Text>
                  {destinations.inPlace.replaces}
                </div>
                <div>
                  <Text color="secondary">The current data: </Text>
                  {destinations.inPlace.movedAsideAs}
                </div>
                {destinations.inPlace.note && <div>{destinations.inPlace.note}</div>}
                {byTime && (
                  <div>
                    <Text color="secondary">Loads: </Text>
                    the newest backup before that time, then replays the archived binary log up to it, in a fresh
                    database first
                  </div>
                )}
              </div>
            )}
            {where === 'elsewhere' && destinations.elsewhere && (
              <Field
                label={`New ${destinations.elsewhere.kind} name`}
                description={`${destinations.elsewhere.hint}. Nothing live is touched.`}
                required
              >
                <Input
                  aria-label="New name"
                  value={toName}
                  placeholder={destinations.elsewhere.example}
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(e) => setToName(e.currentTarget.value)}
                />
              </Field>
            )}
            {where === 'inPlace' && (
              <Field
                label="Safety backup first"
                description="Back up what is there now before restoring, so that this restore can itself be undone."
              >
                <Switch
                  aria-label="Safety backup first"
                  value={safetyBackup}
                  onChange={(e) => setSafetyBackup(e.currentTarget.checked)}
                />
              </Field>
            )}
            {where === 'inPlace' && !safetyBackup && (
              <Alert severity="warning" title="No snapshot of the current data">
                The current data is still moved aside and kept, but no snapshot of it is taken first.
              </Alert>
            )}
            <div>
              <Text color="secondary">Should take: </Text>
              {expectedRestoreText(target)}
            </div>
            <Field
              label={`Type "${address}" to confirm`}
              description={confirmed ? 'Name confirmed.' : 'The restore stays disabled until the name matches.'}
            >
              {/* No placeholder: a greyed "mysql" in the box looked as if it were typed already. */}
              <Input
                aria-label="Confirm target name"
                autoFocus
                value={confirm}
                autoComplete="off"
                spellCheck={false}
                suffix={confirmed ? <Icon name="check" aria-label="Name confirmed" /> : undefined}
                onChange={(e) => setConfirm(e.currentTarget.value)}
              />
            </Field>
            {error && (
              <ServiceErrorAlert
                error={error}
                action="Starting the restore"
                severity={error.kind === 'busy' ? 'warning' : 'error'}
              />
            )}
          </>
        )}
        {run?.status === 'running' && (
          <Stack direction="column" gap={1}>
            <RunProgress run={run} />
            <RunPhases run={run} now={now} />
          </Stack>
        )}
        {pollError && <ServiceErrorAlert error={pollError} action="Following the restore" severity="warning" />}
        {finished && (
          <>
            <RunPhases run={run} />
            <RestoreResult
              target={target}
              run={run}
              restore={restore}
              snapshotShortId={byTime ? (restore?.snapshotId ?? run.snapshotId ?? '').slice(0, 8) : snapshot.shortId}
              asOf={byTime && point.ms !== null ? point.text : undefined}
            />
          </>
        )}
      </form>
      <Modal.ButtonRow>
        <Button variant="secondary" fill="outline" onClick={onDismiss}>
          {finished ? 'Close' : runId !== null ? 'Hide (the restore goes on)' : 'Cancel'}
        </Button>
        {runId === null && (
          <Button
            type="submit"
            form="restore-form"
            variant={canSubmit ? 'destructive' : 'secondary'}
            icon="history"
            disabled={!canSubmit}
            data-variant={canSubmit ? 'destructive' : 'secondary'}
          >
            {submitting ? 'Starting…' : actionLabel}
          </Button>
        )}
      </Modal.ButtonRow>
    </Modal>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  modal: css({ width: 'min(720px, 95vw)' }),
  form: css({ display: 'grid', rowGap: theme.spacing(2) }),
  facts: css({
    display: 'grid',
    rowGap: theme.spacing(0.5),
    padding: theme.spacing(1, 1.5),
    borderLeft: `3px solid ${theme.colors.warning.border}`,
    background: theme.colors.background.secondary,
  }),
});
