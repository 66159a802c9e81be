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
