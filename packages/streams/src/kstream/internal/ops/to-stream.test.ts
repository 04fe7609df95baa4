/**
 * `KTable.toStream`: a table's updates as a stream, re-keyed by a key mapper when one is given.
 */
import { describe, expect, it } from 'vitest';
import { Named, Produced, Serdes, StreamsBuilder } from '../../../index.js';
import { builderOptions, strings } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

describe('KTable.toStream', () => {
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
    const driver = await openTableDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'A1', 10);
    input.pipeInput('a', null, 11);
    expect(stringKeyedOutput(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'a:A1', value: 'A1' },
      { key: 'a:deleted', value: null },
    ]);
    const toStream = builder.table('other', strings).toStream as (...args: unknown[]) => unknown;
    expect(() => toStream(Named.as('x'), Named.as('y'))).toThrow(/toStream\(\) takes a key mapper before its Named/);
  });
});
