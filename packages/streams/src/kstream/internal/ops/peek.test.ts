/**
 * `peek`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../../index.js';
import { writeNumbers, openMemoryDriver, numberTopology, runNumbers, expectTimestampAndHeadersKept } from '#test-kit';

describe('peek', () => {
  it('runs the action on each record and passes it on unchanged', () => {
    const seen: string[] = [];
    const topology = numberTopology((stream) => stream.peek((key, value) => seen.push(`${key}=${value}`)).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(seen).toEqual(['a=1', 'b=2']);
  });

  it('runs before the records reach the operators after it', () => {
    const events: string[] = [];
    const topology = numberTopology((stream) =>
      stream.peek((key) => events.push(`peek ${key}`)).foreach((key) => events.push(`foreach ${key}`)),
    );
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2]]);
    expect(events).toEqual(['peek a', 'foreach a', 'peek b', 'foreach b']);
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.peek(() => {}));
  });
});
