import { PanelPlugin, SelectFieldConfigSettings, SelectableValue } from '@grafana/data';
import { backupSla } from '../../api/client';
import { BackupAgePanel } from './BackupAgePanel';
import type { BackupAgeOptions } from './types';

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
    .addBooleanSwitch({
      path: 'showCovered',
      name: 'Show covered services',
      description: 'Also list the services another target covers (Nginx, uWSGI, Telegraf, DNS by ansible).',
      defaultValue: false,
    })
);
