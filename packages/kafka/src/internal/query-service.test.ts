import { describe, expect, it } from 'vitest';
import { Materialized, Serdes, StreamsBuilder, type StateStore, type Topology } from '@tributary/streams';
import { resolveStreamsConfig, topologyBuilder, type InternalTopologyBuilder } from '@tributary/streams/engine';
import { StoreUnavailableError } from '../errors.js';
import { QueryService, type QueryServiceHost } from './query-service.js';

const internal = (topology: Topology): InternalTopologyBuilder => topologyBuilder(topology)!;

/** A key-value store over a Map, as a query view reads one. */
function mapStore(name: string, entries: Record<string, number>): StateStore {
  const map = new Map(Object.entries(entries));
  return {
    name,
    persistent: false,
    isOpen: true,
    init() {},
    flush() {},
    close() {},
    get: (key: string) => map.get(key),
    range: () => [...map].map(([key, value]) => ({ key, value }))[Symbol.iterator](),
    all: () => [...map].map(([key, value]) => ({ key, value }))[Symbol.iterator](),
    approximateNumEntries: () => map.size,
  } as StateStore;
}

function service(): QueryService {
  const builder = new StreamsBuilder();
  builder.stream<string, string>('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).groupByKey().count(Materialized.as('counts'));
  builder.globalTable('products', { keySerde: Serdes.String(), valueSerde: Serdes.String() }, Materialized.as('products'));
  return new QueryService(internal(builder.build()), 'app', resolveStreamsConfig({ applicationId: 'app' }), undefined);
}

describe('QueryService.execute', () => {
  const partition0 = mapStore('counts', { alice: 3 });
  const partition1 = mapStore('counts', { bob: 5 });
  const host = (overrides: Partial<QueryServiceHost> = {}): QueryServiceHost => ({
    readable: () => true,
    settled: () => true,
    storesNamed: () => [partition0, partition1],
    storeOfTask: (task) => (task === '0_0' ? partition0 : task === '0_1' ? 'restoring' : undefined),
    globalStore: (store) => (store === 'products' ? mapStore('products', { p1: 9 }) : undefined),
    standbyStoreOfTask: () => undefined,
    standbyStoresNamed: () => [],
    ...overrides,
  });

  it("reads a key from its partition's task only, and says why when that task is not running here", () => {
    const queries = service();
    expect(queries.execute({ op: 'kv-get', store: 'counts', key: 'alice', partition: 0 }, host())).toEqual({ entries: [{ key: 'alice', value: 3 }] });
    // bob lives in partition 1's store, but a read for partition 0 asks partition 0's task only.
    expect(queries.execute({ op: 'kv-get', store: 'counts', key: 'bob', partition: 0 }, host())).toEqual({ entries: [] });
    expect(() => queries.execute({ op: 'kv-get', store: 'counts', key: 'bob', partition: 1 }, host())).toThrow(/Partition 1 of store 'counts' is restoring/);
    expect(() => queries.execute({ op: 'kv-get', store: 'counts', key: 'bob', partition: 2 }, host())).toThrow(StoreUnavailableError);
    expect(() => queries.execute({ op: 'kv-get', store: 'counts', key: 'bob', partition: 2 }, host())).toThrow(/not hosted by this instance/);
  });

  it('reads ranges over every running task, global stores from their one instance, and nothing while not running', () => {
    const queries = service();
    expect(queries.execute({ op: 'kv-all', store: 'counts', limit: 10 }, host()).entries).toEqual([
      { key: 'alice', value: 3 },
      { key: 'bob', value: 5 },
    ]);
    expect(queries.execute({ op: 'kv-all', store: 'counts', limit: 1 }, host()).entries).toHaveLength(1);
    expect(queries.execute({ op: 'kv-get', store: 'products', key: 'p1', partition: -1 }, host())).toEqual({ entries: [{ key: 'p1', value: 9 }] });
    expect(queries.execute({ op: 'kv-all', store: 'counts', limit: 10 }, host({ storesNamed: () => [] }))).toEqual({ entries: [] });
    expect(() => queries.execute({ op: 'kv-all', store: 'counts', limit: 10 }, host({ readable: () => false }))).toThrow(/not running/);
    // Rebalancing: key reads of running tasks go on, whole-store reads wait (they would miss tasks).
    const rebalancing = host({ settled: () => false });
    expect(queries.execute({ op: 'kv-get', store: 'counts', key: 'alice', partition: 0 }, rebalancing)).toEqual({ entries: [{ key: 'alice', value: 3 }] });
    expect(() => queries.execute({ op: 'kv-all', store: 'counts', limit: 10 }, rebalancing)).toThrow(/cannot be read whole now/);
    expect(queries.execute({ op: 'kv-all', store: 'products', limit: 10 }, rebalancing).entries).toEqual([{ key: 'p1', value: 9 }]);
  });

  it('reads standby replicas for a stale query only: a key whose partition this instance holds as a standby, and whole stores while rebalancing', () => {
    const queries = service();
    const standby2 = mapStore('counts', { carol: 7 });
    const withStandby = host({ standbyStoreOfTask: (task) => (task === '0_2' ? standby2 : undefined), standbyStoresNamed: () => [standby2] });
    // Not stale: the standby is never read.
    expect(() => queries.execute({ op: 'kv-get', store: 'counts', key: 'carol', partition: 2 }, withStandby)).toThrow(/not hosted by this instance/);
    expect(queries.execute({ op: 'kv-all', store: 'counts', limit: 10 }, withStandby).entries.map((entry) => entry.key)).toEqual(['alice', 'bob']);
    // Stale: the standby answers for its partition; the active task still answers for its own.
    expect(queries.execute({ op: 'kv-get', store: 'counts', key: 'carol', partition: 2, stale: true }, withStandby)).toEqual({ entries: [{ key: 'carol', value: 7 }] });
    expect(queries.execute({ op: 'kv-get', store: 'counts', key: 'alice', partition: 0, stale: true }, withStandby)).toEqual({ entries: [{ key: 'alice', value: 3 }] });
    expect(() => queries.execute({ op: 'kv-get', store: 'counts', key: 'dan', partition: 3, stale: true }, withStandby)).toThrow(/not hosted by this instance, active or standby/);
    // A restoring task with no standby here is still unavailable.
    expect(() => queries.execute({ op: 'kv-get', store: 'counts', key: 'bob', partition: 1, stale: true }, withStandby)).toThrow(/restoring/);
    const rebalancing = host({ settled: () => false, standbyStoresNamed: () => [standby2] });
    expect(queries.execute({ op: 'kv-all', store: 'counts', limit: 10, stale: true }, rebalancing).entries.map((entry) => entry.key)).toEqual(['alice', 'bob', 'carol']);
  });
});
