/**
 * `repartition`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../../engine.js';
import { Produced, Repartitioned, Serdes, StreamsBuilder, TopologyError } from '../../../index.js';
import { TopologyTestDriver } from '../../../test-utils/index.js';
import { numbers, writeNumbers, openMemoryDriver, numberTopology, runNumbers, expectTimestampAndHeadersKept } from '#test-kit';

describe('repartition', () => {
  it('writes through <applicationId>-<name>-repartition and reads the records back', () => {
    const topology = numberTopology((stream) =>
      stream
        .selectKey((_key, value) => `user-${value}`)
        .repartition({ name: 'by-user', keySerde: Serdes.String() })
        .to('out', writeNumbers),
    );
    const driver = openMemoryDriver(topology, { applicationId: 'shop' });
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2]]);
    expect(driver.producedTopicNames()).toEqual(['in', 'shop-by-user-repartition', 'out']);
    expect(driver.createOutputTopic('shop-by-user-repartition', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'user-1', value: 1 },
      { key: 'user-2', value: 2 },
    ]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'user-1', value: 1 },
      { key: 'user-2', value: 2 },
    ]);
  });

  it('names the topic after Repartitioned.as and splits the topology there', () => {
    const topology = numberTopology((stream) => stream.repartition(Repartitioned.as('again')).to('out', writeNumbers));
    const description = topology.describe();
    expect(description.subtopologies).toHaveLength(2);
    expect(description.subtopologies[0]!.nodes.at(-1)).toMatchObject({ kind: 'sink', name: 'again-repartition-sink', topic: 'again-repartition' });
    expect(description.subtopologies[1]!.nodes[0]).toMatchObject({ kind: 'source', name: 'again-repartition-source', topics: ['again-repartition'] });
    expect(runNumbers(topology, [['k', 4]])).toEqual([{ key: 'k', value: 4 }]);
  });

  it('generates a topic name when none is given', () => {
    const topology = numberTopology((stream) => stream.repartition().to('out', writeNumbers));
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('k', 1);
    expect(driver.producedTopicNames()).toHaveLength(3);
    expect(driver.producedTopicNames()[1]).toMatch(/^test-KSTREAM-REPARTITION-\d{10}-repartition$/);
  });

  it('asks for Repartitioned.with when the key type changed and no serde is known', () => {
    const topology = numberTopology((stream) =>
      stream
        .selectKey((_key, value) => value)
        .repartition(Repartitioned.as('by-value'))
        .to('out', Produced.with(Serdes.Int32(), Serdes.Int32())),
    );
    expect(() => new TopologyTestDriver(topology)).toThrow(
      "Sink 'by-value-repartition-sink' (topic 'by-value-repartition') has no key serde: give one with Repartitioned.with (or Grouped.with)(keySerde, valueSerde), or set defaultKeySerde in the streams config.",
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects numberOfPartitions %s', (partitions) => {
    const stream = new StreamsBuilder().stream('in', numbers);
    expect(() => stream.repartition(Repartitioned.numberOfPartitions(partitions))).toThrow(TopologyError);
    expect(() => stream.repartition(Repartitioned.numberOfPartitions(partitions))).toThrow(/'numberOfPartitions' must be a positive integer/);
  });

  it('accepts a positive numberOfPartitions', () => {
    const topology = numberTopology((stream) => stream.repartition({ ...Repartitioned.numberOfPartitions(3), name: 'three' }).to('out', writeNumbers));
    // The driver runs one partition, so the count is only visible in the topic the topology asks for.
    expect(topologyBuilder(topology)!.internalTopics.get('three-repartition')).toEqual({ name: 'three-repartition', kind: 'repartition', partitions: 3 });
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.repartition({ keySerde: Serdes.String() }));
  });
});
