import { describe, expect, it } from 'vitest';
import { findInCauses, someCause } from './error-causes.js';

/** An error `depth` causes deep over `innermost`. */
function wrapped(innermost: Error, depth: number): Error {
  let error = innermost;
  for (let level = 0; level < depth; level++) error = new Error(`wrapper ${level}`, { cause: error });
  return error;
}

describe('error cause walk', () => {
  it('finds what an error or one of its causes says, the outermost first', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(someCause(wrapped(refused, 2), (error) => error.message.includes('ECONNREFUSED'))).toBe(true);
    expect(findInCauses(wrapped(refused, 3), (error) => (error as { code?: string }).code)).toBe('ECONNREFUSED');
    expect(findInCauses(wrapped(refused, 1), (error) => (error.message.startsWith('wrapper') ? error.message : undefined))).toBe('wrapper 0');
  });

  it('reads at most five links, and nothing of a non-error', () => {
    const retriable = Object.assign(new Error('leader moved'), { retriable: true });
    const test = (error: Error) => (error as { retriable?: boolean }).retriable === true;
    expect(someCause(wrapped(retriable, 4), test)).toBe(true);
    expect(someCause(wrapped(retriable, 5), test)).toBe(false);
    expect(someCause('ECONNREFUSED', () => true)).toBe(false);
    expect(findInCauses(undefined, () => 'found')).toBeUndefined();
  });
});
