/**
 * Every error answer is `{statusCode, error, message}` (fastify's shape, the contract's ApiError):
 * the message says what to do or which field is wrong; a stack or a secret never leaves.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BusyError, InvalidRequestError, NotFoundError } from '../engine/errors';
import { redact } from '../util/redact';

/** An error that maps to one HTTP status with a message fit for the caller. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

export function errorBody(statusCode: number, message: string): ApiErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message: redact(message) };
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Validation messages that name the field: "body/confirm is required", "querystring/limit must be <= 1000". */
export function formatValidation(errors: AjvError[], dataVar: string): Error {
  const e = errors[0];
  const at = `${dataVar}${e?.instancePath ?? ''}`;
  let message: string;
  if (!e) {
    message = `${dataVar} is not valid`;
  } else if (e.keyword === 'required') {
    message = `${at}/${String(e.params.missingProperty)} is required`;
  } else if (e.keyword === 'additionalProperties') {
    message = `${at}/${String(e.params.additionalProperty)} is not a known field`;
  } else if (e.keyword === 'enum') {
    const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
    message = `${at} must be one of ${allowed}`;
  } else if (e.keyword === 'pattern' && /snapshot$/.test(at)) {
    message = `${at} must be a snapshot id (at least 4 hex characters) or "latest"`;
  } else if (e.keyword === 'pattern' && /^\^\(([\w|]+)\)\(,/.test(String(e.params.pattern))) {
    // A comma-separated list of words (schemas.ts commaList): say which words.
    const words = /^\^\(([\w|]+)\)/.exec(String(e.params.pattern))![1].split('|');
    message = `${at} must be one or more of ${words.join(', ')}, comma-separated`;
  } else if (e.keyword === 'pattern') {
    message = `${at} contains characters that are not allowed`;
  } else {
    message = `${at} ${e.message ?? 'is not valid'}`;
  }
  const err = new HttpError(400, message) as HttpError & { validation: unknown };
  err.validation = errors;
  return err;
}

/** Status of an error, and whether its message may be shown to the caller. */
function classify(err: FastifyError | Error): { status: number; safe: boolean } {
  if (err instanceof HttpError) {
    return { status: err.statusCode, safe: true };
  }
  if (err instanceof BusyError) {
    return { status: 409, safe: true };
  }
  if (err instanceof NotFoundError) {
    return { status: 404, safe: true };
  }
  if (err instanceof InvalidRequestError) {
    return { status: 400, safe: true };
  }
  const status = (err as FastifyError).statusCode;
  // fastify's own client errors (body too large, bad JSON, wrong media type) carry safe messages.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, safe: true };
  }
  return { status: 500, safe: false };
}

export function errorHandler(log: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const { status, safe } = classify(err);
    if (status >= 500) {
      log.error({ err: redact(err.stack ?? err.message), method: req.method, url: req.url }, 'request failed');
    }
    reply
      .code(status)
      .type('application/json')
      .send(errorBody(status, safe ? err.message : 'internal error; the service log has the details'));
  };
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split('?')[0];
  reply
    .code(404)
    .type('application/json')
    .send(errorBody(404, `no such route: ${req.method} ${path}`));
}
