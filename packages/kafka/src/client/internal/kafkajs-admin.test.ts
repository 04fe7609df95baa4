import { describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { silentLogger } from '@tributary/streams';
import { sinkPartitionCount } from '../../internal/topic-manager.js';
import { KafkajsAdmin } from './kafkajs-admin.js';

/** An admin over a set of topics (name -> partition count) on brokers whose auto.create.topics.enable is `autoCreate`. */
function fakeAdmin(topics: Map<string, number>, autoCreate: string) {
  const created: string[] = [];
  const admin = {
    listTopics: async () => [...topics.keys()],
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => ({
      topics: names.map((name) => ({ name, partitions: Array.from({ length: topics.get(name)! }, (_, partitionId) => ({ partitionId })) })),
    }),
    describeCluster: async () => ({ brokers: [{ nodeId: 3, host: 'h', port: 1 }], controller: 3, clusterId: 'c' }),
    describeConfigs: async ({ resources }: { resources: { type: number; name: string }[] }) => {
      // kafkajs' ConfigResourceTypes.BROKER, for the broker the cluster described.
      expect(resources).toEqual([expect.objectContaining({ type: 4, name: '3' })]);
      return { resources: [{ configEntries: [{ configName: 'auto.create.topics.enable', configValue: autoCreate }] }] };
    },
    createTopics: async ({ topics: requested }: { topics: { topic: string }[] }) => {
      for (const { topic } of requested) {
        created.push(topic);
        topics.set(topic, 2); // the brokers' num.partitions
      }
      return true;
    },
  };
  const kafka = { admin: () => admin as unknown as Admin } as unknown as Kafka;
  return { admin: new KafkajsAdmin(kafka, { brokers: [] }, [], silentLogger), created };
}

describe('sinkPartitionCount on the kafkajs admin', () => {
  it("reads an existing topic's partition count", async () => {
    const { admin, created } = fakeAdmin(new Map([['out', 6]]), 'false');
    expect(await sinkPartitionCount(admin, 'out')).toBe(6);
    expect(created).toEqual([]);
  });

  it('creates a missing topic with the brokers\' defaults when they create topics on first use, as a first send would', async () => {
    const { admin, created } = fakeAdmin(new Map(), 'true');
    expect(await sinkPartitionCount(admin, 'out')).toBe(2);
    expect(created).toEqual(['out']);
  });

  it('is undefined for a missing topic the brokers would not create', async () => {
    const { admin, created } = fakeAdmin(new Map(), 'false');
    expect(await sinkPartitionCount(admin, 'out')).toBeUndefined();
    expect(created).toEqual([]);
  });
});

describe('listOffsets on the kafkajs admin', () => {
  /** kafkajs 2.2.4's own failure when its second ListOffsets found no leader: a TypeError. */
  const emptyAnswer = () => new TypeError("Cannot destructure property 'partitions' of 'low.pop(...)' as it is undefined.");

  function adminFailing(failures: number) {
    let calls = 0;
    const admin = {
      fetchTopicOffsets: async () => {
        calls++;
        if (calls <= failures) throw emptyAnswer();
        return [{ partition: 0, offset: '7', high: '7', low: '2' }];
      },
    };
    const kafka = { admin: () => admin as unknown as Admin } as unknown as Kafka;
    return { admin: new KafkajsAdmin(kafka, { brokers: [] }, [], silentLogger), calls: () => calls };
  }

  it("asks again when kafkajs' answer came back empty during a metadata refresh", async () => {
    const { admin, calls } = adminFailing(2);
    expect(await admin.listOffsets('in')).toEqual([{ partition: 0, low: 2, high: 7 }]);
    expect(calls()).toBe(3);
  });

  it('gives up with a retriable client error when it stays empty', async () => {
    const { admin, calls } = adminFailing(100);
    await expect(admin.listOffsets('in')).rejects.toMatchObject({ kind: 'unavailable', retriable: true });
    expect(calls()).toBe(5);
  });
});
