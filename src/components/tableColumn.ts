import { InteractiveTable } from '@grafana/ui';

/** A column of @grafana/ui's InteractiveTable (its `Column` type is not exported). */
export type TableColumn<T extends object> = Parameters<typeof InteractiveTable<T>>[0]['columns'][number];
