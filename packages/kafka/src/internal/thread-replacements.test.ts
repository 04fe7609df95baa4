import { describe, expect, it } from 'vitest';
import { TaskCorruptedError, TaskMigratedError } from '../errors.js';
import { MAX_THREAD_REPLACEMENTS, ThreadReplacements, THREAD_REPLACEMENT_WINDOW_MS } from './thread-replacements.js';

const corrupted = () => new TaskCorruptedError('Task 0_1 could not commit its transaction: timeout.', '0_1');
const migrated = () => new TaskMigratedError('This member lost its group membership (its session expired) while it held tasks [0_0]; they may have moved and changed meanwhile.');

describe('ThreadReplacements', () => {
  it('backs off 0.5 s doubling up to 10 s, and refuses the replacement after the tenth within five minutes', () => {
    const replacements = new ThreadReplacements();
    const delays = Array.from({ length: MAX_THREAD_REPLACEMENTS }, (_, index) => replacements.admit(corrupted(), 1000 + index));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(replacements.admit(corrupted(), 2000)).toBeUndefined();
    // Once the first ones are older than the window, replacements are allowed again.
    expect(replacements.admit(corrupted(), 1000 + THREAD_REPLACEMENT_WINDOW_MS + 1)).toBe(10_000);
  });

  it('replaces a thread whose tasks migrated (lost membership) every time, after 0.5 s, without counting it', () => {
    const replacements = new ThreadReplacements();
    // Twenty broker failovers in a minute, each costing the thread its membership.
    for (let index = 0; index < 20; index++) expect(replacements.admit(migrated(), 1000 + index * 3000)).toBe(500);
    // They used none of the budget for corrupted tasks.
    expect(replacements.admit(corrupted(), 70_000)).toBe(500);
  });
});
