/**
 * `KTable.mapValues` (Kafka's `KTableMapValues`): a mapped table, materialized when asked.
 */
import { describe, expect, it } from 'vitest';
import { Materialized, Named, Serdes, StreamsBuilder } from '../../../index.js';
import type { ValueAndTimestamp } from '../../../index.js';
import { builderOptions, numbers } from '#test-kit';
import { openTableDriver } from './stateful-test-kit.js';

describe('KTable.mapValues', () => {
  it('materializes a filtered and a mapped table when asked', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', numbers)
      .filterNot((_key, value) => value % 2 === 1, undefined, Materialized.as('even'))
      .mapValues((value, key) => `${key}=${value}`, Named.as('show'), Materialized.as('shown'));
    const driver = await openTableDriver(builder.build());
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
