/**
 * `map`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { ProcessingError, Serdes, logAndFail, pair } from '../../../index.js';
import { writeStrings, openMemoryDriver, numberTopology, runNumbers, catchStreamsError, expectTimestampAndHeadersKept } from '#test-kit';

describe('map', () => {
  it('replaces key and value with the pair the mapper returns', () => {
    const topology = numberTopology((stream) =>
      stream.map((key, value) => pair(key.toUpperCase(), `${key}=${value}`)).to('out', writeStrings),
    );
    expect(runNumbers(topology, [['a', 1], ['b', 2]], Serdes.String())).toEqual([
      { key: 'A', value: 'a=1' },
      { key: 'B', value: 'b=2' },
    ]);
  });

  it('reports a mapper that returns no pair as a MAPPER_RESULT_INVALID failure', () => {
    const topology = numberTopology((stream) => stream.map<string, string>(() => undefined as never).to('out', writeStrings));
    const driver = openMemoryDriver(topology, { processingExceptionHandler: logAndFail() });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    const failure = catchStreamsError(() => input.pipeInput('a', 1));
    expect(failure).toBeInstanceOf(ProcessingError);
    expect((failure as ProcessingError).cause).toMatchObject({ code: 'MAPPER_RESULT_INVALID' });
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.map((key, value) => pair(key, value + 1)));
  });
});
