import { describe, expect, it } from 'vitest';
import { StreamsBuilder, Consumed, Produced, Repartitioned, Serdes } from './index.js';
import { TopologyTestDriver } from './test-utils/index.js';

describe('smoke', () => {
  it('runs a stateless pipeline', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', Consumed.with(Serdes.String(), Serdes.Json<{ n: number }>()))
      .filter((_k, v) => v.n > 1)
      .mapValues((v) => v.n * 2)
      .selectKey((k) => `${k}!`)
      .repartition(Repartitioned.with(Serdes.String(), Serdes.Int32()))
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const topology = builder.build();
    console.log(String(topology.describe()));
    const driver = new TopologyTestDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Json<{ n: number }>());
    const output = driver.createOutputTopic('out', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', { n: 1 }, 5);
    input.pipeInput('b', { n: 3 }, 6);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'b!', value: 6 }]);
    console.log(driver.producedTopicNames());
  });
});
