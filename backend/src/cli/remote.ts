/**
 * The CLI for the lab: `<instance>/<target>` addresses a target of another machine's service (a
 * peer), and `status` shows the whole lab. Operations on a peer's target go through the peer's
 * HTTP API, exactly as the forwarding API does, and are followed there until they end.
 *
 * Which token: the CLI runs as root or the service user on this machine, who can read the
 * configuration and so every peer token in it (and who can do anything to this instance's own
 * targets without any token). It therefore may use the peer tokens; it takes, per operation, the
 * weakest role that operation needs (viewer to read, operator to back up and verify, admin to
 * restore), so that a mistake can do no more than asked and the peer's audit log shows the role
 * the operation needed. The actor the peer records is `cli:<user>@<this instance>`.
 */
import os from 'node:os';
import type * as Api from '../api/contract';
import type { Config, Role } from '../config/types';
import { BusyError, InvalidRequestError, NotFoundError } from '../engine/errors';
import { PeerAnswer, PeerClient } from '../peers/client';
import { peerRefusal } from '../peers/peers';

/** Where a target argument leads: this instance (null) or a peer. */
export interface TargetArg {
  peer: string | null;
  target: string;
}

export function parseTargetArg(config: Config, arg: string): TargetArg {
  const slash = arg.indexOf('/');
  if (slash < 0) {
    return { peer: null, target: arg };
  }
  const instance = arg.slice(0, slash);
  const target = arg.slice(slash + 1);
  if (instance === config.instance) {
    return { peer: null, target };
  }
  if (!Object.hasOwn(config.peers, instance)) {
    const peers = Object.keys(config.peers);
    throw new NotFoundError(
      `unknown instance '${instance}' (this instance: ${config.instance}; peers: ${peers.length ? peers.join(', ') : 'none configured'})`
    );
  }
  return { peer: instance, target };
}

/** Polls for a run on a peer this often. */
const POLL_MS = 1000;
const TIMEOUT_MS = 15_000;

export class RemoteTarget {
  private readonly client: PeerClient;
  readonly actor: string;

  constructor(
    config: Config,
    readonly peer: string,
    readonly target: string
  ) {
    this.client = new PeerClient(config.peers[peer], config.instance);
    this.actor = `cli:${os.userInfo().username}@${config.instance}`;
  }

  get address(): string {
    return `${this.peer}/${this.target}`;
  }

  private async call(method: 'GET' | 'POST', path: string, role: Role, body?: unknown): Promise<any> {
    const a = await this.client.request({ method, path, role, user: this.actor, body, timeoutMs: TIMEOUT_MS });
    if (a.status >= 200 && a.status < 300) {
      return a.body;
    }
    throw remoteError(this.peer, role, a);
  }

  /** Starts an operation on the peer and waits for its run to end. */
  private async operate(path: string, role: Role, body: unknown, onPhase?: (phase: string) => void): Promise<Api.Run> {
    const accepted = (await this.call('POST', path, role, body)) as Api.Accepted;
    let last = '';
    for (;;) {
      const run = (await this.call('GET', `/api/runs/${accepted.runId}`, 'viewer')) as Api.Run;
      if (run.status !== 'running') {
        return run;
      }
      if (run.phase && run.phase !== last) {
        last = run.phase;
        onPhase?.(run.phase);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  backup(onPhase?: (phase: string) => void): Promise<Api.Run> {
    return this.operate(`/api/targets/${encodeURIComponent(this.target)}/backup`, 'operator', {}, onPhase);
  }

  verify(snapshot: string, onPhase?: (phase: string) => void): Promise<Api.Run> {
    return this.operate(`/api/targets/${encodeURIComponent(this.target)}/verify`, 'operator', { snapshot }, onPhase);
  }

  restore(
    req: { snapshot?: string; at?: string; to?: string; safetyBackup: boolean },
    onPhase?: (phase: string) => void
  ): Promise<Api.Run> {
    const body = { target: this.target, confirm: this.target, ...req };
    return this.operate('/api/restores', 'admin', body, onPhase);
  }

  async snapshots(): Promise<Api.Snapshot[]> {
    return (
      (await this.call(
        'GET',
        `/api/targets/${encodeURIComponent(this.target)}/snapshots`,
        'viewer'
      )) as Api.GetSnapshots
    ).snapshots;
  }

  close(): void {
    this.client.close();
  }
}

/** A peer's refusal as the CLI's errors (and so its exit codes: busy 4, not found 5, usage 2). */
function remoteError(peer: string, role: Role, a: PeerAnswer): Error {
  const said = `instance ${peer}: ${typeof a.body?.message === 'string' ? a.body.message : `HTTP ${a.status}`}`;
  switch (a.status) {
    case 409: {
      const busy = new BusyError(peer, said);
      busy.message = said; // the peer's own words name the target and what holds it
      return busy;
    }
    case 404:
      return new NotFoundError(said);
    case 400:
      return new InvalidRequestError(said);
    default:
      return new Error(peerRefusal(peer, role, a));
  }
}
