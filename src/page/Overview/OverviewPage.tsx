import React, { useCallback, useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, LinkButton, LoadingPlaceholder, Stack, Text, useStyles2 } from '@grafana/ui';
import type { SlaLevel } from '../../api/types';
import { ServiceErrorAlert } from '../../components/ServiceErrorAlert';
import { SlaBadge } from '../../components/SlaBadge';
import { useLab, useLabStatus } from '../../data/useLab';
import { OperationsContext, useOperations } from '../../data/useOperations';
import { useUrlState } from '../../data/useUrlState';
import { formatTime, LEVEL_TEXT } from '../../utils/format';
import { countLevels, coveredLevel, displayLevel, overallLevel } from '../../utils/levels';
import { addressOf, refOf } from '../../utils/lab';
import { prefixRoute } from '../../utils/routing';
import { ROUTES } from '../../constants';
import { CoveredTable } from './CoveredTable';
import { LevelSummary } from './LevelSummary';
import { InstanceSection } from './InstanceSection';
import {
  DEFAULT_SORT,
  filterByLevel,
  formatSort,
  groupByInstance,
  parseLevels,
  parseSort,
  Sort,
  sortTargets,
} from './sortTargets';
import { TargetsTable } from './TargetsTable';

const URL_DEFAULTS = { state: '', sort: DEFAULT_SORT };

/**
 * Every target of the lab against its SLA, worst first, with what to do about it one menu away; in
 * a lab of several instances, grouped by machine (worst first too), each saying whether it answers.
 */
export function OverviewPage() {
  const styles = useStyles2(getStyles);
  const status = useLabStatus();
  const lab = useLab();
  const operations = useOperations();
  const [url, setUrl] = useUrlState(URL_DEFAULTS);
  const levels = useMemo(() => parseLevels(url.state), [url.state]);
  const sort = useMemo(() => parseSort(url.sort), [url.sort]);
  const onSortChange = useCallback((s: Sort) => setUrl({ sort: formatSort(s) }), [setUrl]);
  const onLevelsChange = useCallback((l: SlaLevel[]) => setUrl({ state: l.join(',') }), [setUrl]);
  const { reload } = status;
  const onRunFinished = useCallback(() => reload(), [reload]);

  const data = status.data;
  const targets = useMemo(
    () => (data ? sortTargets(filterByLevel(data.targets, levels), sort) : []),
    [data, levels, sort]
  );
  const groups = useMemo(
    () => (data && lab.multi ? groupByInstance(data, levels, sort) : null),
    [data, lab.multi, levels, sort]
  );
  const covered = useMemo(
    () =>
      data ? data.covered.filter((c) => levels.length === 0 || levels.includes(coveredLevel(c, data.targets))) : [],
    [data, levels]
  );
  const errors = Object.entries(operations.state).filter(([, s]) => s?.error);

  return (
    <PluginPage>
      <OperationsContext.Provider value={operations}>
        <Stack direction="column" gap={2}>
          {status.error && (
            <ServiceErrorAlert error={status.error} action="Loading the backup state" onRetry={status.reload} />
          )}
          {status.loading && <LoadingPlaceholder text="Loading the backup state…" />}
          {errors.map(([key, s]) => (
            <ServiceErrorAlert
              key={key}
              error={s!.error}
              action={addressOfKey(key, lab.self)}
              severity={s!.error!.kind === 'busy' ? 'warning' : 'error'}
              onRemove={() => operations.dismissError(key)}
            />
          ))}
          {data && (
            <>
              <div className={styles.summary}>
                <SlaBadge
                  level={overallLevel(data)}
                  text={`Overall: ${LEVEL_TEXT[overallLevel(data)] ?? data.level}`}
                />
                <LevelSummary
                  counts={countLevels(data.targets.map(displayLevel))}
                  selected={levels}
                  onChange={onLevelsChange}
                />
                <Text color="secondary" variant="bodySmall">
                  as of {formatTime(data.generatedAt, true)}
                </Text>
                <span className={styles.spacer} />
                <LinkButton
                  size="sm"
                  variant="secondary"
                  fill="outline"
                  icon="chart-line"
                  href={prefixRoute(ROUTES.History)}
                >
                  History
                </LinkButton>
              </div>
              {data.targets.length === 0 ? (
                <EmptyState
                  variant="call-to-action"
                  message="No backup targets are configured yet. Add targets to the service's backup-sla.yaml and restart it."
                />
              ) : targets.length === 0 ? (
                <EmptyState variant="not-found" message="No target is in the chosen state." hideImage />
              ) : groups ? (
                groups.map((g) => (
                  <InstanceSection key={g.instance.name} group={g}>
                    {g.targets.length > 0 && (
                      <TargetsTable
                        targets={g.targets}
                        sort={sort}
                        onSortChange={onSortChange}
                        onRunFinished={onRunFinished}
                        aligned
                      />
                    )}
                  </InstanceSection>
                ))
              ) : (
                <TargetsTable targets={targets} sort={sort} onSortChange={onSortChange} onRunFinished={onRunFinished} />
              )}
              {covered.length > 0 && (
                <section aria-label="Services covered by another target">
                  <Text element="h3">Covered by another target</Text>
                  <CoveredTable covered={covered} targets={data.targets} />
                </section>
              )}
            </>
          )}
        </Stack>
      </OperationsContext.Provider>
    </PluginPage>
  );
}

/** An operation's key (`<instance>/<name>`) as the target's address: the name alone on the instance asked. */
function addressOfKey(key: string, self: string | null): string {
  const ref = refOf(key, self);
  return ref ? addressOf(ref, self) : key;
}

export default OverviewPage;

const getStyles = (theme: GrafanaTheme2) => ({
  summary: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: theme.spacing(1, 2) }),
  spacer: css({ flex: 1 }),
});
