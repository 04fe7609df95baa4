/**
 * The test driver, as a user's unit tests rely on it: input timestamps, the pipe helpers,
 * headers, reading outputs, punctuation on both clocks, feedback through topics, closing, and
 * the serde checks it makes when it starts.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  Consumed,
  Headers,
  Materialized,
  Produced,
  PunctuationType,
  Serdes,
  StreamRecord,
  StreamsBuilder,
  StreamsError,
  type Topology,
  TopologyError,
  logAndFail,
  silentLogger,
} from '../index.js';
import type { Cancellable, KStream, Processor, ProcessorContext, ProcessorSupplier } from '../index.js';
import { TestRecord, TopologyTestDriver } from './index.js';
import type { TestDriverConfig } from './index.js';
import { openMemoryDriver, strings, writeStrings } from '#test-kit';

/** A driver closed when the test ends. The wall clock starts at 0 unless told otherwise. */
/** `in` → `build` → `out`, strings throughout. */
function stringTopology(build: (stream: KStream<string, string>) => KStream<string, string> = (stream) => stream): Topology {
  const builder = new StreamsBuilder();
  build(builder.stream('in', strings)).to('out', writeStrings);
  return builder.build();
}

/** A processor that calls `onInit` with its context, then forwards every record as it is. */
function withContext(onInit: (context: ProcessorContext<string, string>) => void): ProcessorSupplier<string, string, string, string> {
  return () => {
    let context: ProcessorContext<string, string>;
    return {
      init: (given) => {
        context = given;
        onInit(given);
      },
      process: (record) => context.forward(record),
    };
  };
}

describe('maxTaskIdleMs', () => {
  it('never makes a task wait for an empty input partition: piped records are all the input there is', () => {
    const builder = new StreamsBuilder();
    builder.stream('left', strings).merge(builder.stream('right', strings)).to('out', writeStrings);
    const driver = openMemoryDriver(builder.build(), { maxTaskIdleMs: 60_000 });
    const out = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
    driver.createInputTopic('left', Serdes.String(), Serdes.String()).pipeInput('k', 'left only', 5);
    expect(out.readValuesToList()).toEqual(['left only']);
  });
});

describe('input topic timestamps', () => {
  it('start at the wall clock when no start is given, and stay there without autoAdvanceMs', () => {
    const driver = openMemoryDriver(stringTopology(), {}, { initialWallClockTime: 1_000 });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeValueList(['a', 'b']);
    const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
    expect(output.readRecordsToList().map((record) => record.timestamp)).toEqual([1_000, 1_000]);
  });

  it('start at startTimestamp and advance by autoAdvanceMs per record piped without one', () => {
    const driver = openMemoryDriver(stringTopology());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), { startTimestamp: 100, autoAdvanceMs: 10 });
    input.pipeInput('a', '1');
    input.pipeInput('b', '2', 5); // an explicit timestamp does not move the topic's clock
    input.pipeInput('c', '3');
    input.advanceTime(1_000);
    input.pipeInput('d', '4');
    const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
    expect(output.readRecordsToList().map((record) => [record.key, record.timestamp])).toEqual([
      ['a', 100],
      ['b', 5],
      ['c', 110],
      ['d', 1_120],
    ]);
  });

  it('rejects a negative autoAdvanceMs or advanceTime', () => {
    const driver = openMemoryDriver(stringTopology());
    expect(() => driver.createInputTopic('in', Serdes.String(), Serdes.String(), { autoAdvanceMs: -1 })).toThrow(ConfigError);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    expect(() => input.advanceTime(-5)).toThrow('advanceTime takes a non-negative number of milliseconds, got -5.');
  });
});

describe('piping lists', () => {
  it('pipeKeyValueList pipes pairs in order, with an optional timestamp each', () => {
    const driver = openMemoryDriver(stringTopology());
    driver.createInputTopic('in', Serdes.String(), Serdes.String(), { startTimestamp: 50 }).pipeKeyValueList([
      ['a', '1'],
      ['b', '2', 7],
      [null, '3'],
    ]);
    const records = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(records.map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['a', '1', 50],
      ['b', '2', 7],
      [null, '3', 50],
    ]);
  });

  it('pipeValueList pipes values with null keys', () => {
    const driver = openMemoryDriver(stringTopology());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeValueList(['x', 'y', null]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([
      { key: null, value: 'x' },
      { key: null, value: 'y' },
      { key: null, value: null },
    ]);
  });

  it('pipeRecordList pipes TestRecords with their timestamps and headers', () => {
    const driver = openMemoryDriver(stringTopology());
    driver
      .createInputTopic('in', Serdes.String(), Serdes.String(), { startTimestamp: 9 })
      .pipeRecordList([new TestRecord('a', '1', 3, new Headers().add('h', 'one')), new TestRecord('b', '2')]);
    const records = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(records.map((record) => [record.key, record.value, record.timestamp, record.headers.lastString('h')])).toEqual([
      ['a', '1', 3, 'one'],
      ['b', '2', 9, undefined],
    ]);
  });
});

describe('headers', () => {
  it('reach the processor and the output topic', () => {
    const seen: Array<string | undefined> = [];
    const topology = stringTopology((stream) =>
      stream.process<string, string>(() => {
        let context: ProcessorContext<string, string>;
        return {
          init: (given) => void (context = given),
          process: (record) => {
            seen.push(record.headers.lastString('trace-id'));
            const headers = record.headers.copy().add('handled-by', 'enricher');
            context.forward(record.withHeaders(headers));
          },
        };
      }),
    );
    const driver = openMemoryDriver(topology);
    const headers = new Headers().add('trace-id', 'abc').add('tenant', Buffer.from([1, 2]));
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput(new TestRecord('k', 'v', 10, headers));
    expect(seen).toEqual(['abc']);
    const record = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecord();
    expect(record.headers.toArray().map((header) => [header.key, [...header.value]])).toEqual([
      ['trace-id', [...Buffer.from('abc')]],
      ['tenant', [1, 2]],
      ['handled-by', [...Buffer.from('enricher')]],
    ]);
  });

  it('are copied into a TestRecord, so changing the test’s own headers later changes nothing', () => {
    const headers = new Headers().add('a', '1');
    const record = new TestRecord('k', 'v', 0, headers);
    headers.add('b', '2');
    expect(record.headers.size).toBe(1);
  });
});

describe('output topics', () => {
  it('readKeyValuesToMap keeps each key’s latest value and drops keys whose latest is a tombstone', () => {
    const driver = openMemoryDriver(stringTopology());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeKeyValueList([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['b', null],
      ['c', '4'],
      ['c', null],
      ['c', '5'],
    ]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToMap()).toEqual(
      new Map([
        ['a', '3'],
        ['c', '5'],
      ]),
    );
  });

  it('readKeyValuesToMap refuses a record with a null key', () => {
    const driver = openMemoryDriver(stringTopology());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeValue('v');
    expect(() => driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToMap()).toThrow(
      expect.objectContaining({ code: 'OUTPUT_NULL_KEY' }),
    );
  });

  it('does not show what a record that failed sent as its output, as Kafka’s driver does', () => {
    const builder = new StreamsBuilder();
    const stream = builder.stream('in', strings);
    stream.to('seen', writeStrings);
    stream
      .mapValues((value) => {
        if (value === 'boom') throw new Error('boom');
        return value;
      })
      .to('out', writeStrings);
    const driver = openMemoryDriver(builder.build(), { processingExceptionHandler: logAndFail() });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    const seen = driver.createOutputTopic('seen', Serdes.String(), Serdes.String());
    input.pipeValue('a');
    expect(() => input.pipeValue('boom')).toThrow('boom');
    // Kafka's driver captures output after each record's commit, which a failed record never reaches.
    expect(seen.readValuesToList()).toEqual(['a']);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['a']);
  });

  it('readRecord on an empty topic throws', () => {
    const driver = openMemoryDriver(stringTopology());
    const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
    expect(output.isEmpty()).toBe(true);
    expect(() => output.readRecord()).toThrow("Output topic 'out' has no more records; check isEmpty() first.");
    expect(() => output.readValue()).toThrow(expect.objectContaining({ code: 'OUTPUT_EMPTY' }));
  });

  it('reads each record once, and two readers of one topic read independently', () => {
    const driver = openMemoryDriver(stringTopology());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    const first = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
    input.pipeInput('a', '1');
    input.pipeInput('b', '2');
    expect(first.queueSize).toBe(2);
    expect(first.readKeyValue()).toEqual({ key: 'a', value: '1' });
    expect(first.queueSize).toBe(1);
    input.pipeInput('c', '3');
    expect(first.readValuesToList()).toEqual(['2', '3']);
    expect(first.isEmpty()).toBe(true);
    const second = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
    expect(second.readValuesToList()).toEqual(['1', '2', '3']);
  });

  it('reads a topic nothing was written to as empty', () => {
    const driver = openMemoryDriver(stringTopology());
    expect(driver.createOutputTopic('never-written', Serdes.String(), Serdes.String()).readRecordsToList()).toEqual([]);
  });
});

describe('createInputTopic', () => {
  it('throws for a topic no source reads, naming the topics it does read', () => {
    const driver = openMemoryDriver(stringTopology());
    expect(() => driver.createInputTopic('nope', Serdes.String(), Serdes.String())).toThrow(ConfigError);
    expect(() => driver.createInputTopic('nope', Serdes.String(), Serdes.String())).toThrow(
      "No source of this topology reads topic 'nope'. It reads: in.",
    );
  });
});

describe('stream-time punctuation', () => {
  /** A topology whose processor schedules a stream-time punctuator and records when it fires. */
  function streamTimeTopology(intervalMs: number, fired: number[], cancelAfter = Number.POSITIVE_INFINITY): Topology {
    return stringTopology((stream) =>
      stream.process(
        withContext((context) => {
          const schedule: Cancellable = context.schedule(intervalMs, PunctuationType.STREAM_TIME, (timestamp) => {
            fired.push(timestamp);
            if (fired.length >= cancelAfter) schedule.cancel();
          });
        }),
      ),
    );
  }

  it('fires on the first record, because schedules are aligned to the epoch', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(streamTimeTopology(10, fired));
    expect(fired).toEqual([]);
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v', 5);
    expect(fired).toEqual([5]);
  });

  it('then fires at each aligned multiple of the interval that stream time reaches', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(streamTimeTopology(10, fired));
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    for (const timestamp of [5, 8, 9, 10, 14, 19, 20]) input.pipeInput('k', 'v', timestamp);
    expect(fired).toEqual([5, 10, 20]);
  });

  it('fires once for a jump over many intervals, and stays aligned afterwards', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(streamTimeTopology(10, fired));
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    for (const timestamp of [1, 95, 99, 100]) input.pipeInput('k', 'v', timestamp);
    expect(fired).toEqual([1, 95, 100]);
  });

  it('does not fire for a late record: stream time does not go back', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(streamTimeTopology(10, fired));
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    for (const timestamp of [25, 3, 29]) input.pipeInput('k', 'v', timestamp);
    expect(fired).toEqual([25]);
  });

  it('is the largest timestamp processed so far, as the processor sees it', () => {
    const seen: number[] = [];
    const topology = stringTopology((stream) =>
      stream.process<string, string>(() => {
        let context: ProcessorContext<string, string>;
        return {
          init: (given) => {
            context = given;
            seen.push(given.currentStreamTimeMs());
          },
          process: () => void seen.push(context.currentStreamTimeMs()),
        };
      }),
    );
    const driver = openMemoryDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    for (const timestamp of [10, 5, 20, 15]) input.pipeInput('k', 'v', timestamp);
    expect(seen).toEqual([-1, 10, 10, 20, 20]);
  });

  it('does not fire on the wall clock', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(streamTimeTopology(10, fired));
    driver.advanceWallClockTime(1_000);
    expect(fired).toEqual([]);
  });

  it('stops once cancelled', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(streamTimeTopology(10, fired, 2));
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    for (const timestamp of [0, 10, 20, 30, 40]) input.pipeInput('k', 'v', timestamp);
    expect(fired).toEqual([0, 10]);
  });

  it('runs after the record that moved stream time, and may forward records itself', () => {
    const topology = stringTopology((stream) =>
      stream.process<string, string>(() => {
        let context: ProcessorContext<string, string>;
        let count = 0;
        return {
          init: (given) => {
            context = given;
            given.schedule(100, PunctuationType.STREAM_TIME, (timestamp) => {
              expect(given.recordMetadata()).toBeUndefined();
              context.forward(new StreamRecord('count', String(count), timestamp));
            });
          },
          process: (record) => {
            count++;
            context.forward(record);
          },
        };
      }),
    );
    const driver = openMemoryDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'x', 50);
    input.pipeInput('b', 'y', 150);
    input.pipeInput('c', 'z', 160);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList().map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['a', 'x', 50],
      ['count', '1', 50],
      ['b', 'y', 150],
      ['count', '2', 150],
      ['c', 'z', 160],
    ]);
  });

  it('rejects an interval under 1 ms', () => {
    const topology = stringTopology((stream) => stream.process(withContext((context) => context.schedule(0, PunctuationType.STREAM_TIME, () => {}))));
    expect(() => new TopologyTestDriver(topology, { logger: silentLogger })).toThrow('A punctuation interval must be at least 1 ms, got 0.');
  });
});

describe('wall-clock punctuation', () => {
  /** A topology whose processor schedules a wall-clock punctuator and records when it fires. */
  function wallClockTopology(intervalMs: number, fired: number[], cancelAfter = Number.POSITIVE_INFINITY): Topology {
    return stringTopology((stream) =>
      stream.process(
        withContext((context) => {
          const schedule = context.schedule(intervalMs, PunctuationType.WALL_CLOCK_TIME, (timestamp) => {
            fired.push(timestamp);
            if (fired.length >= cancelAfter) schedule.cancel();
          });
        }),
      ),
    );
  }

  it('fires one interval after it was scheduled, as advanceWallClockTime moves the clock', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(wallClockTopology(1_000, fired), {}, { initialWallClockTime: 5_000 });
    driver.advanceWallClockTime(999);
    expect(fired).toEqual([]);
    driver.advanceWallClockTime(1);
    expect(fired).toEqual([6_000]);
    driver.advanceWallClockTime(1_000);
    expect(fired).toEqual([6_000, 7_000]);
    expect(driver.wallClockTime).toBe(7_000);
  });

  it('fires once for a jump over many intervals, and stays on the schedule afterwards', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(wallClockTopology(1_000, fired));
    driver.advanceWallClockTime(4_500);
    expect(fired).toEqual([4_500]);
    driver.advanceWallClockTime(400);
    expect(fired).toEqual([4_500]);
    driver.advanceWallClockTime(100);
    expect(fired).toEqual([4_500, 5_000]);
  });

  it('does not fire on stream time', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(wallClockTopology(10, fired));
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeKeyValueList([
      ['k', 'v', 0],
      ['k', 'v', 1_000_000],
    ]);
    expect(fired).toEqual([]);
  });

  it('stops once cancelled', () => {
    const fired: number[] = [];
    const driver = openMemoryDriver(wallClockTopology(10, fired, 1));
    driver.advanceWallClockTime(10);
    driver.advanceWallClockTime(10);
    driver.advanceWallClockTime(10);
    expect(fired).toEqual([10]);
  });

  it('can forward records, which reach the output at once', () => {
    const topology = stringTopology((stream) =>
      stream.process<string, string>(() => {
        let context: ProcessorContext<string, string>;
        return {
          init: (given) => {
            context = given;
            given.schedule(60_000, PunctuationType.WALL_CLOCK_TIME, (timestamp) =>
              context.forward(new StreamRecord('tick', String(given.currentSystemTimeMs()), timestamp)),
            );
          },
          process: () => {},
        };
      }),
    );
    const driver = openMemoryDriver(topology);
    driver.advanceWallClockTime(60_000);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([{ key: 'tick', value: '60000' }]);
  });

  it('rejects a negative advance', () => {
    const driver = openMemoryDriver(stringTopology());
    expect(() => driver.advanceWallClockTime(-1)).toThrow('advanceWallClockTime takes a non-negative number of milliseconds, got -1.');
  });
});

describe('close()', () => {
  it('closes every processor once', () => {
    const closed: string[] = [];
    const closing = (name: string): ProcessorSupplier<string, string, string, string> => () => {
      let context: ProcessorContext<string, string>;
      const processor: Processor<string, string, string, string> = {
        init: (given) => void (context = given),
        process: (record) => context.forward(record),
        close: () => void closed.push(name),
      };
      return processor;
    };
    const topology = stringTopology((stream) => stream.process(closing('first')).process(closing('second')));
    const driver = new TopologyTestDriver(topology, { logger: silentLogger });
    expect(closed).toEqual([]);
    driver.close();
    expect(closed).toEqual(['first', 'second']);
    driver.close();
    expect(closed).toEqual(['first', 'second']);
  });

  it('leaves a closed driver refusing to be used', () => {
    const driver = new TopologyTestDriver(stringTopology(), { logger: silentLogger });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    driver.close();
    const closedMessage = 'This TopologyTestDriver is closed; create a new one for each test.';
    expect(() => driver.createInputTopic('in', Serdes.String(), Serdes.String())).toThrow(closedMessage);
    expect(() => driver.createOutputTopic('out', Serdes.String(), Serdes.String())).toThrow(closedMessage);
    expect(() => driver.advanceWallClockTime(1)).toThrow(closedMessage);
    expect(() => driver.getStateStore('any')).toThrow(closedMessage);
    // An input topic made before close() must not run the closed processors and stores.
    expect(() => input.pipeInput('k', 'v')).toThrow(/closed with its driver; records can no longer be piped in/);
  });
});

describe('feedback through topics', () => {
  it('feeds records written to a topic the topology reads back in', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', strings)
      .mapValues((value) => `${value}>mid`)
      .to('middle', writeStrings);
    builder
      .stream('middle', strings)
      .mapValues((value) => `${value}>out`)
      .to('out', writeStrings);
    const driver = openMemoryDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v', 3);
    expect(driver.createOutputTopic('middle', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['v>mid']);
    const out = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecord();
    expect([out.key, out.value, out.timestamp]).toEqual(['k', 'v>mid>out', 3]);
    expect(driver.producedTopicNames()).toEqual(['in', 'middle', 'out']);
  });

  it('loops a topic back into itself until the records stop', () => {
    const builder = new StreamsBuilder();
    const countdown = builder.stream('countdown', Consumed.with(Serdes.String(), Serdes.Int32()));
    countdown.filter((_key, value) => value > 0).mapValues((value) => value - 1).to('countdown', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = openMemoryDriver(builder.build());
    driver.createInputTopic('countdown', Serdes.String(), Serdes.Int32()).pipeInput('k', 3);
    expect(driver.createOutputTopic('countdown', Serdes.String(), Serdes.Int32()).readValuesToList()).toEqual([3, 2, 1, 0]);
  });
});

describe('serdes at driver construction', () => {
  it('names the source and the missing serde when there is no default', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', { name: 'raw-input' }).to('out');
    let failure: unknown;
    try {
      new TopologyTestDriver(builder.build());
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(TopologyError);
    expect(StreamsError.isInstance(failure)).toBe(true);
    expect((failure as TopologyError).code).toBe('TOPOLOGY_INVALID');
    expect((failure as Error).message).toBe(
      "Source 'raw-input' (topics [in]) has no key serde: give one with Consumed.with(keySerde, valueSerde), or set defaultKeySerde in the streams config.",
    );
  });

  it('names a sink missing its value serde', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', strings)
      .mapValues((value) => value.length)
      .to('out', { name: 'lengths' });
    expect(() => new TopologyTestDriver(builder.build())).toThrow(
      "Sink 'lengths' (topic 'out') has no value serde: give one with Produced.with(keySerde, valueSerde), or set defaultValueSerde in the streams config.",
    );
  });

  it('uses defaultKeySerde and defaultValueSerde from the config where a source or sink names none', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('in')
      .mapValues((value) => value.toUpperCase())
      .to('out');
    const driver = openMemoryDriver(builder.build(), { defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.String() });
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'hello');
    const raw = driver.createOutputTopic('out', Serdes.Bytes(), Serdes.Bytes()).readKeyValue();
    expect(raw).toEqual({ key: Buffer.from('k'), value: Buffer.from('HELLO') });
  });

  it('prefers the serdes a source or sink names over the defaults', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())).to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = openMemoryDriver(builder.build(), { defaultKeySerde: Serdes.Json(), defaultValueSerde: Serdes.Json() });
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('k', 258);
    expect(driver.createOutputTopic('out', Serdes.Bytes(), Serdes.Bytes()).readValue()).toEqual(Buffer.from([0, 0, 1, 2]));
  });

  it('rejects a default serde that is not a serde', () => {
    expect(() => new TopologyTestDriver(stringTopology(), { defaultKeySerde: {} as never })).toThrow(
      "Option 'defaultKeySerde' must be a Serde (an object with serialize and deserialize), for example Serdes.String().",
    );
  });
});

describe('state stores and configuration', () => {
  it('uses applicationId "test" unless told otherwise', () => {
    const ids: string[] = [];
    const topology = stringTopology((stream) => stream.process(withContext((context) => ids.push(context.applicationId))));
    openMemoryDriver(topology);
    openMemoryDriver(topology, { applicationId: 'orders-app' });
    expect(ids).toEqual(['test', 'orders-app']);
  });

  it('throws for a store the topology does not have', () => {
    const driver = openMemoryDriver(stringTopology());
    expect(() => driver.getStateStore('missing')).toThrow("The topology has no state store named 'missing'.");
  });

  it('hands processors the appConfigs setting, beside the options, as appConfigs', () => {
    let seen: unknown;
    const topology = stringTopology((stream) => stream.process(withContext((context) => (seen = context.appConfigs['greeting']))));
    openMemoryDriver(topology, { appConfigs: { greeting: 'hello' } });
    expect(seen).toBe('hello');
  });
});

describe('record caches and commits, as in Kafka Streams’ TopologyTestDriver', () => {
  /** `in` → flatMapValues (each value twice) → `groupBy` (→ `groupByKey` when `repartition` is false) → count → `out`. */
  function doubleCount(repartition: boolean): Topology {
    const builder = new StreamsBuilder();
    const doubled = builder.stream('in', strings).flatMapValues((value) => [value, value]);
    const grouped = repartition ? doubled.groupBy((_key, value) => value, { keySerde: Serdes.String(), valueSerde: Serdes.String() }) : doubled.groupByKey();
    grouped
      .count()
      .toStream()
      .mapValues((count) => String(count))
      .to('out', writeStrings);
    return builder.build();
  }

  function counts(driver: TopologyTestDriver): (string | null)[] {
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'x', 5);
    return driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList();
  }

  it('caches one record’s updates of a key until its commit, by default', () => {
    expect(counts(openMemoryDriver(doubleCount(false)))).toEqual(['2']);
  });

  it('forwards every update at once with cacheMaxBytes 0, as statestore.cache.max.bytes=0 does', () => {
    expect(counts(openMemoryDriver(doubleCount(false), { cacheMaxBytes: 0 }))).toEqual(['1', '2']);
  });

  it('builds stores without caches with cacheMaxBytes 0, so deleting a key never there is still forwarded, as Kafka does', () => {
    const builder = new StreamsBuilder();
    builder.table('in', strings, Materialized.as('rows')).toStream().to('out', writeStrings);
    const tombstones = (config: TestDriverConfig): (string | null)[] => {
      const driver = openMemoryDriver(builder.build(), config);
      driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('never-there', null, 5);
      return driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList();
    };
    // A cache's flush skips a deletion of nothing (Kafka's CachingKeyValueStore does too).
    expect(tombstones({})).toEqual([]);
    expect(tombstones({ cacheMaxBytes: 0 })).toEqual([null]);
  });

  it('commits after each record fed back through a repartition topic, so each one’s update is flushed', () => {
    // Kafka's driver processes one record, commits (flushing caches), then takes the next: the two
    // repartitioned copies give two counts even with caches on.
    expect(counts(openMemoryDriver(doubleCount(true)))).toEqual(['1', '2']);
  });

  it('rejects a cacheMaxBytes that is not a non-negative integer, naming the option', () => {
    for (const bad of [-1, 1.5, Number.NaN, '10']) {
      expect(() => new TopologyTestDriver(doubleCount(false), { cacheMaxBytes: bad as number })).toThrow(ConfigError);
      expect(() => new TopologyTestDriver(doubleCount(false), { cacheMaxBytes: bad as number })).toThrow("Option 'cacheMaxBytes' must be a non-negative integer");
    }
  });
});
