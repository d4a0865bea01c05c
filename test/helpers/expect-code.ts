/**
 * Asserting that a call fails with a ZotpackError of a given code.
 */
import { expect } from 'vitest';
import { ZotpackError } from '../../src/errors.js';

/** Runs `fn`, expects a ZotpackError with `code`, and returns it for further checks. */
export function expectCode(fn: () => unknown, code: string): ZotpackError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZotpackError);
    expect((err as ZotpackError).code).toBe(code);
    return err as ZotpackError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}
