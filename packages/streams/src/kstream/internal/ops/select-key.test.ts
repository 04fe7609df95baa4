/**
 * `selectKey`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Produced, Serdes } from '../../../index.js';
import { writeNumbers, openMemoryDriver, numberTopology, runNumbers, expectTimestampAndHeadersKept } from '#test-kit';

describe('selectKey', () => {
  it('gives each record the key the mapper computes and keeps the value', () => {
    const topology = numberTopology((stream) => stream.selectKey((key, value) => `${key}-${value * 10}`).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2]])).toEqual([
      { key: 'a-10', value: 1 },
      { key: 'b-20', value: 2 },
    ]);
  });

  it('may change the key type, which then needs its own serde', () => {
    const topology = numberTopology((stream) =>
      stream.selectKey((_key, value) => value * 100).to('out', Produced.with(Serdes.Int32(), Serdes.Int32())),
    );
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 7);
    expect(driver.createOutputTopic('out', Serdes.Int32(), Serdes.Int32()).readKeyValuesToList()).toEqual([{ key: 700, value: 7 }]);
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.selectKey((key) => `${key}'`));
  });
});
