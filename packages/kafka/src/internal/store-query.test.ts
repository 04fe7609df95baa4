import { afterEach, describe, expect, it } from 'vitest';
import { Materialized, Serdes, SessionWindows, StreamsBuilder, TimeWindows, type StateStore } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import { StoreUnavailableError } from '../errors.js';
import { asyncStoreView, decodeAnswer, decodeQuery, encodeAnswer, encodeQuery, executeStoreQuery, type LocalStores, type StoreQuery, type StoreQueryAnswer, type StoreSerdes } from './store-query.js';
import type { AsyncKeyValueStore, AsyncSessionStore, AsyncWindowStore } from '../interactive-queries.js';

let driver: TopologyTestDriver | undefined;
afterEach(() => driver?.close());

/** counts (key-value of numbers), windows (1 s windows), sessions (gap 1 s), fed a few clicks. */
function stores(): (name: string) => StateStore {
  const builder = new StreamsBuilder();
  const clicks = builder.stream<string, string>('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).groupByKey();
  clicks.count(Materialized.as('counts'));
  clicks.windowedBy(TimeWindows.ofSizeAndGrace(1000, 60_000)).count(Materialized.as('windows'));
  clicks.windowedBy(SessionWindows.ofInactivityGapAndGrace(1000, 60_000)).count(Materialized.as('sessions'));
  driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('clicks', Serdes.String(), Serdes.String());
  for (const [key, time] of [['alice', 0], ['bob', 100], ['alice', 500], ['alice', 2500], ['carol', 3000]] as const) input.pipeInput(key, 'x', time);
  return (name) => driver!.getStateStore(name);
}

/** Answers through the bytes path, as a worker thread would: keys encoded, decoded, executed, the answer encoded and decoded. */
function channelVia(local: LocalStores, serdes: StoreSerdes, viaBytes: boolean) {
  const run = async (query: StoreQuery): Promise<StoreQueryAnswer> => {
    if (!viaBytes) return executeStoreQuery(query, local);
    const sent = structuredClone(encodeQuery(query, serdes));
    const answer = structuredClone(encodeAnswer(query, executeStoreQuery(decodeQuery(sent, serdes), local), serdes));
    return decodeAnswer(query, answer, serdes);
  };
  return { partitionOf: () => 0, run };
}

describe.each([false, true])('store queries (through bytes: %s)', (viaBytes) => {
  it('reads key-value, window and session stores, bounded by the limit', async () => {
    const storeNamed = stores();
    const local: LocalStores = { running: (name) => [storeNamed(name)], forPartition: (name) => [storeNamed(name)] };
    const serdes: StoreSerdes = { key: Serdes.String(), value: Serdes.Float64(), topic: 'app-store-changelog' };
    const counts = asyncStoreView('counts', 'key-value', channelVia(local, serdes, viaBytes)) as AsyncKeyValueStore<string, number>;
    expect(await counts.get('alice')).toBe(3);
    expect(await counts.get('nobody')).toBeUndefined();
    expect(await counts.all()).toEqual([
      { key: 'alice', value: 3 },
      { key: 'bob', value: 1 },
      { key: 'carol', value: 1 },
    ]);
    expect(await counts.all({ limit: 2 })).toHaveLength(2);
    expect(await counts.range('b', undefined)).toEqual([
      { key: 'bob', value: 1 },
      { key: 'carol', value: 1 },
    ]);
    expect(await counts.approximateNumEntries()).toBe(3);
    await expect(counts.all({ limit: 0 })).rejects.toThrow(/limit/);

    const windows = asyncStoreView('windows', 'window', channelVia(local, serdes, viaBytes)) as AsyncWindowStore<string, number>;
    expect(await windows.fetchRange('alice', 0, 5000)).toEqual([
      { key: 0, value: 2 },
      { key: 2000, value: 1 },
    ]);
    expect(await windows.fetch('alice', 2000)).toBe(1);
    expect(await windows.fetchAll(0, 999, { limit: 5 })).toEqual([
      { key: { key: 'alice', window: { start: 0, end: 1000 } }, value: 2 },
      { key: { key: 'bob', window: { start: 0, end: 1000 } }, value: 1 },
    ]);
    expect(await windows.all()).toHaveLength(4);

    const sessions = asyncStoreView('sessions', 'session', channelVia(local, serdes, viaBytes)) as AsyncSessionStore<string, number>;
    expect(await sessions.fetch('alice')).toEqual([
      { key: { key: 'alice', window: { start: 0, end: 500 } }, value: 2 },
      { key: { key: 'alice', window: { start: 2500, end: 2500 } }, value: 1 },
    ]);
    expect(await sessions.findSessions('alice', 1000, 3000)).toEqual([{ key: { key: 'alice', window: { start: 2500, end: 2500 } }, value: 1 }]);
    expect(await sessions.fetchSession('alice', 0, 500)).toBe(2);
  });
});

describe('store queries by key', () => {
  it('read only the partition the key lives in, and fail as unavailable when it is not here', async () => {
    const storeNamed = stores();
    const asked: number[] = [];
    const local: LocalStores = {
      running: (name) => [storeNamed(name)],
      forPartition: (name, partition) => {
        asked.push(partition);
        if (partition !== 2) throw new StoreUnavailableError(`Partition ${partition} of store '${name}' is not hosted by this instance`);
        return [storeNamed(name)];
      },
    };
    const counts = asyncStoreView('counts', 'key-value', { partitionOf: (_store, key) => (key === 'alice' ? 2 : 1), run: async (query) => executeStoreQuery(query, local) }) as AsyncKeyValueStore<string, number>;
    expect(await counts.get('alice')).toBe(3);
    await expect(counts.get('bob')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(asked).toEqual([2, 1]);
    expect(() => asyncStoreView('counts', 'timestamped key-value', { partitionOf: () => 0, run: async () => ({ entries: [] }) })).toThrow(/queryAsync\(\) reads key-value, window and session stores/);
  });
});
