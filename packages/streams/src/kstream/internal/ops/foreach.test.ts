/**
 * `foreach`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Named, Serdes, StreamsBuilder } from '../../../index.js';
import { numbers, openMemoryDriver, numberTopology } from '#test-kit';

describe('foreach', () => {
  it('runs the action on every record, with key and value', () => {
    const seen: Array<[string, number]> = [];
    const topology = numberTopology((stream) => stream.foreach((key, value) => seen.push([key, value])));
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2], ['a', 3]]);
    expect(seen).toEqual([
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ]);
  });

  it('ends the stream: it returns nothing and adds a terminal node', () => {
    const builder = new StreamsBuilder();
    const result: unknown = builder.stream('in', numbers).foreach(() => {}, Named.as('print'));
    expect(result).toBeUndefined();
    const print = builder
      .build()
      .describe()
      .subtopologies[0]!.nodes.find((node) => node.name === 'print');
    expect(print).toMatchObject({ kind: 'processor', successors: [] });
  });
});
