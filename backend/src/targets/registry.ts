/** Every kind of target the service knows. A new kind is one new driver file and one line here. */
import type { TargetDriver } from './types';
import { mysqlDriver } from './mysql';
import { influxdbDriver } from './influxdb';
import { prometheusDriver } from './prometheus';
import { grafanaDriver } from './grafana';
import { ansibleDriver } from './ansible';
import { filesDriver } from './files';

export const drivers: Record<string, TargetDriver> = {
  [mysqlDriver.kind]: mysqlDriver,
  [influxdbDriver.kind]: influxdbDriver,
  [prometheusDriver.kind]: prometheusDriver,
  [grafanaDriver.kind]: grafanaDriver,
  [ansibleDriver.kind]: ansibleDriver,
  [filesDriver.kind]: filesDriver,
};
