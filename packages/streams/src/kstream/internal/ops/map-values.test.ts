/**
 * `mapValues`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../../index.js';
import { writeStrings, numberTopology, runNumbers, expectTimestampAndHeadersKept } from '#test-kit';

describe('mapValues', () => {
  it('replaces the value and keeps the key', () => {
    const topology = numberTopology((stream) => stream.mapValues((value) => `#${value * 2}`).to('out', writeStrings));
    expect(runNumbers(topology, [['a', 1], ['b', 5]], Serdes.String())).toEqual([
      { key: 'a', value: '#2' },
      { key: 'b', value: '#10' },
    ]);
  });

  it('passes the key as the second argument', () => {
    const seen: Array<[number, string]> = [];
    const topology = numberTopology((stream) =>
      stream
        .mapValues((value, key) => {
          seen.push([value, key]);
          return `${key}:${value}`;
        })
        .to('out', writeStrings),
    );
    expect(runNumbers(topology, [['x', 1], ['y', 2]], Serdes.String())).toEqual([
      { key: 'x', value: 'x:1' },
      { key: 'y', value: 'y:2' },
    ]);
    expect(seen).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
  });

  it('keeps the key serde, so only the value serde must be given again', () => {
    const topology = numberTopology((stream) => stream.mapValues((value) => String(value)).to('out', { valueSerde: Serdes.String() }));
    expect(runNumbers(topology, [['k', 3]], Serdes.String())).toEqual([{ key: 'k', value: '3' }]);
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.mapValues((value) => value + 1));
  });
});
