/**
 * `KStream.toTable`: a stream read as a table, with a store only when it is named or a downstream
 * operator needs one.
 */
import { describe, expect, it } from 'vitest';
import { BufferConfig, Named, Produced, Serdes, StreamsBuilder, Suppressed } from '../../../index.js';
import { builderOptions, strings } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

describe('KStream.toTable', () => {
  it('reads a stream as a table, repartitioning after a key change', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const keyed = builder.stream('in', strings).selectKey((_key, value) => value.toUpperCase());
    keyed
      .toTable(Named.as('as-table'), { storeName: 'by-upper', keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('x', 'a', 1);
    input.pipeInput('y', 'b', 2);
    expect(stringKeyedOutput(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
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
    const driver = await openTableDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('e', null, 38);
    input.pipeInput('f', 'x', 39);
    expect(stringKeyedOutput(driver, 'out', Serdes.String()).readRecordsToList().map((record) => [record.key, record.value, record.timestamp])).toEqual([
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
