import { describe, expect, it } from 'vitest';
import { commitRates } from './commit-rates.js';

/** A metrics line at `ts` with these totals. */
const line = (ts: number, commits?: number, transactions?: number) => ({ event: 'metrics' as const, processed: 0, ts, ...(commits === undefined ? {} : { commits }), ...(transactions === undefined ? {} : { transactions }) });

describe('commitRates', () => {
  it('divides the increase between the lines around the window by the time between them', () => {
    const lines = [line(0, 0, 0), line(200, 1, 4), line(400, 2, 8), line(600, 3, 12), line(800, 5, 20), line(1_000, 6, 24)];
    // From the line at 400 (the last at or before 450) to the line at 800 (the first at or after 700).
    expect(commitRates(lines, 450, 700)).toEqual({ commitsPerSecond: 7.5, transactionsPerSecond: 30 });
  });

  it('leaves out a figure the app does not report (transactions on kafkajs)', () => {
    const lines = [line(0, 0), line(1_000, 10)];
    expect(commitRates(lines, 0, 1_000)).toEqual({ commitsPerSecond: 10 });
  });

  it('takes the first and the last lines when the window reaches past them', () => {
    const lines = [line(100, 2, 2), line(300, 6, 6)];
    expect(commitRates(lines, 0, 5_000)).toEqual({ commitsPerSecond: 20, transactionsPerSecond: 20 });
  });

  it('gives no figure from fewer than two lines, or from lines with no time between them', () => {
    expect(commitRates([line(100, 2, 2)], 0, 1_000)).toEqual({});
    expect(commitRates([line(100, 2, 2), line(100, 3, 3)], 0, 1_000)).toEqual({});
  });
});
