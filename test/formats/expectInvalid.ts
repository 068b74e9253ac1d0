import { expect } from 'vitest';
import { CllnError, InvalidInputError } from '../../src/errors.js';

/**
 * Run `fn`, expect it to throw an InvalidInputError (also a CllnError) whose `field` is `field` (when given),
 * whose message names that field and carries a fix, and contains every fragment. Returns the error.
 */
export function expectInvalid(fn: () => unknown, field: string | undefined, ...fragments: (string | RegExp)[]): InvalidInputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error to be thrown').toBeDefined();
  expect(caught).toBeInstanceOf(InvalidInputError);
  expect(caught).toBeInstanceOf(CllnError);
  const e = caught as InvalidInputError;
  if (field !== undefined) {
    expect(e.field).toBe(field);
    expect(e.message).toContain(field);
  }
  expect(e.fix, 'the error should say how to fix it').toBeTruthy();
  expect(e.message).toContain('(fix: ');
  for (const f of fragments) {
    if (typeof f === 'string') expect(e.message).toContain(f);
    else expect(e.message).toMatch(f);
  }
  return e;
}
