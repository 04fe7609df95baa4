/**
 * Caching in the DSL's aggregations, seen where the test driver cannot show it: the driver
 * commits after every piped record, so here a task processes several records before one commit.
 * Also: an aggregation's changelog, as produced, rebuilds its store through `restore`.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Serdes, StreamsBuilder, silentLogger } from '../../../index.js';
import type { KStream, Topology } from '../../../index.js';
import { Headers } from '../../../processor/headers.js';
import type { LocalRunner } from '../../../processor/internal/local-runner.js';
import type { ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { WindowStore } from '../../../state/window-store.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import { isRestorableStore } from '../../../state/store-suppliers.js';
import { Stores } from '../../../state/stores.js';
import { StoreTestContext } from '../../../state/internal/store-test-context.js';
import { TestRecord } from '../../../test-utils/index.js';
import type { TimeWindowedKStream } from '../../kgrouped-stream.js';
import type { KTable } from '../../ktable.js';
import type { Windowed } from '../../windowed.js';
import { SessionWindows, SlidingWindows, TimeWindows } from '../../windows.js';
import { countSerde } from '../aggregate-stores.js';
import type { Change } from '../change.js';
import type { KTableImpl } from '../ktable-impl.js';
import { builderOptions, openDriver, openQuietDriver, openRunner } from '#test-kit';

type Stream = KStream<string, number>;

interface Seen {
  readonly key: string;
  readonly newValue: number | null;
  readonly oldValue: number | null;
}

/**
 * Adds a node below `table` that records every change it forwards, with its old value; as an
 * operator that needs old values (a subtractor, suppress), it asks the table for them, unless
 * `askOldValues` is false.
 */
function captureChanges<K>(table: KTable<K, number>, show: (key: K) => string, askOldValues = true): Seen[] {
  const seen: Seen[] = [];
  const impl = table as unknown as KTableImpl<K, number>;
  if (askOldValues) impl.enableSendingOldValues(true);
  const capture: ProcessorSupplier<K, Change<number>, never, never> = () => ({
    process: (record) => {
      seen.push({ key: show(record.key), newValue: record.value.newValue, oldValue: record.value.oldValue });
    },
  });
  impl.topology.addProcessor('capture', capture as ProcessorSupplier<any, any, any, any>, [impl.nodeName]);
  return seen;
}

function runner(topology: Topology): Promise<LocalRunner> {
  return openRunner(topology, { applicationId: 'caching', logger: silentLogger });
}

let offset = 0;
/** Queues records in the task reading 'in' and processes them, without committing. */
function processWithoutCommit(local: LocalRunner, records: ReadonlyArray<readonly [string, number, number]>): void {
  const task = local.tasks.find((candidate) => candidate.sourceTopics.includes('in'))!;
  const keys = Serdes.String();
  const values = Serdes.Int32();
  const headers = new Headers();
  for (const [key, value, timestamp] of records) {
    task.addRecord('in', { topic: 'in', partition: 0, offset: offset++, timestamp, key: keys.serialize('in', key, headers), value: values.serialize('in', value, headers), headers });
  }
  task.process();
}

describe('aggregations forward through the cache', () => {
  function countTopology(caching: boolean, askOldValues = true): { topology: Topology; seen: Seen[] } {
    const builder = new StreamsBuilder(builderOptions());
    const counts = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream).groupByKey().count({ storeName: 'counts', cachingEnabled: caching });
    const seen = captureChanges(counts, (key) => key, askOldValues);
    return { topology: builder.build(), seen };
  }

  for (const caching of [true, false]) {
    it(`sends no old values when no downstream operator asked for them (caching ${caching ? 'on' : 'off'})`, async () => {
      // Kafka's aggregations send old values only after enableSendingOldValues; without, the
      // cache does not read or deserialize them at flush.
      const { topology, seen } = countTopology(caching, false);
      const local = await runner(topology);
      processWithoutCommit(local, [['a', 1, 0], ['a', 1, 1]]);
      local.commit();
      processWithoutCommit(local, [['a', 1, 2]]);
      local.commit();
      const expected = caching
        ? [
            { key: 'a', newValue: 2, oldValue: null },
            { key: 'a', newValue: 3, oldValue: null },
          ]
        : [1, 2, 3].map((count) => ({ key: 'a', newValue: count, oldValue: null }));
      expect(seen).toEqual(expected);
    });
  }

  it('with caching on, sends one update per key per commit, with the value of the previous commit as old value', async () => {
    const { topology, seen } = countTopology(true);
    const local = await runner(topology);
    processWithoutCommit(local, [['a', 1, 0], ['a', 1, 1], ['b', 1, 2], ['a', 1, 3]]);
    expect(seen).toEqual([]);
    local.commit();
    // In the order each key was last written, as Kafka's cache flushes: a after b.
    expect(seen.splice(0)).toEqual([
      { key: 'b', newValue: 1, oldValue: null },
      { key: 'a', newValue: 3, oldValue: null },
    ]);
    processWithoutCommit(local, [['a', 1, 4], ['a', 1, 5]]);
    local.commit();
    expect(seen).toEqual([{ key: 'a', newValue: 5, oldValue: 3 }]);
  });

  it("hands each flushed update on with the topic, partition and offset of the record that wrote it, as Kafka's cache restores an entry's record context", async () => {
    const builder = new StreamsBuilder(builderOptions());
    const counts = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream).groupByKey().count({ storeName: 'counts', cachingEnabled: true });
    const origins: string[] = [];
    const impl = counts as unknown as KTableImpl<string, number>;
    const origin: ProcessorSupplier<string, Change<number>, never, never> = () => {
      let context: ProcessorContext<never, never>;
      return {
        init: (given) => {
          context = given;
        },
        process: (record) => {
          const metadata = context.recordMetadata();
          origins.push(`${record.key}:${metadata?.topic}-${metadata?.partition}@${metadata?.offset}`);
        },
      };
    };
    impl.topology.addProcessor('origin', origin as ProcessorSupplier<any, any, any, any>, [impl.nodeName]);
    const local = await runner(builder.build());
    const first = offset;
    processWithoutCommit(local, [['a', 1, 0], ['b', 1, 1], ['a', 1, 2]]);
    expect(origins).toEqual([]);
    local.commit();
    expect(origins.sort()).toEqual([`a:in-0@${first + 2}`, `b:in-0@${first + 1}`]);
  });

  it("forwards each flushed update with the headers of the record that last wrote it, as Kafka's caching stores forward an entry's record context", async () => {
    const builder = new StreamsBuilder(builderOptions());
    const stream = builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream;
    const tables: Array<[string, KTable<any, number>, (key: any) => string]> = [
      ['count', stream.groupByKey().count({ storeName: 'counts', cachingEnabled: true }), (key: string) => key],
      ['window', stream.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count({ storeName: 'windows', cachingEnabled: true }), (key: Windowed<string>) => key.key],
      ['session', stream.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count({ storeName: 'sessions', cachingEnabled: true }), (key: Windowed<string>) => key.key],
    ];
    const seen: string[] = [];
    for (const [label, table, show] of tables) {
      const impl = table as unknown as KTableImpl<unknown, number>;
      const capture: ProcessorSupplier<unknown, Change<number>, never, never> = () => ({
        process: (record) => {
          seen.push(`${label} ${show(record.key)}:${record.headers.lastString('h') ?? 'none'}`);
        },
      });
      impl.topology.addProcessor(`capture-${label}`, capture as ProcessorSupplier<any, any, any, any>, [impl.nodeName]);
    }
    const local = await runner(builder.build());
    const task = local.tasks.find((candidate) => candidate.sourceTopics.includes('in'))!;
    const keys = Serdes.String();
    const values = Serdes.Int32();
    const records: Array<[string, string | undefined]> = [['a', 'first'], ['b', undefined], ['a', 'second']];
    for (const [index, [key, header]] of records.entries()) {
      const headers = header === undefined ? new Headers() : new Headers().add('h', header);
      task.addRecord('in', { topic: 'in', partition: 0, offset: offset++, timestamp: index, key: keys.serialize('in', key, headers), value: values.serialize('in', 1, headers), headers });
    }
    task.process();
    expect(seen).toEqual([]);
    local.commit();
    // The last write of `a` had header h=second; `b`'s had none.
    expect(seen.sort()).toEqual(['count a:second', 'count b:none', 'session a:second', 'session b:none', 'window a:second', 'window b:none']);
  });

  it("with a cache budget of 0, a session aggregation on the default serdes forwards at once, without headers, as Kafka's does", async () => {
    for (const cacheMaxBytes of [0, 1024 * 1024]) {
      const builder = new StreamsBuilder(builderOptions());
      builder
        .stream<string, string>('in')
        .groupByKey()
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
        .aggregate(
          () => '',
          (_key, value, aggregate) => `${aggregate}${value}`,
          (_key, left, right) => `${left}${right}`,
        )
        .toStream()
        .map((key, value) => ({ key: `${key.key}@${key.window.start}/${key.window.end}`, value }))
        .to('out');
      const driver = await openQuietDriver(builder.build(), { cacheMaxBytes, defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.String() });
      const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
      // Kafka's session aggregation forwards an uncached update as a new record, without headers;
      // a cached one goes on with the headers of the record that wrote it.
      input.pipeInput(new TestRecord('a', 'x', 1, new Headers().add('h', '1')));
      const records = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
      expect(records.map((record) => `${record.key}=${record.value} h=${record.headers.lastString('h') ?? 'none'}`)).toEqual([`a@1/1=x h=${cacheMaxBytes === 0 ? 'none' : '1'}`]);
    }
  });

  it('with caching off, forwards every update at once', async () => {
    const { topology, seen } = countTopology(false);
    const local = await runner(topology);
    processWithoutCommit(local, [['a', 1, 0], ['a', 1, 1], ['a', 1, 3]]);
    // The first update's old value is the initializer's 0, as Kafka's KStreamAggregate forwards it.
    expect(seen).toEqual([
      { key: 'a', newValue: 1, oldValue: 0 },
      { key: 'a', newValue: 2, oldValue: 1 },
      { key: 'a', newValue: 3, oldValue: 2 },
    ]);
  });

  it('windowed: one update per window per commit, keyed by the window', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const counts = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count({ storeName: 'windowed-counts' }) as KTable<Windowed<string>, number>;
    const seen = captureChanges(counts, (key) => `${key.key}@[${key.window.start},${key.window.end})`);
    const local = await runner(builder.build());
    processWithoutCommit(local, [['a', 1, 1], ['a', 1, 2], ['a', 1, 12], ['a', 1, 13]]);
    local.commit();
    expect(seen.splice(0)).toEqual([
      { key: 'a@[0,10)', newValue: 2, oldValue: null },
      { key: 'a@[10,20)', newValue: 2, oldValue: null },
    ]);
    processWithoutCommit(local, [['a', 1, 14]]);
    local.commit();
    expect(seen).toEqual([{ key: 'a@[10,20)', newValue: 3, oldValue: 2 }]);
  });
});

describe('aggregations without a cache forward old values as Kafka does', () => {
  it("a window's first update carries the initializer's value (count: 0), a reduce's null", async () => {
    const run = async (aggregate: (windowed: TimeWindowedKStream<string, number>) => KTable<Windowed<string>, number>): Promise<Seen[]> => {
      const builder = new StreamsBuilder(builderOptions());
      const windowed = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10));
      const seen = captureChanges(aggregate(windowed), (key) => `${key.key}@${key.window.start}`);
      processWithoutCommit(await runner(builder.build()), [['a', 5, 1], ['a', 6, 2]]);
      return seen;
    };
    expect(await run((windowed) => windowed.count({ storeName: 'window-counts', cachingEnabled: false }) as KTable<Windowed<string>, number>)).toEqual([
      { key: 'a@0', newValue: 1, oldValue: 0 },
      { key: 'a@0', newValue: 2, oldValue: 1 },
    ]);
    expect(await run((windowed) => windowed.aggregate(() => 100, (_key, value: number, sum: number) => sum + value, { storeName: 'window-sums', cachingEnabled: false, valueSerde: Serdes.Int32() }))).toEqual([
      { key: 'a@0', newValue: 105, oldValue: 100 },
      { key: 'a@0', newValue: 111, oldValue: 105 },
    ]);
    expect(await run((windowed) => windowed.reduce((sum: number, value: number) => sum + value, { storeName: 'window-reduced', cachingEnabled: false }))).toEqual([
      { key: 'a@0', newValue: 5, oldValue: null },
      { key: 'a@0', newValue: 11, oldValue: 5 },
    ]);
  });

  it('sliding windows: a window made from nothing carries the initializer\'s value, one copied from another that window\'s', async () => {
    // As Kafka Streams 3.9.2's TopologyTestDriver showed through a grouping's subtractor (a@10, then a@12).
    const run = async (aggregate: (windowed: TimeWindowedKStream<string, number>) => KTable<Windowed<string>, number>): Promise<Seen[]> => {
      const builder = new StreamsBuilder(builderOptions());
      const windowed = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5));
      const seen = captureChanges(aggregate(windowed), (key) => `${key.key}@${key.window.start}`);
      processWithoutCommit(await runner(builder.build()), [['a', 5, 10], ['a', 6, 12]]);
      return seen;
    };
    expect(await run((windowed) => windowed.count({ storeName: 'sliding-counts', cachingEnabled: false }) as KTable<Windowed<string>, number>)).toEqual([
      { key: 'a@5', newValue: 1, oldValue: 0 },
      { key: 'a@11', newValue: 1, oldValue: 0 },
      { key: 'a@7', newValue: 2, oldValue: 1 },
    ]);
    expect(await run((windowed) => windowed.reduce((sum: number, value: number) => sum + value, { storeName: 'sliding-reduced', cachingEnabled: false }))).toEqual([
      { key: 'a@5', newValue: 5, oldValue: null },
      { key: 'a@11', newValue: 6, oldValue: null },
      { key: 'a@7', newValue: 11, oldValue: 5 },
    ]);
  });

  it("so do aggregations over all time: a key's first update carries the initializer's value, a reduce's null", async () => {
    const run = async (aggregate: (grouped: ReturnType<Stream['groupByKey']>) => KTable<string, number>): Promise<Seen[]> => {
      const builder = new StreamsBuilder(builderOptions());
      const seen = captureChanges(aggregate((builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream).groupByKey()), (key) => key);
      processWithoutCommit(await runner(builder.build()), [['a', 5, 1], ['a', 6, 2]]);
      return seen;
    };
    expect(await run((grouped) => grouped.aggregate(() => 100, (_key, value, sum: number) => sum + value, { storeName: 'sums', cachingEnabled: false, valueSerde: Serdes.Int32() }))).toEqual([
      { key: 'a', newValue: 105, oldValue: 100 },
      { key: 'a', newValue: 111, oldValue: 105 },
    ]);
    expect(await run((grouped) => grouped.reduce((sum, value) => sum + value, { storeName: 'reduced', cachingEnabled: false }))).toEqual([
      { key: 'a', newValue: 5, oldValue: null },
      { key: 'a', newValue: 11, oldValue: 5 },
    ]);
  });

  it('a session update forwards a null old value, even when it overwrites a session [t, t]', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const sessions = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5))
      .count({ storeName: 'session-counts', cachingEnabled: false }) as KTable<Windowed<string>, number>;
    const seen = captureChanges(sessions, (key) => `${key.key}@[${key.window.start},${key.window.end}]`);
    const local = await runner(builder.build());
    processWithoutCommit(local, [['a', 1, 3], ['a', 1, 3], ['a', 1, 4]]);
    expect(seen).toEqual([
      { key: 'a@[3,3]', newValue: 1, oldValue: null },
      { key: 'a@[3,3]', newValue: 2, oldValue: null },
      { key: 'a@[3,3]', newValue: null, oldValue: 2 },
      { key: 'a@[3,4]', newValue: 3, oldValue: null },
    ]);
  });
});

describe('an aggregation changelog', () => {
  it.each([true, false])('rebuilds a windowed count store through restore (caching: %s)', async (caching) => {
    const size = 10;
    const retention = 1_000;
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(size, 5))
      .count({ storeName: 'counts', retentionMs: retention, cachingEnabled: caching });
    const driver = await openDriver(builder.build(), { applicationId: 'app', logger: silentLogger });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    for (const [key, timestamp] of [['a', 1], ['b', 3], ['a', 4], ['a', 12], ['b', 25], ['a', 9], ['c', 40], ['a', 41]] as const) input.pipeInput(key, 1, timestamp);
    expect(driver.producedTopicNames()).toContain('app-counts-changelog');
    const changelog = driver.createOutputTopic('app-counts-changelog', Serdes.Bytes(), Serdes.Bytes()).readRecordsToList();

    const restored = Stores.timestampedWindowStoreBuilder(Stores.inMemoryWindowStore('counts', retention, size, false), Serdes.String(), countSerde).build();
    restored.init(new StoreTestContext());
    if (!isRestorableStore(restored)) throw new Error('window stores restore from their changelog');
    restored.restore(changelog.map(({ key, value, timestamp }) => ({ key: key!, value, timestamp })));
    const contents = (store: WindowStore<string, ValueAndTimestamp<number>>) => [...store.all()].map(({ key, value }) => [key.key, key.window.start, key.window.end, value.value, value.timestamp]);
    const original = driver.getStateStore<WindowStore<string, ValueAndTimestamp<number>>>('counts');
    expect(contents(restored)).toEqual(contents(original));
    // 'a' at 9 came after the window closed (stream time 25, grace 5): dropped, never logged.
    expect(contents(restored)).toContainEqual(['a', 0, 10, 2, 4]);
  });
});
