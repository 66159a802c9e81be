/** What every route handler works with, apart from the route table (api/routes.ts) so that api/lab.ts can use it too. */
import type { Role } from '../config/types';
import type { Engine } from '../engine/engine';
import type { Peers } from '../peers/peers';

export interface RouteContext {
  engine: Engine;
  /** The other machines' services (none: this instance answers for itself only). */
  peers: Peers;
}

/** What the auth hook found out about the caller. */
export interface Caller {
  role: Role;
  /** The client's name (api.clients), else the Grafana user if forwarded, else the role. */
  actor: string;
  /** The Grafana user Grafana's proxy forwarded (X-Grafana-User), or null. */
  user: string | null;
  /** The client (api.clients) whose token was used; null for Grafana's tokens. */
  client: string | null;
}
