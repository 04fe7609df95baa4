/**
 * The failure policy end to end: bad bytes, throwing processors, unserializable outputs and
 * throwing punctuators, each through every built-in handler (log and continue, log and fail,
 * dead-letter topic), plus handlers that answer nonsense and the null key and value paths.
 * Raw bytes go in through a `Bytes` input topic while the topology reads with its real serdes.
 */
import { describe, expect, it, vi, type Mock } from 'vitest';
import { Consumed, Headers, Produced, PunctuationType, Serdes, StreamsBuilder, Topology } from '../index.js';
import type { Logger, Serde, StreamRecord } from '../index.js';
import { TestRecord, type TopologyTestDriver } from '../test-utils/index.js';
import type { TestDriverConfig } from '../test-utils/index.js';
import {
  DEFAULT_DEAD_LETTER_MAX_BYTES,
  DeadLetterHeaders,
  deadLetterTopic,
  fitDeadLetter,
  recordSizeInBytes,
  logAndContinue,
  logAndFail,
  type ErrorHandlerContext,
  type ExceptionHandler,
  type HandlerResponse,
} from './handlers.js';
import { DeserializationError, ProcessingError, SerializationError, StreamsError } from './streams-error.js';
import { openMemoryDriver } from '#test-kit';

type SpyLogger = { readonly [Level in keyof Logger]: Mock<Logger[Level]> };

function spyLogger(): SpyLogger {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

/** A driver with a spy logger, closed when the test ends. */
function openDriver(topology: Topology, config: TestDriverConfig = {}): { driver: TopologyTestDriver; logger: SpyLogger } {
  const logger = spyLogger();
  return { driver: openMemoryDriver(topology, { logger, ...config }), logger };
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value, 0);
  return buffer;
}

/** Headers every piped record carries, to check that dead letters keep them. */
function traceHeaders(): Headers {
  return new Headers().add('trace-id', 'abc-123');
}

interface Order {
  readonly id: string;
  readonly amount: number;
}

/** A serde and bytes it cannot read, and bytes it can (with what they read as). */
interface BadInputCase {
  readonly name: string;
  readonly serde: Serde<unknown>;
  readonly bad: Buffer;
  readonly good: Buffer;
  readonly goodAsText: string;
  /** A fragment of the serde's own error message. */
  readonly cause: RegExp;
}

const badInputCases: readonly BadInputCase[] = [
  {
    name: 'Serdes.Json() with malformed JSON',
    serde: Serdes.Json(),
    bad: bytes('{"id": "o-1", "amount": '),
    good: bytes('{"id":"o-2","amount":5}'),
    goodAsText: '{"id":"o-2","amount":5}',
    cause: /malformed JSON/,
  },
  {
    name: 'Serdes.JsonSchema() with a value that breaks the schema',
    serde: Serdes.JsonSchema<Order>({
      type: 'object',
      properties: { id: { type: 'string' }, amount: { type: 'number' } },
      required: ['id', 'amount'],
    }) as Serde<unknown>,
    bad: bytes('{"id":"o-1","amount":"lots"}'),
    good: bytes('{"id":"o-2","amount":5}'),
    goodAsText: '{"id":"o-2","amount":5}',
    cause: /amount must be number/,
  },
  {
    name: 'Serdes.Int32() with the wrong number of bytes',
    serde: Serdes.Int32() as Serde<unknown>,
    bad: Buffer.from([1, 2, 3]),
    good: int32(42),
    goodAsText: '42',
    cause: /got 3 bytes, expected 4/,
  },
];

/** `in` (read with `serde`) → values as JSON text → `out`. */
function readingTopology(serde: Serde<unknown>): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('in', Consumed.with(Serdes.String(), serde))
    .mapValues((value) => JSON.stringify(value))
    .to('out', Produced.with(Serdes.String(), Serdes.String()));
  return builder.build();
}

describe('deserialization errors', () => {
  describe.each(badInputCases)('$name', (testCase) => {
    it('logAndContinue (the default) drops, counts and logs the record, and goes on', () => {
      const { driver, logger } = openDriver(readingTopology(testCase.serde));
      const input = driver.createInputTopic('in', Serdes.Bytes(), Serdes.Bytes());
      const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
      input.pipeInput(bytes('k1'), testCase.bad, 10);
      input.pipeInput(bytes('k2'), testCase.good, 20);
      expect(output.readKeyValuesToList()).toEqual([{ key: 'k2', value: testCase.goodAsText }]);
      expect(driver.droppedRecords().get('deserialization-error')).toBe(1);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      const [message, fields] = logger.warn.mock.calls[0]!;
      expect(message).toMatch(testCase.cause);
      expect(fields).toMatchObject({ topic: 'in', partition: 0, offset: 0, node: 'KSTREAM-SOURCE-0000000000' });
    });

    it('logAndFail throws a DeserializationError naming topic, partition, offset and cause', () => {
      const { driver, logger } = openDriver(readingTopology(testCase.serde), { deserializationExceptionHandler: logAndFail() });
      const input = driver.createInputTopic('in', Serdes.Bytes(), Serdes.Bytes());
      input.pipeInput(bytes('k0'), testCase.good, 5);
      let thrown: unknown;
      try {
        input.pipeInput(bytes('k1'), testCase.bad, 10);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DeserializationError);
      const error = thrown as DeserializationError;
      expect(error.code).toBe('DESERIALIZATION_FAILED');
      expect(error.message).toContain('in-0 at offset 1');
      expect(error.message).toMatch(testCase.cause);
      expect(error.cause).toBeInstanceOf(Error);
      expect((error.cause as Error).message).toMatch(testCase.cause);
      expect(logger.error).toHaveBeenCalledTimes(1);
      expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual([testCase.goodAsText]);
    });

    it('deadLetterTopic sends the original bytes and headers with the error headers, and goes on', () => {
      const { driver } = openDriver(readingTopology(testCase.serde), { deserializationExceptionHandler: deadLetterTopic({ topic: 'dlq' }) });
      const input = driver.createInputTopic('in', Serdes.Bytes(), Serdes.Bytes());
      input.pipeInput(new TestRecord(bytes('k1'), testCase.bad, 10, traceHeaders()));
      input.pipeInput(bytes('k2'), testCase.good, 20);
      const dlq = driver.createOutputTopic('dlq', Serdes.Bytes(), Serdes.Bytes());
      const letters = dlq.readRecordsToList();
      expect(letters).toHaveLength(1);
      const letter = letters[0]!;
      expect(letter.key).toEqual(bytes('k1'));
      expect(letter.value).toEqual(testCase.bad);
      expect(letter.timestamp).toBe(10);
      expect(letter.headers.lastString('trace-id')).toBe('abc-123');
      expect(letter.headers.lastString(DeadLetterHeaders.exception)).toBe('DeserializationError');
      expect(letter.headers.lastString(DeadLetterHeaders.message)).toMatch(testCase.cause);
      expect(letter.headers.lastString(DeadLetterHeaders.stacktrace)).toContain('DeserializationError');
      expect(letter.headers.lastString(DeadLetterHeaders.topic)).toBe('in');
      expect(letter.headers.lastString(DeadLetterHeaders.partition)).toBe('0');
      expect(letter.headers.lastString(DeadLetterHeaders.offset)).toBe('0');
      expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual([testCase.goodAsText]);
      expect(driver.droppedRecords().get('deserialization-error')).toBe(1);
    });
  });

  it('applies to keys as well as values', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(Serdes.Int32(), Serdes.String())).to('out', Produced.with(Serdes.Int32(), Serdes.String()));
    const { driver } = openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.Bytes(), Serdes.Bytes());
    input.pipeInput(bytes('not four bytes'), bytes('v1'), 1);
    input.pipeInput(int32(7), bytes('v2'), 2);
    expect(driver.createOutputTopic('out', Serdes.Int32(), Serdes.String()).readKeyValuesToList()).toEqual([{ key: 7, value: 'v2' }]);
    expect(driver.droppedRecords().get('deserialization-error')).toBe(1);
  });
});

const boom = new Error('cannot handle boom');

/** `in` splits into `mapped` (a mapValues that throws on 'boom') and `echo` (untouched). */
function throwingTopology(): Topology {
  const builder = new StreamsBuilder();
  const stream = builder.stream('in', Consumed.with(Serdes.String(), Serdes.String()));
  stream
    .mapValues((value) => {
      if (value === 'boom') throw boom;
      return value.toUpperCase();
    })
    .to('mapped', Produced.with(Serdes.String(), Serdes.String()));
  stream.to('echo', Produced.with(Serdes.String(), Serdes.String()));
  return builder.build();
}

describe('processing errors', () => {
  function pipeThree(driver: TopologyTestDriver): void {
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('k1', 'a', 1);
    input.pipeInput(new TestRecord('k2', 'boom', 2, traceHeaders()));
    input.pipeInput('k3', 'c', 3);
  }

  it('logAndContinue drops the record at the failing node only; siblings and later records go on', () => {
    const { driver, logger } = openDriver(throwingTopology());
    pipeThree(driver);
    expect(driver.createOutputTopic('mapped', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['A', 'C']);
    expect(driver.createOutputTopic('echo', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['a', 'boom', 'c']);
    expect(driver.droppedRecords().get('processing-error')).toBe(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(String(logger.warn.mock.calls[0]![0])).toContain('cannot handle boom');
  });

  it('logAndFail throws a ProcessingError whose cause is the original error', () => {
    const { driver, logger } = openDriver(throwingTopology(), { processingExceptionHandler: logAndFail() });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('k1', 'a', 1);
    let thrown: unknown;
    try {
      input.pipeInput('k2', 'boom', 2);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProcessingError);
    const error = thrown as ProcessingError;
    expect(error.code).toBe('PROCESSING_FAILED');
    expect(error.name).toBe('ProcessingError');
    expect(error.cause).toBe(boom);
    expect(error.message).toContain('in-0 at offset 1');
    expect(error.message).toContain('cannot handle boom');
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(driver.createOutputTopic('mapped', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['A']);
  });

  it('deadLetterTopic sends the source record as consumed, with the error headers', () => {
    const { driver } = openDriver(throwingTopology(), { processingExceptionHandler: deadLetterTopic({ topic: 'dlq' }) });
    pipeThree(driver);
    const letters = driver.createOutputTopic('dlq', Serdes.Bytes(), Serdes.Bytes()).readRecordsToList();
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter.key).toEqual(bytes('k2'));
    expect(letter.value).toEqual(bytes('boom'));
    expect(letter.headers.lastString('trace-id')).toBe('abc-123');
    expect(letter.headers.lastString(DeadLetterHeaders.exception)).toBe('Error');
    expect(letter.headers.lastString(DeadLetterHeaders.message)).toBe('cannot handle boom');
    expect(letter.headers.lastString(DeadLetterHeaders.stacktrace)).toContain('cannot handle boom');
    expect(letter.headers.lastString(DeadLetterHeaders.topic)).toBe('in');
    expect(letter.headers.lastString(DeadLetterHeaders.partition)).toBe('0');
    expect(letter.headers.lastString(DeadLetterHeaders.offset)).toBe('1');
    expect(driver.createOutputTopic('mapped', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['A', 'C']);
    expect(driver.createOutputTopic('echo', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['a', 'boom', 'c']);
  });

  it('deadLetterTopic with then: fail sends the letter, then fails', () => {
    const { driver } = openDriver(throwingTopology(), { processingExceptionHandler: deadLetterTopic({ topic: 'dlq', then: 'fail' }) });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    expect(() => input.pipeInput('k2', 'boom', 2)).toThrow(ProcessingError);
    const dlq = driver.createOutputTopic('dlq', Serdes.Bytes(), Serdes.Bytes());
    // As in Kafka's driver, what a failed record sent is captured when the driver next runs or closes.
    expect(dlq.isEmpty()).toBe(true);
    driver.close();
    expect(dlq.readValuesToList()).toEqual([bytes('boom')]);
  });

  it('calls the handler once, with the failing node, even when the failure is deep in the graph', () => {
    const handler = vi.fn<(context: ErrorHandlerContext, record: unknown, error: Error) => HandlerResponse>(() => ({ action: 'fail' }));
    const { driver } = openDriver(throwingTopology(), { processingExceptionHandler: handler });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    expect(() => input.pipeInput('k2', 'boom', 2)).toThrow(ProcessingError);
    expect(handler).toHaveBeenCalledTimes(1);
    const [context, , error] = handler.mock.calls[0]!;
    expect(context.processorNodeName).toMatch(/^KSTREAM-MAPVALUES-/);
    expect(context).toMatchObject({ topic: 'in', partition: 0, offset: 0, timestamp: 2 });
    expect(error).toBe(boom);
  });
});

/** A value serde whose serializer throws on 'bad'. */
const pickyValues: Serde<string> = {
  serialize: (topic, value) => {
    if (value === 'bad') throw new Error(`will not write 'bad' to ${topic}`);
    return Buffer.from(value, 'utf8');
  },
  deserialize: (_topic, data) => data.toString('utf8'),
};

function producingTopology(): Topology {
  const builder = new StreamsBuilder();
  builder.stream('in', Consumed.with(Serdes.String(), Serdes.String())).to('out', Produced.with(Serdes.String(), pickyValues));
  return builder.build();
}

describe('production errors', () => {
  it('logAndContinue drops the record, counts it, and goes on', () => {
    const { driver, logger } = openDriver(producingTopology());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeKeyValueList([
      ['k1', 'ok', 1],
      ['k2', 'bad', 2],
      ['k3', 'fine', 3],
    ]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['ok', 'fine']);
    expect(driver.droppedRecords().get('production-error')).toBe(1);
    expect(driver.droppedRecords().get('processing-error')).toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('logAndFail throws a SerializationError, even when the processing handler would continue', () => {
    const { driver } = openDriver(producingTopology(), { productionExceptionHandler: logAndFail() });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('k1', 'ok', 1);
    let thrown: unknown;
    try {
      input.pipeInput('k2', 'bad', 2);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SerializationError);
    const error = thrown as SerializationError;
    expect(error.code).toBe('SERIALIZATION_FAILED');
    expect(error.message).toContain("topic 'out'");
    expect((error.cause as Error).message).toBe("will not write 'bad' to out");
    expect(driver.droppedRecords().get('processing-error')).toBeUndefined();
  });

  it('deadLetterTopic sends the source record as consumed', () => {
    const { driver } = openDriver(producingTopology(), { productionExceptionHandler: deadLetterTopic({ topic: 'dlq' }) });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput(new TestRecord('k2', 'bad', 2, traceHeaders()));
    input.pipeInput('k3', 'fine', 3);
    const letters = driver.createOutputTopic('dlq', Serdes.Bytes(), Serdes.Bytes()).readRecordsToList();
    expect(letters).toHaveLength(1);
    expect(letters[0]!.key).toEqual(bytes('k2'));
    expect(letters[0]!.value).toEqual(bytes('bad'));
    expect(letters[0]!.headers.lastString('trace-id')).toBe('abc-123');
    expect(letters[0]!.headers.lastString(DeadLetterHeaders.message)).toBe("will not write 'bad' to out");
    expect(letters[0]!.headers.lastString(DeadLetterHeaders.offset)).toBe('0');
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['fine']);
  });
});

describe('a handler that answers nonsense', () => {
  const garbage = (() => undefined) as unknown as ExceptionHandler;

  function expectHandlerInvalid(run: () => void): void {
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    expect(StreamsError.isInstance(thrown)).toBe(true);
    expect((thrown as StreamsError).code).toBe('HANDLER_INVALID');
    expect((thrown as StreamsError).message).toContain("{ action: 'continue' | 'fail' }");
  }

  it('as the deserialization handler', () => {
    const { driver } = openDriver(readingTopology(Serdes.Json()), { deserializationExceptionHandler: garbage });
    const input = driver.createInputTopic('in', Serdes.Bytes(), Serdes.Bytes());
    expectHandlerInvalid(() => input.pipeInput(bytes('k'), bytes('{'), 1));
  });

  it('as the processing handler, asked once', () => {
    const handler = vi.fn(() => ({ action: 'retry' }) as unknown as HandlerResponse);
    const { driver } = openDriver(throwingTopology(), { processingExceptionHandler: handler });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    expectHandlerInvalid(() => input.pipeInput('k', 'boom', 1));
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('as the production handler, not swallowed by the processing handler', () => {
    const { driver } = openDriver(producingTopology(), { productionExceptionHandler: garbage });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    expectHandlerInvalid(() => input.pipeInput('k', 'bad', 1));
  });
});

describe('null keys and values', () => {
  it('a record with a null key flows through stateless operators to the sink', () => {
    const builder = new StreamsBuilder();
    const seen: (string | null)[] = [];
    builder
      .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
      .filter((key) => key === null)
      .mapValues((value) => value.toUpperCase())
      .peek((key) => seen.push(key))
      .flatMapValues((value) => [value, `${value}!`])
      .map((key, value) => ({ key, value: `${value}?` }))
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const { driver } = openDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeValue('v', 1);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([
      { key: null, value: 'V?' },
      { key: null, value: 'V!?' },
    ]);
    expect(seen).toEqual([null]);
    expect(driver.droppedRecords().size).toBe(0);
  });

  it('a null value reaches the sink as a tombstone without calling the serializer', () => {
    const serialize = vi.fn((_topic: string, value: string) => Buffer.from(value, 'utf8'));
    const watchedValues: Serde<string> = { serialize, deserialize: (_topic, data) => data.toString('utf8') };
    const builder = new StreamsBuilder();
    builder
      .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
      .mapValues((value: string | null) => (value === null ? null : value.toUpperCase()))
      .to('out', Produced.with(Serdes.String(), watchedValues as Serde<string | null>));
    const { driver } = openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('k', null, 1);
    expect(serialize).not.toHaveBeenCalled();
    input.pipeInput('k', 'v', 2);
    expect(serialize).toHaveBeenCalledTimes(1);
    const records = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(records.map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['k', null, 1],
      ['k', 'V', 2],
    ]);
  });
});

describe('punctuator errors', () => {
  const tick = new Error('tick failed');

  /** `in` → a processor whose wall-clock punctuator throws → `out`. */
  function punctuatingTopology(): Topology {
    return new Topology()
      .addSource('source', 'in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .addProcessor<string, string, string, string>(
        'ticker',
        () => {
          let forward: (record: StreamRecord<string, string>) => void = () => {};
          return {
            init(context) {
              forward = (record) => context.forward(record);
              context.schedule(100, PunctuationType.WALL_CLOCK_TIME, () => {
                throw tick;
              });
            },
            process: (record) => forward(record),
          };
        },
        'source',
      )
      .addSink('sink', 'out', { keySerde: Serdes.String(), valueSerde: Serdes.String() }, 'ticker');
  }

  it('go to the processing handler, with no source record in the context', () => {
    const handler = vi.fn<(context: ErrorHandlerContext, record: unknown, error: Error) => HandlerResponse>(() => ({ action: 'continue' }));
    const { driver } = openDriver(punctuatingTopology(), { processingExceptionHandler: handler });
    // A record first, so a stale source record would show in the context if the engine leaked it.
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v', 1);
    driver.advanceWallClockTime(100);
    expect(handler).toHaveBeenCalledTimes(1);
    const [context, , error] = handler.mock.calls[0]!;
    expect(error).toBe(tick);
    expect(context.processorNodeName).toBe('ticker');
    expect(context.topic).toBeUndefined();
    expect(context.partition).toBeUndefined();
    expect(context.offset).toBeUndefined();
    expect(context.sourceRawKey ?? null).toBeNull();
    expect(context.sourceRawValue ?? null).toBeNull();
    expect(context.headers.size).toBe(0);
    expect(driver.droppedRecords().get('processing-error')).toBe(1);
    // The task goes on.
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'w', 2);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['v', 'w']);
  });

  it('fail the task with a ProcessingError naming the punctuator when the handler fails', () => {
    const { driver } = openDriver(punctuatingTopology(), { processingExceptionHandler: logAndFail() });
    let thrown: unknown;
    try {
      driver.advanceWallClockTime(100);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProcessingError);
    expect((thrown as ProcessingError).cause).toBe(tick);
    expect((thrown as ProcessingError).message).toMatch(/Processor 'ticker' failed .*punctuator/);
  });

  it('with logAndContinue are logged as a skipped punctuation, naming the punctuator, not as a skipped record', () => {
    const { driver, logger } = openDriver(punctuatingTopology(), { processingExceptionHandler: logAndContinue() });
    driver.advanceWallClockTime(250);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toBe("Skipping punctuation: the punctuator of processor 'ticker' threw: tick failed");
    expect(logger.warn.mock.calls[0]![1]).toMatchObject({ node: 'ticker', topic: undefined, punctuator: 'ticker' });
  });

  it('with logAndFail are logged as a failed punctuation, naming the punctuator', () => {
    const { driver, logger } = openDriver(punctuatingTopology(), { processingExceptionHandler: logAndFail() });
    expect(() => driver.advanceWallClockTime(100)).toThrow(ProcessingError);
    expect(logger.error.mock.calls[0]![0]).toBe("Failing on punctuation: the punctuator of processor 'ticker' threw: tick failed");
  });

  it('downstream of a punctuator name the punctuator that forwarded the record, and the node that threw', () => {
    const topology = new Topology()
      .addSource('source', 'in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .addProcessor<string, string, string, string>(
        'emitter',
        () => ({
          init(context) {
            context.schedule(100, PunctuationType.WALL_CLOCK_TIME, (time) => context.forward({ key: 'tick', value: String(time), timestamp: time } as StreamRecord<string, string>));
          },
          process: () => {},
        }),
        'source',
      )
      .addProcessor<string, string, string, string>(
        'checker',
        () => ({
          process: () => {
            throw tick;
          },
        }),
        'emitter',
      );
    const { driver, logger } = openDriver(topology, { processingExceptionHandler: logAndContinue() });
    driver.advanceWallClockTime(100);
    expect(logger.warn.mock.calls.map((call) => call[0])).toEqual(["Skipping record forwarded by the punctuator of processor 'emitter' (processor 'checker' threw): tick failed"]);
    // Outside a punctuation, a record is a record again.
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v', 1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});

describe('dead letters too large for the brokers', () => {
  const letter = (key: Buffer | null, value: Buffer | null) => {
    const headers = new Headers().add(DeadLetterHeaders.exception, 'DeserializationError').add(DeadLetterHeaders.message, 'bad bytes');
    return { topic: 'dlq', key, value, headers, timestamp: 5 };
  };

  it('fitDeadLetter keeps a record that fits as it is', () => {
    const record = letter(Buffer.from('k'), Buffer.alloc(1_000, 1));
    expect(fitDeadLetter(record, 2_000)).toBe(record);
  });

  it('fitDeadLetter cuts the value to fit, saying so and giving the original sizes', () => {
    const value = Buffer.alloc(1_048_400, 7);
    const fitted = fitDeadLetter(letter(Buffer.from('key-1'), value));
    expect(recordSizeInBytes(fitted.key, fitted.value, fitted.headers)).toBeLessThanOrEqual(DEFAULT_DEAD_LETTER_MAX_BYTES);
    expect(recordSizeInBytes(fitted.key, fitted.value, fitted.headers)).toBeGreaterThan(DEFAULT_DEAD_LETTER_MAX_BYTES - 100);
    expect(fitted.key?.toString()).toBe('key-1');
    expect(fitted.value!.equals(value.subarray(0, fitted.value!.length))).toBe(true);
    expect(fitted.headers.lastString(DeadLetterHeaders.truncated)).toBe('value');
    expect(fitted.headers.lastString(DeadLetterHeaders.originalValueSize)).toBe('1048400');
    expect(fitted.headers.lastString(DeadLetterHeaders.originalKeySize)).toBe('5');
    expect(fitted.headers.headers(DeadLetterHeaders.truncated)).toHaveLength(1);
    expect(fitted.headers.lastString(DeadLetterHeaders.message)).toBe('bad bytes');
    expect(fitted.timestamp).toBe(5);
  });

  it('fitDeadLetter cuts the key too when the key alone does not fit', () => {
    const fitted = fitDeadLetter(letter(Buffer.alloc(5_000, 1), Buffer.alloc(5_000, 2)), 2_048);
    expect(recordSizeInBytes(fitted.key, fitted.value, fitted.headers)).toBeLessThanOrEqual(2_048);
    expect(fitted.value).toHaveLength(0);
    expect(fitted.key!.length).toBeGreaterThan(1_000);
    expect(fitted.headers.lastString(DeadLetterHeaders.truncated)).toBe('key,value');
    expect(fitted.headers.lastString(DeadLetterHeaders.originalKeySize)).toBe('5000');
  });

  it('fitDeadLetter cuts the stack trace, then the message, when the headers alone do not fit', () => {
    const record = letter(Buffer.from('k'), Buffer.alloc(100, 1));
    record.headers.remove(DeadLetterHeaders.message).add(DeadLetterHeaders.message, 'm'.repeat(5_000)).add(DeadLetterHeaders.stacktrace, 's'.repeat(5_000));
    const fitted = fitDeadLetter(record, 2_048);
    expect(recordSizeInBytes(fitted.key, fitted.value, fitted.headers)).toBeLessThanOrEqual(2_048);
    expect(fitted.headers.lastString(DeadLetterHeaders.stacktrace)).toBe('');
    expect(fitted.headers.lastString(DeadLetterHeaders.message)).toMatch(/^m{1000,}$/);
    expect(fitted.headers.lastString(DeadLetterHeaders.exception)).toBe('DeserializationError');
    expect(fitted.headers.lastString(DeadLetterHeaders.originalValueSize)).toBe('100');
  });

  it('deadLetterTopic truncates a near-1 MB bad record to its maxRecordBytes', () => {
    const { driver } = openDriver(readingTopology(Serdes.Int32()), { deserializationExceptionHandler: deadLetterTopic({ topic: 'dlq', maxRecordBytes: 10_000 }) });
    driver.createInputTopic('in', Serdes.Bytes(), Serdes.Bytes()).pipeInput(bytes('k1'), Buffer.alloc(1_048_400, 3), 10);
    const [record] = driver.createOutputTopic('dlq', Serdes.Bytes(), Serdes.Bytes()).readRecordsToList();
    expect(recordSizeInBytes(record!.key, record!.value, record!.headers)).toBeLessThanOrEqual(10_000);
    expect(record!.headers.lastString(DeadLetterHeaders.originalValueSize)).toBe('1048400');
    expect(record!.headers.lastString(DeadLetterHeaders.topic)).toBe('in');
    expect(() => deadLetterTopic({ topic: 'dlq', maxRecordBytes: 10 })).toThrow(/'maxRecordBytes' must be a whole number of bytes of at least 1024/);
  });
});
