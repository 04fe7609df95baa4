import { describe, expect, it, vi } from 'vitest';
import { KafkaClientError } from '../client/client-error.js';
import type { OutgoingKafkaRecord } from '../client/kafka-client.js';
import { DeadLetterHeaders, Headers, recordSizeInBytes, silentLogger } from '@tributary/streams';
import { KafkaRecordCollector, LINGER_MS, LINGER_RECORDS, type TaskRecordCollector, type KafkaRecordCollectorOptions } from './kafka-record-collector.js';
import { OutgoingRecord } from './outgoing-record.js';
import { timestampMillisOf } from '../client/internal/record-timestamp.js';
import { describeSendError, requestsOf } from './send-requests.js';
import { RecordSendError, TaskCorruptedError, TaskMigratedError } from '../errors.js';
import { defaultPartition } from './murmur2.js';

function record(bytes: number, partition?: number): OutgoingRecord {
  const outgoing = new OutgoingRecord(Buffer.from('k'), Buffer.alloc(bytes), new Headers(), 0, undefined);
  if (partition !== undefined) outgoing.partition = partition;
  return outgoing;
}

describe('OutgoingRecord', () => {
  it('has only the kafkajs message fields as own properties, since kafkajs spreads every message it encodes', () => {
    const outgoing = new OutgoingRecord(Buffer.from('k'), Buffer.from('v'), new Headers().add('h', 'x'), 5, undefined);
    // The timestamp is a getter: kafkajs reads it (`message.timestamp`), and its record takes the delta instead.
    expect(Object.keys({ ...outgoing }).sort()).toEqual(['headers', 'key', 'partition', 'value']);
    expect(outgoing.recordHeaders.lastString('h')).toBe('x');
    expect(outgoing.recordTimestamp).toBe(5);
    expect(outgoing.timestamp).toBe('5');
    expect(timestampMillisOf(outgoing)).toBe(5);
    const unstamped = new OutgoingRecord(null, null, new Headers(), undefined, undefined);
    expect(unstamped.timestamp).toBeUndefined();
    expect(timestampMillisOf(unstamped)).toBeUndefined();
  });
});

describe('requestsOf', () => {
  it('cuts each topic-partition into requests of its own, of bounded size, keeping its records in order', () => {
    const a = Array.from({ length: 10 }, () => record(300, 0));
    const b = Array.from({ length: 4 }, (_, index) => record(100, index % 2));
    const requests = requestsOf(
      new Map([
        ['a', a],
        ['b', b],
      ]),
      1000,
    );
    // 'a' records are 365 bytes with their allowance (two per request), 'b' records 165.
    expect(requests.map((partition) => partition.map((request) => `${request.topic}-${request.partition}:${request.records.length}`))).toEqual([['a-0:2', 'a-0:2', 'a-0:2', 'a-0:2', 'a-0:2'], ['b-0:2'], ['b-1:2']]);
    expect(requests[0]!.flatMap((request) => request.records)).toEqual(a);
    expect(requests[1]!.flatMap((request) => request.records)).toEqual([b[0], b[2]]);
    // Records that came with their partition (changelogs) have their request's next offset noted.
    expect(requests.flat().every((request) => request.explicit)).toBe(true);
  });

  it('puts at most maxRecords records in one request, so kafkajs regroups short arrays', () => {
    const a = Array.from({ length: 7 }, () => record(10, 0));
    const requests = requestsOf(new Map([['a', a]]), 1_000_000, 3);
    expect(requests[0]!.map((request) => request.records.length)).toEqual([3, 3, 1]);
  });

  it('sends a record larger than the bound on its own rather than not at all', () => {
    const requests = requestsOf(new Map([['a', [record(10, 0), record(5000, 0), record(10, 0)]]]), 1000);
    expect(requests[0]!.map((request) => request.records.length)).toEqual([1, 1, 1]);
  });
});

describe('KafkaRecordCollector: one topic-partition per request', () => {
  interface Request {
    readonly topics: number;
    readonly topic: string;
    readonly partitions: number[];
    readonly values: string[];
  }
  function recordingProducer(refuse?: (topic: string, messages: OutgoingKafkaRecord[]) => Error | undefined) {
    const requests: Request[] = [];
    const singles: Request[] = [];
    const summarize = (topicMessages: { topic: string; messages: OutgoingKafkaRecord[] }[]): Request => ({
      topics: topicMessages.length,
      topic: topicMessages[0]?.topic ?? '',
      partitions: [...new Set(topicMessages.flatMap((entry) => entry.messages.map((message) => message.partition ?? -1)))],
      values: topicMessages.flatMap((entry) => entry.messages.map((message) => String(message.value))),
    });
    /** Partitions a send was refused for: the collector's one-record sends to them after are its slow path. */
    const refused = new Set<string>();
    const producer = {
      send: async (topic: string, records: readonly OutgoingKafkaRecord[]) => {
        const messages = [...records];
        const partition = `${topic}:${messages[0]?.partition ?? -1}`;
        const single = messages.length === 1 && refused.has(partition);
        (single ? singles : requests).push(summarize([{ topic, messages }]));
        // Let other partitions' sends interleave, as real requests do.
        if (!single) await new Promise((resolve) => setImmediate(resolve));
        const error = refuse?.(topic, messages);
        if (error !== undefined) {
          refused.add(partition);
          throw error;
        }
        return [];
      },
    };
    return { producer, requests, singles };
  }

  function collector(producer: KafkaRecordCollectorOptions['producer'], options: Partial<KafkaRecordCollectorOptions> = {}): KafkaRecordCollector {
    return new KafkaRecordCollector({
      producer,
      partitionCounts: new Map([['in', 4]]),
      changelogTopics: new Set(),
      productionExceptionHandler: () => ({ action: 'continue' }),
      logger: silentLogger,
      deadLetterMaxBytes: 4_096,
      ...options,
    });
  }

  const keys = Array.from({ length: 40 }, (_, index) => `key-${index}`);

  it('sends every request to exactly one topic and one partition, the one kafkajs\' default partitioner picks for a keyed record', async () => {
    const { producer, requests } = recordingProducer();
    const fetched: string[] = [];
    const sender = collector(producer, { fetchPartitionCount: async (topic) => (fetched.push(topic), topic === 'out' ? 6 : undefined) });
    for (const key of keys) {
      sender.send('in', Buffer.from(key), Buffer.from(`in:${key}`), new Headers(), 0, undefined);
      sender.send('out', Buffer.from(key), Buffer.from(`out:${key}`), new Headers(), 0, undefined);
    }
    sender.send('changelog', Buffer.from('k'), Buffer.from('c'), new Headers(), 0, 2);
    await sender.flush();
    expect(requests.length).toBeGreaterThan(3);
    for (const request of requests) {
      expect(request.topics).toBe(1);
      expect(request.partitions).toHaveLength(1);
      expect(request.partitions[0]).toBeGreaterThanOrEqual(0);
    }
    // The output topic's count, unknown to the plan, was fetched once.
    expect(fetched).toEqual(['out']);
    // murmur2 of the key, as kafkajs' and Java's default partitioners (client/internal/kafkajs-partitioner.test.ts).
    const expected = (_topic: string, count: number, key: string): number => defaultPartition(Buffer.from(key), count);
    for (const [topic, count] of [['in', 4], ['out', 6]] as const) {
      for (const key of keys) {
        const request = requests.find((entry) => entry.topic === topic && entry.values.includes(`${topic}:${key}`))!;
        expect(request.partitions[0], `${topic} ${key}`).toBe(expected(topic, count, key));
      }
    }
    expect(requests.find((entry) => entry.topic === 'changelog')!.partitions).toEqual([2]);
    expect(sender.sent).toBe(81);
  });

  it('spreads records without a key over the partitions in turn', async () => {
    const { producer, requests } = recordingProducer();
    const sender = collector(producer);
    for (let index = 0; index < 8; index++) sender.send('in', null, Buffer.from(String(index)), new Headers(), 0, undefined);
    await sender.flush();
    expect(requests.map((request) => `${request.partitions.join()}:${request.values.join()}`).sort()).toEqual(['0:0,4', '1:1,5', '2:2,6', '3:3,7']);
  });

  it('keeps each partition\'s records in order across requests, one request of a partition at a time', async () => {
    let inFlight = new Set<string>();
    let overlapped = false;
    const requests: string[][] = [];
    const producer = {
      send: async (topic: string, records: readonly OutgoingKafkaRecord[]) => {
        const entry = { topic, messages: records };
        const key = `${entry.topic}:${entry.messages[0]!.partition}`;
        if (inFlight.has(key)) overlapped = true;
        inFlight.add(key);
        requests.push(entry.messages.map((message) => `${key}/${String(message.value)}`));
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight.delete(key);
        return [];
      },
    };
    const sender = collector(producer);
    // 2,500 records for each of two partitions: three requests each (MAX_REQUEST_TOPIC_RECORDS).
    for (let index = 0; index < 2_500; index++) {
      sender.send('in', null, Buffer.from(String(index)), new Headers(), 0, 0);
      sender.send('in', null, Buffer.from(String(index)), new Headers(), 0, 3);
    }
    await sender.flush();
    expect(overlapped).toBe(false);
    expect(requests).toHaveLength(6);
    for (const partition of ['in:0', 'in:3']) {
      const values = requests.flat().filter((value) => value.startsWith(`${partition}/`));
      expect(values).toEqual(Array.from({ length: 2_500 }, (_, index) => `${partition}/${index}`));
    }
    inFlight = new Set();
  });

  it('fails clearly, sending nothing, when a topic without a known partition count does not exist', async () => {
    const { producer, requests } = recordingProducer();
    const sender = collector(producer, { fetchPartitionCount: async () => undefined });
    sender.send('missing', Buffer.from('k'), Buffer.from('v'), new Headers(), 0, undefined);
    const error = await sender.flush().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RecordSendError);
    expect((error as RecordSendError).message).toContain("topic 'missing'");
    expect((error as RecordSendError).message).toContain('Create the topic');
    expect(requests).toHaveLength(0);
  });

  it('routes the records a partition refused to the production handler, one by one, and sends the other partitions', async () => {
    const tooLarge = new KafkaClientError('record-rejected', 'The request included a message larger than the max message size the server will accept', false);
    const { producer, requests, singles } = recordingProducer((_topic, messages) => (messages.some((message) => String(message.value) === 'big') ? tooLarge : undefined));
    const handled: string[] = [];
    const sender = collector(producer, {
      productionExceptionHandler: (_context, failed, error) => {
        handled.push(`${String(failed.value)}:${error.message}`);
        return { action: 'continue' };
      },
    });
    const dropped: string[] = [];
    const task = sender.forTask();
    // The parts of a task's context the handler path reads.
    task.context = { taskId: { subtopology: 0, partition: 1 }, metrics: { recordDropped: (reason: string) => dropped.push(reason) } } as unknown as TaskRecordCollector['context'];
    task.send('in', null, Buffer.from('a'), new Headers(), 0, 1);
    task.send('in', null, Buffer.from('big'), new Headers(), 0, 1);
    task.send('in', null, Buffer.from('b'), new Headers(), 0, 2);
    await sender.flush();
    expect(handled).toEqual([`big:${tooLarge.message}`]);
    expect(dropped).toEqual(['production-error']);
    expect(requests.map((request) => request.partitions[0]).sort()).toEqual([1, 2]);
    expect(singles.map((request) => `${request.partitions.join()}:${request.values.join()}`)).toEqual(['1:a', '1:big']);
    expect(sender.sent).toBe(2);
  });

  it('makes a task corrupted of a partition the brokers could not take, and stops the other partitions\' requests', async () => {
    const unavailable = new KafkaClientError('unavailable', 'Connection error: ECONNREFUSED', true);
    const { producer, requests } = recordingProducer((_topic, messages) => (messages[0]!.partition === 0 ? unavailable : undefined));
    const sender = collector(producer);
    for (let index = 0; index < 1_500; index++) {
      sender.send('in', null, Buffer.from(String(index)), new Headers(), 0, 0);
      sender.send('in', null, Buffer.from(String(index)), new Headers(), 0, 1);
    }
    await expect(sender.flush()).rejects.toBeInstanceOf(TaskCorruptedError);
    // Partition 0's first request failed while partition 1's first was in flight: neither sent a second.
    expect(requests.map((request) => request.partitions[0]).sort()).toEqual([0, 1]);
  });

  it('fails the thread as migrated, asking no handler and re-sending nothing, when the producer will not send for a stopped thread', async () => {
    // The first request of each partition goes out; the process is stopped past its session timeout, and the second is refused.
    let mayDispatch = true;
    const fenced = new KafkaClientError('group-fenced', 'stopped past its session timeout', false);
    const { producer, requests, singles } = recordingProducer(() => {
      const refused = mayDispatch ? undefined : fenced;
      mayDispatch = false;
      return refused;
    });
    const handled: string[] = [];
    const sender = collector(producer, {
      productionExceptionHandler: (_context, refused) => {
        handled.push(String(refused.value));
        return { action: 'continue' };
      },
    });
    for (let index = 0; index < 1_500; index++) sender.send('in', null, Buffer.from(String(index)), new Headers(), 0, 0);
    sender.send('in', null, Buffer.from('other'), new Headers(), 0, 1);
    const error = await sender.flush().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskMigratedError);
    expect((error as Error).message).toContain('stopped past its session timeout');
    expect(handled).toEqual([]);
    expect(singles).toEqual([]);
    // Only partition 0's first request was taken: partition 1's, refused, is not sent record by record, nor anything after it.
    expect(requests.length).toBeGreaterThan(1);
    expect(sender.sent).toBe(requests[0]!.values.length);
    await expect(sender.flush()).rejects.toBeInstanceOf(TaskCorruptedError);
  });

  it('under exactly-once, a refused partition fails the transaction without re-sending anything', async () => {
    const tooLarge = new KafkaClientError('record-rejected', 'too large', false);
    const { producer, requests, singles } = recordingProducer((_topic, messages) => (messages[0]!.partition === 1 ? tooLarge : undefined));
    const sender = collector(producer, { transactionalTaskId: '0_1' });
    sender.send('in', null, Buffer.from('a'), new Headers(), 0, 0);
    sender.send('in', null, Buffer.from('b'), new Headers(), 0, 1);
    await expect(sender.flush()).rejects.toBeInstanceOf(RecordSendError);
    expect(requests).toHaveLength(2);
    expect(singles).toHaveLength(0);
  });
});

describe('KafkaRecordCollector and dead letters', () => {
  function collectorSending(sent: OutgoingKafkaRecord[]): KafkaRecordCollector {
    return new KafkaRecordCollector({
      producer: {
        send: async (_topic, records) => {
          sent.push(...records);
          return [];
        },
      },
      partitionCounts: new Map([['dlq', 1], ['out', 1]]),
      changelogTopics: new Set(),
      productionExceptionHandler: () => ({ action: 'fail' }),
      logger: silentLogger,
      deadLetterMaxBytes: 4_096,
    });
  }

  it('cuts a dead letter (any record with the exception header) to deadLetterMaxBytes, and leaves other records alone', async () => {
    const sent: OutgoingKafkaRecord[] = [];
    const collector = collectorSending(sent);
    const letterHeaders = new Headers().add(DeadLetterHeaders.exception, 'InvalidProductEvent').add(DeadLetterHeaders.message, 'malformed JSON');
    collector.send('dlq', Buffer.from('p1'), Buffer.alloc(1_048_400, 1), letterHeaders, 10, undefined);
    collector.send('out', Buffer.from('p1'), Buffer.alloc(10_000, 2), new Headers().add('trace', 'x'), 10, undefined);
    await collector.flush();
    const [letter, plain] = sent as [OutgoingRecord, OutgoingRecord];
    expect(recordSizeInBytes(letter.key, letter.value, letter.recordHeaders)).toBeLessThanOrEqual(4_096);
    expect(letter.recordHeaders.lastString(DeadLetterHeaders.truncated)).toBe('value');
    expect(letter.recordHeaders.lastString(DeadLetterHeaders.originalValueSize)).toBe('1048400');
    expect(String(letter.headers?.[DeadLetterHeaders.truncated])).toBe('value'); // what kafkajs sends
    expect(letter.key?.toString()).toBe('p1');
    expect(plain.value).toHaveLength(10_000);
  });
});

describe('describeSendError', () => {
  it('says what to do when the brokers do not host the topic-partition (a missing sink topic)', () => {
    const refusal = new Error('This server does not host this topic-partition');
    const text = describeSendError(new KafkaClientError('unknown-topic', refusal.message, true, { cause: refusal }));
    expect(text).toContain('This server does not host this topic-partition');
    expect(text).toContain('the topic does not exist');
    expect(text).toContain('auto.create.topics.enable');
  });

  it('adds nothing to other failures', () => {
    expect(describeSendError(new Error('Request timed out', { cause: new Error('socket hang up') }))).toBe('Request timed out: socket hang up');
  });
});

describe('KafkaRecordCollector sending as records are produced (linger)', () => {
  /** A producer whose sends wait until the test acknowledges them, one by one. */
  function heldProducer() {
    const requests: { topics: string[]; values: string[]; acknowledge: () => void; refuse: (error: Error) => void }[] = [];
    const producer = {
      send: (topic: string, records: readonly OutgoingKafkaRecord[]) =>
        new Promise<[]>((resolve, reject) => {
          requests.push({
            topics: [topic],
            values: records.map((message) => String(message.value)),
            acknowledge: () => resolve([]),
            refuse: reject,
          });
        }),
    };
    return { producer, requests };
  }

  function collectorOn(producer: KafkaRecordCollectorOptions['producer'], onBackgroundSendDone?: () => void): KafkaRecordCollector {
    return new KafkaRecordCollector({
      producer,
      partitionCounts: new Map([['out', 1]]),
      changelogTopics: new Set(),
      productionExceptionHandler: () => ({ action: 'fail' }),
      logger: silentLogger,
      deadLetterMaxBytes: 4_096,
      ...(onBackgroundSendDone === undefined ? {} : { onBackgroundSendDone }),
    });
  }

  const send = (collector: KafkaRecordCollector, value: string): void => collector.send('out', null, Buffer.from(value), new Headers(), 0, 0);
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('is due once LINGER_RECORDS records wait or the oldest has waited LINGER_MS', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      const collector = collectorOn(heldProducer().producer);
      expect(collector.sendDue(Date.now())).toBe(false);
      expect(collector.lingerLeft(Date.now())).toBeUndefined();
      send(collector, 'a');
      vi.setSystemTime(1_000_000 + LINGER_MS - 1);
      send(collector, 'b');
      expect(collector.sendDue(Date.now())).toBe(false);
      expect(collector.lingerLeft(Date.now())).toBe(1);
      // The oldest record's wait counts, not the newest's.
      expect(collector.sendDue(1_000_000 + LINGER_MS)).toBe(true);
      expect(collector.lingerLeft(1_000_000 + LINGER_MS)).toBe(0);
      const full = collectorOn(heldProducer().producer);
      for (let index = 0; index < LINGER_RECORDS - 1; index++) send(full, String(index));
      expect(full.sendDue(Date.now())).toBe(false);
      send(full, 'last');
      expect(full.sendDue(Date.now())).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends in the background, one send in flight at a time, in order, and a flush waits for the send in flight', async () => {
    const { producer, requests } = heldProducer();
    let done = 0;
    const collector = collectorOn(producer, () => done++);
    send(collector, 'a');
    send(collector, 'b');
    collector.sendInBackground();
    await settle();
    expect(requests.map((request) => request.values)).toEqual([['a', 'b']]);
    expect(collector.sending).toBe(true);
    expect(collector.pending).toBe(0);
    // Records produced while a send is in flight wait for it: a partition's records stay in order.
    send(collector, 'c');
    collector.sendInBackground();
    await settle();
    expect(requests).toHaveLength(1);
    let flushed = false;
    const flush = collector.flush().then(() => (flushed = true));
    await settle();
    expect(flushed).toBe(false);
    requests[0]!.acknowledge();
    await settle();
    expect(done).toBe(1);
    expect(requests.map((request) => request.values)).toEqual([['a', 'b'], ['c']]);
    expect(flushed).toBe(false);
    requests[1]!.acknowledge();
    await flush;
    expect(collector.sent).toBe(3);
    expect(collector.sending).toBe(false);
  });

  it('keeps a background send failure for the next flush, which throws it and sends nothing more', async () => {
    const { producer, requests } = heldProducer();
    const collector = collectorOn(producer);
    send(collector, 'a');
    collector.sendInBackground();
    await settle();
    requests[0]!.refuse(new KafkaClientError('unavailable', 'Connection error: ECONNREFUSED', true));
    await settle();
    expect(collector.failure).toBeInstanceOf(TaskCorruptedError);
    send(collector, 'b');
    collector.sendInBackground();
    await expect(collector.flush()).rejects.toBeInstanceOf(TaskCorruptedError);
    expect(requests).toHaveLength(1);
    expect(collector.pending).toBe(0);
  });

  it('never resolves a flush that lost records to a discard (the thread failed): waiting for a send in flight, or sending', async () => {
    const { producer, requests } = heldProducer();
    const collector = collectorOn(producer);
    send(collector, 'a');
    collector.sendInBackground();
    await settle();
    // A commit flushes the cache behind the send in flight ('b', a changelog record), then the thread fails.
    send(collector, 'b');
    const waiting = collector.flush();
    waiting.catch(() => {});
    collector.discard();
    requests[0]!.acknowledge();
    await expect(waiting).rejects.toThrow(/discarded/);
    expect(requests.map((request) => request.values)).toEqual([['a']]);
    // A discard while the flush itself sends, and records appended after it: no flush succeeds again.
    const held = heldProducer();
    const other = collectorOn(held.producer);
    send(other, 'c');
    const sending = other.flush();
    sending.catch(() => {});
    await settle();
    send(other, 'd');
    other.discard();
    held.requests[0]!.acknowledge();
    await expect(sending).rejects.toBeInstanceOf(TaskCorruptedError);
    send(other, 'e');
    other.sendInBackground();
    expect(other.sending).toBe(false);
    await expect(other.flush()).rejects.toBeInstanceOf(TaskCorruptedError);
  });
});

