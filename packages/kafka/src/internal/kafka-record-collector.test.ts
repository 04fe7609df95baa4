import { describe, expect, it, vi } from 'vitest';
import type { Message } from 'kafkajs';
import { DeadLetterHeaders, Headers, recordSizeInBytes, silentLogger } from '@tributary/streams';
import { describeSendError, KafkaRecordCollector, LINGER_MS, LINGER_RECORDS, OutgoingRecord, requestsOf, type KafkaRecordCollectorOptions } from './kafka-record-collector.js';
import { TaskCorruptedError } from '../errors.js';

function record(bytes: number, partition?: number): OutgoingRecord {
  const outgoing = new OutgoingRecord(Buffer.from('k'), Buffer.alloc(bytes), new Headers(), 0, undefined);
  if (partition !== undefined) outgoing.partition = partition;
  return outgoing;
}

describe('OutgoingRecord', () => {
  it('has only the kafkajs message fields as own properties, since kafkajs spreads every message it encodes', () => {
    const outgoing = new OutgoingRecord(Buffer.from('k'), Buffer.from('v'), new Headers().add('h', 'x'), 5, undefined);
    expect(Object.keys({ ...outgoing }).sort()).toEqual(['headers', 'key', 'partition', 'timestamp', 'value']);
    expect(outgoing.recordHeaders.lastString('h')).toBe('x');
    expect(outgoing.recordTimestamp).toBe(5);
    expect(outgoing.timestamp).toBe('5');
  });
});

describe('requestsOf', () => {
  it('cuts the buffered records into requests of bounded size, keeping their order per topic', () => {
    const a = Array.from({ length: 10 }, () => record(300));
    const b = Array.from({ length: 4 }, (_, index) => record(100, index % 2));
    const requests = requestsOf(
      new Map([
        ['a', a],
        ['b', b],
      ]),
      1000,
    );
    // 'a' records are 365 bytes with their allowance (two per request), 'b' records 165.
    expect(requests.map((request) => request.count)).toEqual([2, 2, 2, 2, 3, 3]);
    expect(requests.flatMap((request) => request.topicMessages.filter((entry) => entry.topic === 'a').flatMap((entry) => entry.messages))).toEqual(a);
    expect(requests.flatMap((request) => request.topicMessages.filter((entry) => entry.topic === 'b').flatMap((entry) => entry.messages))).toEqual(b);
    expect(requests.reduce((sum, request) => sum + request.count, 0)).toBe(14);
    // Records sent to an explicit partition are counted per request, for the changelog offsets.
    const explicit = new Map<string, number>();
    for (const request of requests) for (const [key, count] of request.explicit) explicit.set(key, (explicit.get(key) ?? 0) + count);
    expect(explicit).toEqual(new Map([['b:0', 2], ['b:1', 2]]));
  });

  it('puts at most maxTopicRecords records of a topic in one request, so kafkajs regroups short arrays', () => {
    const a = Array.from({ length: 7 }, () => record(10));
    const b = Array.from({ length: 2 }, () => record(10));
    const requests = requestsOf(new Map([['a', a], ['b', b]]), 1_000_000, 3);
    expect(requests.map((request) => request.topicMessages.map((entry) => `${entry.topic}${entry.messages.length}`).join(' '))).toEqual(['a3', 'a3', 'a1 b2']);
    expect(requests.flatMap((request) => request.topicMessages.filter((entry) => entry.topic === 'a').flatMap((entry) => entry.messages))).toEqual(a);
  });

  it('sends a record larger than the bound on its own rather than not at all', () => {
    const requests = requestsOf(new Map([['a', [record(10), record(5000), record(10)]]]), 1000);
    expect(requests.map((request) => request.count)).toEqual([1, 1, 1]);
  });
});

describe('KafkaRecordCollector and dead letters', () => {
  function collectorSending(sent: Message[]): KafkaRecordCollector {
    return new KafkaRecordCollector({
      producer: {
        send: async () => [],
        sendBatch: async ({ topicMessages }) => {
          for (const entry of topicMessages ?? []) sent.push(...entry.messages);
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
    const sent: Message[] = [];
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
    const refusal = Object.assign(new Error('This server does not host this topic-partition'), { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const retries = new Error('This server does not host this topic-partition', { cause: refusal });
    const text = describeSendError(retries);
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
      send: async () => [],
      sendBatch: ({ topicMessages }: { topicMessages?: { topic: string; messages: Message[] }[] }) =>
        new Promise<[]>((resolve, reject) => {
          requests.push({
            topics: (topicMessages ?? []).map((entry) => entry.topic),
            values: (topicMessages ?? []).flatMap((entry) => entry.messages.map((message) => String(message.value))),
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
    requests[0]!.refuse(Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError' }));
    await settle();
    expect(collector.failure).toBeInstanceOf(TaskCorruptedError);
    send(collector, 'b');
    collector.sendInBackground();
    await expect(collector.flush()).rejects.toBeInstanceOf(TaskCorruptedError);
    expect(requests).toHaveLength(1);
    expect(collector.pending).toBe(0);
  });
});
