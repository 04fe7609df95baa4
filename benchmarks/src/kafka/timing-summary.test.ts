import { describe, expect, it } from 'vitest';
import type { AppTiming } from './protocol.js';
import { timingSummary } from './timing-summary.js';

const line = (ts: number, timing?: AppTiming) => ({ event: 'metrics' as const, processed: 0, ts, ...(timing === undefined ? {} : { timing }) });
const slice = (loopDelayMaxMs: number, gcPauseMs: number, gcPauseMaxMs: number, commit?: [number, number]): AppTiming => ({
  loopDelayMaxMs,
  gcPauseMs,
  gcPauseMaxMs,
  ...(commit === undefined ? {} : { commitLatencyAvgMs: commit[0], commitLatencyMaxMs: commit[1] }),
});

describe('timingSummary', () => {
  it('sums the GC pauses of the slices ending in the window over its span, and takes the longest delays and pauses', () => {
    const lines = [line(0, slice(500, 90, 80)), line(200, slice(4, 10, 6)), line(400, slice(30, 20, 15, [12, 40])), line(600, slice(8, 30, 9, [14, 41])), line(800, slice(900, 100, 100, [20, 90]))];
    // Slices ending at 200, 400 and 600 lie in (100, 600]: 60 ms of GC over the 600 ms since the line at 0.
    expect(timingSummary(lines, 100, 600)).toEqual({ loopDelayMaxMs: 30, loopDelaySliceMedianMs: 8, gcShare: 0.1, gcPauseMaxMs: 15, commitLatencyAvgMs: 14, commitLatencyMaxMs: 41 });
  });

  it('leaves out the commit latency before the first commit', () => {
    expect(timingSummary([line(0, slice(1, 0, 0)), line(200, slice(2, 0, 0))], 0, 200)).toEqual({ loopDelayMaxMs: 2, loopDelaySliceMedianMs: 2, gcShare: 0, gcPauseMaxMs: 0 });
  });

  it('has nothing to say without timing in the window (the Java reference)', () => {
    expect(timingSummary([line(0), line(200)], 0, 200)).toBeUndefined();
    expect(timingSummary([line(0, slice(1, 0, 0))], 0, 200)).toBeUndefined();
  });
});
