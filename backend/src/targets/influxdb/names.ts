/** Which database names an influxdb target backs up and restores to. */
import { isScratchName } from '../kit/scratch';

/** InfluxDB's own database: never backed up, never a restore destination. */
export const INTERNAL = '_internal';
export const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** InfluxDB's own database and the scratch databases of backup-sla: never backed up, never a destination. */
export function reserved(name: string): boolean {
  return name === INTERNAL || isScratchName(name);
}
export const RESERVED = `reserved (${INTERNAL} is InfluxDB's own; bsla_ names are the scratch databases of backup-sla)`;

/** `to` is NEW (the snapshot holds one database) or SOURCE:NEW. */
export function parseTo(to: string): { source?: string; dest: string } {
  const i = to.indexOf(':');
  return i < 0 ? { dest: to } : { source: to.slice(0, i), dest: to.slice(i + 1) };
}
