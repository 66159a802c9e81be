/**
 * What every planner shares: the plan item, and the one decide step that turns the facts about a
 * backed-up object and its live counterpart into an action. The order is the same for every kind
 * of object:
 *
 *   not in Grafana     → skipped-provisioned when it came from a file (restore the file), else create
 *   the same           → unchanged
 *   provisioned        → skipped-provisioned (Grafana refuses API changes to it)
 *   changed after the backup → skipped-newer, unless `force` (then update, saying so)
 *   otherwise          → update
 *
 * Errors (the apply would fail: a folder or data source it needs is missing, a name is taken) are
 * found by each planner before it asks this step.
 */
import type { JsonObject } from '../client';

export type Action = 'create' | 'update' | 'unchanged' | 'skipped-newer' | 'skipped-provisioned' | 'error';

export type ObjectKind =
  | 'folder'
  | 'datasource'
  | 'library panel'
  | 'dashboard'
  | 'template'
  | 'contact point'
  | 'mute timing'
  | 'alert rule'
  | 'rule group'
  | 'policies';

/** Which object an item is about. */
export interface ItemBase {
  kind: ObjectKind;
  /** uid or name. */
  key: string;
  /** What a person recognises: a title or name (with its folder for dashboards). */
  name: string;
}

export interface PlanItem extends ItemBase {
  action: Action;
  reason?: string;
  /** Something a person must do after the restore (secrets, provisioning files). */
  human?: string;
  /** Present for create/update: performs the change. */
  apply?: () => Promise<void>;
}

/** Why Grafana refuses API changes to an object, and what a person does instead. */
export interface Provisioned {
  reason: string;
  human: string;
}

/** The live object changed after the backup: `detail` compares ("version 5 > 3"), `live` names the live one ("version 5"). */
export interface Newer {
  detail: string;
  live: string;
}

export interface Facts {
  /** Whether Grafana holds the object (by uid, or by name where it has none). */
  exists: boolean;
  /** Whether the live object equals the backed-up one (in what a restore writes). */
  same: boolean;
  /** Set when Grafana refuses API changes to the object (or it came from a file and is gone). */
  provisioned?: Provisioned | null;
  /** Set when the live object changed after the backup. */
  newer?: Newer | null;
  force: boolean;
}

export interface Change {
  /** Performs the create or update. */
  apply: () => Promise<void>;
  /** What changes, in words. */
  reason?: string;
  /** What a person must do afterwards (also when nothing changes, e.g. secrets to re-enter). */
  human?: string;
}

/** The shared decide step: unchanged, newer, provisioned, or the change. */
export function decide(base: ItemBase, facts: Facts, change: Change): PlanItem {
  const { reason, human, apply } = change;
  if (!facts.exists) {
    if (facts.provisioned) {
      return { ...base, action: 'skipped-provisioned', ...facts.provisioned };
    }
    return { ...base, action: 'create', reason, human, apply };
  }
  if (facts.same) {
    return { ...base, action: 'unchanged', human };
  }
  if (facts.provisioned) {
    return { ...base, action: 'skipped-provisioned', ...facts.provisioned };
  }
  if (facts.newer && !facts.force) {
    return {
      ...base,
      action: 'skipped-newer',
      reason: `changed in Grafana after the backup (${facts.newer.detail}); force overwrites`,
    };
  }
  const forced = facts.newer ? `overwrites newer ${facts.newer.live} (force)` : undefined;
  return { ...base, action: 'update', reason: [reason, forced].filter(Boolean).join('; ') || undefined, human, apply };
}

/** An object the apply could not restore (a folder or data source it needs is missing, a name is taken). */
export function errorItem(base: ItemBase, reason: string): PlanItem {
  return { ...base, action: 'error', reason };
}

/** A live version number above the backed-up one. */
export function newerVersion(live: number, backup: number): Newer | null {
  return live > backup ? { detail: `version ${live} > ${backup}`, live: `version ${live}` } : null;
}

/** A live update time after the backed-up one (ISO times compare as text). */
export function newerUpdate(live: string, backup: string): Newer | null {
  return live > backup ? { detail: live, live: `version of ${live}` } : null;
}

/** Alerting objects: their provenance ("file", "api", …) makes Grafana refuse other changes. */
export function provenanceOf(o: JsonObject | null | undefined): string {
  return String(o?.provenance ?? '');
}

export function byProvenance(live: JsonObject | null | undefined): Provisioned | null {
  const prov = provenanceOf(live);
  if (!prov) {
    return null;
  }
  return {
    reason: `managed by ${prov === 'file' ? 'a provisioning file' : `provenance '${prov}'`}: Grafana refuses other changes`,
    human: prov === 'file' ? 'restore its provisioning file (Ansible)' : `change it where it is managed (${prov})`,
  };
}

/** Alerting objects are written without provenance, so that they stay editable in the UI. */
export const NO_PROVENANCE = { 'X-Disable-Provenance': 'true' };

export const enc = encodeURIComponent;

export function without(o: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (!keys.includes(k)) {
      out[k] = v;
    }
  }
  return out;
}
