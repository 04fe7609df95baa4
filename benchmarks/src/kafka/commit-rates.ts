/**
 * Commits and transactions per second over a window, from an app's metrics lines (every 200 ms,
 * each with its running totals: `commits`, the stream threads' `commit-total`; `transactions`,
 * the transactions its client committed). The rate between the line at or just before the
 * window's start and the line at or just after its end, over the time between those two lines.
 */
import type { ChildLine } from './protocol.js';

type MetricsLine = Extract<ChildLine, { event: 'metrics' }>;

/** Commits and transactions per second; a figure the app does not report is absent. */
export interface CommitRates {
  readonly commitsPerSecond?: number;
  readonly transactionsPerSecond?: number;
  /** The mean of the app's `commit-latency-avg` over the window's metrics lines, ms. */
  readonly commitLatencyAvgMs?: number;
}

function rateOf(lines: readonly MetricsLine[], field: 'commits' | 'transactions', fromMs: number, toMs: number): number | undefined {
  const counted = lines.filter((line) => line[field] !== undefined);
  if (counted.length < 2) return undefined;
  let first = counted[0]!;
  for (const line of counted) if (line.ts <= fromMs) first = line;
  const last = counted.find((line) => line.ts >= toMs) ?? counted[counted.length - 1]!;
  if (last.ts <= first.ts) return undefined;
  return ((last[field]! - first[field]!) * 1000) / (last.ts - first.ts);
}

/** The rates over `[fromMs, toMs]` (epoch ms, the app's clock). */
export function commitRates(lines: readonly MetricsLine[], fromMs: number, toMs: number): CommitRates {
  const commitsPerSecond = rateOf(lines, 'commits', fromMs, toMs);
  const transactionsPerSecond = rateOf(lines, 'transactions', fromMs, toMs);
  const latencies = lines.filter((line) => line.ts >= fromMs && line.ts <= toMs && line.commitLatencyAvgMs !== undefined).map((line) => line.commitLatencyAvgMs!);
  const commitLatencyAvgMs = latencies.length === 0 ? undefined : latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
  return {
    ...(commitsPerSecond === undefined ? {} : { commitsPerSecond }),
    ...(transactionsPerSecond === undefined ? {} : { transactionsPerSecond }),
    ...(commitLatencyAvgMs === undefined ? {} : { commitLatencyAvgMs }),
  };
}
