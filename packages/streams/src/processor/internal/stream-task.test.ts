/**
 * The task engine driven directly, with no driver in between: ordering across source queues,
 * stream time, the `process` bound, commit bookkeeping and invalid timestamps. A property test
 * compares the processing order with a brute-force merge of the queues.
 */
import fc from 'fast-check';
import { describe, expect, it, vi, type Mock } from 'vitest';
import { topologyBuilder } from '../../engine.js';
import { resolveStreamsConfig, type StreamsConfig } from '../../config.js';
import { deadLetterTopic } from '../../errors/handlers.js';
import { InvalidTimestampError, ProcessingError } from '../../errors/streams-error.js';
import type { Logger } from '../../logger.js';
import { Serdes } from '../../serde/serdes.js';
import { Headers } from '../headers.js';
import type { ProcessorContext } from '../processor.js';
import type { ConsumedRecord, RecordCollector } from '../record-collector.js';
import type { StreamRecord } from '../stream-record.js';
import { boundedTimestampExtractor, type TimestampExtractor } from '../timestamp-extractor.js';
import { Topology } from '../topology.js';
import { StreamTask } from './stream-task.js';
import { HandledFailure } from './task-context.js';

/** What the recording processor saw of one record. */
interface Seen {
  readonly topic: string | undefined;
  readonly offset: number | undefined;
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly streamTime: number;
}

interface SentRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number | undefined;
  readonly partition: number | undefined;
}

interface Harness {
  readonly task: StreamTask;
  readonly seen: Seen[];
  readonly sent: SentRecord[];
  /** Set by the processor in init, for tests that call the context from outside a record. */
  readonly contexts: ProcessorContext<string, number>[];
}

interface HarnessOptions {
  readonly topics?: readonly string[];
  readonly timestampExtractor?: TimestampExtractor<string, number>;
  readonly config?: Partial<StreamsConfig>;
  /** Called for each record after it is recorded; lets a test call the context. */
  readonly onRecord?: (context: ProcessorContext<string, number>, record: StreamRecord<string, number>) => void;
  /** The task's wall clock; 0 when absent. */
  readonly clock?: () => number;
  /** As the Kafka runtime builds tasks: input fetched, so empty partitions may be waited for. */
  readonly fetchesInput?: boolean;
}

/** A task with one source over `topics`, a recording processor and a sink to 'out'. */
function harness(options: HarnessOptions = {}): Harness {
  const topics = options.topics ?? ['a', 'b'];
  const seen: Seen[] = [];
  const sent: SentRecord[] = [];
  const contexts: ProcessorContext<string, number>[] = [];
  const topology = new Topology()
    .addSource<string, number>('source', topics, {
      keySerde: Serdes.String(),
      valueSerde: Serdes.Int32(),
      ...(options.timestampExtractor === undefined ? {} : { timestampExtractor: options.timestampExtractor }),
    })
    .addProcessor<string, number, string, number>(
      'recorder',
      () => {
        let context: ProcessorContext<string, number>;
        return {
          init(given) {
            context = given;
            contexts.push(given);
          },
          process(record) {
            const metadata = context.recordMetadata();
            seen.push({
              topic: metadata?.topic,
              offset: metadata?.offset,
              key: record.key,
              value: record.value,
              timestamp: record.timestamp,
              streamTime: context.currentStreamTimeMs(),
            });
            options.onRecord?.(context, record);
            context.forward(record);
          },
        };
      },
      'source',
    )
    .addSink<string, number>('sink', 'out', { keySerde: Serdes.String(), valueSerde: Serdes.Int32() }, 'recorder');
  const collector: RecordCollector = {
    send(topic, key, value, _headers, timestamp, partition) {
      sent.push({ topic, key, value, timestamp, partition });
    },
    partitionCount: () => 1,
  };
  const builder = topologyBuilder(topology)!;
  const task = new StreamTask({
    taskId: { subtopology: 0, partition: 0 },
    builder,
    subtopology: builder.subtopologies()[0]!,
    config: resolveStreamsConfig({ applicationId: 'task-test', ...options.config }),
    collector,
    clock: options.clock ?? (() => 0),
    ...(options.fetchesInput === undefined ? {} : { fetchesInput: options.fetchesInput }),
  });
  task.initialize();
  return { task, seen, sent, contexts };
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value, 0);
  return buffer;
}

/** A raw record as a driver would hand it over; the value is its id. */
function consumed(topic: string, offset: number, timestamp: number, value: number, key = `k${value}`): ConsumedRecord {
  return { topic, partition: 0, offset, timestamp, key: Buffer.from(key, 'utf8'), value: int32(value), headers: new Headers() };
}

/** Raw records for one topic at offsets 0.., one per `[timestamp, value]` entry. */
function batch(topic: string, entries: readonly (readonly [number, number])[], firstOffset = 0): ConsumedRecord[] {
  return entries.map(([timestamp, value], index) => consumed(topic, firstOffset + index, timestamp, value));
}

function spyLogger(): { [Level in keyof Logger]: Mock<Logger[Level]> } {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

describe('StreamTask', () => {
  it('processes the record with the lowest timestamp across queues first', () => {
    const { task, seen, sent } = harness();
    task.addRecords('a', batch('a', [[10, 1], [30, 2], [50, 3]]));
    task.addRecords('b', batch('b', [[20, 4], [25, 5], [60, 6]]));
    expect(task.bufferedCount).toBe(6);
    expect(task.process()).toBe(6);
    expect(seen.map((record) => record.value)).toEqual([1, 4, 5, 2, 3, 6]);
    expect(seen.map((record) => `${record.topic}@${record.offset}`)).toEqual(['a@0', 'b@0', 'b@1', 'a@1', 'a@2', 'b@2']);
    expect(task.bufferedCount).toBe(0);
    // Everything reached the sink, serialized, with the event time of its input.
    expect(sent.map((record) => [record.topic, record.key?.toString('utf8'), record.value?.readInt32BE(0), record.timestamp])).toEqual([
      ['out', 'k1', 1, 10],
      ['out', 'k4', 4, 20],
      ['out', 'k5', 5, 25],
      ['out', 'k2', 2, 30],
      ['out', 'k3', 3, 50],
      ['out', 'k6', 6, 60],
    ]);
  });

  it('breaks timestamp ties in favour of the earlier queue', () => {
    const { task, seen } = harness();
    task.addRecords('b', batch('b', [[5, 1]]));
    task.addRecords('a', batch('a', [[5, 2]]));
    task.process();
    expect(seen.map((record) => record.topic)).toEqual(['a', 'b']);
  });

  it('keeps stream time at the largest timestamp processed, never moving back', () => {
    const { task, seen } = harness();
    expect(task.streamTime).toBe(-1);
    // Out of order within one partition: the queue keeps offset order, time does not go back.
    task.addRecords('a', batch('a', [[100, 1], [40, 2], [120, 3], [110, 4]]));
    task.process();
    expect(seen.map((record) => record.streamTime)).toEqual([100, 100, 120, 120]);
    expect(task.streamTime).toBe(120);
    task.addRecords('b', batch('b', [[7, 5]]));
    task.process();
    expect(task.streamTime).toBe(120);
    expect(seen.at(-1)).toMatchObject({ value: 5, timestamp: 7, streamTime: 120 });
  });

  it('processes no more than maxRecords per call', () => {
    const { task, seen } = harness();
    task.addRecords('a', batch('a', [[1, 1], [3, 2], [5, 3]]));
    task.addRecords('b', batch('b', [[2, 4], [4, 5]]));
    expect(task.process(0)).toBe(0);
    expect(seen).toEqual([]);
    expect(task.process(2)).toBe(2);
    expect(seen.map((record) => record.value)).toEqual([1, 4]);
    expect(task.bufferedCount).toBe(3);
    expect(task.process(2)).toBe(2);
    expect(task.process(2)).toBe(1);
    expect(task.process(2)).toBe(0);
    expect(seen.map((record) => record.value)).toEqual([1, 4, 2, 5, 3]);
    expect(task.metrics.processed).toBe(5);
  });

  it('reports the next offset to consume per topic at commit', () => {
    const { task } = harness();
    expect(task.prepareCommit()).toEqual(new Map());
    task.addRecords('a', batch('a', [[1, 1], [2, 2]], 40));
    task.addRecords('b', batch('b', [[3, 3]], 7));
    task.process(2);
    expect(task.prepareCommit()).toEqual(new Map([['a', 42]]));
    task.process();
    expect(task.prepareCommit()).toEqual(new Map([['a', 42], ['b', 8]]));
    // A later batch with a gap in offsets (compaction, transaction markers) still commits last + 1.
    task.addRecords('b', [consumed('b', 19, 9, 9)]);
    task.process();
    expect(task.prepareCommit()).toEqual(new Map([['a', 42], ['b', 20]]));
  });

  it('needs a commit after processing, not after postCommit, and again when a processor asks', () => {
    let askForCommit = false;
    const { task } = harness({
      onRecord: (context) => {
        if (askForCommit) context.commit();
      },
    });
    expect(task.commitNeeded).toBe(false);
    task.addRecords('a', batch('a', [[1, 1]]));
    task.process();
    expect(task.commitNeeded).toBe(true);
    task.prepareCommit();
    task.postCommit();
    expect(task.commitNeeded).toBe(false);
    // Processing nothing changes nothing.
    expect(task.process()).toBe(0);
    expect(task.commitNeeded).toBe(false);

    askForCommit = true;
    task.addRecords('a', [consumed('a', 1, 2, 2)]);
    task.process();
    expect(task.context.commitRequested).toBe(true);
    expect(task.commitNeeded).toBe(true);
    task.postCommit();
    expect(task.commitNeeded).toBe(false);
    expect(task.context.commitRequested).toBe(false);
  });

  it('needs a commit when a processor asks outside processing, as a punctuator would', () => {
    const { task, contexts } = harness();
    contexts[0]!.commit();
    expect(task.commitNeeded).toBe(true);
    task.postCommit();
    expect(task.commitNeeded).toBe(false);
  });

  it('skips, counts and logs records whose extractor returns a negative timestamp', () => {
    const logger = spyLogger();
    const { task, seen } = harness({
      timestampExtractor: (record) => (record.value === 13 ? -1 : record.timestamp),
      config: { logger },
    });
    task.addRecords('a', batch('a', [[10, 1], [20, 13], [30, 2]]));
    task.addRecords('b', [consumed('b', 5, 15, 13)]);
    expect(task.process()).toBe(2);
    expect(seen.map((record) => record.value)).toEqual([1, 2]);
    expect(task.metrics.dropped.get('invalid-timestamp')).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    const messages = logger.warn.mock.calls.map((call) => String(call[0]));
    expect(messages.some((message) => message.includes('invalid timestamp -1') && message.includes('a-0') && message.includes('offset 1'))).toBe(true);
    expect(messages.some((message) => message.includes('b-0') && message.includes('offset 5'))).toBe(true);
    // The skipped records are not counted as processed, but their offsets are behind the commit point.
    expect(task.metrics.processed).toBe(2);
    expect(task.prepareCommit().get('a')).toBe(3);
  });

  it('sends records an extractor rejects, or cannot time, to the deserialization handler with the reason', () => {
    const deserializationExceptionHandler = deadLetterTopic({ topic: 'dlq' });
    const logger = spyLogger();
    // The harness's wall clock is 0: a record stamped 30,001 ms is beyond 30 s ahead.
    const { task, seen, sent } = harness({
      timestampExtractor: boundedTimestampExtractor<string, number>((record) => (record.value === 3 ? -1 : record.timestamp), { maxFutureMs: 30_000 }),
      config: { logger, deserializationExceptionHandler },
    });
    task.addRecords('a', batch('a', [[30_000, 1], [30_001, 2], [5, 3], [6, 4]]));
    expect(task.process()).toBe(2);
    expect(seen.map((record) => record.value)).toEqual([1, 4]);
    expect(task.streamTime).toBe(30_000); // the rejected record never moved stream time
    expect(task.metrics.dropped.get('invalid-timestamp')).toBe(2);
    const letters = sent.filter((record) => record.topic === 'dlq');
    expect(letters.map((record) => record.value?.readInt32BE())).toEqual([2, 3]);
    expect(task.prepareCommit().get('a')).toBe(4);
  });

  it('hands the handler an InvalidTimestampError saying how far ahead, and fails the task when the handler fails', () => {
    const errors: Error[] = [];
    const { task } = harness({
      timestampExtractor: boundedTimestampExtractor<string, number>((record) => record.timestamp, { maxFutureMs: 1_000, maxPastMs: 0 }),
      config: {
        deserializationExceptionHandler: (_context, error) => {
          errors.push(error);
          return { action: errors.length === 1 ? 'continue' : 'fail' };
        },
      },
    });
    task.addRecords('a', batch('a', [[1_001, 1]]));
    task.addRecords('b', batch('b', [[0, 2], [2_000, 3]]));
    expect(() => task.process()).toThrow(InvalidTimestampError); // the second rejection: the handler fails
    expect(errors[0]).toBeInstanceOf(InvalidTimestampError);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^Record from a-0 at offset 0 has event time 1001, 1001 ms ahead of the wall clock; at most 1000 ms is allowed \(maxFutureMs\)/),
      expect.stringMatching(/^Record from b-0 at offset 1 has event time 2000, 2000 ms ahead/),
    ]);
  });

  it('treats anything else an extractor throws as fatal, as Kafka Streams does', () => {
    const { task } = harness({
      timestampExtractor: () => {
        throw new TypeError('bug in the extractor');
      },
    });
    expect(() => task.addRecords('a', batch('a', [[1, 1]]))).toThrow('bug in the extractor');
  });

  it('reports stream time ahead of the wall clock as a metric, and warns at most once a minute', () => {
    const logger = spyLogger();
    const { task } = harness({ config: { logger } });
    task.addRecords('a', batch('a', [[1_800_000, 1]])); // stamped 30 minutes after the wall clock's 0
    task.process();
    task.punctuateWallClock(0);
    expect(task.metrics.streamTimeAheadOfWallClockMs).toBe(1_800_000);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(String(logger.warn.mock.calls[0]![0])).toMatch(/Stream time of task 0_0 is 1800000 ms ahead of the wall clock/);
    task.punctuateWallClock(59_999);
    expect(task.metrics.streamTimeAheadOfWallClockMs).toBe(1_740_001);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    task.punctuateWallClock(60_000);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    task.punctuateWallClock(1_799_500); // within a second: clock jitter, not worth a warning
    expect(task.metrics.streamTimeAheadOfWallClockMs).toBe(500);
    task.punctuateWallClock(2_000_000);
    expect(task.metrics.streamTimeAheadOfWallClockMs).toBe(0);
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('treats NaN and non-number timestamps as invalid too', () => {
    const logger = spyLogger();
    const { task, seen } = harness({
      timestampExtractor: (record) => (record.value === 1 ? Number.NaN : record.value === 2 ? ('soon' as unknown as number) : record.timestamp),
      config: { logger },
    });
    task.addRecords('a', batch('a', [[1, 1], [2, 2], [3, 3]]));
    task.process();
    expect(seen.map((record) => record.value)).toEqual([3]);
    expect(task.metrics.dropped.get('invalid-timestamp')).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('drops records it cannot deserialize at the queue, and keeps no trace of them as the current record', () => {
    const logger = spyLogger();
    const { task, seen } = harness({ config: { logger } });
    task.addRecords('a', [{ ...consumed('a', 0, 5, 1), value: Buffer.from([1, 2]) }]);
    expect(task.metrics.dropped.get('deserialization-error')).toBe(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(task.context.recordMetadata()).toBeUndefined();
    task.addRecords('a', [consumed('a', 1, 6, 2)]);
    expect(task.process()).toBe(1);
    expect(seen.map((record) => record.value)).toEqual([2]);
    expect(task.prepareCommit().get('a')).toBe(2);
  });

  it('passes a HandledFailure from a processor straight out, without asking the processing handler', () => {
    const processingExceptionHandler = vi.fn(() => ({ action: 'continue' as const }));
    const { task } = harness({
      config: { processingExceptionHandler },
      onRecord: () => {
        throw new HandledFailure('the buffer is full');
      },
    });
    task.addRecords('a', batch('a', [[1, 1]]));
    let thrown: unknown;
    try {
      task.process();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProcessingError);
    expect((thrown as ProcessingError).name).toBe('ProcessingError');
    expect((thrown as ProcessingError).message).toBe('the buffer is full');
    expect(processingExceptionHandler).not.toHaveBeenCalled();
  });

  it('rejects records for a topic it does not read', () => {
    const { task } = harness();
    expect(() => task.addRecords('c', batch('c', [[1, 1]]))).toThrow(/does not read topic 'c'.*\[a, b\]/);
  });

  it('merges queues exactly as a brute-force oracle does, processing every record once', () => {
    interface Step {
      readonly queue: number;
      readonly chunk: number;
      readonly processMax: number;
    }
    const scenario = fc.integer({ min: 2, max: 3 }).chain((queueCount) =>
      fc.record({
        queueCount: fc.constant(queueCount),
        timestamps: fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 12 }), { minLength: queueCount, maxLength: queueCount }),
        steps: fc.array(
          fc.record<Step>({
            queue: fc.integer({ min: 0, max: queueCount - 1 }),
            chunk: fc.integer({ min: 1, max: 4 }),
            processMax: fc.integer({ min: 0, max: 5 }),
          }),
          { maxLength: 30 },
        ),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ queueCount, timestamps, steps }) => {
        const topics = ['t0', 't1', 't2'].slice(0, queueCount);
        const { task, seen } = harness({ topics });
        // Each record's value is a unique id; `records[q]` is queue q's input in offset order.
        let nextId = 0;
        const records = timestamps.map((list, queue) => list.map((timestamp, offset) => consumed(topics[queue]!, offset, timestamp, nextId++)));
        const delivered = records.map(() => 0);
        const pending: ConsumedRecord[][] = records.map(() => []);
        const expected: number[] = [];

        // The oracle: take the queue whose head is oldest, ties to the earlier queue.
        const oracleProcess = (max: number): void => {
          for (let count = 0; count < max; count++) {
            let best = -1;
            for (let queue = 0; queue < pending.length; queue++) {
              const head = pending[queue]![0];
              if (head !== undefined && (best === -1 || head.timestamp < pending[best]![0]!.timestamp)) best = queue;
            }
            if (best === -1) return;
            expected.push(pending[best]!.shift()!.value!.readInt32BE(0));
          }
        };
        const deliver = (queue: number, count: number): void => {
          const slice = records[queue]!.slice(delivered[queue], delivered[queue]! + count);
          delivered[queue]! += slice.length;
          if (slice.length === 0) return;
          pending[queue]!.push(...slice);
          task.addRecords(topics[queue]!, slice);
        };

        for (const step of steps) {
          deliver(step.queue, step.chunk);
          const processed = task.process(step.processMax);
          const before = expected.length;
          oracleProcess(step.processMax);
          expect(processed).toBe(expected.length - before);
        }
        for (let queue = 0; queue < queueCount; queue++) deliver(queue, Number.POSITIVE_INFINITY);
        task.process();
        oracleProcess(Number.POSITIVE_INFINITY);

        const order = seen.map((record) => record.value);
        expect(order).toEqual(expected);
        expect(new Set(order).size).toBe(nextId);
        expect(order.length).toBe(nextId);
        // Stream time is the running maximum of the timestamps processed.
        let max = -1;
        for (const record of seen) {
          max = Math.max(max, record.timestamp);
          expect(record.streamTime).toBe(max);
        }
        expect(task.streamTime).toBe(max);
      }),
      { numRuns: 300 },
    );
  });
});

describe('StreamTask waiting for empty input partitions (maxTaskIdleMs, KIP-695)', () => {
  /** A task fetching topics a and b, its wall clock at `time.now`. */
  function waitingHarness(maxTaskIdleMs?: number, topics?: readonly string[]): Harness & { readonly time: { now: number } } {
    const time = { now: 1_000 };
    const config = maxTaskIdleMs === undefined ? {} : { maxTaskIdleMs };
    return { ...harness({ fetchesInput: true, clock: () => time.now, config, ...(topics === undefined ? {} : { topics }) }), time };
  }
  const values = (seen: readonly Seen[]): number[] => seen.map((record) => record.value);

  it('waits while an empty partition has records on the broker, or its end is not known, then keeps event-time order', () => {
    const { task, seen, time } = waitingHarness();
    task.addRecords('a', batch('a', [[10, 1], [30, 2]]));
    // Nothing fetched from b yet: its end is unknown, so b's first record may be older than a's.
    expect(task.process()).toBe(0);
    expect(task.idlingSince).toBe(1_000);
    expect(task.emptyTopicsNotAtEnd()).toEqual(['b']);
    task.setFetchedLag('b', 2);
    time.now = 60_000;
    // Records known to be on the broker are waited for however long it takes (no deadline).
    expect(task.process()).toBe(0);
    expect(task.idlingSince).toBe(1_000);
    task.addRecords('b', batch('b', [[20, 3], [40, 4]]));
    task.setFetchedLag('b', 0);
    // b's 20 goes between a's 10 and 30; a's 30 goes while b's 40 is buffered; then a is empty, its end unknown: b's 40 waits.
    expect(task.process()).toBe(3);
    expect(values(seen)).toEqual([1, 3, 2]);
    expect(task.idlingSince).toBe(60_000);
    expect(task.emptyTopicsNotAtEnd()).toEqual(['a']);
    expect(task.metrics.enforcedProcessing).toBe(0);
  });

  it('processes at once, counting each record as enforced, when the empty partition is at its end and maxTaskIdleMs is 0 (the default)', () => {
    const { task, seen } = waitingHarness();
    task.setFetchedLag('b', 0);
    task.addRecords('a', batch('a', [[10, 1], [30, 2]]));
    expect(task.emptyTopicsNotAtEnd()).toEqual([]);
    expect(task.process()).toBe(2);
    expect(values(seen)).toEqual([1, 2]);
    expect(task.idlingSince).toBeUndefined();
    // As Kafka: every record processed while a partition was given up on is one enforced processing.
    expect(task.metrics.enforcedProcessing).toBe(2);
  });

  it('processes without enforcing anything when every partition has records buffered', () => {
    const { task, seen } = waitingHarness(5_000);
    task.addRecords('a', batch('a', [[10, 1]]));
    task.addRecords('b', batch('b', [[5, 2], [50, 3]]));
    task.setFetchedLag('a', 0);
    task.setFetchedLag('b', 0);
    // a's 10 and b's 5 are both buffered; after a's 10, a is empty and at its end: the wait for it begins.
    expect(task.process()).toBe(2);
    expect(values(seen)).toEqual([2, 1]);
    expect(task.metrics.enforcedProcessing).toBe(0);
    expect(task.idlingSince).toBe(1_000);
  });

  it('waits maxTaskIdleMs of wall-clock time for new records on a partition at its end, then processes and counts enforced processing', () => {
    const { task, seen, time } = waitingHarness(100);
    task.setFetchedLag('b', 0);
    task.addRecords('a', batch('a', [[10, 1], [30, 2]]));
    expect(task.process()).toBe(0);
    expect(task.idlingSince).toBe(1_000);
    time.now = 1_099;
    expect(task.process()).toBe(0);
    time.now = 1_100;
    expect(task.process()).toBe(2);
    expect(values(seen)).toEqual([1, 2]);
    expect(task.metrics.enforcedProcessing).toBe(2);
    expect(task.idlingSince).toBeUndefined();
    // The deadline passed stays passed while b has no records: more of a go at once.
    task.addRecords('a', batch('a', [[50, 3]], 2));
    expect(task.process()).toBe(1);
    expect(task.metrics.enforcedProcessing).toBe(3);
  });

  it('starts a fresh wait once records arrived on the partition in between', () => {
    const { task, seen, time } = waitingHarness(100);
    task.setFetchedLag('b', 0);
    task.addRecords('a', batch('a', [[10, 1]]));
    expect(task.process()).toBe(0);
    time.now = 1_100;
    expect(task.process()).toBe(1);
    // b gets a record at 2 000; a's next is older, so b's is processed after it, without waiting.
    time.now = 2_000;
    task.addRecords('b', batch('b', [[40, 2]]));
    task.addRecords('a', batch('a', [[20, 3], [60, 4]], 1));
    expect(task.process()).toBe(2);
    expect(values(seen)).toEqual([1, 3, 2]);
    // b is empty again at its end: a's 60 waits a whole new maxTaskIdleMs, from now.
    expect(task.idlingSince).toBe(2_000);
    time.now = 2_099;
    expect(task.process()).toBe(0);
    time.now = 2_100;
    expect(task.process()).toBe(1);
    expect(values(seen)).toEqual([1, 3, 2, 4]);
    expect(task.metrics.enforcedProcessing).toBe(2);
  });

  it('never waits with maxTaskIdleMs -1, even for an empty partition of unknown end', () => {
    const { task, seen } = waitingHarness(-1);
    task.addRecords('a', batch('a', [[10, 1], [30, 2]]));
    task.setFetchedLag('b', 5);
    expect(task.process()).toBe(2);
    expect(values(seen)).toEqual([1, 2]);
    expect(task.idlingSince).toBeUndefined();
    expect(task.emptyTopicsNotAtEnd()).toEqual([]);
    expect(task.metrics.enforcedProcessing).toBe(0);
  });

  it('never waits in a task of one partition, nor in a task whose input is local (test driver, embedded runner)', () => {
    const single = waitingHarness(10_000, ['a']);
    single.task.addRecords('a', batch('a', [[10, 1]]));
    expect(single.task.process()).toBe(1);
    const local = harness({ config: { maxTaskIdleMs: 10_000 } });
    local.task.addRecords('a', batch('a', [[10, 1], [30, 2]]));
    local.task.setFetchedLag('b', 3);
    expect(local.task.process()).toBe(2);
    expect(local.task.idlingSince).toBeUndefined();
    expect(local.task.metrics.enforcedProcessing).toBe(0);
  });

  it('never waits for a partition that does not exist (a merged topic with fewer partitions than the task count)', () => {
    const { task, seen } = waitingHarness(10_000);
    task.markPartitionMissing('b');
    task.setFetchedLag('b', 3);
    task.addRecords('a', batch('a', [[10, 1], [30, 2]]));
    expect(task.emptyTopicsNotAtEnd()).toEqual([]);
    expect(task.process()).toBe(2);
    expect(values(seen)).toEqual([1, 2]);
    expect(task.metrics.enforcedProcessing).toBe(0);
  });

  it('rejects a lag for a topic the task does not read', () => {
    const { task } = waitingHarness();
    expect(() => task.setFetchedLag('c', 0)).toThrow(/does not read topic 'c'/);
  });
});
