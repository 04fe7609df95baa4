/**
 * The KTable DSL, tested as a user would: tables from topics and streams, filter / mapValues,
 * re-grouped aggregations, key joins (against the Kafka Streams docs' join table), foreign-key
 * joins and global tables, run in the test driver.
 */
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../../engine.js';
import { BufferConfig, boundedTimestampExtractor, Consumed, Grouped, Materialized, Named, Produced, recordTimestampExtractor, Serdes, StreamsBuilder, Suppressed, silentLogger } from '../../../index.js';
import type { KTable, Topology, ValueAndTimestamp } from '../../../index.js';
import { TestRecord, type TopologyTestDriver } from '../../../test-utils/index.js';
import { Headers } from '../../../processor/headers.js';
import { builderOptions, numbers, openDriver as openStoreDriver, openQuietDriver, strings } from '#test-kit';

// Stores of mapped, joined and aggregated values use the default serdes, as in Kafka Streams.
const openDriver = (topology: Topology): Promise<TopologyTestDriver> => openQuietDriver(topology, { defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.Json() });

function output<V>(driver: TopologyTestDriver, topic: string, valueSerde = Serdes.Json<V>()) {
  return driver.createOutputTopic(topic, Serdes.String(), valueSerde);
}

describe('StreamsBuilder.table', () => {
  it('materializes the latest value per key and forwards each update; tombstones delete', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const table = builder.table('in', strings, Materialized.as('rows'));
    table.toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    expect(table.queryableStoreName).toBe('rows');
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'A1', 10);
    input.pipeInput('b', 'B1', 11);
    input.pipeInput('a', 'A2', 5); // out of order: the later offset still wins
    input.pipeInput('b', null, 12);
    input.pipeInput(null, 'dropped', 13);
    expect(output(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 'A1' },
      { key: 'b', value: 'B1' },
      { key: 'a', value: 'A2' },
      { key: 'b', value: null },
    ]);
    const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('rows');
    expect(store.get('a')).toEqual({ value: 'A2', timestamp: 5 });
    expect(store.get('b')).toBeUndefined();
    expect(driver.droppedRecords().get('null-key')).toBe(1);
  });

  it('toStream(keyMapper) re-keys the updates, deletes included (Kafka: toStream(named).selectKey(mapper))', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', strings)
      .toStream((key, value) => `${key}:${value ?? 'deleted'}`, Named.as('rows-out'))
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const topology = builder.build();
    const description = topology.describe().toString();
    expect(description).toContain('rows-out');
    expect(description).toContain('KSTREAM-KEY-SELECT-');
    const driver = await openDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'A1', 10);
    input.pipeInput('a', null, 11);
    expect(output(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'a:A1', value: 'A1' },
      { key: 'a:deleted', value: null },
    ]);
    const toStream = builder.table('other', strings).toStream as (...args: unknown[]) => unknown;
    expect(() => toStream(Named.as('x'), Named.as('y'))).toThrow(/toStream\(\) takes a key mapper before its Named/);
  });

  it('forwards and logs a tombstone at its own record’s timestamp, not the stream time, as Kafka’s record context does', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder.table('in', strings, Materialized.as('rows')).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'A1', 30);
    input.pipeInput('b', 'B1', 62);
    input.pipeInput('a', null, 39); // stream time stays 62
    const tombstone = output(driver, 'out', Serdes.String()).readRecordsToList()[2]!;
    expect([tombstone.key, tombstone.value, tombstone.timestamp]).toEqual(['a', null, 39]);
    const changelog = driver.createOutputTopic('test-rows-changelog', Serdes.String(), Serdes.Bytes()).readRecordsToList();
    expect(changelog.map((record) => [record.key, record.value === null ? null : 'value', record.timestamp])).toEqual([
      ['a', 'value', 30],
      ['b', 'value', 62],
      ['a', null, 39],
    ]);
  });

  it('names an unnamed store as Kafka Streams does, and creates it only when a join needs it', async () => {
    // Kafka's KTableSource materializes only for a named store or a downstream need (a value
    // getter, or old values asked with forceMaterialization); the generated name is fixed either way.
    const unread = new StreamsBuilder(builderOptions());
    unread.table('in', strings).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    expect(unread.build().describe().toString()).not.toContain('in-STATE-STORE-0000000000');

    const builder = new StreamsBuilder(builderOptions());
    const table = builder.table('in', strings);
    expect(table.queryableStoreName).toBeUndefined();
    builder
      .stream('lookups', strings)
      .join(table, (lookup, row) => `${lookup}:${row}`)
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v', 1);
    expect(driver.getKeyValueStore<string, ValueAndTimestamp<string>>('in-STATE-STORE-0000000000').get('k')?.value).toBe('v');
  });

  it('forwards every update of a table without a store, even a delete of an absent key, with caching on', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder.table('in', strings).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('gone', null, 1);
    input.pipeInput('k', 'v', 2);
    expect(output(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'gone', value: null },
      { key: 'k', value: 'v' },
    ]);
  });
});

describe('KStream.toTable', () => {
  it('reads a stream as a table, repartitioning after a key change', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const keyed = builder.stream('in', strings).selectKey((_key, value) => value.toUpperCase());
    keyed
      .toTable(Named.as('as-table'), { storeName: 'by-upper', keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('x', 'a', 1);
    input.pipeInput('y', 'b', 2);
    expect(output(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'A', value: 'a' },
      { key: 'B', value: 'b' },
    ]);
    expect(driver.producedTopicNames()).toContain('test-as-table-repartition');
  });

  it('without a named store, has no store, cache or changelog: a delete of an absent key reaches downstream', async () => {
    // Kafka's toTable() materializes only for a named Materialized or a downstream need; Tributary's
    // cache used to swallow this tombstone.
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('in', strings)
      .toTable()
      .mapValues((value) => `${value}!`)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const topology = builder.build();
    expect(topology.describe().toString()).not.toContain('STATE-STORE');
    const driver = await openDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('e', null, 38);
    input.pipeInput('f', 'x', 39);
    expect(output(driver, 'out', Serdes.String()).readRecordsToList().map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['e', null, 38],
      ['f', 'x!', 39],
    ]);
    expect(driver.producedTopicNames().filter((topic) => topic.endsWith('-changelog'))).toEqual([]);
  });

  it('materializes under its generated name when a downstream operator needs old values (suppress)', () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('in', strings)
      .toTable()
      .suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded()))
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    // Kafka Streams names the node (index 1) before the store (index 2).
    expect(builder.build().describe().toString()).toContain('KSTREAM-TOTABLE-STATE-STORE-0000000002');
  });
});

describe('KTable.filter and mapValues', () => {
  it('forwards a delete for every row that does not pass when no downstream operator needs old values', async () => {
    // Kafka's KTableFilter without sendOldValues cannot know whether the row passed before, so
    // it forwards the delete each time (Tributary used to drop rows that never matched).
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', numbers)
      .filter((_key, value) => value > 10)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 5, 1); // does not pass: delete
    input.pipeInput('a', 20, 2); // passes
    input.pipeInput('a', 30, 3);
    input.pipeInput('a', 1, 4); // stops passing: delete
    input.pipeInput('a', null, 5); // deleted upstream: delete
    expect(output(driver, 'out', Serdes.Int32()).readRecordsToList().map((record) => [record.timestamp, record.value])).toEqual([
      [1, null],
      [2, 20],
      [3, 30],
      [4, null],
      [5, null],
    ]);
  });

  it('below a materialized table (an aggregation), takes its old values and forwards no needless deletes', async () => {
    // Kafka's KTableFilter asks its parent for old values unforced when it is built: a parent that
    // has a store says yes.
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('in', numbers)
      .groupByKey()
      .reduce((sum, value) => sum + value, Materialized.with(Serdes.String(), Serdes.Int32()))
      .filter((_key, sum) => sum % 2 === 0)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 3, 1); // 3: never passed, nothing
    input.pipeInput('a', 1, 2); // 4
    input.pipeInput('a', 1, 3); // 5: stops passing, delete
    input.pipeInput('a', 2, 4); // 7: nothing
    expect(output(driver, 'out', Serdes.Int32()).readValuesToList()).toEqual([4, null]);
  });

  it('with old values asked for (a groupBy subtractor), forwards a delete only for a row that passed before', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const filtered = builder.table('in', numbers).filter((_key, value) => value > 10);
    filtered.toStream().to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    filtered
      .groupBy((key, value) => ({ key, value }), Grouped.with(Serdes.String(), Serdes.Int32()))
      .reduce(
        (sum, value) => sum + value,
        (sum, value) => sum - value,
        Materialized.with(Serdes.String(), Serdes.Int32()),
      )
      .toStream()
      .to('sums', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 5, 1); // never passed: nothing
    input.pipeInput('a', 20, 2);
    input.pipeInput('a', 30, 3);
    input.pipeInput('a', 1, 4); // stops passing: delete
    input.pipeInput('a', null, 5); // already gone: nothing
    expect(output(driver, 'out', Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 20 },
      { key: 'a', value: 30 },
      { key: 'a', value: null },
    ]);
    // The subtractor saw the old rows: 20, then 30 (20 out, 30 in), then 0 (30 out).
    expect(output(driver, 'sums', Serdes.Int32()).readKeyValuesToList().map((record) => record.value)).toEqual([20, 30, 0]);
  });

  it('materializes a filtered and a mapped table when asked', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', numbers)
      .filterNot((_key, value) => value % 2 === 1, undefined, Materialized.as('even'))
      .mapValues((value, key) => `${key}=${value}`, Named.as('show'), Materialized.as('shown'));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 2, 1);
    input.pipeInput('b', 3, 2);
    input.pipeInput('c', 4, 3);
    input.pipeInput('c', 5, 4);
    const even = driver.getKeyValueStore<string, ValueAndTimestamp<number>>('even');
    const shown = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('shown');
    expect([...even.all()].map((entry) => [entry.key, entry.value.value])).toEqual([['a', 2]]);
    expect([...shown.all()].map((entry) => [entry.key, entry.value.value])).toEqual([['a', 'a=2']]);
  });
});

describe('a cached table', () => {
  it('forwards each update with the headers of the record that made it, cache on or off', async () => {
    for (const cacheMaxBytes of [0, 1024 * 1024]) {
      const builder = new StreamsBuilder(builderOptions());
      builder.table('in', strings, Materialized.as('rows')).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
      const driver = await openQuietDriver(builder.build(), { cacheMaxBytes });
      const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
      input.pipeInput(new TestRecord('a', 'A1', 1, new Headers().add('trace', 't1')));
      input.pipeInput(new TestRecord<string, string>('a', null, 2, new Headers().add('trace', 't2')));
      const records = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
      expect(records.map((record) => `${record.value}:${record.headers.lastString('trace')}`)).toEqual(['A1:t1', 'null:t2']);
    }
  });
});

describe('KTable.groupBy', () => {
  it('keeps per-group sums and counts exact as rows move between groups', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = builder
      .table('in', Consumed.with(Serdes.String(), Serdes.Json<{ region: string; amount: number }>()))
      .groupBy((_key, value) => ({ key: value.region, value: value.amount }), Grouped.with(Serdes.String(), Serdes.Int32()));
    grouped
      .aggregate(
        () => 0,
        (_region, amount, total) => total + amount,
        (_region, amount, total) => total - amount,
        Materialized.as<string, number>('totals'),
      )
      .toStream()
      .to('totals', Produced.with(Serdes.String(), Serdes.Int32()));
    grouped.count(Materialized.as('counts')).toStream().to('counts', Produced.with(Serdes.String(), Serdes.Float64()));
    grouped
      .reduce((sum, value) => sum + value, (sum, value) => sum - value, Materialized.as('reduced'))
      .toStream()
      .to('reduced', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Json<{ region: string; amount: number }>());
    input.pipeInput('alice', { region: 'eu', amount: 10 }, 1);
    input.pipeInput('bob', { region: 'eu', amount: 5 }, 2);
    input.pipeInput('alice', { region: 'us', amount: 7 }, 3); // moves from eu to us
    input.pipeInput('bob', { region: 'eu', amount: 6 }, 4); // stays in eu: one record, both values
    input.pipeInput('bob', null, 5);
    expect(Object.fromEntries(output(driver, 'totals', Serdes.Int32()).readKeyValuesToMap())).toEqual({ eu: 0, us: 7 });
    expect(Object.fromEntries(output(driver, 'counts', Serdes.Float64()).readKeyValuesToMap())).toEqual({ eu: 0, us: 1 });
    expect(Object.fromEntries(output(driver, 'reduced', Serdes.Int32()).readKeyValuesToMap())).toEqual({ eu: 0, us: 7 });
    expect(driver.getKeyValueStore<string, ValueAndTimestamp<number>>('totals').get('us')).toEqual({ value: 7, timestamp: 3 });
  });

  it('sends a row that keeps its group as one record carrying both values', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', numbers)
      .groupBy((_key, value) => ({ key: 'all', value }), { name: 'sum', keySerde: Serdes.String(), valueSerde: Serdes.Int32() })
      .reduce((sum, value) => sum + value, (sum, value) => sum - value)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 1, 1);
    input.pipeInput('a', 2, 2);
    expect(output(driver, 'out', Serdes.Int32()).readValuesToList()).toEqual([1, 2]);
    expect(driver.producedTopicNames()).toContain('test-sum-repartition');
  });

  it("writes the repartition topic in Kafka's layout: one record with both values, or a subtraction then an addition", async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', strings)
      .groupBy((_key, value) => ({ key: value.slice(0, 1), value }), { name: 'g', keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .reduce((sum, value) => `${sum}+${value}`, (sum, value) => `${sum}-${value}`)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('k', 'a1', 1);
    input.pipeInput('k', 'a2', 2); // stays in group a
    input.pipeInput('k', 'b1', 3); // moves to group b
    input.pipeInput('k', null, 4);
    const repartition = driver.createOutputTopic('test-g-repartition', Serdes.String(), Serdes.Bytes()).readKeyValuesToList();
    expect(repartition.map(({ key, value }) => `${key}:${value!.toString('hex')}`)).toEqual([
      'a:' + Buffer.from('a1').toString('hex') + '01',
      'a:04' + Buffer.from('a2a1').toString('hex') + '02',
      'a:' + Buffer.from('a2').toString('hex') + '00',
      'b:' + Buffer.from('b1').toString('hex') + '01',
      'b:' + Buffer.from('b1').toString('hex') + '00',
    ]);
  });

  it('sends nothing for a selected pair with a null value, as Kafka Streams does', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', numbers)
      .groupBy((_key, value) => ({ key: 'all', value: (value % 2 === 0 ? value : null) as number }), { name: 'evens', keySerde: Serdes.String(), valueSerde: Serdes.Int32() })
      .reduce((sum, value) => sum + value, (sum, value) => sum - value)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 2, 1);
    input.pipeInput('b', 3, 2); // odd: no pair to add
    input.pipeInput('b', 5, 3); // odd to odd: nothing to subtract or add
    input.pipeInput('a', 4, 4);
    expect(output(driver, 'out', Serdes.Int32()).readValuesToList()).toEqual([2, 4]);
    expect(driver.createOutputTopic('test-evens-repartition', Serdes.String(), Serdes.Bytes()).readValuesToList()).toHaveLength(2);
  });
});

/** The table-table join example of the Kafka Streams docs (DSL API, "KTable-KTable Equi-Join"). */
describe('KTable key joins', () => {
  const steps: Array<[number, 'left' | 'right', string | null]> = [
    [1, 'left', null],
    [2, 'right', null],
    [3, 'left', 'A'],
    [4, 'right', 'a'],
    [5, 'left', 'B'],
    [6, 'right', 'b'],
    [7, 'left', null],
    [8, 'right', null],
    [9, 'left', 'C'],
    [10, 'right', 'c'],
    [11, 'right', null],
    [12, 'left', null],
    [13, 'right', null],
    [14, 'right', 'd'],
    [15, 'left', 'D'],
  ];
  const expected: Record<'join' | 'leftJoin' | 'outerJoin', Array<[number, string | null]>> = {
    join: [
      [4, 'A-a'],
      [5, 'B-a'],
      [6, 'B-b'],
      [7, null],
      [10, 'C-c'],
      [11, null],
      [15, 'D-d'],
    ],
    leftJoin: [
      [3, 'A-null'],
      [4, 'A-a'],
      [5, 'B-a'],
      [6, 'B-b'],
      [7, null],
      [9, 'C-null'],
      [10, 'C-c'],
      [11, 'C-null'],
      [12, null],
      [15, 'D-d'],
    ],
    outerJoin: [
      [3, 'A-null'],
      [4, 'A-a'],
      [5, 'B-a'],
      [6, 'B-b'],
      [7, 'null-b'],
      [8, null],
      [9, 'C-null'],
      [10, 'C-c'],
      [11, 'C-null'],
      [12, null],
      [14, 'null-d'],
      [15, 'D-d'],
    ],
  };

  for (const operator of ['join', 'leftJoin', 'outerJoin'] as const) {
    it(`${operator} emits the docs' sequence, with the larger timestamp of both sides`, async () => {
      const builder = new StreamsBuilder(builderOptions());
      const left = builder.table('left', strings);
      const right = builder.table('right', strings);
      const joiner = (l: string | null, r: string | null) => `${l}-${r}`;
      const joined: KTable<string, string> =
        operator === 'join' ? left.join(right, joiner) : operator === 'leftJoin' ? left.leftJoin(right, joiner) : left.outerJoin(right, joiner);
      joined.toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
      const topology = builder.build();
      expect(topologyBuilder(topology)!.copartitionGroups.map((group) => [...group])).toEqual([['left', 'right']]);
      const driver = await openDriver(topology);
      const inputs = { left: driver.createInputTopic('left', Serdes.String(), Serdes.String()), right: driver.createInputTopic('right', Serdes.String(), Serdes.String()) };
      for (const [time, side, value] of steps) inputs[side].pipeInput('k', value, time);
      const records = output(driver, 'out', Serdes.String()).readRecordsToList();
      expect(records.map((record) => [record.timestamp, record.value])).toEqual(expected[operator]);
    });
  }

  it('materializes the join result when asked, and a join of joins looks rows up through both', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const a = builder.table('a', strings);
    const b = builder.table('b', strings);
    const c = builder.table('c', strings);
    const ab = a.join(b, (x, y) => x + y);
    ab.join(c, (xy, z) => xy + z, Named.as('abc'), Materialized.as<string, string>('abc-store'))
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openDriver(builder.build());
    const pipe = (topic: string, key: string, value: string | null, time: number) => driver.createInputTopic(topic, Serdes.String(), Serdes.String()).pipeInput(key, value, time);
    pipe('c', 'k', 'z', 1);
    pipe('a', 'k', 'x', 2);
    pipe('b', 'k', 'y', 3);
    pipe('c', 'k', 'Z', 4);
    expect(output(driver, 'out', Serdes.String()).readValuesToList()).toEqual(['xyz', 'xyZ']);
    expect(driver.getKeyValueStore<string, ValueAndTimestamp<string>>('abc-store').get('k')).toEqual({ value: 'xyZ', timestamp: 4 });
  });
});

interface Order {
  readonly product: string | null;
  readonly quantity: number;
}

describe('KTable foreign-key join', () => {
  function fkTopology(kind: 'join' | 'leftJoin'): Topology {
    const builder = new StreamsBuilder(builderOptions());
    const orders = builder.table('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()));
    const products = builder.table('products', strings);
    const joiner = (order: Order, name: string | null) => `${order.quantity} x ${name}`;
    const joined =
      kind === 'join'
        ? orders.join(products, (order: Order) => order.product, joiner, { name: 'order-product' })
        : orders.leftJoin(products, (order: Order) => order.product, joiner, { name: 'order-product' });
    joined.toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  it('inner join: deleting a right row answers its subscribers even when the row was never there, deleting their results (caches off)', async () => {
    // Kafka's ForeignTableJoinProcessorSupplier answers every subscriber of a right-side change,
    // and the inner join turns a null answer into a tombstone. With caches on, the right table's
    // cache swallows the deletion of an absent row first, so only caches off show it.
    const driver = await openStoreDriver(
      fkTopology('join'),
      { logger: silentLogger, defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.Json(), cacheMaxBytes: 0 },
      { initialWallClockTime: 0 },
    );
    driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>()).pipeInput('o1', { product: 'p1', quantity: 2 }, 26);
    driver.createInputTopic('products', Serdes.String(), Serdes.String()).pipeInput('p1', null, 47);
    const records = output(driver, 'out', Serdes.String()).readRecordsToList();
    expect(records.map((record) => [record.key, record.value, record.timestamp])).toEqual([['o1', null, 47]]);
  });

  it('joins through subscription and response topics, following foreign-key changes and right-side updates', async () => {
    const driver = await openDriver(fkTopology('join'));
    const orders = driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>());
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    const out = output(driver, 'out', Serdes.String());
    orders.pipeInput('o1', { product: 'p1', quantity: 2 }, 1);
    expect(out.readKeyValuesToList()).toEqual([]);
    products.pipeInput('p1', 'apple', 2);
    orders.pipeInput('o2', { product: 'p1', quantity: 3 }, 3);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: '2 x apple' },
      { key: 'o2', value: '3 x apple' },
    ]);
    products.pipeInput('p1', 'green apple', 4); // fans out to every order of p1
    expect(out.readKeyValuesToMap()).toEqual(new Map([['o1', '2 x green apple'], ['o2', '3 x green apple']]));
    orders.pipeInput('o1', { product: 'p2', quantity: 2 }, 5); // p2 missing: the old result is retracted
    expect(out.readKeyValuesToList()).toEqual([{ key: 'o1', value: null }]);
    products.pipeInput('p1', null, 6); // right delete: inner results go
    expect(out.readKeyValuesToList()).toEqual([{ key: 'o2', value: null }]);
    products.pipeInput('p2', 'pear', 7);
    orders.pipeInput('o1', null, 8);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: '2 x pear' },
      { key: 'o1', value: null },
    ]);
    expect(driver.producedTopicNames()).toEqual(
      expect.arrayContaining(['test-order-product-subscription-registration-topic', 'test-order-product-subscription-response-topic']),
    );
  });

  it('left join keeps rows without a match or without a foreign key, joined with null', async () => {
    const driver = await openDriver(fkTopology('leftJoin'));
    const orders = driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>());
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    const out = output(driver, 'out', Serdes.String());
    orders.pipeInput('o1', { product: 'p1', quantity: 1 }, 1);
    orders.pipeInput('o2', { product: null, quantity: 2 }, 2);
    products.pipeInput('p1', 'apple', 3);
    products.pipeInput('p1', null, 4);
    orders.pipeInput('o2', null, 5);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: '1 x null' },
      { key: 'o2', value: '2 x null' },
      { key: 'o1', value: '1 x apple' },
      { key: 'o1', value: '1 x null' },
      { key: 'o2', value: null },
    ]);
  });
});

describe('StreamsBuilder.globalTable', () => {
  it('fills a global store from its topic at once, with no task, deletes on tombstones and is not changelogged', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const global = builder.globalTable('products', strings, Materialized.as('products-store'));
    builder.stream('in', strings).to('out', Produced.with(Serdes.String(), Serdes.String()));
    expect(global.queryableStoreName).toBe('products-store');
    const topology = builder.build();
    expect([...topologyBuilder(topology)!.globalStores.keys()]).toEqual(['products']);
    const driver = await openDriver(topology);
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    products.pipeInput('p1', 'apple', 1);
    products.pipeInput('p2', 'pear', 2);
    products.pipeInput('p2', null, 3);
    products.pipeInput(null, 'no key', 4);
    const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('products-store');
    expect(store.get('p1')).toEqual({ value: 'apple', timestamp: 1 });
    expect(store.get('p2')).toBeUndefined();
    expect(driver.droppedRecords().get('null-key')).toBe(1);
    expect(driver.producedTopicNames().filter((topic) => topic.endsWith('-changelog'))).toEqual([]);
  });

  it('skips and counts a record its bounded timestamp extractor rejects, rather than failing', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder.globalTable('products', { ...strings, timestampExtractor: boundedTimestampExtractor(recordTimestampExtractor, { maxFutureMs: 1_000 }) }, Materialized.as('products-store'));
    builder.stream('in', strings).to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openDriver(builder.build());
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    products.pipeInput('p1', 'apple', Date.now() + 60_000); // a minute ahead of the (real) wall clock
    products.pipeInput('p2', 'pear', 2);
    const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('products-store');
    expect(store.get('p1')).toBeUndefined();
    expect(store.get('p2')).toEqual({ value: 'pear', timestamp: 2 });
    expect(driver.droppedRecords().get('invalid-timestamp')).toBe(1);
  });
});
