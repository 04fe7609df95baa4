import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThreadSensors } from '@tributary/streams/engine';
import { ThreadCommitter, type CommitStrategy } from './commit-strategy.js';

/** A strategy whose commits last until the test ends them. */
function heldStrategy(): { strategy: CommitStrategy; finish(): void } {
  let finish = (): void => {};
  const strategy: CommitStrategy = {
    sharedCollector: undefined,
    commit: () => new Promise<number>((resolve) => (finish = () => resolve(1))),
  };
  return { strategy, finish: () => finish() };
}

describe('ThreadCommitter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the commit interval from when a commit began, not from when it ended, as Kafka Streams does', async () => {
    const { strategy, finish } = heldStrategy();
    const sensors = new ThreadSensors(0);
    const committer = new ThreadCommitter(strategy, 100, sensors, () => true);
    expect(committer.due(99)).toBe(false);
    vi.setSystemTime(100);
    expect(committer.due(100)).toBe(true);
    const committing = committer.commitAll('interval');
    // The commit takes 80 ms (acknowledgements, the offset commit).
    await vi.advanceTimersByTimeAsync(80);
    finish();
    await committing;
    expect(sensors.commit.total).toBe(1);
    // Due again 100 ms after it began (at 100), not 100 ms after it ended (at 180).
    expect(committer.due(199)).toBe(false);
    expect(committer.due(200)).toBe(true);
  });
});
