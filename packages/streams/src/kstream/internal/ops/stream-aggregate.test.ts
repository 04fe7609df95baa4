/**
 * `KGroupedStream` aggregations over all time (Kafka's `KStreamAggregate` / `KStreamReduce`):
 * count, reduce, aggregate and cogroup, the repartition after `groupBy`, and their value serdes.
 */
import { describe, expect, it } from 'vitest';
import { Materialized, Produced, Serdes, silentLogger, StreamsBuilder } from '../../../index.js';
import type { KeyValueStore, KStream, ValueAndTimestamp } from '../../../index.js';
import { builderOptions, numbers, numberTopology, openDriver, openQuietDriver } from '#test-kit';
import { pipeNumbers } from './stateful-test-kit.js';

describe('KGroupedStream aggregations', () => {
  it('counts per key, dropping and counting null keys and null values', async () => {
    const driver = await openQuietDriver(
      numberTopology((stream) => stream.groupByKey().count(Materialized.as('counts')).toStream().to('out', Produced.with(Serdes.String(), Serdes.Float64()))),
    );
    pipeNumbers(driver, [['a', 1, 0], [null, 2, 1], ['b', 3, 2], ['a', null, 3], ['a', 4, 4]]);
    const out = driver.createOutputTopic('out', Serdes.String(), Serdes.Float64()).readKeyValuesToList();
    expect(out).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 1 }, { key: 'a', value: 2 }]);
    expect(driver.droppedRecords().get('null-key')).toBe(1);
    expect(driver.droppedRecords().get('null-value')).toBe(1);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('counts').get('a')).toEqual({ value: 2, timestamp: 4 });
  });

  it('reduces and aggregates, repartitioning after groupBy through <Grouped name>-repartition', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const stream = builder.stream('in', numbers) as KStream<string, number>;
    stream
      .groupBy((_key, value) => (value % 2 === 0 ? 'even' : 'odd'), { name: 'parity', keySerde: Serdes.String(), valueSerde: Serdes.Int32() })
      .reduce((sum, value) => sum + value, Materialized.as('sums'));
    const driver = await openQuietDriver(builder.build());
    pipeNumbers(driver, [['x', 1, 0], ['y', 2, 1], ['z', 3, 2]]);
    expect(driver.producedTopicNames()).toContain('test-parity-repartition');
    const sums = driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('sums');
    expect(sums.get('odd')?.value).toBe(4);
    expect(sums.get('even')?.value).toBe(2);
  });

  it('cogroups two streams into one aggregate per key', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const clicks = (builder.stream('in', numbers) as KStream<string, number>).groupByKey();
    const views = (builder.stream('views', numbers) as KStream<string, number>).groupByKey();
    clicks
      .cogroup<number>((_key, value, total) => total + value)
      .cogroup(views, (_key, value, total) => total + 100 * value)
      .aggregate(() => 0, { ...Materialized.as('totals'), ...Materialized.with(Serdes.String(), Serdes.Int32()) });
    const driver = await openQuietDriver(builder.build());
    pipeNumbers(driver, [['a', 1, 0]]);
    driver.createInputTopic('views', Serdes.String(), Serdes.Int32()).pipeInput('a', 2, 1);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('totals').get('a')?.value).toBe(201);
  });

  it('names the operator and Materialized.with when an aggregate has no value serde and the config no default', async () => {
    const build = () => numberTopology((stream) => stream.groupByKey().aggregate(() => 0, (_key, value, sum) => sum + value, Materialized.as('sums')));
    await expect(openDriver(build())).rejects.toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID', message: expect.stringMatching(/aggregate\(\) has no value serde for its store 'sums'.*Materialized\.with/) }));
    // A config default is enough.
    const driver = await openDriver(build(), { logger: silentLogger, defaultValueSerde: Serdes.Int32() });
    pipeNumbers(driver, [['a', 1, 0], ['a', 2, 1]]);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('sums').get('a')?.value).toBe(3);
  });

  it('reduce keeps the grouped value serde; count uses its own', async () => {
    const driver = await openQuietDriver(
      numberTopology((stream) => {
        stream.groupByKey().reduce((sum, value) => sum + value, Materialized.as('reduced'));
        stream.groupByKey().count(Materialized.as('counted'));
      }),
    );
    pipeNumbers(driver, [['a', 1, 0], ['a', 2, 1]]);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('reduced').get('a')?.value).toBe(3);
    expect(driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('counted').get('a')?.value).toBe(2);
  });
});
