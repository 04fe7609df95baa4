/**
 * `Materialized` with a store supplier and no store name: as in Kafka Streams, the store takes the
 * supplier's name (queryable by it), at every DSL entry point that accepts a supplier, and the
 * topology is the one `Materialized.as(supplier)` builds.
 */
import { describe, expect, it } from 'vitest';
import { Serdes, Stores, StreamsBuilder } from '../index.js';
import type { KeyValueStore, KGroupedStream, KTable, SessionStore, Topology, ValueAndTimestamp, WindowStore } from '../index.js';
import type { TopologyTestDriver } from '../test-utils/index.js';
import { Materialized } from './materialized.js';
import { SessionWindows, SlidingWindows, TimeWindows } from './windows.js';
import { builderOptions, numbers, openQuietDriver, storeSuppliers, strings } from '#test-kit';

type Grouped = KGroupedStream<string, number>;

const suppliers = storeSuppliers();
const keyValue = (name: string) => suppliers.keyValueStore(name);
const windowed = (name: string, sizeMs: number) => suppliers.windowStore(name, 60_000, sizeMs, false);
const session = (name: string) => suppliers.sessionStore(name, 60_000);

/** A topology over `in` (string keys, number values), grouped by key. */
function grouped(build: (stream: Grouped) => void): Topology {
  const builder = new StreamsBuilder(builderOptions());
  build(builder.stream('in', numbers).groupByKey());
  return builder.build();
}

/** A topology over the table of `table-in` (string keys and values). */
function tabled(build: (table: KTable<string, string>, builder: StreamsBuilder) => void): Topology {
  const builder = new StreamsBuilder(builderOptions());
  build(builder.table('table-in', strings), builder);
  return builder.build();
}

async function runNumbers(topology: Topology): Promise<TopologyTestDriver> {
  const driver = await openQuietDriver(topology);
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
  input.pipeInput('a', 1, 0);
  input.pipeInput('a', 2, 5);
  input.pipeInput('b', 3, 6);
  return driver;
}

async function runStrings(topology: Topology): Promise<TopologyTestDriver> {
  const driver = await openQuietDriver(topology);
  const input = driver.createInputTopic('table-in', Serdes.String(), Serdes.String());
  input.pipeInput('a', 'x', 0);
  input.pipeInput('b', 'yy', 5);
  return driver;
}

const keyValueOf = (driver: TopologyTestDriver, store: string, key: string) => driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<unknown>>>(store).get(key)?.value;
const windowOf = (driver: TopologyTestDriver, store: string, key: string, start: number) =>
  driver.getStateStore<WindowStore<string, ValueAndTimestamp<unknown>>>(store).fetch(key, start)?.value;
const sessionOf = (driver: TopologyTestDriver, store: string, key: string, start: number, end: number) => driver.getStateStore<SessionStore<string, unknown>>(store).fetchSession(key, start, end);

describe('Materialized with a store supplier and no store name', () => {
  const sum = (_key: string, value: number, total: number) => total + value;

  it('KGroupedStream count, reduce and aggregate keep their store under the supplier name', async () => {
    const driver = await runNumbers(
      grouped((stream) => {
        stream.count({ storeSupplier: keyValue('counts') });
        stream.reduce((left, right) => left + right, { storeSupplier: keyValue('sums') });
        stream.aggregate(() => 10, sum, { storeSupplier: keyValue('totals'), valueSerde: Serdes.Int32() });
      }),
    );
    expect([keyValueOf(driver, 'counts', 'a'), keyValueOf(driver, 'sums', 'a'), keyValueOf(driver, 'totals', 'a')]).toEqual([2, 3, 13]);
  });

  it('time windows: count, reduce and aggregate', async () => {
    const driver = await runNumbers(
      grouped((stream) => {
        const windows = stream.windowedBy(TimeWindows.ofSizeWithNoGrace(10));
        windows.count({ storeSupplier: windowed('window-counts', 10) });
        windows.reduce((left, right) => left + right, { storeSupplier: windowed('window-sums', 10) });
        windows.aggregate(() => 10, sum, { storeSupplier: windowed('window-totals', 10), valueSerde: Serdes.Int32() });
      }),
    );
    expect([windowOf(driver, 'window-counts', 'a', 0), windowOf(driver, 'window-sums', 'a', 0), windowOf(driver, 'window-totals', 'a', 0)]).toEqual([2, 3, 13]);
  });

  it('sliding windows: count and aggregate', async () => {
    const driver = await runNumbers(
      grouped((stream) => {
        const windows = stream.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10));
        windows.count({ storeSupplier: windowed('sliding-counts', 10) });
        windows.aggregate(() => 10, sum, { storeSupplier: windowed('sliding-totals', 10), valueSerde: Serdes.Int32() });
      }),
    );
    // The window [0,10] holds both records of 'a'.
    expect([windowOf(driver, 'sliding-counts', 'a', 0), windowOf(driver, 'sliding-totals', 'a', 0)]).toEqual([2, 13]);
  });

  it('session windows: count, reduce and aggregate', async () => {
    const driver = await runNumbers(
      grouped((stream) => {
        const sessions = stream.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10));
        sessions.count({ storeSupplier: session('session-counts') });
        sessions.reduce((left, right) => left + right, { storeSupplier: session('session-sums') });
        sessions.aggregate(() => 10, sum, (_key, left, right) => left + right, { storeSupplier: session('session-totals'), valueSerde: Serdes.Int32() });
      }),
    );
    // The second record starts a session aggregate of its own (10 + 2), merged with the first's (10 + 1).
    expect([sessionOf(driver, 'session-counts', 'a', 0, 5), sessionOf(driver, 'session-sums', 'a', 0, 5), sessionOf(driver, 'session-totals', 'a', 0, 5)]).toEqual([2, 3, 23]);
  });

  it('cogroup: aggregate, and per time window', async () => {
    const driver = await runNumbers(
      grouped((stream) => {
        stream.cogroup(sum).aggregate(() => 10, { storeSupplier: keyValue('cogrouped'), valueSerde: Serdes.Int32() });
        stream
          .cogroup(sum)
          .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
          .aggregate(() => 10, { storeSupplier: windowed('cogrouped-windows', 10), valueSerde: Serdes.Int32() });
      }),
    );
    expect([keyValueOf(driver, 'cogrouped', 'a'), windowOf(driver, 'cogrouped-windows', 'a', 0)]).toEqual([13, 13]);
  });

  it('KGroupedTable count, reduce and aggregate', async () => {
    const driver = await runStrings(
      tabled((table) => {
        const byLength = table.groupBy((key, value) => ({ key: String(value.length), value: key }), { keySerde: Serdes.String(), valueSerde: Serdes.String() });
        byLength.count({ storeSupplier: keyValue('by-length') });
        byLength.reduce(
          (left, right) => left + right,
          (left) => left,
          { storeSupplier: keyValue('keys-by-length') },
        );
        byLength.aggregate(
          () => '',
          (_key, value, aggregate) => aggregate + value,
          (_key, _value, aggregate) => aggregate,
          { storeSupplier: keyValue('joined-by-length'), valueSerde: Serdes.String() },
        );
      }),
    );
    expect([keyValueOf(driver, 'by-length', '2'), keyValueOf(driver, 'keys-by-length', '1'), keyValueOf(driver, 'joined-by-length', '2')]).toEqual([1, 'a', 'b']);
  });

  it('builder.table, builder.globalTable, KStream.toTable and the KTable operators that materialize', async () => {
    const driver = await runStrings(
      tabled((table, builder) => {
        builder.table('table-in-2', strings, { storeSupplier: keyValue('source-table') });
        // Global tables stay in memory (they need no prepare step), whatever the run's store kind.
        builder.globalTable('global-in', strings, { storeSupplier: Stores.inMemoryKeyValueStore('global-table') });
        builder.stream('table-in-3', strings).toTable(undefined, { storeSupplier: keyValue('stream-table') });
        table.filter((_key, value) => value.length > 1, undefined, { storeSupplier: keyValue('long-values') });
        table.mapValues((value) => value.toUpperCase(), undefined, { storeSupplier: keyValue('upper-values'), valueSerde: Serdes.String() });
        table.join(table, (left, right) => left + right, undefined, { storeSupplier: keyValue('self-joined'), valueSerde: Serdes.String() });
      }),
    );
    driver.createInputTopic('table-in-2', Serdes.String(), Serdes.String()).pipeInput('c', 'z', 7);
    driver.createInputTopic('table-in-3', Serdes.String(), Serdes.String()).pipeInput('c', 'z', 7);
    driver.createInputTopic('global-in', Serdes.String(), Serdes.String()).pipeInput('c', 'z', 7);
    expect([
      keyValueOf(driver, 'source-table', 'c'),
      keyValueOf(driver, 'stream-table', 'c'),
      keyValueOf(driver, 'global-table', 'c'),
      keyValueOf(driver, 'long-values', 'b'),
      keyValueOf(driver, 'long-values', 'a'),
      keyValueOf(driver, 'upper-values', 'a'),
      keyValueOf(driver, 'self-joined', 'b'),
    ]).toEqual(['z', 'z', 'z', 'yy', undefined, 'X', 'yyyy']);
  });

  it('builds the same topology as Materialized.as(supplier), naming no generated store', () => {
    const describedTopology = (asNamed: boolean) =>
      String(
        grouped((stream) => {
          const counts = keyValue('counts');
          const windows = windowed('window-counts', 10);
          stream.count(asNamed ? Materialized.as(counts) : { storeSupplier: counts }).toStream().to('out');
          stream.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count(asNamed ? Materialized.as(windows) : { storeSupplier: windows });
        }).describe(),
      );
    const supplied = describedTopology(false);
    expect(supplied).toBe(describedTopology(true));
    // Kafka's MaterializedInternal takes the supplier's name, so no store index is consumed: the aggregation is node 1.
    expect(supplied).toContain('KSTREAM-AGGREGATE-0000000001 (stores: [counts])');
  });

  it('rejects a store name that differs from its supplier name', () => {
    expect(() => grouped((stream) => stream.count({ storeName: 'counts', storeSupplier: keyValue('other') }))).toThrow(/store name 'counts' and a storeSupplier of store 'other'/);
  });
});
