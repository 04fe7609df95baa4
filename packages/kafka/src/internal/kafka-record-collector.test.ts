import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { DeadLetterHeaders, Headers, recordSizeInBytes, silentLogger } from '@tributary/streams';
import { describeSendError, KafkaRecordCollector, OutgoingRecord, requestsOf } from './kafka-record-collector.js';

function record(bytes: number, partition?: number): OutgoingRecord {
  const outgoing = new OutgoingRecord(Buffer.from('k'), Buffer.alloc(bytes), new Headers(), 0, undefined);
  if (partition !== undefined) outgoing.partition = partition;
  return outgoing;
}

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
