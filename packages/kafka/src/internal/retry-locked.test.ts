import { describe, expect, it } from 'vitest';
import { retryWhileLocked } from './retry-locked.js';

function lockedError(): Error {
  return Object.assign(new Error('locked'), { code: 'LEVEL_STORE_LOCKED' });
}

describe('retryWhileLocked', () => {
  it('retries a locked store with a growing backoff until it opens', async () => {
    const waits: number[] = [];
    let attempts = 0;
    const result = await retryWhileLocked(
      async () => {
        attempts += 1;
        if (attempts < 6) throw lockedError();
        return 'open';
      },
      60_000,
      async (ms) => void waits.push(ms),
    );
    expect(result).toBe('open');
    expect(waits).toEqual([100, 200, 400, 800, 1000]);
  });

  it('fails at once on any other error', async () => {
    let attempts = 0;
    const failure = new Error('corrupt');
    await expect(
      retryWhileLocked(async () => {
        attempts += 1;
        throw failure;
      }, 60_000),
    ).rejects.toBe(failure);
    expect(attempts).toBe(1);
  });

  it('gives up with the locked error after the timeout', async () => {
    const error = lockedError();
    await expect(retryWhileLocked(() => Promise.reject(error), 250)).rejects.toBe(error);
  });
});
