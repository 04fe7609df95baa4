/**
 * Aggregations, windowed aggregations and suppression, tested as users test them: build a
 * topology, pipe records through the test driver, and check the tables. Property tests compare
 * the final per-window aggregates with brute-force oracles that replay the input in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumed, Produced, Serdes, StreamsBuilder, logAndFail, silentLogger } from '../../../index.js';
import type { KStream, KeyValue, Topology } from '../../../index.js';
import type { TopologyTestDriver } from '../../../test-utils/index.js';
import type { KTable } from '../../ktable.js';
import { Materialized } from '../../materialized.js';
import { BufferConfig, Suppressed } from '../../suppressed.js';
import { WindowedSerdes } from '../../windowed-serdes.js';
import type { Windowed } from '../../windowed.js';
import { SessionWindows, SlidingWindows, TimeWindows } from '../../windows.js';
import type { SessionStore } from '../../../state/session-store.js';
import type { WindowStore } from '../../../state/window-store.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { KeyValueStore } from '../../../state/key-value-store.js';
import { builderOptions, numbers, openDriver, openQuietDriver, propertyRuns } from '#test-kit';

type Stream = KStream<string, number>;
type Input = readonly [key: string | null, value: number | null, timestamp: number];

function topology(build: (stream: Stream) => void): Topology {
  const builder = new StreamsBuilder(builderOptions());
  build(builder.stream('in', numbers) as Stream);
  return builder.build();
}

function pipe(driver: TopologyTestDriver, inputs: readonly Input[]): void {
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
  for (const [key, value, timestamp] of inputs) input.pipeInput(key, value, timestamp);
}

/** `key@start` → value for every window in a window store. */
function windowContents(driver: TopologyTestDriver, storeName: string): Map<string, number> {
  const store = driver.getStateStore<WindowStore<string, ValueAndTimestamp<number>>>(storeName);
  const result = new Map<string, number>();
  for (const { key, value } of store.all()) result.set(`${key.key}@${key.window.start}`, value.value);
  return result;
}

const sorted = (map: Map<string, number>) => [...map.entries()].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));

describe('KGroupedStream aggregations', () => {
  it('counts per key, dropping and counting null keys and null values', async () => {
    const driver = await openQuietDriver(
      topology((stream) => stream.groupByKey().count(Materialized.as('counts')).toStream().to('out', Produced.with(Serdes.String(), Serdes.Float64()))),
    );
    pipe(driver, [['a', 1, 0], [null, 2, 1], ['b', 3, 2], ['a', null, 3], ['a', 4, 4]]);
    const out = driver.createOutputTopic('out', Serdes.String(), Serdes.Float64()).readKeyValuesToList();
    expect(out).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 1 }, { key: 'a', value: 2 }]);
    expect(driver.droppedRecords().get('null-key')).toBe(1);
    expect(driver.droppedRecords().get('null-value')).toBe(1);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('counts').get('a')).toEqual({ value: 2, timestamp: 4 });
  });

  it('reduces and aggregates, repartitioning after groupBy through <Grouped name>-repartition', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const stream = builder.stream('in', numbers) as Stream;
    stream
      .groupBy((_key, value) => (value % 2 === 0 ? 'even' : 'odd'), { name: 'parity', keySerde: Serdes.String(), valueSerde: Serdes.Int32() })
      .reduce((sum, value) => sum + value, Materialized.as('sums'));
    const driver = await openQuietDriver(builder.build());
    pipe(driver, [['x', 1, 0], ['y', 2, 1], ['z', 3, 2]]);
    expect(driver.producedTopicNames()).toContain('test-parity-repartition');
    const sums = driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('sums');
    expect(sums.get('odd')?.value).toBe(4);
    expect(sums.get('even')?.value).toBe(2);
  });

  it('cogroups two streams into one aggregate per key', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const clicks = (builder.stream('in', numbers) as Stream).groupByKey();
    const views = (builder.stream('views', numbers) as Stream).groupByKey();
    clicks
      .cogroup<number>((_key, value, total) => total + value)
      .cogroup(views, (_key, value, total) => total + 100 * value)
      .aggregate(() => 0, { ...Materialized.as('totals'), ...Materialized.with(Serdes.String(), Serdes.Int32()) });
    const driver = await openQuietDriver(builder.build());
    pipe(driver, [['a', 1, 0]]);
    driver.createInputTopic('views', Serdes.String(), Serdes.Int32()).pipeInput('a', 2, 1);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('totals').get('a')?.value).toBe(201);
  });

  it('names the operator and Materialized.with when an aggregate has no value serde and the config no default', async () => {
    const build = () => topology((stream) => stream.groupByKey().aggregate(() => 0, (_key, value, sum) => sum + value, Materialized.as('sums')));
    await expect(openDriver(build())).rejects.toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID', message: expect.stringMatching(/aggregate\(\) has no value serde for its store 'sums'.*Materialized\.with/) }));
    // A config default is enough.
    const driver = await openDriver(build(), { logger: silentLogger, defaultValueSerde: Serdes.Int32() });
    pipe(driver, [['a', 1, 0], ['a', 2, 1]]);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('sums').get('a')?.value).toBe(3);
  });

  it('reduce keeps the grouped value serde; count uses its own', async () => {
    const driver = await openQuietDriver(
      topology((stream) => {
        stream.groupByKey().reduce((sum, value) => sum + value, Materialized.as('reduced'));
        stream.groupByKey().count(Materialized.as('counted'));
      }),
    );
    pipe(driver, [['a', 1, 0], ['a', 2, 1]]);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('reduced').get('a')?.value).toBe(3);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('counted').get('a')?.value).toBe(2);
  });
});

describe('windowed aggregations', () => {
  it('counts in tumbling windows and drops records whose window closed (Kafka docs walkthrough)', async () => {
    const driver = await openQuietDriver(topology((stream) => stream.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(5000, 1000)).count(Materialized.as('counts'))));
    // Windows [0,5000) and [5000,10000); grace 1 s.
    pipe(driver, [['a', 1, 1000], ['a', 1, 4000], ['a', 1, 6000], ['a', 1, 4500], ['a', 1, 6500], ['a', 1, 3000]]);
    // 4500 arrives at stream time 6000 (window [0,5000) still open until 6000 - 1000 = 5000 >= 5000? no: 5000 + 1000 <= 6000 closes it).
    expect(sorted(windowContents(driver, 'counts'))).toEqual([['a@0', 2], ['a@5000', 2]]);
    expect(driver.droppedRecords().get('late-record')).toBe(2);
  });

  it('merges sessions when a record falls within the gap of two (gap 5 minutes: 0, 3, 10, then 7)', async () => {
    const minute = 60_000;
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', numbers) as Stream)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(5 * minute, 60 * minute))
      .count(Materialized.as('sessions'))
      .toStream()
      .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    pipe(driver, [['u', 1, 0], ['u', 1, 3 * minute], ['u', 1, 10 * minute]]);
    const store = driver.getStateStore<SessionStore<string, number>>('sessions');
    const sessions = () => [...store.fetch('u')].map(({ key, value }) => [key.window.start / minute, key.window.end / minute, value]);
    expect(sessions()).toEqual([[0, 3, 2], [10, 10, 1]]);
    pipe(driver, [['u', 1, 7 * minute]]);
    expect(sessions()).toEqual([[0, 10, 4]]);
    const out = driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()).readKeyValuesToList();
    const shown = out.map(({ key, value }) => `${key!.window.start / minute}-${key!.window.end / minute}:${value}`);
    // The merge deletes both old sessions (tombstones) and writes the merged one.
    expect(shown).toEqual(['0-0:1', '0-0:null', '0-3:2', '10-10:1', '0-3:null', '10-10:null', '0-10:4']);
  });

  it('passes null values to time- and session-window aggregators, as Kafka does (only null keys are dropped there)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = (builder.stream('in', numbers) as Stream).groupByKey();
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
    pipe(driver, [['a', 1, 0], ['a', null, 1], ['a', 3, 2], ['b', null, 3], ['b', 5, 4], [null, 6, 5]]);
    const lists = driver.getStateStore<WindowStore<string, ValueAndTimestamp<(number | null)[]>>>('lists');
    expect(lists.fetch('a', 0)?.value).toEqual([1, null, 3]);
    expect(lists.fetch('b', 0)?.value).toEqual([null, 5]);
    const sessions = driver.getStateStore<SessionStore<string, (number | null)[]>>('session-lists');
    expect([...sessions.fetch('a')].map(({ key, value }) => [key.window.start, key.window.end, value])).toEqual([[0, 2, [1, null, 3]]]);
    expect(sorted(windowContents(driver, 'sums'))).toEqual([['a@0', 104], ['b@0', 5]]);
    const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 100), Serdes.Int32()).readKeyValuesToList();
    expect(out.map(({ key, value }) => `${key!.key}@${key!.window.start}=${value}`)).toEqual(['a@0=1', 'a@0=101', 'a@0=104', 'b@0=null', 'b@0=5']);
    // One null key per aggregation; no null values dropped.
    expect(Object.fromEntries(driver.droppedRecords())).toEqual({ 'null-key': 3 });
  });

  it('lets a record inside the session close time start a session beside one its store no longer shows (gap 10, no grace)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', numbers) as Stream)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
      .count({ storeName: 'sessions', cachingEnabled: false })
      .toStream()
      .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64());
    const read = () => out.readKeyValuesToList().map(({ key, value }) => `${key!.key}@${key!.window.start}-${key!.window.end}=${value}`);
    pipe(driver, [['u', 1, 80], ['u', 1, 88], ['v', 1, 97]]);
    expect(read()).toEqual(['u@80-80=1', 'u@80-80=null', 'u@80-88=2', 'v@97-97=1']);
    // Close time 97 - 0 - 10 = 87: u at 90 is not late (under stream time - grace, 97, it was),
    // and it merges with [80, 88], which the store still shows (88 > 97 - retention 10).
    pipe(driver, [['u', 1, 90]]);
    expect(read()).toEqual(['u@80-88=null', 'u@80-90=3']);
    // Stream time 101: the store hides sessions that ended at or before 101 - 10 = 91, so u at
    // 92 (within the gap of [80, 90]) starts a session of its own beside it.
    pipe(driver, [['w', 1, 101], ['u', 1, 92]]);
    expect(read()).toEqual(['w@101-101=1', 'u@92-92=1']);
    // u at 70 would end before the close time, 91: late.
    pipe(driver, [['u', 1, 70]]);
    expect(read()).toEqual([]);
    expect(driver.droppedRecords().get('late-record')).toBe(1);
  });

  it('with caching, merges a record with a session its store has expired but its cache still holds, as Kafka does (gap 30, grace 14)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(30, 14))
      .aggregate(
        () => '',
        (_key, value, aggregate) => `${aggregate}|${value}`,
        (_key, left, right) => `${left}&${right}`,
        { ...Materialized.with(Serdes.String(), Serdes.String()), storeName: 'sessions' },
      )
      .toStream()
      .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.String()));
    const driver = await openQuietDriver(builder.build(), { cacheMaxBytes: 10 * 1024 * 1024 });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.String());
    input.pipeInput('b', '74', 87);
    input.pipeInput('b', '81', 131);
    // Close time 131 - 14 - 30 = 87, retention 44: [87, 87] has expired in the store (87 <= 131 -
    // 44) but is still in the cache, which Kafka's caching session store reads without retention.
    // So b at 106 merges both sessions; the removal of [87, 87] reports nothing, as the store no
    // longer has it. Kafka Streams 3.9's output for this input.
    input.pipeInput('b', null, 106);
    expect(out.readRecordsToList().map(({ key, value, timestamp }) => `${key!.key}@${key!.window.start}/${key!.window.end}=${value}@${timestamp}`)).toEqual([
      'b@87/87=|74@87',
      'b@131/131=|81@131',
      'b@131/131=null@131',
      'b@87/131=&|74&|81|null@131',
    ]);
    const sessions = driver.getStateStore<SessionStore<string, string>>('sessions');
    expect([...sessions.fetch('b')].map(({ key, value }) => `${key.window.start}/${key.window.end}=${value}`)).toEqual(['87/131=&|74&|81|null']);
  });

  it('updates the sliding windows a record falls into newest start first, then creates its windows (Kafka\'s reverse fetch)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', numbers) as Stream)
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 1000))
      .count({ storeName: 'sliding', cachingEnabled: false })
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64());
    const read = () => out.readKeyValuesToList().map(({ key, value }) => `[${key!.window.start},${key!.window.start + 10}]=${value}`);
    pipe(driver, [['a', 1, 100], ['a', 1, 105], ['a', 1, 108]]);
    expect(read()).toEqual(['[90,100]=1', '[101,111]=1', '[95,105]=2', '[101,111]=2', '[106,116]=1', '[98,108]=3']);
    // 109 falls into [106,116] and [101,111]: updated newest first; then the previous record's
    // right window [109,119] and its own left window [99,109] are created.
    pipe(driver, [['a', 1, 109]]);
    expect(read()).toEqual(['[106,116]=2', '[101,111]=3', '[109,119]=1', '[99,109]=4']);
    // A late record at 103 updates four windows, newest first, then creates its left window and
    // its right window (a copy of [101,111] before the update: the records at 105, 108 and 109).
    pipe(driver, [['a', 1, 103]]);
    expect(read()).toEqual(['[101,111]=4', '[99,109]=5', '[98,108]=4', '[95,105]=3', '[93,103]=2', '[104,114]=3']);
    // A second record at 109: its left window holds a record at 109 already, so it only updates.
    pipe(driver, [['a', 1, 109]]);
    expect(read()).toEqual(['[109,119]=2', '[106,116]=3', '[104,114]=4', '[101,111]=5', '[99,109]=6']);
  });

  it('counts in bigint with Serdes.Int64() as the Materialized value serde, as Kafka counts with Serdes.Long() (windowed or not)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = (builder.stream('in', numbers) as Stream).groupByKey();
    const longs = Materialized.with(Serdes.String(), Serdes.Int64());
    grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(100))
      .count({ ...longs, storeName: 'counts', retentionMs: 1000 })
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 100), Serdes.Int64()));
    grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(200)).count({ ...longs, storeName: 'session-counts' });
    grouped.count({ ...longs, storeName: 'totals' });
    const driver = await openQuietDriver(builder.build());
    pipe(driver, [['a', 1, 0], ['a', null, 1], ['a', 2, 150]]);
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
      topology((stream) => stream.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(100, 50)).count({ storeName: 'short', retentionMs: 120 })),
    ).toThrow(/retention of store 'short' \(120 ms\) must be at least/);
  });
});

describe('suppress', () => {
  it('emits each window final result once, after the window closes', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const counts = (builder.stream('in', numbers) as Stream).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count() as KTable<Windowed<string>, number>;
    counts
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64());
    pipe(driver, [['a', 1, 1], ['a', 1, 5], ['b', 1, 9], ['a', 1, 12]]);
    expect(out.isEmpty()).toBe(true);
    pipe(driver, [['a', 1, 14]]);
    expect(out.isEmpty()).toBe(true);
    pipe(driver, [['a', 1, 15]]);
    expect(out.readKeyValuesToList().map(({ key, value }) => `${key!.key}@${key!.window.start}:${value}`)).toEqual(['a@0:2', 'b@0:1']);
  });

  it('fails the task with SUPPRESSION_BUFFER_FULL when a shut-down buffer overflows and the processing handler fails', async () => {
    const builder = new StreamsBuilder(builderOptions());
    ((builder.stream('in', numbers) as Stream).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count() as KTable<Windowed<string>, number>).suppress(
      Suppressed.untilWindowCloses(BufferConfig.maxRecords(1, 'shut-down'), 'final-counts'),
    );
    const driver = await openQuietDriver(builder.build(), { processingExceptionHandler: logAndFail() });
    pipe(driver, [['a', 1, 1]]);
    expect(() => pipe(driver, [['b', 1, 2]])).toThrow(expect.objectContaining({ cause: expect.objectContaining({ code: 'SUPPRESSION_BUFFER_FULL', message: expect.stringContaining("'final-counts'") }) }));
  });

  it('holds a session until stream time passes its end plus grace plus gap, when Kafka closes it', async () => {
    const builder = new StreamsBuilder(builderOptions());
    ((builder.stream('in', numbers) as Stream).groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count({ cachingEnabled: false }) as KTable<Windowed<string>, number>)
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('final', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('final', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64());
    const read = () => out.readKeyValuesToList().map(({ key, value }) => `${key!.key}@${key!.window.start}-${key!.window.end}=${value}`);
    // At stream time 5, a's session [0, 0] is still open: a record at up to 10 would extend it.
    pipe(driver, [['a', 1, 0], ['b', 1, 5]]);
    expect(read()).toEqual([]);
    pipe(driver, [['a', 1, 8]]);
    expect(read()).toEqual([]);
    // Stream time 20 closes sessions ending at or before 10, in end order.
    pipe(driver, [['b', 1, 20]]);
    expect(read()).toEqual(['b@5-5=1', 'a@0-8=2']);
  });

  it('emits records due together in buffer-key order (time, then key bytes), not in arrival order, as Kafka does', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = (builder.stream('in', numbers) as Stream).groupByKey();
    (grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count({ cachingEnabled: false }) as KTable<Windowed<string>, number>)
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('final', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()));
    (grouped.reduce((sum, value) => sum + value, { cachingEnabled: false }) as KTable<string, number>)
      .suppress(Suppressed.untilTimeLimit(5))
      .toStream()
      .to('limited', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openQuietDriver(builder.build());
    // Keys 'b', 'aa', 'a' all at time 3 (window [0,10)); the key bytes order them a < aa < b.
    pipe(driver, [['b', 1, 3], ['aa', 1, 3], ['a', 1, 3], ['b', 1, 4], ['z', 1, 20]]);
    const final = driver.createOutputTopic('final', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()).readKeyValuesToList();
    expect(final.map(({ key, value }) => `${key!.key}@${key!.window.start}=${value}`)).toEqual(['a@0=1', 'aa@0=1', 'b@0=2']);
    // untilTimeLimit: each key is due at the time it was first held plus 5 (b at 3, though updated at 4).
    const limited = driver.createOutputTopic('limited', Serdes.String(), Serdes.Int32()).readKeyValuesToList();
    expect(limited).toEqual([{ key: 'a', value: 1 }, { key: 'aa', value: 1 }, { key: 'b', value: 2 }]);
  });

  it('untilTimeLimit emits the latest value of a key once the limit passed since it was first held', async () => {
    const builder = new StreamsBuilder(builderOptions());
    ((builder.stream('in', numbers) as Stream).groupByKey().reduce((sum, value) => sum + value) as KTable<string, number>)
      .suppress(Suppressed.untilTimeLimit(10))
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', Serdes.String(), Serdes.Int32());
    pipe(driver, [['a', 1, 0], ['a', 2, 5], ['b', 7, 9]]);
    expect(out.isEmpty()).toBe(true);
    pipe(driver, [['b', 1, 10]]);
    expect(out.readKeyValuesToList()).toEqual([{ key: 'a', value: 3 }]);
  });

  it('refuses untilWindowCloses on a table that is not windowed', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const table = (builder.stream('in', numbers) as Stream).groupByKey().count() as KTable<string, number>;
    expect(() => table.suppress(Suppressed.untilWindowCloses())).toThrow(/needs a windowed table/);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests against brute-force oracles
// ---------------------------------------------------------------------------------------------

/** Records mostly in order with random lateness and duplicates. */
const recordsArbitrary = fc
  .array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 400 }), fc.boolean()), { maxLength: 40 })
  .map((entries) => {
    const inputs: Input[] = [];
    for (const [key, value, timestamp, duplicate] of entries) {
      inputs.push([key, value, timestamp]);
      if (duplicate) inputs.push([key, value, timestamp]);
    }
    return inputs;
  });

interface TimeOracle {
  windows: Map<string, number>;
  late: number;
}

/** Replays in order: a record joins each window containing it whose end + grace > stream time. */
function timeWindowOracle(inputs: readonly Input[], size: number, advance: number, grace: number): TimeOracle {
  const windows = new Map<string, number>();
  let streamTime = -1;
  let late = 0;
  for (const [key, value, timestamp] of inputs) {
    streamTime = Math.max(streamTime, timestamp);
    for (let start = 0; start <= timestamp; start += advance) {
      if (timestamp >= start + size) continue;
      if (start + size + grace <= streamTime) {
        late++;
        continue;
      }
      const id = `${key}@${start}`;
      windows.set(id, (windows.get(id) ?? 0) + value!);
    }
  }
  return { windows, late };
}

describe.each([true, false])('windowed aggregations match brute-force oracles (caching: %s)', (caching) => {
  it('tumbling and hopping windows: final sums and late drops', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.constantFrom([50, 50], [50, 20], [30, 10], [40, 40]), fc.integer({ min: 0, max: 60 }), async (inputs, [size, advance], grace) => {
        const windows = advance === size ? TimeWindows.ofSizeAndGrace(size!, grace) : TimeWindows.ofSizeAndGrace(size!, grace).advanceBy(advance!);
        const windowedKeys = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), size!);
        const driver = await openDriver(
          topology((stream) =>
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
          pipe(driver, inputs);
          const oracle = timeWindowOracle(inputs, size!, advance!, grace);
          expect(sorted(windowContents(driver, 'sums'))).toEqual(sorted(oracle.windows));
          // The latest update of each window downstream is its final value.
          const latest = new Map<string, number>();
          for (const { key, value } of driver.createOutputTopic('out', windowedKeys, Serdes.Int32()).readKeyValuesToList()) latest.set(`${key!.key}@${key!.window.start}`, value!);
          expect(sorted(latest)).toEqual(sorted(oracle.windows));
          expect(driver.droppedRecords().get('late-record') ?? 0).toBe(oracle.late);
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });

  // Kafka's session rules (KStreamSessionWindowAggregate and its session store): a session closes
  // at stream time - grace - gap, not stream time - grace; and the store's look-up skips sessions
  // that ended at or before its observed time - retention, so with the default retention (gap +
  // grace) a record can start a new session beside an expired one instead of merging with it.
  it.each([
    ['kept long', 1_000_000],
    ['kept for gap + grace, the default', undefined],
  ])('session windows: final sessions and late drops (sessions %s)', async (_kept, retentionMs) => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 60 }), async (inputs, gap, grace) => {
        const driver = await openDriver(
          topology((stream) =>
            stream
              .groupByKey()
              .windowedBy(SessionWindows.ofInactivityGapAndGrace(gap, grace))
              .aggregate(() => 0, (_key, value, sum) => sum + value, (_key, left, right) => left + right, { storeName: 'sessions', ...(retentionMs === undefined ? {} : { retentionMs }), valueSerde: Serdes.Int32(), cachingEnabled: caching })
              .toStream()
              .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Int32())),
          ),
          { logger: silentLogger },
        );
        try {
          pipe(driver, inputs);
          // Oracle: sessions as plain lists; a record merges every session within the gap that the
          // store still shows (ended after its observed time, the latest session end, minus retention).
          // With caching, as in Kafka's caching session store, the store shows every session written
          // through its cache, expired or not (nothing is evicted here): retention hides none.
          // Downstream, merged-away sessions are deleted (null) and the rest, expired or not, hold
          // their final value; but a cached session the store had expired is removed silently, as
          // Kafka's cache flush finds no stored session to delete.
          const storeRetention = retentionMs ?? gap + grace;
          const retention = caching ? Number.POSITIVE_INFINITY : storeRetention;
          const sessions = new Map<string, { start: number; end: number; sum: number }[]>();
          const forwarded = new Map<string, number>();
          let streamTime = -1;
          let storeTime = Number.NEGATIVE_INFINITY;
          let late = 0;
          for (const [key, value, timestamp] of inputs) {
            streamTime = Math.max(streamTime, timestamp);
            const list = sessions.get(key!) ?? [];
            const touching = list.filter((session) => session.end > storeTime - retention && session.end >= timestamp - gap && session.start <= timestamp + gap);
            const merged = { start: Math.min(timestamp, ...touching.map((s) => s.start)), end: Math.max(timestamp, ...touching.map((s) => s.end)), sum: value! + touching.reduce((total, s) => total + s.sum, 0) };
            if (merged.end < streamTime - grace - gap) {
              late++;
              continue;
            }
            sessions.set(key!, [...list.filter((session) => !touching.includes(session)), merged]);
            for (const session of touching) if (session.end > storeTime - storeRetention) forwarded.delete(`${key}@${session.start}-${session.end}`);
            forwarded.set(`${key}@${merged.start}-${merged.end}`, merged.sum);
            storeTime = Math.max(storeTime, merged.end);
          }
          const stored = new Map<string, number>();
          for (const [key, list] of sessions) {
            for (const session of list) if (session.end > storeTime - retention) stored.set(`${key}@${session.start}-${session.end}`, session.sum);
          }
          const store = driver.getStateStore<SessionStore<string, number>>('sessions');
          const actual = new Map<string, number>();
          for (const key of ['a', 'b', 'c']) for (const { key: session, value } of store.fetch(key)) actual.set(`${key}@${session.window.start}-${session.window.end}`, value);
          expect(sorted(actual)).toEqual(sorted(stored));
          const downstream = new Map<string, number>();
          for (const { key, value } of driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Int32()).readKeyValuesToList()) {
            const id = `${key!.key}@${key!.window.start}-${key!.window.end}`;
            if (value === null) downstream.delete(id);
            else downstream.set(id, value);
          }
          expect(sorted(downstream)).toEqual(sorted(forwarded));
          expect(driver.droppedRecords().get('late-record') ?? 0).toBe(late);
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });

  it('sliding windows (no late records): every window holds exactly the records within it, updated newest start first', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.integer({ min: 1, max: 60 }), async (inputs, difference) => {
        const grace = 1000; // larger than any disorder: nothing is late
        const driver = await openDriver(
          topology((stream) =>
            stream
              .groupByKey()
              .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(difference, grace))
              .reduce((sum, value) => sum + value, { storeName: 'sliding', retentionMs: 1_000_000, cachingEnabled: caching })
              .toStream()
              .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), difference), Serdes.Int32())),
          ),
          { logger: silentLogger },
        );
        try {
          // Kafka's order (the reverse fetch of KStreamSlidingWindowAggregate): a record at or after
          // the difference updates the windows that exist, newest start first, then creates new ones.
          const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), difference), Serdes.Int32());
          const seen = new Set<string>();
          for (const input of inputs) {
            pipe(driver, [input]);
            const starts = out.readKeyValuesToList().map(({ key }) => key!.window.start);
            const updated = starts.filter((start) => seen.has(`${input[0]}@${start}`));
            if (input[2] >= difference) {
              expect(starts.slice(0, updated.length), 'existing windows first').toEqual(updated);
              expect(updated, 'newest start first').toEqual([...updated].sort((left, right) => right - left));
            }
            for (const start of starts) seen.add(`${input[0]}@${start}`);
          }
          // Oracle (KIP-450): a left window [t - d, t] per record (records before d share [0, d]),
          // and a right window [t + 1, t + 1 + d] per record with a later record within d + 1.
          const expected = new Map<string, number>();
          for (const key of ['a', 'b', 'c']) {
            const times = inputs.filter((input) => input[0] === key).map((input) => input[2]);
            const sumIn = (start: number) => inputs.filter((input) => input[0] === key && input[2] >= start && input[2] <= start + difference).reduce((total, input) => total + input[1]!, 0);
            for (const time of times) {
              const leftStart = Math.max(0, time - difference);
              expected.set(`${key}@${leftStart}`, sumIn(leftStart));
              if (times.some((other) => other > time && other <= time + 1 + difference)) expected.set(`${key}@${time + 1}`, sumIn(time + 1));
            }
          }
          expect(sorted(windowContents(driver, 'sliding'))).toEqual(sorted(expected));
          expect(driver.droppedRecords().get('late-record') ?? 0).toBe(0);
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('suppress(untilWindowCloses) emits exactly one result per window and key, equal to its final value, only once closed, in buffer order', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.integer({ min: 0, max: 40 }), async (inputs, grace) => {
        const size = 50;
        const builder = new StreamsBuilder(builderOptions());
        ((builder.stream('in', numbers) as Stream).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(size, grace)).reduce((sum, value) => sum + value, { cachingEnabled: caching }) as KTable<Windowed<string>, number>)
          .suppress(Suppressed.untilWindowCloses())
          .toStream()
          .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), size), Serdes.Int32()));
        const driver = await openDriver(builder.build(), { logger: silentLogger });
        try {
          const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), size), Serdes.Int32());
          const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
          const emitted: KeyValue<string, number>[] = [];
          let streamTime = -1;
          for (const [key, value, timestamp] of inputs) {
            input.pipeInput(key, value, timestamp);
            streamTime = Math.max(streamTime, timestamp);
            const batch = out.readKeyValuesToList();
            for (const record of batch) {
              expect(record.key!.window.end + grace, 'emitted only once the window closed').toBeLessThanOrEqual(streamTime);
              emitted.push({ key: `${record.key!.key}@${record.key!.window.start}`, value: record.value! });
            }
            // What one record makes due goes out in Kafka's buffer order: window end, then key bytes.
            const order = batch.map((record) => [record.key!.window.end, record.key!.key] as const);
            expect(order).toEqual([...order].sort(([leftEnd, leftKey], [rightEnd, rightKey]) => leftEnd - rightEnd || (leftKey < rightKey ? -1 : leftKey > rightKey ? 1 : 0)));
          }
          const oracle = timeWindowOracle(inputs, size, size, grace);
          const closed = [...oracle.windows].filter(([id]) => Number(id.split('@')[1]) + size + grace <= streamTime);
          expect(emitted.map(({ key, value }) => [key, value] as const).sort()).toEqual(closed.sort());
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
    (builder.stream('in', numbers) as Stream)
      .join(table, (value, label) => `${label}:${value}`)
      .groupByKey()
      .windowedBy(windows)
      .count(Materialized.as('windowed-counts'));
    const driver = await openQuietDriver(builder.build());
    driver.createInputTopic('table', Serdes.String(), Serdes.String()).pipeInput('a', 'A', 1_000_000);
    pipe(driver, [
      ['a', 1, 5],
      ['a', 2, 150],
      ['a', 3, 30], // late only by the aggregation's own time: 150 - 10 > 100, the end of [0, 100)
    ]);
    expect(sorted(windowContents(driver, 'windowed-counts'))).toEqual([
      ['a@0', 1],
      ['a@100', 1],
    ]);
    expect(driver.droppedRecords().get('late-record') ?? 0).toBe(1);
  });
});
