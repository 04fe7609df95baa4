import { describe, expect, it } from 'vitest';
import { Headers } from '@tributary/streams';
import { OutgoingRecord, requestsOf } from './kafka-record-collector.js';

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
