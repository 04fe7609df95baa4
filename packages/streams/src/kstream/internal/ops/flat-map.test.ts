/**
 * `flatMap`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { pair } from '../../../index.js';
import { writeNumbers, numberTopology, runNumbers, expectTimestampAndHeadersKept } from '#test-kit';

describe('flatMap', () => {
  it('forwards every pair the mapper returns, in order, and none for an empty result', () => {
    const topology = numberTopology((stream) =>
      stream
        .flatMap((key, value) => Array.from({ length: value }, (_, index) => pair(`${key}${index}`, value * 10 + index)))
        .to('out', writeNumbers),
    );
    expect(runNumbers(topology, [['a', 2], ['b', 0], ['c', 3]])).toEqual([
      { key: 'a0', value: 20 },
      { key: 'a1', value: 21 },
      { key: 'c0', value: 30 },
      { key: 'c1', value: 31 },
      { key: 'c2', value: 32 },
    ]);
  });

  it('accepts any iterable, a generator included', () => {
    const topology = numberTopology((stream) =>
      stream
        .flatMap(function* (key, value) {
          yield pair(key, value);
          yield pair(`${key}!`, -value);
        })
        .to('out', writeNumbers),
    );
    expect(runNumbers(topology, [['a', 1]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'a!', value: -1 },
    ]);
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.flatMap((key, value) => [pair(key, value)]));
  });
});
