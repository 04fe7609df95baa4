/**
 * `KGroupedTable` aggregations (Kafka's `KTableAggregate` / `KTableReduce`): exact per-group
 * aggregates as rows move between groups, each change adding the new value and subtracting the old.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder } from '../../../index.js';
import type { ValueAndTimestamp } from '../../../index.js';
import { builderOptions, numbers } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

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
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Json<{ region: string; amount: number }>());
    input.pipeInput('alice', { region: 'eu', amount: 10 }, 1);
    input.pipeInput('bob', { region: 'eu', amount: 5 }, 2);
    input.pipeInput('alice', { region: 'us', amount: 7 }, 3); // moves from eu to us
    input.pipeInput('bob', { region: 'eu', amount: 6 }, 4); // stays in eu: one record, both values
    input.pipeInput('bob', null, 5);
    expect(Object.fromEntries(stringKeyedOutput(driver, 'totals', Serdes.Int32()).readKeyValuesToMap())).toEqual({ eu: 0, us: 7 });
    expect(Object.fromEntries(stringKeyedOutput(driver, 'counts', Serdes.Float64()).readKeyValuesToMap())).toEqual({ eu: 0, us: 1 });
    expect(Object.fromEntries(stringKeyedOutput(driver, 'reduced', Serdes.Int32()).readKeyValuesToMap())).toEqual({ eu: 0, us: 7 });
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
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 1, 1);
    input.pipeInput('a', 2, 2);
    expect(stringKeyedOutput(driver, 'out', Serdes.Int32()).readValuesToList()).toEqual([1, 2]);
    expect(driver.producedTopicNames()).toContain('test-sum-repartition');
  });
});
