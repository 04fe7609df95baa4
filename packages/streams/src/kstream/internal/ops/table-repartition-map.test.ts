/**
 * `KTable.groupBy` (Kafka's `KTableRepartitionMap`): what it writes to its repartition topic, in
 * Kafka's layout, for a row that keeps its group, moves or selects a null value.
 */
import { describe, expect, it } from 'vitest';
import { Produced, Serdes, StreamsBuilder } from '../../../index.js';
import { builderOptions, numbers, strings } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

describe('KTable.groupBy', () => {
  it("writes the repartition topic in Kafka's layout: one record with both values, or a subtraction then an addition", async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', strings)
      .groupBy((_key, value) => ({ key: value.slice(0, 1), value }), { name: 'g', keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .reduce((sum, value) => `${sum}+${value}`, (sum, value) => `${sum}-${value}`)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openTableDriver(builder.build());
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
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 2, 1);
    input.pipeInput('b', 3, 2); // odd: no pair to add
    input.pipeInput('b', 5, 3); // odd to odd: nothing to subtract or add
    input.pipeInput('a', 4, 4);
    expect(stringKeyedOutput(driver, 'out', Serdes.Int32()).readValuesToList()).toEqual([2, 4]);
    expect(driver.createOutputTopic('test-evens-repartition', Serdes.String(), Serdes.Bytes()).readValuesToList()).toHaveLength(2);
  });
});
