/**
 * The lab as one instance sees it: its peers (the services on the other machines), whether each
 * answers and since when it does not, and their targets for the whole-lab status.
 *
 * - A peer is asked in parallel with the others, each within its timeout (1.5 s by default), so a
 *   peer that does not answer costs the status at most that, once: while it keeps failing, its
 *   last known state is answered at once and a retry runs in the background (at most one a second).
 * - Its status is kept for a second and shared by every caller (asked with the viewer token: it
 *   is the same for every role), as the instance's own SLA state is (engine.slaState). A refresh
 *   that takes longer than 20 ms does not hold callers: they get the status of a second ago, the
 *   refresh lands for the next ones (a refusal — a stopped peer — comes within those 20 ms).
 * - Every other request to a peer (reads of one target, operations) goes with the token of the
 *   caller's own role (PeerClient), never a stronger one; whether it answered is remembered too.
 */
import type * as Api from '../api/contract';
import type { Config, Role } from '../config/types';
import { PeerAnswer, PeerClient, PeerRequest, PeerUnreachableError } from './client';
import { worst } from '../engine/sla';

/** How long a peer's status is reused, and how often a failing peer is tried again. */
const STATUS_TTL_MS = 1000;
/** How long a caller waits for a refresh of a peer's status before it is shown the last one. */
const REFRESH_GRACE_MS = 20;

interface Health {
  lastSeenAt: string | null;
  unreachableSince: string | null;
  error: string | null;
}

interface StatusEntry {
  /** When it was last asked (ms); 0: never. */
  askedAt: number;
  /** The last status it answered (kept while it does not answer: its targets show as unknown). */
  status: Api.StatusResponse | null;
  inflight: Promise<void> | null;
}

export interface PeerStatus {
  name: string;
  state: Api.InstanceState;
  /** Its targets: as it answered, or its last known ones marked unknown while unreachable. */
  targets: Api.TargetStatus[];
  covered: Api.CoveredService[];
}

export class Peers {
  private readonly clients = new Map<string, PeerClient>();
  private readonly health = new Map<string, Health>();
  private readonly statusCache = new Map<string, StatusEntry>();

  constructor(
    config: Config,
    private readonly now: () => Date = () => new Date()
  ) {
    for (const p of Object.values(config.peers)) {
      this.clients.set(p.name, new PeerClient(p, config.instance));
      this.health.set(p.name, { lastSeenAt: null, unreachableSince: null, error: null });
      this.statusCache.set(p.name, { askedAt: 0, status: null, inflight: null });
    }
  }

  names(): string[] {
    return [...this.clients.keys()];
  }

  has(name: string): boolean {
    return this.clients.has(name);
  }

  /** One request to a peer; whether it answered is remembered (PeerUnreachableError when not). */
  async call(peer: string, req: PeerRequest): Promise<PeerAnswer> {
    const client = this.clients.get(peer)!;
    try {
      const answer = await client.request(req);
      this.answered(peer);
      return answer;
    } catch (e) {
      if (e instanceof PeerUnreachableError) {
        this.failed(peer, e.message);
      }
      throw e;
    }
  }

  /** A peer answered, but not what was asked (refused the token, failed): as good as unreachable. */
  failedAnswer(peer: string, role: Role, a: PeerAnswer): void {
    this.failed(peer, peerRefusal(peer, role, a));
  }

  /** Forgets a peer's kept status (after an operation was forwarded to it: its state changes). */
  changed(peer: string): void {
    const e = this.statusCache.get(peer);
    if (e) {
      e.askedAt = 0;
    }
  }

  /** Every peer's targets for the whole-lab status, asked in parallel (see the module comment). */
  async statuses(): Promise<PeerStatus[]> {
    await Promise.all(
      this.names().map(async (name) => {
        const entry = this.statusCache.get(name)!;
        if (Date.now() - entry.askedAt < STATUS_TTL_MS) {
          return;
        }
        entry.inflight ??= this.askStatus(name, entry).finally(() => {
          entry.inflight = null;
        });
        if (this.health.get(name)!.unreachableSince) {
          return; // failing: its last known state now, the retry in the background
        }
        if (!entry.status) {
          await entry.inflight; // never answered yet: nothing to show but what it says (within its timeout)
          return;
        }
        // Answering so far: a quick answer (or a quick refusal: a stopped peer) is used at once; a
        // slow one does not hold the caller: its last status (a second old) is shown meanwhile.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([entry.inflight, new Promise((r) => (timer = setTimeout(r, REFRESH_GRACE_MS)))]);
        clearTimeout(timer);
      })
    );
    return this.names().map((name) => this.peerStatus(name));
  }

  /** The state of one peer as the contract shows it. */
  state(name: string): Api.InstanceState {
    const h = this.health.get(name)!;
    const status = this.statusCache.get(name)?.status;
    return {
      name,
      self: false,
      reachable: !h.unreachableSince,
      unreachableSince: h.unreachableSince,
      lastSeenAt: h.lastSeenAt,
      error: h.error,
      level: h.unreachableSince || !status ? 'unknown' : status.level,
    };
  }

  /** The peers that are failing now (for the `unreachable` of whole-lab lists). */
  unreachable(names = this.names()): Api.InstanceState[] {
    return names.map((n) => this.state(n)).filter((s) => !s.reachable);
  }

  close(): void {
    for (const c of this.clients.values()) {
      c.close();
    }
  }

  private answered(peer: string): void {
    const h = this.health.get(peer)!;
    h.lastSeenAt = this.now().toISOString();
    h.unreachableSince = null;
    h.error = null;
  }

  private failed(peer: string, error: string): void {
    const h = this.health.get(peer)!;
    h.unreachableSince ??= this.now().toISOString();
    h.error = error;
  }

  private async askStatus(name: string, entry: StatusEntry): Promise<void> {
    try {
      const a = await this.call(name, { method: 'GET', path: '/api/status?local=1', role: 'viewer' });
      if (a.status !== 200 || !Array.isArray(a.body?.targets)) {
        // It answers, but not with its status: as good as unreachable for the lab's view.
        this.failedAnswer(name, 'viewer', a);
      } else {
        entry.status = a.body as Api.StatusResponse;
      }
    } catch {
      // recorded by call()
    } finally {
      entry.askedAt = Date.now();
    }
  }

  private peerStatus(name: string): PeerStatus {
    const state = this.state(name);
    const status = this.statusCache.get(name)!.status;
    if (!status) {
      return { name, state, targets: [], covered: [] };
    }
    const withInstance = <T extends { instance?: string }>(x: T): T => ({ ...x, instance: x.instance ?? name });
    if (state.reachable) {
      return {
        name,
        state,
        targets: status.targets.map(withInstance),
        covered: status.covered.map(withInstance),
      };
    }
    const why = unreachableReason(state);
    return {
      name,
      state,
      targets: status.targets.map((t) => unknownTarget(withInstance(t), why)),
      covered: status.covered.map((c) => ({ ...withInstance(c), level: 'unknown' as const })),
    };
  }
}

/** "instance mon1 unreachable since 2026-11-30T01:22:03.000Z (connection refused …)" */
export function unreachableReason(s: Api.InstanceState): string {
  const why = s.error?.replace(/^instance \S+ unreachable: /, '');
  return `instance ${s.name} unreachable since ${s.unreachableSince}${why ? ` (${why})` : ''}`;
}

/** A target of a peer that does not answer: its last known state, every check unknown, the reason said. */
function unknownTarget(t: Api.TargetStatus, why: string): Api.TargetStatus {
  const check = (c: Api.SlaCheck): Api.SlaCheck => ({
    level: 'unknown',
    reason: `${why}; last known: ${c.reason}`,
    cause: c.cause ?? null,
  });
  return {
    ...t,
    level: 'unknown',
    reasons: [why],
    checks: {
      fresh: check(t.checks.fresh),
      versions: check(t.checks.versions),
      verified: check(t.checks.verified),
      copies: check(t.checks.copies),
      recovery: check(t.checks.recovery),
    },
    running: null,
  };
}

/** A peer's answer that is not what was asked for, as one line for the caller. */
export function peerRefusal(peer: string, role: Role, a: PeerAnswer): string {
  const said = typeof a.body?.message === 'string' ? a.body.message : `HTTP ${a.status}`;
  if (a.status === 401 || a.status === 403) {
    return `instance ${peer} refused this instance's ${role} token (peers.${peer}.tokens.${role}): ${said}`;
  }
  return `instance ${peer} answered ${a.status}: ${said}`;
}

/** The whole lab's status: this instance's own, then each peer's, with the instances' states. */
export function labStatus(local: Api.StatusResponse, peers: PeerStatus[]): Api.StatusResponse {
  return {
    ...local,
    instances: [...local.instances, ...peers.map((p) => p.state)],
    level: worst([local.level, ...peers.map((p) => p.state.level)]),
    targets: [...local.targets, ...peers.flatMap((p) => p.targets)],
    covered: [...local.covered, ...peers.flatMap((p) => p.covered)],
  };
}
