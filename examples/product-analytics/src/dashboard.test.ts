import { describe, expect, it } from 'vitest';
import { Dashboard, type Throughput } from './dashboard.js';

const throughput = (streamTimeAheadOfWallClockMs: number): Throughput => ({
  elapsedSeconds: 3, sent: 10, eventsPerSecond: 5, processed: 30, dropped: new Map([['late-record', 2]]), deadLetters: 1, streamTimeAheadOfWallClockMs,
});

describe('Dashboard', () => {
  it('prints the counters, and says when stream time runs ahead of the clock', () => {
    const dashboard = new Dashboard();
    expect(dashboard.plainLines(throughput(500))).toEqual(['throughput: 5 events/s | sent 10 | processed 30 | dlq 1 | dropped 2 | alerts 0 | 3s']);
    expect(dashboard.plainLines(throughput(1_800_000))[0]).toBe(
      'throughput: 5 events/s | sent 10 | processed 30 | dlq 1 | dropped 2 | alerts 0 | 3s | stream time 1800s ahead of the clock: a producer\'s clock is wrong',
    );
  });
});
