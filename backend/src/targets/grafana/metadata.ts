/**
 * What a Grafana backup records about its snapshot (kit/metadata.ts): the Grafana it came from,
 * the export's content hash (its version), how many objects of each kind it holds, the dashboards
 * provisioned from files and the secure fields a restore cannot bring back. Verification compares
 * the restored export's counts with it.
 */
import { z } from 'zod';
import type { Metadata } from '../types';
import { parseMetadata, recordMetadata } from '../kit/metadata';
import type { Counts, Manifest } from './export';

const count = z.number();
const counts: z.ZodType<Counts> = z.object({
  folders: count,
  dashboards: count,
  datasources: count,
  libraryPanels: count,
  alertRules: count,
  alertRuleGroups: count,
  contactPoints: count,
  muteTimings: count,
  templates: count,
  policies: count,
});

/** Per object uid (or name): the secure fields Grafana never returns. */
const secureFieldsOf = z.record(z.string(), z.array(z.string()));
const secureFields: z.ZodType<Manifest['secureFields']> = z.object({
  datasources: secureFieldsOf,
  contactPoints: secureFieldsOf,
});

export const grafanaMetadata = z.looseObject({
  grafanaVersion: z.string(),
  url: z.string(),
  contentHash: z.string(),
  counts,
  provisionedDashboards: z.array(z.string()),
  secureFields,
});
export type GrafanaMetadata = z.output<typeof grafanaMetadata>;

/** A Grafana snapshot's metadata; null when none was recorded; throws a MetadataError when malformed. */
export function readGrafanaMetadata(meta: Metadata | null): GrafanaMetadata | null {
  return parseMetadata('grafana', grafanaMetadata, meta);
}

export function grafanaRecord(value: z.input<typeof grafanaMetadata>): Metadata {
  return recordMetadata(grafanaMetadata, value);
}
