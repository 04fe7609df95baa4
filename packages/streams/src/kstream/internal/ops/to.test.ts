/**
 * `to`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Produced, Serdes, StreamsBuilder, TopologyError } from '../../../index.js';
import { numbers, writeNumbers, openMemoryDriver, numberTopology, runNumbers } from '#test-kit';

describe('to', () => {
  it('writes to a fixed topic', () => {
    const topology = numberTopology((stream) => stream.to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], [null, 2], ['c', null]])).toEqual([
      { key: 'a', value: 1 },
      { key: null, value: 2 },
      { key: 'c', value: null },
    ]);
  });

  it('routes each record to the topic a TopicNameExtractor picks', () => {
    const sources: Array<string | undefined> = [];
    const topology = numberTopology((stream) =>
      stream.to((_key, value, source) => {
        sources.push(source?.topic);
        return value % 2 === 0 ? 'even' : 'odd';
      }, writeNumbers),
    );
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2], ['c', 4], ['d', 5]]);
    expect(driver.createOutputTopic('even', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'b', value: 2 },
      { key: 'c', value: 4 },
    ]);
    expect(driver.createOutputTopic('odd', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'd', value: 5 },
    ]);
    expect(sources).toEqual(['in', 'in', 'in', 'in']);
    expect(topology.describe().subtopologies[0]!.nodes.at(-1)!.topic).toBe('<dynamic>');
  });

  it('serializes with the serdes Produced gives, not the source serdes', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(Serdes.String(), Serdes.String())).mapValues((value) => value.length).to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = openMemoryDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'hello');
    const raw = driver.createOutputTopic('out', Serdes.Bytes(), Serdes.Bytes()).readRecord();
    expect(raw.key).toEqual(Buffer.from('k', 'utf8'));
    // Int32 is 4 big-endian bytes; a String serde would have written "5".
    expect(raw.value).toEqual(Buffer.from([0, 0, 0, 5]));
  });

  it('names the sink after Produced', () => {
    const topology = numberTopology((stream) => stream.to('out', { ...writeNumbers, name: 'write-out' }));
    expect(topology.describe().subtopologies[0]!.nodes.at(-1)).toMatchObject({ name: 'write-out', kind: 'sink', topic: 'out' });
  });

  it('rejects an invalid topic name when the topology is built', () => {
    const stream = new StreamsBuilder().stream('in', numbers);
    expect(() => stream.to('not a topic!', writeNumbers)).toThrow(TopologyError);
  });
});
