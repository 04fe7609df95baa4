import { UserError, type Admin } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { KafkaClientError } from '../client-error.js';
import { PlatformaticAdmin } from './platformatic-admin.js';

/** A PlatformaticAdmin whose platformatic client answers from these stand-ins instead of a broker. */
function adminAnswering(metadata: (call: number) => unknown): { admin: PlatformaticAdmin; metadataCalls: () => number } {
  const admin = new PlatformaticAdmin({ clientId: 'test', bootstrapBrokers: ['127.0.0.1:9'] }, ['127.0.0.1:9']);
  const client = admin.client as unknown as Record<keyof Admin, unknown>;
  let calls = 0;
  client.createTopics = async () => [];
  client.metadata = async () => metadata(++calls);
  client.listOffsets = async () => [{ name: 'app-store-changelog', partitions: [{ partitionIndex: 0, offset: 0n }] }];
  return { admin, metadataCalls: () => calls };
}

const ready = { brokers: new Map([[1, { host: '127.0.0.1', port: 9 }]]), topics: new Map([['app-store-changelog', { partitionsCount: 1, partitions: [{ leader: 1 }] }]]) };
const changelog = { name: 'app-store-changelog', partitions: 1, replicationFactor: 1, configs: {} };

describe('PlatformaticAdmin.createTopics', () => {
  it("waits while the broker does not know a topic it has just created (platformatic's 'Unknown topic')", async () => {
    const { admin, metadataCalls } = adminAnswering((call) => {
      if (call <= 2) throw new UserError('Unknown topic app-store-changelog.');
      return ready;
    });
    await admin.createTopics([changelog]);
    expect(metadataCalls()).toBeGreaterThanOrEqual(3);
  });

  it('fails at once on another error that is not retriable', async () => {
    const { admin, metadataCalls } = adminAnswering(() => {
      throw new UserError('Unknown topic some-other-topic.');
    });
    await expect(admin.createTopics([changelog])).rejects.toBeInstanceOf(KafkaClientError);
    expect(metadataCalls()).toBe(1);
  });
});
