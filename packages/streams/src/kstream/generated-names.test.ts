/**
 * Generated node, store and internal-topic names, as Kafka Streams 3.9 generates them: every
 * expected name below is what Kafka's `topology.describe()` prints for the same DSL calls (the
 * conformance suite's `names.test.ts` checks the whole catalogue against a live Kafka Streams).
 * Changelog topics are named after stores and repartition topics after nodes, so these names
 * are also the internal topics existing Kafka Streams applications use.
 */
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../engine.js';
import {
  BufferConfig,
  Grouped,
  JoinWindows,
  Materialized,
  Named,
  Serdes,
  StreamJoined,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  type Topology,
} from '../index.js';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

/** Every node of a topology as `kind name [stores or topics]`, sorted. */
function nodes(topology: Topology): string[] {
  return topology
    .describe()
    .subtopologies.flatMap((subtopology) => subtopology.nodes)
    .map((node) => (node.kind === 'source' ? `source ${node.name} [${node.topics.join(', ')}]` : node.kind === 'sink' ? `sink ${node.name} ${node.topic}` : `processor ${node.name} [${[...node.stores].sort().join(', ')}]`))
    .sort();
}

describe('generated names, as Kafka Streams 3.9 generates them', () => {
  it('consumes an index for a given name too, so the generated names after it do not move', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('a', strings)
      .filter(() => true, Named.as('kept'))
      .mapValues((value) => value)
      .to('out');
    expect(nodes(builder.build())).toEqual(['processor KSTREAM-MAPVALUES-0000000002 []', 'processor kept []', 'sink KSTREAM-SINK-0000000003 out', 'source KSTREAM-SOURCE-0000000000 [a]']);
  });

  it("names a suppression's buffer KTABLE-SUPPRESS-STATE-STORE-n, after count(Materialized) burned a store index", () => {
    const builder = new StreamsBuilder();
    builder
      .stream('a', strings)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
      .count(Materialized.with(Serdes.String(), Serdes.Int32()))
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('out');
    expect(nodes(builder.build())).toEqual([
      'processor KSTREAM-AGGREGATE-0000000003 [KSTREAM-AGGREGATE-STATE-STORE-0000000002]',
      'processor KTABLE-SUPPRESS-0000000004 [KTABLE-SUPPRESS-STATE-STORE-0000000005]',
      'processor KTABLE-TOSTREAM-0000000006 []',
      'sink KSTREAM-SINK-0000000007 out',
      'source KSTREAM-SOURCE-0000000000 [a]',
    ]);
  });

  it('names the aggregation before its repartition sink, filter and source, which are generated for a generated topic', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('a', strings)
      .selectKey((_key, value) => value)
      .groupByKey()
      .reduce((left, right) => left + right)
      .toStream()
      .to('out');
    expect(nodes(builder.build())).toEqual([
      'processor KSTREAM-FILTER-0000000005 []',
      'processor KSTREAM-KEY-SELECT-0000000001 []',
      'processor KSTREAM-REDUCE-0000000003 [KSTREAM-REDUCE-STATE-STORE-0000000002]',
      'processor KTABLE-TOSTREAM-0000000007 []',
      'sink KSTREAM-SINK-0000000004 KSTREAM-REDUCE-STATE-STORE-0000000002-repartition',
      'sink KSTREAM-SINK-0000000008 out',
      'source KSTREAM-SOURCE-0000000000 [a]',
      'source KSTREAM-SOURCE-0000000006 [KSTREAM-REDUCE-STATE-STORE-0000000002-repartition]',
    ]);
  });

  it('names repartition nodes after a topic named by Grouped', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('a', strings)
      .groupBy((_key, value) => value, Grouped.as('by-value'))
      .count()
      .toStream()
      .to('out', { valueSerde: Serdes.Int32() });
    expect(nodes(builder.build())).toEqual(
      expect.arrayContaining(['processor by-value-repartition-filter []', 'sink by-value-repartition-sink by-value-repartition', 'source by-value-repartition-source [by-value-repartition]']),
    );
  });

  it("takes a KTable groupBy's select name at groupBy(), then the sink, source and aggregation, named after a given aggregation name", () => {
    const builder = new StreamsBuilder();
    builder
      .table('t', strings)
      .groupBy((key, value) => ({ key: value, value: key }))
      .reduce(
        (left, right) => left + right,
        (left, right) => left + right,
        undefined,
        Named.as('sums'),
      )
      .toStream()
      .to('out');
    expect(nodes(builder.build())).toEqual([
      'processor KTABLE-SELECT-0000000003 []',
      'processor KTABLE-SOURCE-0000000002 [t-STATE-STORE-0000000000]',
      'processor KTABLE-TOSTREAM-0000000008 []',
      'processor sums [KTABLE-AGGREGATE-STATE-STORE-0000000004]',
      'sink KSTREAM-SINK-0000000009 out',
      'sink sums-sink KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition',
      'source KSTREAM-SOURCE-0000000001 [t]',
      'source sums-source [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition]',
    ]);
  });

  it('names a table read with Consumed.as(name) <name>-source and <name>', () => {
    const builder = new StreamsBuilder();
    builder.table('t', { ...strings, name: 'users' }).toStream().to('out');
    expect(nodes(builder.build())).toEqual(['processor KTABLE-TOSTREAM-0000000003 []', 'processor users []', 'sink KSTREAM-SINK-0000000004 out', 'source users-source [t]']);
  });

  it('names a table-table join merge first and its sides KTABLE-JOINTHIS/JOINOTHER for every kind', () => {
    const builder = new StreamsBuilder();
    const left = builder.table('t', strings);
    const right = builder.table('u', strings);
    left.outerJoin(right, (l, r) => `${l}${r}`).toStream().to('out');
    expect(nodes(builder.build())).toEqual(
      expect.arrayContaining(['processor KTABLE-MERGE-0000000006 []', 'processor KTABLE-JOINTHIS-0000000007 [u-STATE-STORE-0000000003]', 'processor KTABLE-JOINOTHER-0000000008 [t-STATE-STORE-0000000000]']),
    );
  });

  it("gives a left stream-stream join Kafka's windowed nodes and store names", () => {
    const builder = new StreamsBuilder();
    builder
      .stream('a', strings)
      .leftJoin(builder.stream('b', strings), (l, r) => `${l}${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(10), StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String()))
      .to('out');
    expect(nodes(builder.build())).toEqual([
      'processor KSTREAM-JOINTHIS-0000000004 [KSTREAM-OUTEROTHER-0000000005-store, KSTREAM-OUTERSHARED-0000000004-store]',
      'processor KSTREAM-MERGE-0000000006 []',
      'processor KSTREAM-OUTEROTHER-0000000005 [KSTREAM-JOINTHIS-0000000004-store, KSTREAM-OUTERSHARED-0000000004-store]',
      'processor KSTREAM-WINDOWED-0000000002 [KSTREAM-JOINTHIS-0000000004-store]',
      'processor KSTREAM-WINDOWED-0000000003 [KSTREAM-OUTEROTHER-0000000005-store]',
      'sink KSTREAM-SINK-0000000007 out',
      'source KSTREAM-SOURCE-0000000000 [a]',
      'source KSTREAM-SOURCE-0000000001 [b]',
    ]);
  });

  it('repartitions a re-keyed stream before naming its stream-table join, through a topic named after the stream', () => {
    const builder = new StreamsBuilder();
    const stream = builder.stream('s', strings).selectKey((_key, value) => value);
    stream.join(builder.table('t', strings), (value, row) => `${value}${row}`).to('out');
    const topology = builder.build();
    expect([...topologyBuilder(topology)!.internalTopics.keys()]).toEqual(['KSTREAM-KEY-SELECT-0000000001-repartition']);
    expect(nodes(topology)).toEqual(
      expect.arrayContaining([
        // The table: t-STATE-STORE-2, KSTREAM-SOURCE-3, KTABLE-SOURCE-4. Then the repartition's
        // sink, its null-key filter and its source.
        'sink KSTREAM-SINK-0000000005 KSTREAM-KEY-SELECT-0000000001-repartition',
        'processor KSTREAM-FILTER-0000000006 []',
        'source KSTREAM-SOURCE-0000000007 [KSTREAM-KEY-SELECT-0000000001-repartition]',
        'processor KSTREAM-JOIN-0000000008 [t-STATE-STORE-0000000002]',
        'sink KSTREAM-SINK-0000000009 out',
      ]),
    );
  });

  it('puts a null-key filter before the sink of every stream repartition, named as its sink and source are', () => {
    const builder = new StreamsBuilder();
    const rekeyed = builder.stream('s', strings).selectKey((_key, value) => value);
    rekeyed.repartition().to('generated');
    rekeyed.repartition({ name: 'named' }).to('given');
    builder.stream('u', strings).selectKey((_key, value) => value).toTable().toStream().to('table');
    // s: source 0, selectKey 1, repartition() 2 (its sink 3, filter 4, source 5), to 6; the named
    // repartition burns 7 to 9 for its sink, filter and source, to 10; u: source 11, selectKey 12,
    // toTable 13 (and its store name 14), its repartition's sink 15, filter 16, source 17.
    expect(nodes(builder.build())).toEqual([
      'processor KSTREAM-FILTER-0000000004 []',
      'processor KSTREAM-FILTER-0000000016 []',
      'processor KSTREAM-KEY-SELECT-0000000001 []',
      'processor KSTREAM-KEY-SELECT-0000000012 []',
      'processor KSTREAM-TOTABLE-0000000013 []',
      'processor KTABLE-TOSTREAM-0000000018 []',
      'processor named-repartition-filter []',
      'sink KSTREAM-SINK-0000000003 KSTREAM-REPARTITION-0000000002-repartition',
      'sink KSTREAM-SINK-0000000006 generated',
      'sink KSTREAM-SINK-0000000010 given',
      'sink KSTREAM-SINK-0000000015 KSTREAM-TOTABLE-0000000013-repartition',
      'sink KSTREAM-SINK-0000000019 table',
      'sink named-repartition-sink named-repartition',
      'source KSTREAM-SOURCE-0000000000 [s]',
      'source KSTREAM-SOURCE-0000000005 [KSTREAM-REPARTITION-0000000002-repartition]',
      'source KSTREAM-SOURCE-0000000011 [u]',
      'source KSTREAM-SOURCE-0000000017 [KSTREAM-TOTABLE-0000000013-repartition]',
      'source named-repartition-source [named-repartition]',
    ]);
  });

  it("names a foreign-key join's topics and subscription store in Kafka's order", () => {
    const builder = new StreamsBuilder();
    const left = builder.table('t', strings);
    const right = builder.table('u', strings);
    left.join(right, (value) => value, (l, r) => `${l}${r}`).toStream().to('out');
    const topology = builder.build();
    expect([...topologyBuilder(topology)!.internalTopics.keys()].sort()).toEqual(['KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic', 'KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic']);
    expect(nodes(topology)).toEqual(
      expect.arrayContaining([
        'processor KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011 [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010]',
        'processor KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012 [u-STATE-STORE-0000000003]',
        'processor KTABLE-FK-JOIN-OUTPUT-0000000018 []',
        'sink KTABLE-SINK-0000000015 KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic',
      ]),
    );
  });
});
