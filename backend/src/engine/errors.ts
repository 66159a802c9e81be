/** Errors the engine raises on purpose; each carries one line a person can act on. */

/** Another operation holds the target (docs/design.md §5 rule 3). */
export class BusyError extends Error {
  constructor(
    readonly target: string,
    readonly holder: string
  ) {
    super(`target ${target} is busy: ${holder}; try again when it has finished`);
    this.name = 'BusyError';
  }
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A request that cannot be carried out as asked (bad restore destination, missing confirmation). */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}
