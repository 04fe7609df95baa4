/**
 * The writer side of the stores `Stores` builds (their metered and caching layers): a value the
 * writer put with `putExclusive` stays its own (`fetchedExclusive`) until anything else may hold
 * it: another read, a flush, a plain put.
 */
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../serde/serdes.js';
import { Stores } from '../stores.js';
import type { ExclusiveKeyValueWrites, ExclusiveWindowWrites } from './exclusive-writes.js';
import { hasExclusiveKeyValueWrites, hasExclusiveWindowWrites } from './exclusive-writes.js';
import { StoreTestContext } from './store-test-context.js';
import type { KeyValueStore } from '../key-value-store.js';
import type { WindowStore } from '../window-store.js';

interface Box {
  n: number;
}

type KeyValueTestStore = KeyValueStore<string, Box> & ExclusiveKeyValueWrites<string, Box>;
type WindowTestStore = WindowStore<string, Box> & ExclusiveWindowWrites<string, Box>;

function openKeyValue(caching: boolean, cacheMaxBytes?: number): KeyValueTestStore {
  const builder = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('boxes'), Serdes.String(), Serdes.Json<Box>());
  const store = (caching ? builder.withCachingEnabled() : builder).build();
  if (cacheMaxBytes !== undefined) (store as unknown as { setCacheMaxBytes(bytes: number): void }).setCacheMaxBytes(cacheMaxBytes);
  store.init(new StoreTestContext());
  if (!hasExclusiveKeyValueWrites<string, Box>(store)) throw new Error('the typed key-value store has no writer side');
  return store as KeyValueTestStore;
}

function openWindow(caching: boolean): WindowTestStore {
  const builder = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('boxes', 100, 10, false), Serdes.String(), Serdes.Json<Box>());
  const store = (caching ? builder.withCachingEnabled() : builder).build();
  store.init(new StoreTestContext());
  if (!hasExclusiveWindowWrites<string, Box>(store)) throw new Error('the typed window store has no writer side');
  return store as WindowTestStore;
}

describe('key-value store, caching on', () => {
  it('keeps a value the writer put exclusively its own, and returns the very object', () => {
    const store = openKeyValue(true);
    const box = { n: 1 };
    store.putExclusive('a', box);
    expect(store.getForUpdate('a')).toBe(box);
    expect(store.fetchedExclusive).toBe(true);
    box.n = 2;
    store.putExclusive('a', box);
    expect(store.getForUpdate('a')).toBe(box);
    expect(store.fetchedExclusive).toBe(true);
  });

  it('hands the value out on a plain put, a get, a range and a flush', () => {
    const store = openKeyValue(true);
    const handOuts: Array<[string, () => void]> = [
      ['put', () => store.put('a', { n: 1 })],
      ['get', () => store.get('a')],
      ['range', () => [...store.range('a', 'b')]],
      ['all', () => [...store.all()]],
      ['flush', () => store.flush()],
    ];
    for (const [name, handOut] of handOuts) {
      store.putExclusive('a', { n: 0 });
      store.getForUpdate('a');
      expect(store.fetchedExclusive, `before ${name}`).toBe(true);
      handOut();
      store.getForUpdate('a');
      expect(store.fetchedExclusive, `after ${name}`).toBe(false);
    }
  });

  it('hands out a value a lazy range yields after the writer claimed it again', () => {
    const store = openKeyValue(true);
    store.putExclusive('a', { n: 0 });
    store.putExclusive('b', { n: 0 });
    const range = store.all();
    store.putExclusive('a', { n: 1 });
    store.putExclusive('b', { n: 1 });
    expect(range.next().value?.key).toBe('a');
    store.getForUpdate('a');
    expect(store.fetchedExclusive).toBe(false);
  });

  it('gives the writer a value read from the backend as its own: a fresh object', () => {
    // A cache of 0 bytes evicts every entry at once, so each read goes to the backend.
    const store = openKeyValue(true, 0);
    store.put('a', { n: 1 });
    store.get('a');
    const first = store.getForUpdate('a');
    expect(store.fetchedExclusive).toBe(true);
    expect(store.getForUpdate('a')).not.toBe(first);
    expect(store.fetchedExclusive).toBe(true);
  });
});

describe('key-value store, caching off', () => {
  it("reads a fresh object every time, so every read is the writer's own", () => {
    const store = openKeyValue(false);
    store.put('a', { n: 1 });
    const first = store.getForUpdate('a');
    expect(store.fetchedExclusive).toBe(true);
    store.get('a');
    expect(store.getForUpdate('a')).not.toBe(first);
    expect(store.fetchedExclusive).toBe(true);
  });
});

describe('window store, caching on', () => {
  it('keeps a window the writer put exclusively its own, until a fetch, a range or a flush', () => {
    const store = openWindow(true);
    const handOuts: Array<[string, () => void]> = [
      ['put', () => store.put('a', { n: 1 }, 10)],
      ['fetch', () => store.fetch('a', 10)],
      ['fetchRange', () => store.fetchRange('a', 0, 20)],
      ['fetchAll', () => store.fetchAll(0, 20)],
      ['all', () => store.all()],
      ['flush', () => store.flush()],
    ];
    for (const [name, handOut] of handOuts) {
      const box = { n: 0 };
      store.putExclusive('a', box, 10);
      expect(store.fetchForUpdate('a', 10), `before ${name}`).toBe(box);
      expect(store.fetchedExclusive, `before ${name}`).toBe(true);
      handOut();
      store.fetchForUpdate('a', 10);
      expect(store.fetchedExclusive, `after ${name}`).toBe(false);
    }
  });

  it('tells windows apart: a plain put of one leaves the writer another', () => {
    const store = openWindow(true);
    store.putExclusive('a', { n: 0 }, 10);
    store.put('a', { n: 0 }, 20);
    store.fetchForUpdate('a', 10);
    expect(store.fetchedExclusive).toBe(true);
    store.fetchForUpdate('a', 20);
    expect(store.fetchedExclusive).toBe(false);
  });
});
