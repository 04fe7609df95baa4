/**
 * Kafka Streams' metrics, as Tributary reports them: the same groups, names, tags and recording
 * levels (see docs/operating.md for the list and for what differs). Every driver (`KafkaStreams`,
 * the embedded runner, the test driver) returns them as plain {@link Metric} values, read when
 * asked: nothing is pushed, and the hot path only increments fields.
 */

/**
 * How much is recorded, as Kafka's `metrics.recording.level`. `'INFO'` (the default) records the
 * thread, task, client, consumer-lag and end-to-end latency metrics, all cheap; `'DEBUG'` adds the
 * per-task process and record-lateness metrics and, at some cost per store operation, the state
 * store and record cache metrics; `'TRACE'` records the same as `'DEBUG'` here.
 */
export type RecordingLevel = 'INFO' | 'DEBUG' | 'TRACE';

/** The recording levels, lowest first. */
export const recordingLevels: readonly RecordingLevel[] = ['INFO', 'DEBUG', 'TRACE'];

/**
 * One metric's current value, named as Kafka Streams names it: `group` is the JMX `type`
 * (`stream-thread-metrics`), `name` the attribute (`process-rate`), `tags` the rest of the
 * MBean name (`thread-id`, `task-id`, ...).
 */
export interface Metric {
  /** Kafka's metric group, such as `stream-thread-metrics`, `stream-task-metrics`, `stream-metrics`. */
  readonly group: string;
  /** Kafka's metric name, such as `process-rate` or `dropped-records-total`. */
  readonly name: string;
  /** What identifies this instance of the metric: `thread-id`, `task-id`, `processor-node-id`, ... */
  readonly tags: Readonly<Record<string, string>>;
  /** One sentence on what it measures. */
  readonly description: string;
  /** The lowest recording level at which it is recorded. */
  readonly level: RecordingLevel;
  /** `'counter'` for cumulative totals (they only grow), `'gauge'` for everything else. */
  readonly type: 'counter' | 'gauge';
  /** The value now; `NaN` for an average, minimum or maximum over a window with no samples, as in Kafka. */
  readonly value: number;
}

/** Whether `level` records metrics of `metricLevel` (`'DEBUG'` records `'INFO'` metrics too). */
export function recordsAt(level: RecordingLevel, metricLevel: RecordingLevel): boolean {
  return recordingLevels.indexOf(level) >= recordingLevels.indexOf(metricLevel);
}

/**
 * The metrics of `metrics` with this group and name whose tags include every tag of `tags`.
 *
 * @example
 * ```ts
 * const [processed] = findMetrics(app.metrics().all, 'stream-thread-metrics', 'process-total');
 * ```
 */
export function findMetrics(metrics: readonly Metric[], group: string, name: string, tags: Readonly<Record<string, string>> = {}): Metric[] {
  const found: Metric[] = [];
  for (const metric of metrics) {
    if (metric.group !== group || metric.name !== name) continue;
    let matches = true;
    for (const [tag, value] of Object.entries(tags)) {
      if (metric.tags[tag] !== value) {
        matches = false;
        break;
      }
    }
    if (matches) found.push(metric);
  }
  return found;
}

/** The sum of the values of {@link findMetrics}' metrics (0 when there are none). */
export function sumMetrics(metrics: readonly Metric[], group: string, name: string, tags: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const metric of findMetrics(metrics, group, name, tags)) sum += metric.value;
  return sum;
}
