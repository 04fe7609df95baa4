import { describe, expect, it } from 'vitest';
import { Headers } from '@tributary/streams';
import { describeSendError, OutgoingRecord, requestsOf } from './kafka-record-collector.js';

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
