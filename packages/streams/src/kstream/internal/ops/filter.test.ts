/**
 * `filter` and `filterNot`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { StreamsBuilder, TopologyError } from '../../../index.js';
import { numbers, writeNumbers, numberTopology, runNumbers, expectTimestampAndHeadersKept } from '#test-kit';

describe('filter', () => {
  it('keeps exactly the records the predicate accepts, in order', () => {
    const topology = numberTopology((stream) => stream.filter((_key, value) => value % 2 === 0).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 6]])).toEqual([
      { key: 'b', value: 2 },
      { key: 'd', value: 4 },
      { key: 'e', value: 6 },
    ]);
  });

  it('passes the key to the predicate', () => {
    const topology = numberTopology((stream) => stream.filter((key) => key.startsWith('keep')).to('out', writeNumbers));
    expect(runNumbers(topology, [['keep-1', 1], ['drop', 2], ['keep-2', 3]])).toEqual([
      { key: 'keep-1', value: 1 },
      { key: 'keep-2', value: 3 },
    ]);
  });

  it('rejects a predicate that is not a function', () => {
    const builder = new StreamsBuilder();
    const stream = builder.stream('in', numbers);
    expect(() => stream.filter(null as never)).toThrow(TopologyError);
    expect(() => stream.filter(null as never)).toThrow('filter() takes a function, got null.');
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.filter(() => true));
  });
});

describe('filterNot', () => {
  it('keeps exactly the records the predicate rejects', () => {
    const topology = numberTopology((stream) => stream.filterNot((_key, value) => value % 2 === 0).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2], ['c', 3], ['d', 4]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'c', value: 3 },
    ]);
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.filterNot(() => false));
  });
});
