/**
 * `flatMapValues`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { ProcessingError, Serdes, logAndFail } from '../../../index.js';
import { writeNumbers, writeStrings, openMemoryDriver, numberTopology, runNumbers, catchStreamsError, expectTimestampAndHeadersKept } from '#test-kit';

describe('flatMapValues', () => {
  it('forwards each value of the result under the original key', () => {
    const topology = numberTopology((stream) => stream.flatMapValues((value) => [value, value + 100]).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'a', value: 101 },
      { key: 'b', value: 2 },
      { key: 'b', value: 102 },
    ]);
  });

  it('drops the record when the result is empty', () => {
    const topology = numberTopology((stream) => stream.flatMapValues((value) => (value > 1 ? [value] : [])).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2], ['c', 0]])).toEqual([{ key: 'b', value: 2 }]);
  });

  it('takes generators and sets, and passes the key as the second argument', () => {
    const topology = numberTopology((stream) =>
      stream
        .flatMapValues(function* (value, key) {
          for (let index = 0; index < value; index++) yield `${key}${index}`;
        })
        .flatMapValues((value) => new Set([value, value, `${value}'`]))
        .to('out', writeStrings),
    );
    expect(runNumbers(topology, [['k', 2], ['z', 0]], Serdes.String())).toEqual([
      { key: 'k', value: 'k0' },
      { key: 'k', value: "k0'" },
      { key: 'k', value: 'k1' },
      { key: 'k', value: "k1'" },
    ]);
  });

  it('reports a mapper that returns no iterable as a MAPPER_RESULT_INVALID failure', () => {
    const topology = numberTopology((stream) => stream.flatMapValues(() => 42 as unknown as number[]).to('out', writeNumbers));
    const driver = openMemoryDriver(topology, { processingExceptionHandler: logAndFail() });
    const failure = catchStreamsError(() => driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 1));
    expect(failure).toBeInstanceOf(ProcessingError);
    expect((failure as ProcessingError).cause).toMatchObject({ code: 'MAPPER_RESULT_INVALID' });
    expect(((failure as ProcessingError).cause as Error).message).toContain('must return an iterable');
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.flatMapValues((value) => [value]));
  });
});
