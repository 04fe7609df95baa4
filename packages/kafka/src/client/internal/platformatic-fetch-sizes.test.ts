// The errors module first, as the runtime loads it: platformatic-consumer.ts reaching it through errors.ts would meet a half-loaded cycle.
import '../client-error.js';
import type { ClusterMetadata, Consumer } from '@platformatic/kafka';
import { ConfigError } from '@tributary/streams';
import { describe, expect, it } from 'vitest';
import { PlatformaticConsumer } from './platformatic-consumer.js';
import { DEFAULT_FETCH_MAX_BYTES, DEFAULT_PARTITION_FETCH_MAX_BYTES, fetchSizesOf, type FetchSizes } from './platformatic-fetch-sizes.js';

describe('fetchSizesOf', () => {
  it("bounds a fetch to 256 KiB a partition and 4 MiB in all by default, a quarter and a twelfth of Kafka's consumer's", () => {
    expect(fetchSizesOf({})).toEqual({ partitionMaxBytes: 256 * 1024, maxBytes: 4 * 1024 * 1024 });
    expect(DEFAULT_PARTITION_FETCH_MAX_BYTES).toBe(256 * 1024);
    expect(DEFAULT_FETCH_MAX_BYTES).toBe(4 * 1024 * 1024);
  });

  it('takes the sizes asked for', () => {
    expect(fetchSizesOf({ partitionFetchMaxBytes: 1024 * 1024, fetchMaxBytes: 50 * 1024 * 1024 })).toEqual({ partitionMaxBytes: 1024 * 1024, maxBytes: 50 * 1024 * 1024 });
    expect(fetchSizesOf({ partitionFetchMaxBytes: 1, fetchMaxBytes: 2 ** 31 - 1 })).toEqual({ partitionMaxBytes: 1, maxBytes: 2 ** 31 - 1 });
  });

  it.each([0, -1, 1.5, 2 ** 31, Number.NaN, Number.POSITIVE_INFINITY, '1024' as unknown as number])('refuses %s with a ConfigError naming the option', (value) => {
    expect(() => fetchSizesOf({ partitionFetchMaxBytes: value })).toThrow(ConfigError);
    expect(() => fetchSizesOf({ partitionFetchMaxBytes: value })).toThrow(`option 'partitionFetchMaxBytes' must be a whole number of bytes from 1 to 2147483647; got ${String(value)}`);
    expect(() => fetchSizesOf({ fetchMaxBytes: value })).toThrow(`option 'fetchMaxBytes' must be a whole number of bytes from 1 to 2147483647; got ${String(value)}. Leave it out for the default (4194304).`);
  });
});

describe('PlatformaticConsumer fetch requests', () => {
  /** The fetch options a consumer built with `sizes` sends for two partitions of one topic (no broker: the client's fetch is replaced; a consumer never connected holds nothing to close). */
  async function fetchRequest(sizes: FetchSizes): Promise<Parameters<Consumer['fetch']>[0]> {
    const consumer = new PlatformaticConsumer({ clientId: 'test', bootstrapBrokers: ['127.0.0.1:9'] }, { groupId: 'g', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }, sizes);
    const inner = (consumer as unknown as { consumer: Consumer }).consumer;
    let asked: Parameters<Consumer['fetch']>[0] | undefined;
    inner.fetch = (async (options: Parameters<Consumer['fetch']>[0]) => {
      asked = options;
      return { responses: [] };
    }) as unknown as Consumer['fetch'];
    const metadata = { topics: new Map([['events', { id: 'topic-id', partitions: [] }]]) } as unknown as ClusterMetadata;
    const requested = [
      { topic: 'events', partition: 0, offset: 5n },
      { topic: 'events', partition: 1, offset: 7n },
    ];
    await (consumer as unknown as { fetchFrom(metadata: ClusterMetadata, node: number, requested: unknown): Promise<unknown> }).fetchFrom(metadata, 1, requested);
    return asked!;
  }

  it('asks each partition for at most its size, and the fetch for at most its total', async () => {
    const request = await fetchRequest({ partitionMaxBytes: 12_345, maxBytes: 67_890 });
    expect(request.maxBytes).toBe(67_890);
    expect(request.topics).toEqual([
      {
        topicId: 'topic-id',
        partitions: [
          { partition: 0, fetchOffset: 5n, partitionMaxBytes: 12_345, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
          { partition: 1, fetchOffset: 7n, partitionMaxBytes: 12_345, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
        ],
      },
    ]);
  });
});
