/**
 * An exception a caller's own callback (onProgress, onSession) threw inside
 * a run that reads a bundle: carried unchanged past the code that takes a
 * stream's failures for a bundle cut short or corrupt (E_BAD_BUNDLE), and
 * rethrown as the caller's own error, as every bulk function rethrows it.
 */
export class CallerError extends Error {
  constructor(readonly error: unknown) {
    super('a callback of the caller failed');
  }
}

/** `fn`, with what it throws marked as the caller's. */
export function callerCallback<A extends unknown[]>(fn: ((...args: A) => void) | undefined): ((...args: A) => void) | undefined {
  if (!fn) return undefined;
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      throw new CallerError(err);
    }
  };
}

/** Runs `run`; a CallerError out of it is rethrown as the caller's own error. */
export async function rethrowCallers<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof CallerError ? err.error : err;
  }
}
