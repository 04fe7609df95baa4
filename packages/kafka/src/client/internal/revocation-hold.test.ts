import { afterEach, describe, expect, it, vi } from 'vitest';
import { RevocationHold } from './revocation-hold.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Whether `promise` settled by now (after the microtasks queued so far). */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('RevocationHold', () => {
  it('lets a join through at once when no revoke is pending', async () => {
    vi.useFakeTimers();
    const hold = new RevocationHold({ sessionTimeoutMs: 10_000 });
    expect(await settled(hold.beforeJoin())).toBe(true);
  });

  it("holds a join until the revoke's commit settles", async () => {
    vi.useFakeTimers();
    const hold = new RevocationHold({ sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000 });
    let finish = (): void => {};
    hold.revoked(new Promise<void>((resolve) => (finish = resolve)));
    const join = hold.beforeJoin();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(await settled(join)).toBe(false);
    finish();
    expect(await settled(join)).toBe(true);
  });

  it('lets a join through after half the session timeout (or rebalance timeout, if shorter) when the commit hangs', async () => {
    vi.useFakeTimers();
    const hold = new RevocationHold({ sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 6_000 });
    hold.revoked(new Promise<void>(() => {}));
    const join = hold.beforeJoin();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(await settled(join)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(join)).toBe(true);
  });

  it('lets a join through when the commit failed (the listener reports the failure)', async () => {
    vi.useFakeTimers();
    const hold = new RevocationHold({ sessionTimeoutMs: 10_000 });
    hold.revoked(Promise.reject(new Error('commit refused')));
    expect(await settled(hold.beforeJoin())).toBe(true);
  });
});
