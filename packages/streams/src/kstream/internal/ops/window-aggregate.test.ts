/**
 * Time-window aggregations (Kafka's `KStreamWindowAggregate`), tumbling and hopping: windows, late
 * drops, null values, bigint counts, store retention and the stream time that closes windows; a
 * property test compares final sums and late drops with a brute-force oracle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumed, Materialized, Produced, Serdes, SessionWindows, silentLogger, StreamsBuilder, TimeWindows, WindowedSerdes } from '../../../index.js';
import type { KeyValueStore, KStream, SessionStore, ValueAndTimestamp, WindowStore } from '../../../index.js';
import { builderOptions, numbers, numberTopology, openDriver, openQuietDriver, propertyRuns } from '#test-kit';
import { pipeNumbers, recordsArbitrary, sortedEntries, timeWindowOracle, windowContents } from './stateful-test-kit.js';

describe('time-window aggregations', () => {
  it('counts in tumbling windows and drops records whose window closed (Kafka docs walkthrough)', async () => {
    const driver = await openQuietDriver(numberTopology((stream) => stream.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(5000, 1000)).count(Materialized.as('counts'))));
    // Windows [0,5000) and [5000,10000); grace 1 s.
    pipeNumbers(driver, [['a', 1, 1000], ['a', 1, 4000], ['a', 1, 6000], ['a', 1, 4500], ['a', 1, 6500], ['a', 1, 3000]]);
    // 4500 arrives at stream time 6000 (window [0,5000) still open until 6000 - 1000 = 5000 >= 5000? no: 5000 + 1000 <= 6000 closes it).
    expect(sortedEntries(windowContents(driver, 'counts'))).toEqual([['a@0', 2], ['a@5000', 2]]);
    expect(driver.droppedRecords().get('late-record')).toBe(2);
  });

  it('passes null values to time- and session-window aggregators, as Kafka does (only null keys are dropped there)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = (builder.stream('in', numbers) as KStream<string, number>).groupByKey();
    const seen = Materialized.with(Serdes.String(), Serdes.Json<(number | null)[]>());
    grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(100)).aggregate((): (number | null)[] => [], (_key, value, list) => [...list, value], { ...seen, storeName: 'lists' });
    grouped
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(100))
      .aggregate((): (number | null)[] => [], (_key, value, list) => [...list, value], (_key, left, right) => [...left, ...right], { ...seen, storeName: 'session-lists' });
    // Kafka's windowed reduce is an aggregate whose initializer gives null and whose aggregator
    // takes the first value as is: a null first value leaves no window (and, uncached, a tombstone),
    // and a null later value reaches the reducer.
    grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(100))
      .reduce((sum, value) => sum + (value ?? 100), { storeName: 'sums', cachingEnabled: false })
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 100), Serdes.Int32()));
    const driver = await openQuietDriver(builder.build());
    pipeNumbers(driver, [['a', 1, 0], ['a', null, 1], ['a', 3, 2], ['b', null, 3], ['b', 5, 4], [null, 6, 5]]);
    const lists = driver.getStateStore<WindowStore<string, ValueAndTimestamp<(number | null)[]>>>('lists');
    expect(lists.fetch('a', 0)?.value).toEqual([1, null, 3]);
    expect(lists.fetch('b', 0)?.value).toEqual([null, 5]);
    const sessions = driver.getStateStore<SessionStore<string, (number | null)[]>>('session-lists');
    expect([...sessions.fetch('a')].map(({ key, value }) => [key.window.start, key.window.end, value])).toEqual([[0, 2, [1, null, 3]]]);
    expect(sortedEntries(windowContents(driver, 'sums'))).toEqual([['a@0', 104], ['b@0', 5]]);
    const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 100), Serdes.Int32()).readKeyValuesToList();
    expect(out.map(({ key, value }) => `${key!.key}@${key!.window.start}=${value}`)).toEqual(['a@0=1', 'a@0=101', 'a@0=104', 'b@0=null', 'b@0=5']);
    // One null key per aggregation; no null values dropped.
    expect(Object.fromEntries(driver.droppedRecords())).toEqual({ 'null-key': 3 });
  });

  it('counts in bigint with Serdes.Int64() as the Materialized value serde, as Kafka counts with Serdes.Long() (windowed or not)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = (builder.stream('in', numbers) as KStream<string, number>).groupByKey();
    const longs = Materialized.with(Serdes.String(), Serdes.Int64());
    grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(100))
      .count({ ...longs, storeName: 'counts', retentionMs: 1000 })
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 100), Serdes.Int64()));
    grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(200)).count({ ...longs, storeName: 'session-counts' });
    grouped.count({ ...longs, storeName: 'totals' });
    const driver = await openQuietDriver(builder.build());
    pipeNumbers(driver, [['a', 1, 0], ['a', null, 1], ['a', 2, 150]]);
    const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 100), Serdes.Int64()).readKeyValuesToList();
    expect(out.map(({ key, value }) => [key!.window.start, value])).toEqual([[0, 1n], [0, 2n], [100, 1n]]);
    const store = driver.getStateStore<WindowStore<string, ValueAndTimestamp<bigint>>>('counts');
    expect(store.fetch('a', 0)).toEqual({ value: 2n, timestamp: 1 });
    const sessions = driver.getStateStore<SessionStore<string, bigint>>('session-counts');
    expect([...sessions.fetch('a')].map(({ key, value }) => [key.window.start, key.window.end, value])).toEqual([[0, 150, 3n]]);
    // The non-windowed count drops the null value, as Kafka's KStreamAggregate does.
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<bigint>>>('totals').get('a')).toEqual({ value: 2n, timestamp: 150 });
  });

  it('rejects a retention shorter than window size plus grace', async () => {
    expect(() =>
      numberTopology((stream) => stream.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(100, 50)).count({ storeName: 'short', retentionMs: 120 })),
    ).toThrow(/retention of store 'short' \(120 ms\) must be at least/);
  });
});

describe.each([true, false])('time-window aggregations match a brute-force oracle (caching: %s)', (caching) => {
  it('tumbling and hopping windows: final sums and late drops', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.constantFrom([50, 50], [50, 20], [30, 10], [40, 40]), fc.integer({ min: 0, max: 60 }), async (inputs, [size, advance], grace) => {
        const windows = advance === size ? TimeWindows.ofSizeAndGrace(size!, grace) : TimeWindows.ofSizeAndGrace(size!, grace).advanceBy(advance!);
        const windowedKeys = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), size!);
        const driver = await openDriver(
          numberTopology((stream) =>
            stream
              .groupByKey()
              .windowedBy(windows)
              .reduce((sum, value) => sum + value, { storeName: 'sums', retentionMs: 1_000_000, cachingEnabled: caching })
              .toStream()
              .to('out', Produced.with(windowedKeys, Serdes.Int32())),
          ),
          { logger: silentLogger },
        );
        try {
          pipeNumbers(driver, inputs);
          const oracle = timeWindowOracle(inputs, size!, advance!, grace);
          expect(sortedEntries(windowContents(driver, 'sums'))).toEqual(sortedEntries(oracle.windows));
          // The latest update of each window downstream is its final value.
          const latest = new Map<string, number>();
          for (const { key, value } of driver.createOutputTopic('out', windowedKeys, Serdes.Int32()).readKeyValuesToList()) latest.set(`${key!.key}@${key!.window.start}`, value!);
          expect(sortedEntries(latest)).toEqual(sortedEntries(oracle.windows));
          expect(driver.droppedRecords().get('late-record') ?? 0).toBe(oracle.late);
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });
});

describe('window close time', () => {
  it('follows the records the windowed aggregation sees, not newer records of other sources in its task', async () => {
    // A stream-table join puts the table's source in the aggregation's task: a catalog change
    // stamped "now" must not close the windows of older events (Kafka's observed stream time).
    const builder = new StreamsBuilder(builderOptions());
    const table = builder.table('table', Consumed.with(Serdes.String(), Serdes.String()));
    const windows = TimeWindows.ofSizeAndGrace(100, 10);
    (builder.stream('in', numbers) as KStream<string, number>)
      .join(table, (value, label) => `${label}:${value}`)
      .groupByKey()
      .windowedBy(windows)
      .count(Materialized.as('windowed-counts'));
    const driver = await openQuietDriver(builder.build());
    driver.createInputTopic('table', Serdes.String(), Serdes.String()).pipeInput('a', 'A', 1_000_000);
    pipeNumbers(driver, [
      ['a', 1, 5],
      ['a', 2, 150],
      ['a', 3, 30], // late only by the aggregation's own time: 150 - 10 > 100, the end of [0, 100)
    ]);
    expect(sortedEntries(windowContents(driver, 'windowed-counts'))).toEqual([
      ['a@0', 1],
      ['a@100', 1],
    ]);
    expect(driver.droppedRecords().get('late-record') ?? 0).toBe(1);
  });
});
