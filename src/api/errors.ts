/**
 * Errors from the service, as the app sees them through Grafana's plugin proxy, sorted into what a
 * person can act on. Grafana itself answers some of them (502 when the service is unreachable, 403
 * when the user's role does not fit the route, 404 when no route matches); the service answers the
 * rest with the contract's `ApiError` body.
 */
import type { ApiError } from './types';

export type ServiceErrorKind =
  | 'unconfigured'
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'busy'
  | 'invalid'
  | 'server'
  | 'unknown';

export class ServiceError extends Error {
  readonly kind: ServiceErrorKind;
  readonly status: number;
  /** The message the service (or Grafana) sent, if any. */
  readonly detail: string;
  /** True when the answer came from the service itself rather than from Grafana's proxy. */
  readonly fromService: boolean;

  constructor(kind: ServiceErrorKind, status: number, detail: string, fromService: boolean) {
    super(detail || `HTTP ${status}`);
    this.name = 'ServiceError';
    this.kind = kind;
    this.status = status;
    this.detail = detail;
    this.fromService = fromService;
  }
}

function isApiError(data: unknown): data is ApiError {
  return typeof data === 'object' && data !== null && 'statusCode' in data && 'message' in data;
}

function messageOf(data: unknown): string {
  if (typeof data === 'string') {
    return data.trim().slice(0, 300);
  }
  if (typeof data === 'object' && data !== null && 'message' in data) {
    const message = (data as { message: unknown }).message;
    return typeof message === 'string' ? message : '';
  }
  return '';
}

/**
 * Grafana's proxy answers 500 "Could not interpolate plugin route url" when the route's url template
 * names settings that were never saved: the app is not connected yet, nothing is broken.
 */
function isUnconfigured(status: number, data: unknown): boolean {
  return status === 500 && /interpolate plugin route/i.test(messageOf(data));
}

function kindOf(status: number): ServiceErrorKind {
  if (status === 0 || status === 502 || status === 503 || status === 504) {
    return 'unreachable';
  }
  switch (status) {
    case 400:
    case 413:
    case 422:
      return 'invalid';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'notFound';
    case 409:
      return 'busy';
    default:
      return status >= 500 ? 'server' : 'unknown';
  }
}

/** Turns whatever getBackendSrv().fetch threw (a FetchError, an Error, anything) into a ServiceError. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) {
    return err;
  }
  if (typeof err === 'object' && err !== null && 'status' in err) {
    const { status, data } = err as { status?: unknown; data?: unknown };
    const code = typeof status === 'number' ? status : 0;
    const kind = isUnconfigured(code, data) ? 'unconfigured' : kindOf(code);
    return new ServiceError(kind, code, messageOf(data), isApiError(data));
  }
  const detail = err instanceof Error ? err.message : String(err);
  // No HTTP status at all: the request never got an answer.
  return new ServiceError('unreachable', 0, detail, false);
}

export interface ErrorDescription {
  title: string;
  text: string;
}

/** Plain words for an error: what is wrong and what to do. */
export function describeError(err: unknown): ErrorDescription {
  const e = toServiceError(err);
  const detail = e.detail ? ` (${e.status ? `${e.status}: ` : ''}${e.detail})` : e.status ? ` (HTTP ${e.status})` : '';
  switch (e.kind) {
    case 'unconfigured':
      return {
        title: 'The app is not connected to the Backup SLA service yet',
        text: "The app has no service URL or tokens yet: an admin enters them on the app's configuration page.",
      };
    case 'unreachable':
      // The service itself answered 502: it could not reach a peer (another machine of the lab).
      if (e.fromService) {
        return {
          title: 'Another instance of the lab cannot be reached',
          text:
            'The service Grafana talks to answered, but the instance that holds this target did not: check that its ' +
            `service is running and reachable from here${detail}.`,
        };
      }
      return {
        title: 'The Backup SLA service cannot be reached',
        text:
          'Grafana could not get an answer from the service. Check that the service (backup-sla serve) is running ' +
          `and that the service URL on the app's configuration page is right${detail}.`,
      };
    case 'unauthorized':
      return {
        title: 'The service rejected the token',
        text:
          "The token Grafana sent does not match any of the service's token files. An admin should enter the " +
          `tokens again on the app's configuration page${detail}.`,
      };
    case 'forbidden':
      return e.fromService
        ? {
            title: 'The service does not allow this',
            text: `The token configured for your role does not have the rights for this operation${detail}.`,
          }
        : {
            title: 'Not allowed',
            text:
              'Your Grafana role does not allow this: viewers read, editors run backups and verifications, ' +
              `admins restore${detail}.`,
          };
    case 'notFound':
      return e.fromService
        ? { title: 'Not found', text: `The service does not know this${detail}.` }
        : {
            title: 'Not found',
            text: `Grafana found no route to the service for this request. Is the Backup SLA app enabled${detail}?`,
          };
    case 'busy':
      return {
        title: 'Busy',
        text: `Another operation is already running on this target; try again when it has finished${detail}.`,
      };
    case 'invalid':
      return { title: 'The service refused the request', text: `The request was not valid${detail}.` };
    case 'server':
      return { title: 'The service failed', text: `The service reported an internal error${detail}.` };
    default:
      return { title: 'Something went wrong', text: `Unexpected answer from the service${detail}.` };
  }
}
