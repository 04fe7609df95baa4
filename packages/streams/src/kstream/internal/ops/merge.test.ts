/**
 * `merge`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Named, Serdes, StreamsBuilder } from '../../../index.js';
import { TopologyTestDriver } from '../../../test-utils/index.js';
import { numbers, writeNumbers, openMemoryDriver, expectTimestampAndHeadersKept } from '#test-kit';

describe('merge', () => {
  it('interleaves both streams in the order records arrive', () => {
    const builder = new StreamsBuilder();
    const left = builder.stream('left', numbers);
    const right = builder.stream('right', numbers);
    left.merge(right).to('out', writeNumbers);
    const driver = openMemoryDriver(builder.build());
    const leftInput = driver.createInputTopic('left', Serdes.String(), Serdes.Int32());
    const rightInput = driver.createInputTopic('right', Serdes.String(), Serdes.Int32());
    leftInput.pipeInput('l', 1, 10);
    rightInput.pipeInput('r', 2, 5);
    rightInput.pipeInput('r', 3, 30);
    leftInput.pipeInput('l', 4, 20);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readRecordsToList().map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['l', 1, 10],
      ['r', 2, 5],
      ['r', 3, 30],
      ['l', 4, 20],
    ]);
  });

  it('keeps serdes both streams share, so the merged stream writes without Produced', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('left', numbers)
      .merge(builder.stream('right', numbers), Named.as('both'))
      .to('out');
    const driver = openMemoryDriver(builder.build());
    driver.createInputTopic('right', Serdes.String(), Serdes.Int32()).pipeInput('r', 7);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([{ key: 'r', value: 7 }]);
  });

  it('drops serdes the streams do not share: the sink then needs Produced or a default', () => {
    const builder = new StreamsBuilder();
    const strings = builder.stream('left', Consumed.with(Serdes.String(), Serdes.String()));
    const converted = builder.stream('right', numbers).mapValues((value) => String(value));
    strings.merge(converted).to('out');
    expect(() => new TopologyTestDriver(builder.build())).toThrow(/has no value serde: give one with Produced\.with/);
  });

  it('rejects a stream from another builder', () => {
    const stream = new StreamsBuilder().stream('a', numbers);
    const stranger = new StreamsBuilder().stream('b', numbers);
    expect(() => stream.merge(stranger)).toThrow('merge() takes a stream built by the same StreamsBuilder.');
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.merge(stream.filter(() => false)));
  });
});
