/**
 * The Tributary app's timing over a latency scenario's measured window, from its metrics lines
 * (each with the slice since the previous line, see `AppTiming`): the event loop's longest delay,
 * the share of the window spent in garbage-collection pauses and the longest pause, and the
 * stream threads' commit latency as of the window's end.
 */
import type { AppTiming, ChildLine } from './protocol.js';

type MetricsLine = Extract<ChildLine, { event: 'metrics' }>;

export interface TimingSummary {
  /** The longest event-loop delay of any slice in the window, ms. */
  readonly loopDelayMaxMs: number;
  /** The median of the slices' longest event-loop delays, ms: how long the loop is typically held. */
  readonly loopDelaySliceMedianMs: number;
  /** GC pauses over the window's time, 0 to 1. */
  readonly gcShare: number;
  /** The longest GC pause in the window, ms. */
  readonly gcPauseMaxMs: number;
  /** Kafka's `commit-latency-avg` at the window's end, ms (its own 30 to 60 s window). */
  readonly commitLatencyAvgMs?: number;
  /** Kafka's `commit-latency-max` at the window's end, ms. */
  readonly commitLatencyMaxMs?: number;
}

/** The summary of the slices that end in `(fromMs, toMs]` (the app's clock); `undefined` when no line there has timing (Kafka Streams). */
export function timingSummary(lines: readonly MetricsLine[], fromMs: number, toMs: number): TimingSummary | undefined {
  const slices: (AppTiming & { ts: number })[] = [];
  for (const line of lines) if (line.timing !== undefined && line.ts > fromMs && line.ts <= toMs) slices.push({ ...line.timing, ts: line.ts });
  if (slices.length === 0) return undefined;
  const delays = slices.map((slice) => slice.loopDelayMaxMs).sort((a, b) => a - b);
  let gcPauseMs = 0;
  let gcPauseMaxMs = 0;
  for (const slice of slices) {
    gcPauseMs += slice.gcPauseMs;
    gcPauseMaxMs = Math.max(gcPauseMaxMs, slice.gcPauseMaxMs);
  }
  // The first slice began one line before it; without that line, the slices' span from the window's start.
  const before = lines.filter((line) => line.ts <= fromMs).at(-1);
  const span = slices.at(-1)!.ts - (before?.ts ?? fromMs);
  const last = slices.at(-1)!;
  return {
    loopDelayMaxMs: delays.at(-1)!,
    loopDelaySliceMedianMs: delays[Math.floor(delays.length / 2)]!,
    gcShare: span > 0 ? gcPauseMs / span : 0,
    gcPauseMaxMs,
    ...(last.commitLatencyAvgMs === undefined ? {} : { commitLatencyAvgMs: last.commitLatencyAvgMs }),
    ...(last.commitLatencyMaxMs === undefined ? {} : { commitLatencyMaxMs: last.commitLatencyMaxMs }),
  };
}
