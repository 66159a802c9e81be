/** Every kind of target the service knows. A new kind is one new driver file and one line here. */
import type { TargetDriver } from './types';
import { mysqlDriver } from './mysql';

export const drivers: Record<string, TargetDriver> = {
  [mysqlDriver.kind]: mysqlDriver,
};
