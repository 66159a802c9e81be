import { PanelPlugin, SelectFieldConfigSettings, SelectableValue } from '@grafana/data';
import { backupSla } from '../../api/client';
import { BackupAgePanel } from './BackupAgePanel';
import { BackupAgeOptions, DEFAULT_OPTIONS } from './types';

/** The target names for the options editor, read from the service (empty when it cannot be reached). */
async function targetOptions(): Promise<Array<SelectableValue<string>>> {
  try {
    const status = await backupSla.getStatus();
    return status.targets.map((t) => ({ label: t.name, value: t.name, description: t.kind }));
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
