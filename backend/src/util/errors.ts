/**
 * An operation could not reach what it needs (the source server, the repository, a password that
 * is wrong): nothing was learned about the data. A verification that ends with this is "could
 * not verify" (unknown), never "the snapshot failed".
 */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

/** Whether an error means "could not reach what it needs" (an UnavailableError, or one marked so). */
export function isUnavailable(e: unknown): boolean {
  return e instanceof UnavailableError || (e as { unavailable?: unknown } | null)?.unavailable === true;
}
