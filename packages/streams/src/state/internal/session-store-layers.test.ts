import { describe, expect, it } from 'vitest';
import { windowed, type Windowed } from '../../kstream/windowed.js';
import { Serdes } from '../../serde/serdes.js';
import type { KeyValue } from '../key-value-store.js';
import type { SessionStore } from '../session-store.js';
import { Stores } from '../stores.js';
import type { RestorableStateStore } from '../store-suppliers.js';
import type { FlushListenable } from './flush-listener.js';
import { StoreTestContext } from './store-test-context.js';

type TestStore = SessionStore<string, number> & FlushListenable<Windowed<string>, number> & RestorableStateStore;

function open(caching: boolean): { store: TestStore; context: StoreTestContext } {
  const builder = Stores.sessionStoreBuilder(Stores.inMemorySessionStore('sessions', 100), Serdes.String(), Serdes.Int32());
  const store = (caching ? builder.withCachingEnabled() : builder).build() as TestStore;
  const context = new StoreTestContext();
  store.init(context);
  return { store, context };
}

function sessions(entries: Iterable<KeyValue<Windowed<string>, number>>): Array<[string, number, number, number]> {
  return [...entries].map((entry) => [entry.key.key, entry.key.window.start, entry.key.window.end, entry.value]);
}

describe.each([false, true])('session store (caching %s)', (caching) => {
  it('finds sessions ending at or after the earliest end and starting at or before the latest start', () => {
    const { store } = open(caching);
    store.put(windowed('a', 40, 50), 3);
    store.put(windowed('a', 0, 10), 1);
    if (caching) store.flush();
    store.put(windowed('a', 20, 30), 2);
    store.put(windowed('b', 20, 30), 9);
    expect(sessions(store.findSessions('a', 10, 40))).toEqual([
      ['a', 0, 10, 1],
      ['a', 20, 30, 2],
      ['a', 40, 50, 3],
    ]);
    expect(sessions(store.findSessions('a', 11, 39))).toEqual([['a', 20, 30, 2]]);
    expect(sessions(store.findSessions('a', 51, 100))).toEqual([]);
    expect(store.fetchSession('a', 20, 30)).toBe(2);
    expect(store.fetchSession('a', 20, 31)).toBeUndefined();
  });

  it('orders one key by end, then start', () => {
    const { store } = open(caching);
    store.put(windowed('a', 5, 20), 1);
    store.put(windowed('a', 0, 20), 2);
    store.put(windowed('a', 10, 10), 3);
    expect(sessions(store.fetch('a')).map(([, start, end]) => `${start}-${end}`)).toEqual(['10-10', '0-20', '5-20']);
  });

  it('removes merged sessions', () => {
    const { store } = open(caching);
    store.put(windowed('a', 0, 10), 1);
    store.flush();
    store.put(windowed('a', 20, 30), 2);
    store.remove(windowed('a', 0, 10));
    store.remove(windowed('a', 20, 30));
    store.put(windowed('a', 0, 30), 3);
    store.flush();
    expect(sessions(store.fetch('a'))).toEqual([['a', 0, 30, 3]]);
  });

  it('drops sessions past retention by end, counting puts of them', () => {
    const { store, context } = open(caching);
    store.put(windowed('a', 0, 10), 1);
    store.put(windowed('a', 100, 110), 2);
    // Observed time 110, retention 100: the session ending at 10 is expired (10 <= 110 - 100). The
    // backend hides it; a cache still holds it and shows it, as Kafka's caching session store
    // reads its cache without retention.
    expect(sessions(store.fetch('a'))).toEqual(caching ? [['a', 0, 10, 1], ['a', 100, 110, 2]] : [['a', 100, 110, 2]]);
    store.put(windowed('a', 5, 10), 3);
    // A cache takes it (Kafka's caching layer does; the flush logs it and skips the backend).
    expect(context.dropped).toBe(caching ? 0 : 1);
    expect(sessions(store.fetch('a'))).toEqual(caching ? [['a', 0, 10, 1], ['a', 5, 10, 3], ['a', 100, 110, 2]] : [['a', 100, 110, 2]]);
    // Flushed, the expired sessions stay in the cache (Kafka's cache drops only deletes and evictions).
    store.flush();
    expect(sessions(store.fetch('a'))).toEqual(caching ? [['a', 0, 10, 1], ['a', 5, 10, 3], ['a', 100, 110, 2]] : [['a', 100, 110, 2]]);
    // Removing one goes through the cache even when expired, so it is gone.
    store.remove(windowed('a', 0, 10));
    expect(sessions(store.fetch('a'))).toEqual(caching ? [['a', 5, 10, 3], ['a', 100, 110, 2]] : [['a', 100, 110, 2]]);
    // Removing advances the observed time too, as in Kafka (a restore sees only the tombstone).
    store.remove(windowed('a', 500, 500));
    expect(sessions(store.fetch('a'))).toEqual(caching ? [['a', 5, 10, 3], ['a', 100, 110, 2]] : []);
  });

  it('rebuilds the same sessions from its changelog', () => {
    const { store, context } = open(caching);
    store.put(windowed('a', 0, 10), 1);
    store.put(windowed('b', 5, 15), 2);
    store.flush();
    store.remove(windowed('a', 0, 10));
    store.put(windowed('a', 0, 20), 3);
    store.flush();
    const { store: restored } = open(caching);
    restored.restore(context.changes);
    for (const key of ['a', 'b']) expect(sessions(restored.fetch(key))).toEqual(sessions(store.fetch(key)));
  });
});

describe('session store changelog', () => {
  it('writes keys as key bytes, 8-byte big-endian end, then 8-byte start', () => {
    const { store, context } = open(false);
    store.put(windowed('k', 1, 2), 5);
    expect(context.changes[0]!.key).toEqual(Buffer.from([0x6b, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]));
  });

  it('reports each session once per flush, with its windowed key', () => {
    const { store } = open(true);
    const events: unknown[] = [];
    store.setFlushListener((key, newValue, oldValue) => events.push([key, newValue, oldValue]), true);
    store.put(windowed('a', 0, 10), 1);
    store.put(windowed('a', 0, 10), 2);
    store.flush();
    store.remove(windowed('a', 0, 10));
    store.flush();
    expect(events).toEqual([
      [{ key: 'a', window: { start: 0, end: 10 } }, 2, null],
      [{ key: 'a', window: { start: 0, end: 10 } }, null, 2],
    ]);
  });
});

describe('session store without a cache', () => {
  it('logs a put and a removal of an expired session, which the store drops', () => {
    const { store, context } = open(false);
    context.streamTimeMs = 4;
    store.put(windowed('a', 150, 200), 1);
    // Retention 100 at observed time 200: a session ending at 100 is expired.
    store.put(windowed('a', 90, 100), 2);
    store.remove(windowed('a', 90, 100));
    expect(context.dropped).toBe(1);
    expect(sessions(store.findSessions('a', 0, 300))).toEqual([['a', 150, 200, 1]]);
    expect(context.changes.map((change) => [change.key.readBigInt64BE(1), change.key.readBigInt64BE(9), change.value?.readInt32BE() ?? null, change.timestamp])).toEqual([
      [200n, 150n, 1, 4],
      [100n, 90n, 2, 4],
      [100n, 90n, null, 4],
    ]);
  });
});
