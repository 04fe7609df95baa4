import { describe, expect, it } from 'vitest';
import { completion, countStill, windowEnd } from './completion.js';

const inputs = new Set(['events', 'catalog']);
const at = (topic: string, partition: number, committed: number, end: number) => ({ topic, partition, committed, end });
const line = (ts: number, processed: number) => ({ event: 'metrics' as const, ts, processed });

describe('completion', () => {
  it('is done only when every partition of every topic the app consumes is committed to its end', () => {
    expect(completion([at('events', 0, 10, 10), at('catalog', 0, 3, 3), at('app-by-product-repartition', 0, 7, 7)], inputs)).toEqual({ state: 'done' });
  });

  it('is still processing while the inputs are committed but a downstream sub-topology is behind on records it reads', () => {
    // The run that stopped its clock at the input's commit: the repartition topic behind by records, not markers.
    const behind = at('app-by-product-repartition', 1, 40, 90);
    expect(completion([at('events', 0, 10, 10), at('catalog', 0, 3, 3), behind], inputs)).toEqual({ state: 'unsure', unsure: [behind] });
  });

  it('is processing while a loaded input is behind, whatever the repartition topics say', () => {
    expect(completion([at('events', 0, 9, 10), at('app-by-product-repartition', 0, 5, 6)], inputs)).toEqual({ state: 'processing' });
  });
});

describe('countStill', () => {
  it('holds once the count has stood still for the time asked', () => {
    const lines = [line(0, 5), line(200, 9), line(400, 9), line(1_700, 9)];
    expect(countStill(lines, 1_500)).toBe(true);
    expect(countStill(lines.slice(0, 3), 1_500)).toBe(false);
    expect(countStill([], 1_500)).toBe(false);
  });
});

describe('windowEnd', () => {
  it('closes at the first line that showed the count printed after the run was found done', () => {
    const lines = [line(0, 10), line(200, 50), line(400, 80), line(600, 80), line(800, 80)];
    expect(windowEnd(lines, 700)).toEqual({ endAt: 400, processed: 80 });
  });

  it('waits for a line printed after the run was found done: an earlier one may miss the last records', () => {
    expect(windowEnd([line(0, 10), line(200, 50)], 300)).toBeUndefined();
  });
});
