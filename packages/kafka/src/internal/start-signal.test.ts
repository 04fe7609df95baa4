import { describe, expect, it } from 'vitest';
import { StartSignal } from './start-signal.js';

describe('StartSignal', () => {
  it('resolves the start that waits, once', async () => {
    const signal = new StartSignal();
    expect(signal.waiting).toBe(false);
    const running = signal.wait();
    expect(signal.waiting).toBe(true);
    signal.resolve();
    expect(signal.waiting).toBe(false);
    signal.reject(new Error('too late'));
    await expect(running).resolves.toBeUndefined();
  });

  it('rejects the start that waits with the error, once', async () => {
    const signal = new StartSignal();
    const running = signal.wait();
    const failure = new Error('closed before running');
    signal.reject(failure);
    signal.resolve();
    await expect(running).rejects.toBe(failure);
    expect(signal.waiting).toBe(false);
  });

  it('does nothing when no start waits', () => {
    const signal = new StartSignal();
    signal.resolve();
    signal.reject(new Error('nobody waits'));
    expect(signal.waiting).toBe(false);
  });
});
