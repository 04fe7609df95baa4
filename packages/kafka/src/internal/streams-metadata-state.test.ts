import { describe, expect, it } from 'vitest';
import { Materialized, Serdes, StreamsBuilder, TimeWindows, type Topology } from '@tributary/streams';
import { resolveStreamsConfig, topologyBuilder, type InternalTopologyBuilder } from '@tributary/streams/engine';
import { UnknownStoreError } from '../errors.js';
import { defaultPartition } from './murmur2.js';
import { QueryService } from './query-service.js';
import type { GroupSnapshot } from './streams-metadata-state.js';

const internal = (publicTopology: Topology): InternalTopologyBuilder => topologyBuilder(publicTopology)!;

/** Sub-topology 0: clicks → counts; 1: views → windowed-counts; 2: logs → out (stateless); global table products. */
function topology(): InternalTopologyBuilder {
  const builder = new StreamsBuilder();
  const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  builder.stream<string, string>('clicks', strings).groupByKey().count(Materialized.as('counts'));
  builder.stream<string, string>('views', strings).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count(Materialized.as('windowed-counts'));
  builder.stream<string, string>('logs', strings).to('out');
  builder.globalTable('products', strings, Materialized.as('products'));
  return internal(builder.build());
}

const partitionCounts: GroupSnapshot['partitionCounts'] = [
  ['clicks', 4],
  ['views', 2],
  ['logs', 3],
];

function service(thisHost: string | undefined = 'b.example:8080'): QueryService {
  return new QueryService(topology(), 'app', resolveStreamsConfig({ applicationId: 'app' }), thisHost);
}

describe('interactive query metadata', () => {
  const snapshot: GroupSnapshot = {
    partitionCounts,
    members: [
      // Two stream threads of one instance: one host, their tasks together.
      { applicationServer: 'b.example:8080', active: ['0_0', '1_0'], standby: ['0_2'] },
      { applicationServer: 'b.example:8080', active: ['0_1', '2_2'], standby: [] },
      { applicationServer: 'a.example:9000', active: ['0_2', '0_3', '1_1'], standby: ['0_0', '0_1'] },
      // Without an applicationServer a member takes part in no metadata, as in Kafka Streams.
      { applicationServer: undefined, active: ['2_0', '2_1'], standby: [] },
    ],
  };

  it('knows nothing before the first rebalance', () => {
    const queries = service();
    expect(queries.allMetadata()).toEqual([]);
    expect(queries.metadataForStore('counts')).toEqual([]);
    expect(queries.keyQueryMetadata('counts', 'alice')).toEqual({ activeHost: undefined, standbyHosts: [], partition: -1 });
  });

  it("lists each instance's stores and topic partitions, active and standby, sorted by host", () => {
    const queries = service();
    queries.update(snapshot);
    expect(queries.allMetadata()).toEqual([
      {
        hostInfo: { host: 'a.example', port: 9000 },
        stateStoreNames: ['counts', 'products', 'windowed-counts'],
        topicPartitions: [
          { topic: 'clicks', partition: 2 },
          { topic: 'clicks', partition: 3 },
          { topic: 'views', partition: 1 },
        ],
        standbyStateStoreNames: ['counts'],
        standbyTopicPartitions: [
          { topic: 'clicks', partition: 0 },
          { topic: 'clicks', partition: 1 },
        ],
      },
      {
        hostInfo: { host: 'b.example', port: 8080 },
        stateStoreNames: ['counts', 'products', 'windowed-counts'],
        topicPartitions: [
          { topic: 'clicks', partition: 0 },
          { topic: 'clicks', partition: 1 },
          { topic: 'logs', partition: 2 },
          { topic: 'views', partition: 0 },
        ],
        standbyStateStoreNames: ['counts'],
        standbyTopicPartitions: [{ topic: 'clicks', partition: 2 }],
      },
    ]);
  });

  it('finds the instances holding a store, and every instance for a global store', () => {
    const queries = service();
    queries.update({ partitionCounts, members: [snapshot.members[0]!, { applicationServer: 'c.example:1', active: ['2_0'], standby: [] }] });
    expect(queries.metadataForStore('counts').map((metadata) => metadata.hostInfo.host)).toEqual(['b.example']);
    expect(queries.metadataForStore('products').map((metadata) => metadata.hostInfo.host)).toEqual(['b.example', 'c.example']);
    expect(() => queries.metadataForStore('nope')).toThrow(UnknownStoreError);
  });

  it("locates a key by murmur2 of its serialized bytes over the store's source partitions", () => {
    const queries = service();
    queries.update(snapshot);
    const hostsOf = new Map([
      [0, { active: 'b.example', standby: ['a.example'] }],
      [1, { active: 'b.example', standby: ['a.example'] }],
      [2, { active: 'a.example', standby: ['b.example'] }],
      [3, { active: 'a.example', standby: [] }],
    ]);
    const seen = new Set<number>();
    for (let index = 0; index < 40; index++) {
      const key = `user-${index}`;
      const partition = defaultPartition(Buffer.from(key), 4);
      seen.add(partition);
      const metadata = queries.keyQueryMetadata('counts', key);
      expect(metadata.partition).toBe(partition);
      expect(metadata.activeHost?.host).toBe(hostsOf.get(partition)!.active);
      expect(metadata.standbyHosts.map((host) => host.host)).toEqual(hostsOf.get(partition)!.standby);
    }
    expect(seen.size).toBe(4);
    // A window store is located by the plain key, over its own source's partitions.
    const windowed = queries.keyQueryMetadata('windowed-counts', 'user-1');
    expect(windowed.partition).toBe(defaultPartition(Buffer.from('user-1'), 2));
    expect(windowed.activeHost?.host).toBe(windowed.partition === 0 ? 'b.example' : 'a.example');
  });

  it('uses a custom partitioner, or a given serializer, when told', () => {
    const queries = service();
    queries.update(snapshot);
    expect(queries.keyQueryMetadata('counts', 'anyone', { partitioner: (topic, _key, _value, count) => (topic === 'clicks' && count === 4 ? 3 : 0) })).toMatchObject({ partition: 3, activeHost: { host: 'a.example' } });
    const upper = { serialize: (_topic: string, key: string) => Buffer.from(key.toUpperCase()) };
    expect(queries.keyQueryMetadata('counts', 'bob', upper).partition).toBe(defaultPartition(Buffer.from('BOB'), 4));
    expect(() => queries.keyQueryMetadata('counts', 'bob', { partitioner: () => 9 })).toThrow(/partition 9/);
  });

  it('gives no active host for a partition no instance with an applicationServer holds (mid-rebalance)', () => {
    const queries = service();
    expect(queries.metadata.unhostedPartitions('counts')).toBeUndefined();
    queries.update({ partitionCounts, members: [{ applicationServer: 'b.example:8080', active: ['0_0'], standby: ['0_1'] }] });
    expect(queries.metadata.unhostedPartitions('counts')).toEqual([1, 2, 3]);
    expect(queries.metadata.unhostedPartitions('products')).toEqual([]);
    queries.update(snapshot);
    expect(queries.metadata.unhostedPartitions('counts')).toEqual([]);
    expect(queries.metadata.unhostedPartitions('windowed-counts')).toEqual([]);
    queries.update({ partitionCounts, members: [{ applicationServer: 'b.example:8080', active: ['0_0'], standby: [] }] });
    const key = [...Array(50).keys()].map((index) => `k${index}`).find((candidate) => defaultPartition(Buffer.from(candidate), 4) === 1)!;
    expect(queries.keyQueryMetadata('counts', key)).toEqual({ activeHost: undefined, standbyHosts: [], partition: 1 });
  });

  it('puts a global store on this instance, with no partition', () => {
    const queries = service();
    queries.update(snapshot);
    expect(queries.keyQueryMetadata('products', 'p1')).toEqual({ activeHost: { host: 'b.example', port: 8080 }, standbyHosts: [], partition: -1 });
  });

  it('reads store kinds and serdes from the topology', () => {
    const queries = service();
    expect(queries.kindOf('counts')).toBe('key-value');
    expect(queries.kindOf('windowed-counts')).toBe('window');
    expect(queries.kindOf('products')).toBe('key-value');
    expect(() => queries.kindOf('nope')).toThrow(UnknownStoreError);
    expect(queries.serdesOf('counts').key.serialize('t', 'x', undefined as never)).toEqual(Buffer.from('x'));
  });
});
