import { describe, expect, it } from 'vitest';
import { BARE_VALUE_HEADER } from '@tributary/streams';
import { ChangelogTail, readCommittedPoints, restoreStart, sendCompensation } from './changelog-rollback.js';
import type { OutgoingKafkaRecord, RecordSender, SendAcknowledgement } from '../client/kafka-client.js';

/** A producer that appends to in-memory partitions and answers as the brokers do. */
class FakeProducer implements RecordSender {
  readonly partitions = new Map<string, OutgoingKafkaRecord[]>();
  requests = 0;

  constructor(private readonly startAt = 0) {}

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    this.requests++;
    const partition = records[0]?.partition ?? 0;
    // One topic-partition per send, as the seam says.
    expect(records.every((record) => (record.partition ?? 0) === partition)).toBe(true);
    const key = `${topic}:${partition}`;
    const log = this.partitions.get(key) ?? Array.from({ length: this.startAt }, (): OutgoingKafkaRecord => ({ key: null, value: null }));
    const baseOffset = log.length;
    log.push(...records);
    this.partitions.set(key, log);
    return [{ topic, partition, baseOffset }];
  }
}

describe('restoreStart', () => {
  it('restores from the checkpoint (or 0) when the store is not past the consistent end', () => {
    expect(restoreStart(undefined, 10)).toEqual({ fromOffset: 0, wipe: false });
    expect(restoreStart(7, 10)).toEqual({ fromOffset: 7, wipe: false });
    expect(restoreStart(10, 10)).toEqual({ fromOffset: 10, wipe: false });
    expect(restoreStart(50, undefined)).toEqual({ fromOffset: 50, wipe: false });
  });

  it('wipes a store whose checkpoint ran past the consistent end, and restores it from 0', () => {
    expect(restoreStart(11, 10)).toEqual({ fromOffset: 0, wipe: true });
    expect(restoreStart(3, 0)).toEqual({ fromOffset: 0, wipe: true });
  });
});

describe('ChangelogTail', () => {
  it('writes one record per key the tail wrote: what the store holds, or a tombstone, at the latest timestamp seen', () => {
    const tail = new ChangelogTail('seen', 'app-seen-changelog', 3);
    tail.add(Buffer.from('a'), 100);
    tail.add(Buffer.from('b'), 90);
    tail.add(Buffer.from('a'), 120);
    tail.add(Buffer.from('c'), 130);
    expect(tail.records).toBe(4);
    expect(tail.size).toBe(3);
    const held = new Map([['a', { value: Buffer.from('A@end'), timestamp: undefined, bareValue: false }]]);
    const messages = tail.compensation((key) => held.get(key.toString()));
    expect(messages.map((message) => [message.key!.toString(), message.value === null ? null : message.value!.toString(), message.partition, message.timestamp])).toEqual([
      ['a', 'A@end', 3, '120'],
      ['b', null, 3, '90'],
      ['c', null, 3, '130'],
    ]);
  });

  it("writes a timestamped store's value bare, at the value's own timestamp, with the bare-value header only when it needs one", () => {
    const tail = new ChangelogTail('table', 'app-table-changelog', 0);
    tail.add(Buffer.from('a'), 500);
    tail.add(Buffer.from('b'), 600);
    tail.add(Buffer.from('c'), 700);
    const startsWithOwnTime = Buffer.alloc(8);
    startsWithOwnTime.writeBigInt64BE(42n);
    const held = new Map([
      ['a', { value: Buffer.from('A'), timestamp: 40, bareValue: false }],
      ['b', { value: startsWithOwnTime, timestamp: 42, bareValue: true }],
    ]);
    const messages = tail.compensation((key) => held.get(key.toString()));
    expect(messages.map((message) => [message.key!.toString(), message.value === null ? null : message.value!.toString('hex'), message.timestamp, message.headers])).toEqual([
      ['a', Buffer.from('A').toString('hex'), '40', undefined],
      ['b', startsWithOwnTime.toString('hex'), '42', { [BARE_VALUE_HEADER]: '1' }],
      ['c', null, '700', undefined],
    ]);
  });
});

describe('sendCompensation', () => {
  it('sends in order, in bounded requests, and returns the offset after the last record', async () => {
    const producer = new FakeProducer(40);
    const value = Buffer.alloc(200 * 1024, 1);
    const messages: OutgoingKafkaRecord[] = Array.from({ length: 7 }, (_, index) => ({ key: Buffer.from(`k${index}`), value, partition: 2 }));
    const next = await sendCompensation(producer, 'app-store-changelog', messages);
    expect(next).toBe(47);
    expect(producer.requests).toBeGreaterThan(1);
    expect(producer.partitions.get('app-store-changelog:2')!.slice(40).map((message) => message.key!.toString())).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
  });

  it('sends nothing for an empty tail', async () => {
    const producer = new FakeProducer();
    expect(await sendCompensation(producer, 'topic', [])).toBeUndefined();
    expect(producer.requests).toBe(0);
  });
});

describe('readCommittedPoints', () => {
  it("reads each task's input partitions' committed offsets and metadata, in one request per group", async () => {
    const requests: unknown[] = [];
    const admin = {
      fetchCommittedOffsets: async (groupId: string, topics: readonly string[]) => {
        requests.push({ groupId, topics });
        return [
          { topic: 'in', partition: 0, offset: 17, metadata: 'tributary:1:{"app-s-changelog":8}' },
          { topic: 'in', partition: 1, offset: -1, metadata: null },
          { topic: 'in', partition: 2, offset: 5, metadata: '' },
          { topic: 'other', partition: 0, offset: 4, metadata: 'tributary:1:{"app-s-changelog":6}' },
        ];
      },
    };
    const points = await readCommittedPoints(admin as never, 'app', [
      { key: '0_0', topicPartitions: [{ topic: 'in', partition: 0 }, { topic: 'other', partition: 0 }] },
      { key: '0_1', topicPartitions: [{ topic: 'in', partition: 1 }] },
      { key: '0_2', topicPartitions: [{ topic: 'in', partition: 2 }] },
    ]);
    expect(requests).toEqual([{ groupId: 'app', topics: ['in', 'other'] }]);
    expect(points.get('0_0')).toEqual({ point: { kind: 'ends', ends: new Map([['app-s-changelog', 8]]) }, offsets: new Map([['in', 17], ['other', 4]]) });
    expect(points.get('0_1')).toEqual({ point: { kind: 'none' }, offsets: new Map([['in', -1]]) });
    expect(points.get('0_2')).toEqual({ point: { kind: 'legacy' }, offsets: new Map([['in', 5]]) });
  });
});
