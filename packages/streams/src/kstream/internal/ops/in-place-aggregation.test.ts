/**
 * What aggregations pay for, and what they skip: old values only when a downstream operator asks
 * (no store read or deserialization at flush otherwise, as Kafka's caching stores skip them), and
 * `updateInPlace` aggregates changed in place while the caching store holds them for the
 * aggregation alone, copied once after anything else may hold them. The outputs must be those
 * of an ordinary aggregator, whatever the commits, caches and reads in between.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumed, Serdes, StreamsBuilder, UniqueCountSketch, countDistinct, silentLogger, uniqueCountSketchSerde, updateInPlace } from '../../../index.js';
import type { KStream, Topology } from '../../../index.js';
import { Headers } from '../../../processor/headers.js';
import type { LocalRunner } from '../../../processor/internal/local-runner.js';
import type { ProcessorSupplier } from '../../../processor/processor.js';
import { Stores } from '../../../state/stores.js';
import type { KeyValueBytesStoreSupplier, WindowBytesStoreSupplier } from '../../../state/store-suppliers.js';
import type { Aggregator } from '../../functions.js';
import type { KTable } from '../../ktable.js';
import type { Windowed } from '../../windowed.js';
import { BufferConfig, Suppressed } from '../../suppressed.js';
import { TimeWindows } from '../../windows.js';
import type { Change } from '../change.js';
import type { KTableImpl } from '../ktable-impl.js';
import { builderOptions, openRunner, propertyRuns } from '#test-kit';

interface Totals {
  count: number;
  sum: number;
}

const initial = (): Totals => ({ count: 0, sum: 0 });
const totalsSerde = Serdes.Json<Totals>();

/** An in-place aggregator that counts its copies and updates. */
function inPlaceTotals(): { aggregator: Aggregator<string, number, Totals>; calls: { copies: number; updates: number } } {
  const calls = { copies: 0, updates: 0 };
  const aggregator = updateInPlace<string, number, Totals>({
    update: (_key, value, totals) => {
      calls.updates++;
      totals.count++;
      totals.sum += value;
      return totals;
    },
    copy: (totals) => {
      calls.copies++;
      return { ...totals };
    },
  });
  return { aggregator, calls };
}

/** The same totals, by an ordinary aggregator: a new object per record. */
const plainTotals: Aggregator<string, number, Totals> = (_key, value, totals) => ({ count: totals.count + 1, sum: totals.sum + value });

/** A change as a downstream operator received it, with the objects themselves kept to check later that nobody changed them. */
interface Seen {
  readonly key: string;
  readonly newValue: Totals | null;
  readonly oldValue: Totals | null;
  /** JSON of both values when they were forwarded. */
  readonly asForwarded: string;
}

function captureChanges<K>(table: KTable<K, Totals>, show: (key: K) => string, askOldValues: boolean): Seen[] {
  const seen: Seen[] = [];
  const impl = table as unknown as KTableImpl<K, Totals>;
  if (askOldValues) impl.enableSendingOldValues(true);
  const capture: ProcessorSupplier<K, Change<Totals>, never, never> = () => ({
    process: (record) => {
      const { newValue, oldValue } = record.value;
      seen.push({ key: show(record.key), newValue, oldValue, asForwarded: JSON.stringify([newValue, oldValue]) });
    },
  });
  impl.topology.addProcessor('capture', capture as ProcessorSupplier<any, any, any, any>, [impl.nodeName]);
  return seen;
}

/** What was forwarded, as it was then. */
const forwarded = (seen: readonly Seen[]): string[] => seen.map((change) => `${change.key} ${change.asForwarded}`);
/** What was forwarded, as the objects are now: equal to {@link forwarded} unless someone changed them since. */
const asTheyAreNow = (seen: readonly Seen[]): string[] => seen.map((change) => `${change.key} ${JSON.stringify([change.newValue, change.oldValue])}`);

let offset = 0;
/** Queues records in the task reading `topic` and processes them, without committing. */
function processWithoutCommit(local: LocalRunner, records: ReadonlyArray<readonly [string, number, number]>, topic = 'in'): void {
  const task = local.tasks.find((candidate) => candidate.sourceTopics.includes(topic))!;
  const keys = Serdes.String();
  const values = Serdes.Int32();
  const headers = new Headers();
  for (const [key, value, timestamp] of records) {
    task.addRecord(topic, { topic, partition: 0, offset: offset++, timestamp, key: keys.serialize(topic, key, headers), value: values.serialize(topic, value, headers), headers });
  }
  task.process();
}

function runner(topology: Topology, cacheMaxBytes?: number): Promise<LocalRunner> {
  return openRunner(topology, { applicationId: 'in-place', logger: silentLogger, ...(cacheMaxBytes === undefined ? {} : { cacheMaxBytes }) });
}

type Kind = 'windowed' | 'all-time';

/** Totals per key (all time) or per 10 ms window, seen by a node below the table. */
function totalsTopology(kind: Kind, aggregator: Aggregator<string, number, Totals>, options: { caching: boolean; askOldValues: boolean }): { topology: Topology; seen: Seen[] } {
  const builder = new StreamsBuilder(builderOptions());
  const grouped = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as KStream<string, number>).groupByKey();
  const materialized = { storeName: 'totals', keySerde: Serdes.String(), valueSerde: totalsSerde, cachingEnabled: options.caching };
  if (kind === 'all-time') {
    const table = grouped.aggregate(initial, aggregator, materialized);
    return { seen: captureChanges(table, (key) => key, options.askOldValues), topology: builder.build() };
  }
  const table = grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).aggregate(initial, aggregator, materialized);
  return { seen: captureChanges(table, (key: Windowed<string>) => `${key.key}@${key.window.start}`, options.askOldValues), topology: builder.build() };
}

describe.each<Kind>(['windowed', 'all-time'])('an updateInPlace aggregation (%s)', (kind) => {
  it('changes the cached aggregate in place between commits, and copies it once after each commit', async () => {
    const { aggregator, calls } = inPlaceTotals();
    const { topology, seen } = totalsTopology(kind, aggregator, { caching: true, askOldValues: false });
    const local = await runner(topology);
    processWithoutCommit(local, [['a', 1, 1], ['a', 2, 2], ['a', 3, 3]]);
    // The first update starts from the initializer's fresh aggregate; the next two change it.
    expect(calls).toEqual({ copies: 0, updates: 3 });
    local.commit();
    processWithoutCommit(local, [['a', 4, 4], ['a', 5, 5]]);
    // The commit forwarded the aggregate: the first update after it copies, the second does not.
    expect(calls).toEqual({ copies: 1, updates: 5 });
    local.commit();
    const key = kind === 'windowed' ? 'a@0' : 'a';
    expect(forwarded(seen)).toEqual([`${key} [{"count":3,"sum":6},null]`, `${key} [{"count":5,"sum":15},null]`]);
    expect(asTheyAreNow(seen)).toEqual(forwarded(seen));
  });

  it('with a downstream operator asking for old values and the cache on, still updates in place: old values come from the stored bytes', async () => {
    const { aggregator, calls } = inPlaceTotals();
    const { topology, seen } = totalsTopology(kind, aggregator, { caching: true, askOldValues: true });
    const local = await runner(topology);
    processWithoutCommit(local, [['a', 1, 1], ['a', 2, 2]]);
    local.commit();
    processWithoutCommit(local, [['a', 3, 3], ['a', 4, 4]]);
    local.commit();
    expect(calls.copies).toBe(1);
    const key = kind === 'windowed' ? 'a@0' : 'a';
    expect(forwarded(seen)).toEqual([`${key} [{"count":2,"sum":3},null]`, `${key} [{"count":4,"sum":10},{"count":2,"sum":3}]`]);
    expect(asTheyAreNow(seen)).toEqual(forwarded(seen));
  });

  it('with the cache off and old values asked for, copies every time, so each forwarded old value stays intact', async () => {
    const { aggregator, calls } = inPlaceTotals();
    const { topology, seen } = totalsTopology(kind, aggregator, { caching: false, askOldValues: true });
    const local = await runner(topology);
    processWithoutCommit(local, [['a', 1, 1], ['a', 2, 2], ['a', 3, 3]]);
    expect(calls.copies).toBe(2);
    const key = kind === 'windowed' ? 'a@0' : 'a';
    expect(forwarded(seen)).toEqual([
      `${key} [{"count":1,"sum":1},{"count":0,"sum":0}]`,
      `${key} [{"count":2,"sum":3},{"count":1,"sum":1}]`,
      `${key} [{"count":3,"sum":6},{"count":2,"sum":3}]`,
    ]);
    expect(asTheyAreNow(seen)).toEqual(forwarded(seen));
  });
});

describe('a table read by another operator', () => {
  it('hands its aggregate out: the next update copies, so what the join forwarded stays as it was', async () => {
    const { aggregator, calls } = inPlaceTotals();
    const builder = new StreamsBuilder(builderOptions());
    const totals = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as KStream<string, number>)
      .groupByKey()
      .aggregate(initial, aggregator, { storeName: 'totals', keySerde: Serdes.String(), valueSerde: totalsSerde });
    const joined: Array<{ value: Totals; asJoined: string }> = [];
    (builder.stream('lookups', Consumed.with(Serdes.String(), Serdes.Int32())) as KStream<string, number>)
      .join(totals, (_lookup, found) => found)
      .foreach((_key, value) => joined.push({ value, asJoined: JSON.stringify(value) }));
    const local = await runner(builder.build());
    processWithoutCommit(local, [['a', 1, 1], ['a', 2, 2]]);
    processWithoutCommit(local, [['a', 0, 3]], 'lookups');
    expect(joined.map((entry) => entry.asJoined)).toEqual(['{"count":2,"sum":3}']);
    processWithoutCommit(local, [['a', 3, 4], ['a', 4, 5]]);
    expect(calls.copies).toBe(1);
    expect(joined.map((entry) => JSON.stringify(entry.value))).toEqual(['{"count":2,"sum":3}']);
  });
});

describe("countDistinct's sketch", () => {
  it('adds in place what `with` adds, and a copy is independent of its original', () => {
    const values = Array.from({ length: 3000 }, (_, index) => `user-${index % 2500}`);
    let copied = UniqueCountSketch.empty(10);
    const inPlace = UniqueCountSketch.empty(10);
    for (const value of values) {
      const changed = copied.with(value) !== copied;
      copied = copied.with(value);
      expect(inPlace.addInPlace(value)).toBe(changed);
    }
    expect(inPlace.toBytes().equals(copied.toBytes())).toBe(true);
    expect(inPlace.count()).toBe(copied.count());
    const copy = inPlace.copy();
    copy.addInPlace('someone new');
    copy.addInPlace('and another');
    expect(inPlace.toBytes().equals(copied.toBytes())).toBe(true);
    expect(copy.toBytes().equals(copied.with('someone new').with('and another').toBytes())).toBe(true);
  });

  it('is added to in place, but never once forwarded: a value that changes no register leaves the shared sketch unclaimed', async () => {
    const { initializer, aggregator } = countDistinct<string, string>((user) => user);
    const builder = new StreamsBuilder(builderOptions());
    const table = (builder.stream('users', Consumed.with(Serdes.String(), Serdes.String())) as KStream<string, string>)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .aggregate(initializer, aggregator, { storeName: 'sketches', keySerde: Serdes.String(), valueSerde: uniqueCountSketchSerde() });
    const forwardedSketches: Array<{ sketch: UniqueCountSketch; countThen: number }> = [];
    const impl = table as unknown as KTableImpl<Windowed<string>, UniqueCountSketch>;
    const capture: ProcessorSupplier<Windowed<string>, Change<UniqueCountSketch>, never, never> = () => ({
      process: (record) => {
        const sketch = record.value.newValue!;
        forwardedSketches.push({ sketch, countThen: sketch.count() });
      },
    });
    impl.topology.addProcessor('capture', capture as ProcessorSupplier<any, any, any, any>, [impl.nodeName]);
    const local = await runner(builder.build());
    const send = (user: string, timestamp: number): void => {
      const task = local.tasks.find((candidate) => candidate.sourceTopics.includes('users'))!;
      const strings = Serdes.String();
      const headers = new Headers();
      task.addRecord('users', { topic: 'users', partition: 0, offset: offset++, timestamp, key: strings.serialize('users', 'page', headers), value: strings.serialize('users', user, headers), headers });
      task.process();
    };
    send('ann', 1);
    local.commit();
    // `ann` again changes no register: the sketch comes back as it was, still the forwarded one.
    send('ann', 2);
    send('bob', 3);
    send('cy', 4);
    local.commit();
    expect(forwardedSketches.map((entry) => entry.countThen)).toEqual([1, 3]);
    expect(forwardedSketches.map((entry) => entry.sketch.count())).toEqual([1, 3]);
  });
});

describe('an updateInPlace aggregation forwards what an ordinary one does', () => {
  it('whatever the records, commits, cache size and old-value requests (property)', async () => {
    const record = fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 40 }));
    // A step is a record, or a commit (null).
    const steps = fc.array(fc.option(record, { freq: 4 }), { maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(
        steps,
        fc.constantFrom<Kind>('windowed', 'all-time'),
        fc.constantFrom(0, 300, 1 << 20),
        fc.boolean(),
        fc.boolean(),
        async (stepList, kind, cacheMaxBytes, caching, askOldValues) => {
          const run = async (aggregator: Aggregator<string, number, Totals>): Promise<string[]> => {
            const { topology, seen } = totalsTopology(kind, aggregator, { caching, askOldValues });
            const local = await runner(topology, cacheMaxBytes);
            for (const step of stepList) {
              if (step === null) local.commit();
              else processWithoutCommit(local, [step]);
            }
            local.commit();
            // Forwarded values must also be left as they were forwarded.
            expect(asTheyAreNow(seen)).toEqual(forwarded(seen));
            return forwarded(seen);
          };
          expect(await run(inPlaceTotals().aggregator)).toEqual(await run(plainTotals));
        },
      ),
      { numRuns: propertyRuns(60) },
    );
  });
});

/** A supplier whose backends count their point reads (`get`). */
function countingGets<S extends KeyValueBytesStoreSupplier | WindowBytesStoreSupplier>(supplier: S): { supplier: S; gets: { count: number } } {
  const gets = { count: 0 };
  const counting = Object.create(supplier) as S;
  (counting as { get: () => unknown }).get = () => {
    const backend = supplier.get() as { get: (...args: unknown[]) => unknown };
    const get = backend.get.bind(backend);
    backend.get = (...args: unknown[]) => {
      gets.count++;
      return get(...args);
    };
    return backend;
  };
  return { supplier: counting, gets };
}

describe('old values only when a downstream operator asks', () => {
  for (const askOldValues of [false, true]) {
    it(`a windowed count's flush reads ${askOldValues ? 'each flushed window from the store, to send its old value' : 'nothing from the store when nothing downstream asked for old values'}`, async () => {
      const { supplier, gets } = countingGets(Stores.inMemoryWindowStore('counts', 100, 10, false));
      const builder = new StreamsBuilder(builderOptions());
      const counts = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as KStream<string, number>)
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
        .count({ storeName: 'counts', storeSupplier: supplier, keySerde: Serdes.String() });
      if (askOldValues) (counts as unknown as KTableImpl<Windowed<string>, number>).enableSendingOldValues(true);
      const local = await runner(builder.build());
      processWithoutCommit(local, [['a', 1, 1], ['b', 1, 2], ['a', 1, 3]]);
      // The aggregation's own reads: one per window, before the cache holds it.
      expect(gets.count).toBe(2);
      local.commit();
      expect(gets.count).toBe(askOldValues ? 4 : 2);
    });
  }

  it('a windowed aggregation under suppress sends old values (Kafka forces them for the buffer); one under toStream does not', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as KStream<string, number>).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10));
    const suppressed = countingGets(Stores.inMemoryWindowStore('suppressed', 100, 10, false));
    const streamed = countingGets(Stores.inMemoryWindowStore('streamed', 100, 10, false));
    grouped
      .count({ storeName: 'suppressed', storeSupplier: suppressed.supplier, keySerde: Serdes.String() })
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .foreach(() => {});
    grouped
      .count({ storeName: 'streamed', storeSupplier: streamed.supplier, keySerde: Serdes.String() })
      .toStream()
      .foreach(() => {});
    const local = await runner(builder.build());
    processWithoutCommit(local, [['a', 1, 1], ['b', 1, 2]]);
    local.commit();
    expect({ suppressed: suppressed.gets.count, streamed: streamed.gets.count }).toEqual({ suppressed: 4, streamed: 2 });
  });
});
