/**
 * Targets in a lab of several instances (one service per machine, README "Two machines, one view").
 * Target names are unique per instance only, so a target is (instance, name). The service asked
 * (the one Grafana talks to) addresses its own targets by name and its peers' as
 * `<instance>/<name>`: the app uses the same address in its calls and in its URLs
 * (`/a/<app>/target/mysql`, `/a/<app>/target/mon1/prometheus`).
 */
import type { AuditEntry, InstanceState, StatusResponse } from '../api/types';

export interface TargetRef {
  instance: string;
  name: string;
}

/** What the app knows of the lab: the instance it talks to and every instance with its state. */
export interface Lab {
  /** The instance Grafana talks to; null until known (every address is then `<instance>/<name>`). */
  self: string | null;
  instances: InstanceState[];
  /** More than one instance: the pages group and name targets by machine. */
  multi: boolean;
}

export const UNKNOWN_LAB: Lab = { self: null, instances: [], multi: false };

export function labOf(status: StatusResponse | undefined): Lab {
  if (!status) {
    return UNKNOWN_LAB;
  }
  // An older service without instances answers for itself only.
  const instances = status.instances ?? [];
  return { self: status.instance ?? null, instances, multi: instances.length > 1 };
}

/** The address of a target for the service asked: its name if it is its own, else `<instance>/<name>`. */
export function addressOf(ref: TargetRef, self: string | null): string {
  return ref.instance === self ? ref.name : `${ref.instance}/${ref.name}`;
}

/** One key per target of the lab, whoever is asked. */
export function refKey(ref: TargetRef): string {
  return `${ref.instance}/${ref.name}`;
}

export function sameTarget(a: TargetRef, b: TargetRef): boolean {
  return a.instance === b.instance && a.name === b.name;
}

/** An address (`name` or `instance/name`) as a target of the lab; a bare name is the asked instance's. */
export function refOf(address: string, self: string | null): TargetRef | null {
  const slash = address.indexOf('/');
  if (slash >= 0) {
    return { instance: address.slice(0, slash), name: address.slice(slash + 1) };
  }
  return self === null ? null : { instance: self, name: address };
}

/**
 * Whether a target matches an address, knowing or not which instance is asked (a bare name then
 * matches that name on the asked instance, or on any instance while it is not known).
 */
export function matchesAddress(ref: TargetRef, address: string, self: string | null): boolean {
  const wanted = refOf(address, self);
  return wanted ? sameTarget(ref, wanted) : ref.name === address;
}

/**
 * The target an audit entry is about: one of its own instance, or, for an operation it forwarded
 * to a peer (target `<peer>/<name>`), the peer's.
 */
export function auditTargetOf(e: Pick<AuditEntry, 'instance' | 'target'>): TargetRef | null {
  if (!e.target) {
    return null;
  }
  const slash = e.target.indexOf('/');
  return slash >= 0
    ? { instance: e.target.slice(0, slash), name: e.target.slice(slash + 1) }
    : { instance: e.instance, name: e.target };
}

/** A run of the lab: run ids are numbered per instance. */
export interface RunRef {
  instance: string;
  id: number;
}

export function runKey(r: RunRef): string {
  return `${r.instance}/${r.id}`;
}
