import { PanelPlugin, SelectFieldConfigSettings, SelectableValue } from '@grafana/data';
import { backupSla } from '../../api/client';
import { addressOf, labOf } from '../../utils/lab';
import { BackupAgePanel } from './BackupAgePanel';
import { BackupAgeOptions, DEFAULT_OPTIONS } from './types';

/**
 * The targets for the options editor, by address (`mysql`, or `mon1/prometheus` for a peer's), read
 * from the service (empty when it cannot be reached).
 */
async function targetOptions(): Promise<Array<SelectableValue<string>>> {
  try {
    const status = await backupSla.getStatus();
    const { self } = labOf(status);
    return status.targets.map((t) => ({ label: addressOf(t, self), value: addressOf(t, self), description: t.kind }));
  } catch {
    return [];
  }
}

/** The instances (machines) of the lab for the options editor. */
async function instanceOptions(): Promise<Array<SelectableValue<string>>> {
  try {
    const status = await backupSla.getStatus();
    return (status.instances ?? []).map((i) => ({
      label: i.name,
      value: i.name,
      description: i.self ? 'the service Grafana talks to' : undefined,
    }));
  } catch {
    return [];
  }
}

export const plugin = new PanelPlugin<BackupAgeOptions>(BackupAgePanel).setPanelOptions((builder) =>
  builder
    .addMultiSelect<string, SelectFieldConfigSettings<string>>({
      path: 'targets',
      name: 'Targets',
      description: 'Which targets to show; none chosen shows them all.',
      settings: { options: [], getOptions: targetOptions, allowCustomValue: true },
    })
    .addMultiSelect<string, SelectFieldConfigSettings<string>>({
      path: 'instances',
      name: 'Instances',
      description: 'Which machines (instances of the lab) to show the targets of; none chosen shows them all.',
      settings: { options: [], getOptions: instanceOptions, allowCustomValue: true },
    })
    .addRadio({
      path: 'colourBy',
      name: 'Colour by',
      description: "The target's SLA state, as the app shows it, or the age against the RPO only.",
      defaultValue: DEFAULT_OPTIONS.colourBy,
      settings: {
        options: [
          { value: 'overall', label: 'SLA state' },
          { value: 'freshness', label: 'Freshness' },
        ],
      },
    })
    .addRadio({
      path: 'sortBy',
      name: 'Sort',
      defaultValue: DEFAULT_OPTIONS.sortBy,
      settings: {
        options: [
          { value: 'worst', label: 'Worst first' },
          { value: 'age', label: 'Oldest first' },
          { value: 'name', label: 'Name' },
        ],
      },
    })
    .addRadio({
      path: 'displayMode',
      name: 'Display',
      description:
        'Auto: a list when it fits, compact when narrow, a summary when tiny; what does not fit becomes "+4 OK".',
      defaultValue: DEFAULT_OPTIONS.displayMode,
      settings: {
        options: [
          { value: 'auto', label: 'Auto' },
          { value: 'list', label: 'List' },
          { value: 'compact', label: 'Compact' },
          { value: 'summary', label: 'Summary' },
        ],
      },
    })
    .addBooleanSwitch({
      path: 'showCovered',
      name: 'Show covered services',
      description: 'Also list the services another target covers (Nginx, uWSGI, Telegraf, DNS by ansible).',
      defaultValue: DEFAULT_OPTIONS.showCovered,
    })
);
