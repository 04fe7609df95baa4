import { describe, expect, it } from 'vitest';
import {
  BufferConfig,
  ConfigError,
  Consumed,
  Materialized,
  Produced,
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  WindowedSerdes,
  findMetrics,
  silentLogger,
  sumMetrics,
  type Metric,
} from '../index.js';
import { TopologyTestDriver } from '../test-utils/index.js';
import { SampledStat, CounterRate, SAMPLE_WINDOW_MS, perRecordSensorsOffConfig } from './internal/sampled-stat.js';
import type { RecordingLevel } from './metrics.js';
import { StreamsMetricsReader } from './internal/metrics-reader.js';
import { ThreadSensors } from './internal/thread-sensors.js';
import { StreamTask } from '../processor/internal/stream-task.js';
import { topologyBuilder } from '../processor/topology.js';
import { resolveStreamsConfig } from '../config.js';
import { Headers } from '../processor/headers.js';

const start = 1_000_000;

/** words → word counts: a source, a counting store with a cache, a sink. */
function countingDriver(level?: RecordingLevel): TopologyTestDriver {
  const builder = new StreamsBuilder();
  builder
    .stream('words', Consumed.with(Serdes.String(), Serdes.Json<{ word: string }>()))
    .groupBy((_key, wordRecord) => wordRecord.word, { keySerde: Serdes.String(), valueSerde: Serdes.Json<{ word: string }>() } as never)
    .count(Materialized.as<string, number>('counts'))
    .toStream()
    .to('counts-out', Produced.with(Serdes.String(), Serdes.Float64()));
  return new TopologyTestDriver(builder.build(), { logger: silentLogger, ...(level === undefined ? {} : { metricsRecordingLevel: level }) }, { initialWallClockTime: start });
}

function value(metrics: readonly Metric[], group: string, name: string, tags: Record<string, string> = {}): number {
  const found = findMetrics(metrics, group, name, tags);
  expect(found, `${group} ${name} ${JSON.stringify(tags)}`).toHaveLength(1);
  return found[0]!.value;
}

describe('metrics through the test driver', () => {
  it('counts records processed and dropped, per thread and per task, with the reason', () => {
    const driver = countingDriver();
    const input = driver.createInputTopic('words', Serdes.String(), Serdes.String());
    input.pipeInput('k', '{"word":"a"}', start - 100);
    input.pipeInput('k', 'not json', start - 100);
    input.pipeInput('k', '{"word":"b"}', start - 100);
    const metrics = driver.metrics();
    const thread = { 'thread-id': 'test-StreamThread-1' };
    // The source sub-topology and the counting one (through the repartition topic) each processed two.
    expect(value(metrics, 'stream-thread-metrics', 'process-total', thread)).toBe(4);
    expect(sumMetrics(metrics, 'stream-task-metrics', 'dropped-records-total')).toBe(1);
    expect(value(metrics, 'stream-task-metrics', 'dropped-records-reason-total', { 'task-id': '0_0', reason: 'deserialization-error' })).toBe(1);
    expect(value(metrics, 'stream-task-metrics', 'dropped-records-rate', { 'task-id': '0_0' })).toBeCloseTo(1 / 30);
    expect(value(metrics, 'stream-thread-metrics', 'commit-total', thread)).toBeGreaterThan(0);
    // Per-task process counts are DEBUG metrics.
    expect(findMetrics(metrics, 'stream-task-metrics', 'process-total')).toEqual([]);
    driver.close();
  });

  it('measures end-to-end latency at source and sink nodes against the wall clock', () => {
    const driver = countingDriver();
    const input = driver.createInputTopic('words', Serdes.String(), Serdes.String());
    input.pipeInput('k', '{"word":"a"}', start - 3_000);
    input.pipeInput('k', '{"word":"a"}', start - 1_000);
    const metrics = driver.metrics();
    const source = { 'task-id': '0_0', 'processor-node-id': 'KSTREAM-SOURCE-0000000000' };
    expect(value(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-avg', source)).toBe(2_000);
    expect(value(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-max', source)).toBe(3_000);
    expect(value(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-min', source)).toBe(1_000);
    const sinks = findMetrics(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-max', { 'task-id': '1_0' });
    // The count table's sink writes each update with its record's timestamp.
    expect(sinks.map((metric) => metric.value)).toContain(3_000);
    driver.close();
  });

  it('records lateness and per-task process counts at DEBUG only', () => {
    const debug = countingDriver('DEBUG');
    const input = debug.createInputTopic('words', Serdes.String(), Serdes.String());
    input.pipeInput('k', '{"word":"a"}', start - 1_000);
    input.pipeInput('k', '{"word":"a"}', start - 5_000);
    input.pipeInput('k', '{"word":"a"}', start - 2_000);
    const metrics = debug.metrics();
    expect(value(metrics, 'stream-task-metrics', 'record-lateness-max', { 'task-id': '0_0' })).toBe(4_000);
    expect(value(metrics, 'stream-task-metrics', 'record-lateness-avg', { 'task-id': '0_0' })).toBeCloseTo((0 + 4_000 + 1_000) / 3);
    expect(value(metrics, 'stream-task-metrics', 'process-total', { 'task-id': '0_0' })).toBe(3);
    debug.close();
    const info = countingDriver('INFO');
    info.createInputTopic('words', Serdes.String(), Serdes.String()).pipeInput('k', '{"word":"a"}', start - 5_000);
    expect(findMetrics(info.metrics(), 'stream-task-metrics', 'record-lateness-max')).toEqual([]);
    info.close();
  });

  it('times state store operations and the record cache hit ratio at DEBUG only', () => {
    const debug = countingDriver('DEBUG');
    const input = debug.createInputTopic('words', Serdes.String(), Serdes.String());
    for (const word of ['a', 'b', 'a', 'a']) input.pipeInput('k', JSON.stringify({ word }), start);
    const metrics = debug.metrics();
    const store = { 'task-id': '1_0', 'in-memory-state-id': 'counts' };
    expect(value(metrics, 'stream-state-metrics', 'put-total', store)).toBe(4);
    expect(value(metrics, 'stream-state-metrics', 'get-total', store)).toBe(4);
    expect(value(metrics, 'stream-state-metrics', 'flush-total', store)).toBeGreaterThan(0);
    expect(value(metrics, 'stream-state-metrics', 'put-latency-max', store)).toBeGreaterThanOrEqual(0);
    // Reads: a miss, a miss, then hits ('a' is cached until evicted; the driver flushes but keeps entries).
    const cache = { 'task-id': '1_0', 'record-cache-id': 'counts' };
    expect(value(metrics, 'stream-record-cache-metrics', 'hit-ratio-min', cache)).toBe(0);
    expect(value(metrics, 'stream-record-cache-metrics', 'hit-ratio-max', cache)).toBe(0.5);
    debug.close();
    const info = countingDriver();
    info.createInputTopic('words', Serdes.String(), Serdes.String()).pipeInput('k', '{"word":"a"}', start);
    expect(info.metrics().filter((metric) => metric.group === 'stream-state-metrics' || metric.group === 'stream-record-cache-metrics')).toEqual([]);
    info.close();
  });

  it('counts what a suppression node emits, at DEBUG', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('words', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10_000))
      .count()
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded(), 'final-counts'))
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10_000), Serdes.Float64()));
    const driver = new TopologyTestDriver(builder.build(), { logger: silentLogger, metricsRecordingLevel: 'DEBUG' }, { initialWallClockTime: start });
    const input = driver.createInputTopic('words', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'x', 1_000);
    input.pipeInput('b', 'x', 2_000);
    const emitted = () => value(driver.metrics(), 'stream-processor-node-metrics', 'suppression-emit-total', { 'processor-node-id': 'final-counts' });
    expect(emitted()).toBe(0);
    input.pipeInput('a', 'x', 25_000); // closes the first window: its two keys' final counts go out
    expect(emitted()).toBe(2);
    // The buffer held 1, 2, then 3 records (a new window's), then 1 once the first window's two went out.
    const buffer = { 'task-id': '0_0', 'in-memory-suppression-state-id': 'final-counts-store' };
    const metrics = driver.metrics();
    expect(value(metrics, 'stream-state-metrics', 'suppression-buffer-count-max', buffer)).toBe(3);
    expect(value(metrics, 'stream-state-metrics', 'suppression-buffer-count-avg', buffer)).toBe((1 + 2 + 3 + 1) / 4);
    const sizeMax = value(metrics, 'stream-state-metrics', 'suppression-buffer-size-max', buffer);
    const sizeAvg = value(metrics, 'stream-state-metrics', 'suppression-buffer-size-avg', buffer);
    // Every entry here has the same size (same key length, one count, same record context), so the bytes follow the count.
    expect(sizeMax / 3).toBeGreaterThan(0);
    expect(sizeAvg).toBeCloseTo((sizeMax / 3) * 1.75);
    driver.close();
  });

  it('samples a suppression buffer at DEBUG only', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('words', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10_000))
      .count()
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded(), 'final-counts'))
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10_000), Serdes.Float64()));
    const driver = new TopologyTestDriver(builder.build(), { logger: silentLogger }, { initialWallClockTime: start });
    driver.createInputTopic('words', Serdes.String(), Serdes.String()).pipeInput('a', 'x', 1_000);
    expect(driver.metrics().filter((metric) => metric.name.startsWith('suppression-buffer'))).toEqual([]);
    driver.close();
  });

  it('counts the records each source node processed, at DEBUG only (Kafka records process-rate per node at sources)', () => {
    const debug = countingDriver('DEBUG');
    const input = debug.createInputTopic('words', Serdes.String(), Serdes.String());
    input.pipeInput('k', '{"word":"a"}', start);
    input.pipeInput('k', 'not json', start);
    input.pipeInput('k', '{"word":"b"}', start);
    input.pipeInput('k', '{"word":"a"}', start);
    const metrics = debug.metrics();
    const nodes = findMetrics(metrics, 'stream-processor-node-metrics', 'process-total');
    // The input's source (the undeserializable record never reached it) and the repartition topic's source.
    expect(nodes.map((metric) => [metric.tags['task-id'], metric.tags['processor-node-id'], metric.value]).sort()).toEqual([
      ['0_0', 'KSTREAM-SOURCE-0000000000', 3],
      ['1_0', 'counts-repartition-source', 3],
    ]);
    expect(value(metrics, 'stream-processor-node-metrics', 'process-rate', { 'processor-node-id': 'KSTREAM-SOURCE-0000000000' })).toBeCloseTo(3 / 30);
    debug.close();
    const info = countingDriver();
    info.createInputTopic('words', Serdes.String(), Serdes.String()).pipeInput('k', '{"word":"a"}', start);
    expect(findMetrics(info.metrics(), 'stream-processor-node-metrics', 'process-total')).toEqual([]);
    info.close();
  });

  it('measures end-to-end latency at terminal processor nodes, as Kafka does at every node without children', () => {
    const builder = new StreamsBuilder();
    const seen: string[] = [];
    builder.stream('words', Consumed.with(Serdes.String(), Serdes.String())).foreach((_key, word) => {
      seen.push(word);
    });
    const driver = new TopologyTestDriver(builder.build(), { logger: silentLogger }, { initialWallClockTime: start });
    const input = driver.createInputTopic('words', Serdes.String(), Serdes.String());
    input.pipeInput('k', 'a', start - 4_000);
    input.pipeInput('k', 'b', start - 2_000);
    const terminal = { 'task-id': '0_0', 'processor-node-id': 'KSTREAM-FOREACH-0000000001' };
    const metrics = driver.metrics();
    expect(seen).toEqual(['a', 'b']);
    expect(value(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-max', terminal)).toBe(4_000);
    expect(value(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-min', terminal)).toBe(2_000);
    expect(value(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-avg', terminal)).toBe(3_000);
    driver.close();
  });

  it('records no per-record sensor when the internal benchmark switch turns them off', () => {
    const builder = new StreamsBuilder();
    const stream = builder.stream('words', Consumed.with(Serdes.String(), Serdes.String()));
    stream.foreach(() => {});
    stream.to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = new TopologyTestDriver(builder.build(), { logger: silentLogger, metricsRecordingLevel: 'DEBUG', appConfigs: { [perRecordSensorsOffConfig]: true } }, { initialWallClockTime: start });
    driver.createInputTopic('words', Serdes.String(), Serdes.String()).pipeInput('k', 'a', start - 1_000);
    const metrics = driver.metrics();
    const latencies = findMetrics(metrics, 'stream-processor-node-metrics', 'record-e2e-latency-max');
    // The source's stat exists but recorded nothing; the sink and the terminal foreach have none.
    expect(latencies.map((metric) => [metric.tags['processor-node-id'], metric.value])).toEqual([['KSTREAM-SOURCE-0000000000', Number.NaN]]);
    expect(value(metrics, 'stream-processor-node-metrics', 'process-total', { 'processor-node-id': 'KSTREAM-SOURCE-0000000000' })).toBe(0);
    // What the application counts stays: the record was processed.
    expect(value(metrics, 'stream-task-metrics', 'process-total', { 'task-id': '0_0' })).toBe(1);
    driver.close();
  });

  it("reports enforced processing per task at DEBUG only, with Kafka's group, name and tags", () => {
    const builder = new StreamsBuilder();
    builder
      .stream('left', Consumed.with(Serdes.String(), Serdes.String()))
      .merge(builder.stream('right', Consumed.with(Serdes.String(), Serdes.String())))
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const internal = topologyBuilder(builder.build())!;
    const taskOf = (level: RecordingLevel): StreamTask =>
      new StreamTask({
        taskId: { subtopology: 0, partition: 0 },
        builder: internal,
        subtopology: internal.subtopologies()[0]!,
        config: resolveStreamsConfig({ applicationId: 'app', logger: silentLogger, metricsRecordingLevel: level }),
        collector: { send: () => {}, partitionCount: () => 1 },
        clock: () => start,
        fetchesInput: true,
      });
    const read = (level: RecordingLevel): Metric[] => {
      const task = taskOf(level);
      // right is known to be at its end; with maxTaskIdleMs 0 the two records of left go at once.
      task.setFetchedLag('right', 0);
      const record = (offset: number) => ({ topic: 'left', partition: 0, offset, timestamp: start - 10, key: Buffer.from('k'), value: Buffer.from('v'), headers: new Headers() });
      task.addRecords('left', [record(0), record(1)]);
      expect(task.process()).toBe(2);
      return new StreamsMetricsReader(level).read(undefined, [{ threadId: 'app-StreamThread-1', sensors: new ThreadSensors(start), tasks: [task], polls: true, timesTasks: true }], start + 1_000);
    };
    const debug = read('DEBUG');
    const tags = { 'thread-id': 'app-StreamThread-1', 'task-id': '0_0' };
    expect(findMetrics(debug, 'stream-task-metrics', 'enforced-processing-total', tags)).toEqual([expect.objectContaining({ level: 'DEBUG', type: 'counter', value: 2 })]);
    expect(value(debug, 'stream-task-metrics', 'enforced-processing-rate', tags)).toBeCloseTo(2 / 30);
    expect(findMetrics(read('INFO'), 'stream-task-metrics', 'enforced-processing-total')).toEqual([]);
  });

  it('rejects an unknown recording level, naming the option', () => {
    expect(() => countingDriver('VERBOSE' as RecordingLevel)).toThrow(ConfigError);
    expect(() => countingDriver('VERBOSE' as RecordingLevel)).toThrow(/metricsRecordingLevel/);
  });
});

describe('SampledStat and CounterRate', () => {
  it('keep two samples of a window: older values leave the average and rate', () => {
    const stat = new SampledStat();
    stat.roll(0);
    stat.record(10);
    stat.record(30);
    expect(stat.average(1_000)).toBe(20);
    expect(stat.rate(1_000)).toBeCloseTo(2 / 30);
    stat.record(50);
    expect(stat.maximum(SAMPLE_WINDOW_MS)).toBe(50); // rolled: the first sample is now the previous one
    stat.record(2);
    expect(stat.minimum(SAMPLE_WINDOW_MS + 1)).toBe(2);
    expect(stat.average(2 * SAMPLE_WINDOW_MS)).toBe(2); // rolled again: 10, 30, 50 are gone
    expect(stat.total).toBe(4);
    expect(new SampledStat().average(0)).toBeNaN();
  });

  it('CounterRate reads a plain counter over the window', () => {
    const rate = new CounterRate();
    expect(rate.rate(0, 0)).toBe(0);
    expect(rate.rate(300, 10_000)).toBeCloseTo(10); // 300 in the first 30 s window
    expect(rate.rate(600, SAMPLE_WINDOW_MS)).toBeCloseTo(20);
    expect(rate.rate(900, 2 * SAMPLE_WINDOW_MS)).toBeCloseTo(10); // the window is now [30 s, 60 s]: 300 records
    expect(rate.rate(900, 3 * SAMPLE_WINDOW_MS)).toBe(0); // nothing since 60 s
  });
});
