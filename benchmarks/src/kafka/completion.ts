/**
 * When a throughput run of an app is done: every sub-topology has processed all its input, which
 * the runner reads from the group's committed offsets on every topic the app consumes (the
 * loaded inputs and its repartition topics). A partition of a loaded input is done when its
 * committed offset is its end offset; a repartition partition written in transactions may also
 * stop short of its end by transaction markers alone, which only reading it tells
 * (`recordsAfterCommitted` in `cluster.ts`). The window then closes at the first metrics line
 * that showed the app's final processed count.
 */
import type { PartitionProgress } from './cluster.js';
import type { ChildLine } from './protocol.js';

type MetricsLine = Extract<ChildLine, { event: 'metrics' }>;

/** Where a run stands: records left, done, or done unless records lie after the committed offsets of `unsure`. */
export type Completion = { readonly state: 'processing' } | { readonly state: 'done' } | { readonly state: 'unsure'; readonly unsure: readonly PartitionProgress[] };

/**
 * `progress` covers every topic the app consumes; `loadedInputs` are those written without
 * transactions (the events and the catalog), where an offset short of the end is a record left.
 */
export function completion(progress: readonly PartitionProgress[], loadedInputs: ReadonlySet<string>): Completion {
  const behind = progress.filter((entry) => entry.committed < entry.end);
  if (behind.length === 0) return { state: 'done' };
  if (behind.some((entry) => loadedInputs.has(entry.topic))) return { state: 'processing' };
  return { state: 'unsure', unsure: behind };
}

/** Whether the app's processed count has stood still over the last `ms` of its metrics lines. */
export function countStill(metrics: readonly MetricsLine[], ms: number): boolean {
  const last = metrics[metrics.length - 1];
  if (last === undefined) return false;
  const reached = metrics.find((line) => line.processed >= last.processed);
  return reached !== undefined && last.ts - reached.ts >= ms;
}

/**
 * The end of the window of a run found done at `doneAt` (epoch ms): the time of the first metrics
 * line that showed the count of the first line printed at or after `doneAt` (which, everything
 * being committed then, is the final count). Undefined until such a line has come.
 */
export function windowEnd(metrics: readonly MetricsLine[], doneAt: number): { readonly endAt: number; readonly processed: number } | undefined {
  const final = metrics.find((line) => line.ts >= doneAt);
  if (final === undefined) return undefined;
  const reached = metrics.find((line) => line.processed >= final.processed) ?? final;
  return { endAt: reached.ts, processed: final.processed };
}
