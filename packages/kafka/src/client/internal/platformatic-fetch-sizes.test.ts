// The errors module first, as the runtime loads it: platformatic-consumer.ts reaching it through errors.ts would meet a half-loaded cycle.
import '../client-error.js';
import { fetchV12, fetchV17, kGetApi, kGetConnection, type ClusterMetadata, type Consumer } from '@platformatic/kafka';
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
  const TOPIC_ID = '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b';
  interface Sent {
    /** The arguments of the Fetch API call, its callback left out. */
    readonly args: unknown[];
    /** The request's bytes, as @platformatic/kafka's own Fetch encoder of that version writes them. */
    readonly bytes: Buffer;
    /** The topic ids of the response the consumer handed on. */
    readonly answeredTopicIds: string[];
  }

  /**
   * What a consumer built with `sizes` sends for two partitions of one topic to a broker that speaks
   * Fetch `version` (no broker: the client's connection and API lookup are replaced; a consumer never
   * connected holds nothing to close). The broker answers with the topic as that version names it.
   */
  async function fetchRequest(sizes: FetchSizes, version: 12 | 17): Promise<Sent> {
    const consumer = new PlatformaticConsumer({ clientId: 'test', bootstrapBrokers: ['127.0.0.1:9'] }, { groupId: 'g', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }, sizes);
    const inner = (consumer as unknown as { consumer: Consumer }).consumer as unknown as Record<symbol, unknown> & { fetch: unknown };
    inner.fetch = () => {
      throw new Error("the consumer's own fetch filters aborted records wrongly and must not be called");
    };
    let args: unknown[] = [];
    inner[kGetConnection] = (_broker: unknown, callback: (error: null, connection: object) => void) => callback(null, {});
    inner[kGetApi] = (name: string, callback: (error: null, api: unknown) => void) => {
      expect(name).toBe('Fetch');
      const api = (_connection: unknown, ...rest: unknown[]): void => {
        const done = rest.pop() as (error: null, response: unknown) => void;
        args = rest;
        done(null, { responses: [{ topicId: version === 12 ? 'events' : TOPIC_ID, partitions: [] }] });
      };
      callback(null, Object.assign(api, { version }));
    };
    const metadata = { brokers: new Map([[1, { host: '127.0.0.1', port: 9 }]]), topics: new Map([['events', { id: TOPIC_ID, partitions: [] }]]) } as unknown as ClusterMetadata;
    const requested = [
      { topic: 'events', partition: 0, offset: 5n },
      { topic: 'events', partition: 1, offset: 7n },
    ];
    const response = (await (consumer as unknown as { fetchFrom(metadata: ClusterMetadata, node: number, requested: unknown): Promise<unknown> }).fetchFrom(metadata, 1, requested)) as { responses: { topicId: string }[] };
    const encoder = version === 12 ? fetchV12.createRequest : fetchV17.createRequest;
    const bytes = (encoder as (...values: unknown[]) => { buffer: Buffer })(...args).buffer;
    return { args, bytes, answeredTopicIds: response.responses.map((topic) => topic.topicId) };
  }

  const partitions = [
    { partition: 0, fetchOffset: 5n, partitionMaxBytes: 12_345, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
    { partition: 1, fetchOffset: 7n, partitionMaxBytes: 12_345, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
  ];

  it('asks each partition for at most its size, and the fetch for at most its total', async () => {
    const { args, bytes } = await fetchRequest({ partitionMaxBytes: 12_345, maxBytes: 67_890 }, 17);
    expect(args[6]).toEqual([{ topicId: TOPIC_ID, partitions }]);
    // max_wait_ms, min_bytes, max_bytes: the consumer's default wait, one byte, the total.
    expect([bytes.readInt32BE(0), bytes.readInt32BE(4), bytes.readInt32BE(8)]).toEqual([500, 1, 67_890]);
  });

  it('sends read_committed on the wire, outside any fetch session, on its own request rather than the consumer\'s fetch', async () => {
    const { bytes } = await fetchRequest({ partitionMaxBytes: 12_345, maxBytes: 67_890 }, 17);
    // isolation_level (INT8) 1 is READ_COMMITTED; session_id 0 at session_epoch -1 is a sessionless fetch (KIP-227).
    expect([bytes.readInt8(12), bytes.readInt32BE(13), bytes.readInt32BE(17)]).toEqual([1, 0, -1]);
  });

  it('names the topics to a broker that speaks Fetch 12 or older, and hands the response on with topic ids', async () => {
    const { args, bytes, answeredTopicIds } = await fetchRequest({ partitionMaxBytes: 12_345, maxBytes: 67_890 }, 12);
    expect(args[6]).toEqual([{ topicId: 'events', partitions }]);
    // Version 12 starts with replica_id -1; its isolation_level follows the three sizes.
    expect([bytes.readInt32BE(0), bytes.readInt8(16)]).toEqual([-1, 1]);
    expect(bytes.includes(Buffer.from('events'))).toBe(true);
    expect(answeredTopicIds).toEqual([TOPIC_ID]);
  });
});
