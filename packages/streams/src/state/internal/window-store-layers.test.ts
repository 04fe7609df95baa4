import { describe, expect, it } from 'vitest';
import type { Windowed } from '../../kstream/windowed.js';
import { Serdes } from '../../serde/serdes.js';
import type { KeyValue } from '../key-value-store.js';
import { Stores } from '../stores.js';
import type { RestorableStateStore } from '../store-suppliers.js';
import type { ValueAndTimestamp } from '../value-and-timestamp.js';
import type { WindowStore } from '../window-store.js';
import type { FlushListenable } from './flush-listener.js';
import { StoreTestContext } from './store-test-context.js';

type TestStore = WindowStore<string, number> & FlushListenable<Windowed<string>, number> & RestorableStateStore;

function open(caching: boolean, retainDuplicates = false, retentionMs = 100): { store: TestStore; context: StoreTestContext } {
  const builder = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('windows', retentionMs, 10, retainDuplicates), Serdes.String(), Serdes.Int32());
  const store = (caching ? builder.withCachingEnabled() : builder).build() as TestStore;
  const context = new StoreTestContext();
  store.init(context);
  return { store, context };
}

function windows(entries: Iterable<KeyValue<Windowed<string>, number>>): Array<[string, number, number, number]> {
  return [...entries].map((entry) => [entry.key.key, entry.key.window.start, entry.key.window.end, entry.value]);
}

const int32 = (value: number): Buffer => Serdes.Int32().serialize('t', value, undefined as never);

describe.each([false, true])('window store (caching %s)', (caching) => {
  it('fetches one window, one key over time, and every key by start then key bytes', () => {
    const { store } = open(caching);
    store.put('b', 1, 10);
    store.put('a', 2, 10);
    store.put('\u{1f600}', 3, 0);
    store.put('\uffff', 4, 0);
    if (caching) store.flush();
    store.put('a', 5, 0);
    store.put('a', 6, 20);
    expect(store.fetch('a', 10)).toBe(2);
    expect(store.fetch('a', 15)).toBeUndefined();
    expect([...store.fetchRange('a', 0, 20)]).toEqual([
      { key: 0, value: 5 },
      { key: 10, value: 2 },
      { key: 20, value: 6 },
    ]);
    expect([...store.fetchRange('a', 1, 10)]).toEqual([{ key: 10, value: 2 }]);
    expect(windows(store.fetchAll(0, 10))).toEqual([
      ['a', 0, 10, 5],
      ['\uffff', 0, 10, 4],
      ['\u{1f600}', 0, 10, 3],
      ['a', 10, 20, 2],
      ['b', 10, 20, 1],
    ]);
    store.put('a', null, 10);
    expect(store.fetch('a', 10)).toBeUndefined();
    expect(windows(store.all()).map(([key, start]) => `${key}@${start}`)).toEqual(['a@0', '\uffff@0', '\u{1f600}@0', 'b@10', 'a@20']);
  });

  it('reads and writes every window right past the cache ids a caching store remembers, and as windows expire', () => {
    const { store } = open(caching, false, 1_000);
    // More keys than the 65,536 ids remembered, in three windows, the first of which expires.
    const keys = 70_000;
    for (const start of [0, 10]) for (let key = 0; key < keys; key++) store.put(`k${key}`, key + start, start);
    for (let key = 0; key < keys; key += 97) expect(store.fetch(`k${key}`, 0)).toBe(key);
    store.put('late', 1, 1_005);
    for (let key = 0; key < keys; key += 89) {
      expect(store.fetch(`k${key}`, 0)).toBeUndefined();
      expect(store.fetch(`k${key}`, 10)).toBe(key + 10);
      store.put(`k${key}`, key + 20, 20);
    }
    store.flush();
    for (let key = 0; key < keys; key += 89) expect([...store.fetchRange(`k${key}`, 0, 1_000)]).toEqual([{ key: 10, value: key + 10 }, { key: 20, value: key + 20 }]);
    expect(store.fetch('late', 1_005)).toBe(1);
    // One key in more live windows than it remembers ids for.
    for (let start = 1_000; start < 1_400; start += 10) store.put('many', start, start);
    for (let start = 1_390; start >= 1_000; start -= 10) expect(store.fetch('many', start)).toBe(start);
  });

  it('drops windows past retention and counts puts to them', () => {
    const { store, context } = open(caching);
    store.put('a', 1, 0);
    store.put('a', 2, 50);
    store.put('a', 3, 100);
    // Observed time 100, retention 100: the window at 0 is expired (0 <= 100 - 100).
    expect(store.fetch('a', 0)).toBeUndefined();
    expect([...store.fetchRange('a', 0, 100)].map((entry) => entry.key)).toEqual([50, 100]);
    store.put('a', 9, 0);
    expect(context.dropped).toBe(1);
    store.flush();
    expect(windows(store.all()).map(([, start]) => start)).toEqual([50, 100]);
  });

  it('rebuilds the same windows from its changelog', () => {
    const { store, context } = open(caching);
    store.put('a', 1, 0);
    store.put('b', 2, 10);
    store.flush();
    store.put('a', null, 0);
    store.put('c', 3, 105);
    store.flush();
    const { store: restored } = open(caching);
    restored.restore(context.changes);
    expect(windows(restored.all())).toEqual(windows(store.all()));
    expect(windows(restored.all())).toEqual([
      ['b', 10, 20, 2],
      ['c', 105, 115, 3],
    ]);
  });
});

describe('window store changelog', () => {
  it('writes keys as key bytes, 8-byte big-endian start and 4-byte seqnum', () => {
    const { store, context } = open(false);
    context.streamTimeMs = 7;
    store.put('a', 5, 0x0102030405);
    expect(context.changes).toEqual([
      { storeName: 'windows', key: Buffer.from([0x61, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 0, 0, 0]), value: int32(5), timestamp: 7 },
    ]);
  });

  it('reports each window once per flush, keyed by its windowed key, with old values', () => {
    const { store, context } = open(true);
    const events: unknown[] = [];
    expect(store.setFlushListener((key, newValue, oldValue) => events.push([key, newValue, oldValue]), true)).toBe(true);
    store.put('a', 1, 10);
    store.put('a', 2, 10);
    expect(events).toEqual([]);
    store.flush();
    store.put('a', 3, 10);
    store.flush();
    expect(events).toEqual([
      [{ key: 'a', window: { start: 10, end: 20 } }, 2, null],
      [{ key: 'a', window: { start: 10, end: 20 } }, 3, 2],
    ]);
    expect(context.changes.map((change) => change.value)).toEqual([int32(2), int32(3)]);
  });
});

describe('window store retaining duplicates', () => {
  it('keeps every put with its own seqnum, logs null puts under a seqnum of their own and never caches', () => {
    const { store, context } = open(true, true);
    expect(store.setFlushListener(() => {}, true)).toBe(false);
    store.put('a', 1, 10);
    store.put('a', 2, 10);
    store.put('a', null, 10);
    expect([...store.fetchRange('a', 0, 20)]).toEqual([
      { key: 10, value: 1 },
      { key: 10, value: 2 },
    ]);
    // Kafka's change-logging layer numbers every put, the null too, which deletes nothing.
    expect(context.changes.map((change) => [change.key.readInt32BE(change.key.length - 4), change.value])).toEqual([
      [1, int32(1)],
      [2, int32(2)],
      [3, null],
    ]);
    const { store: restored } = open(false, true);
    restored.restore(context.changes);
    expect([...restored.fetchRange('a', 0, 20)].map((entry) => entry.value)).toEqual([1, 2]);
    restored.put('a', 3, 10);
    expect([...restored.fetchRange('a', 0, 20)].map((entry) => entry.value)).toEqual([1, 2, 3]);
  });
});

describe('window store without a cache', () => {
  it.each([false, true])('logs a put to an expired window, which the store drops (duplicates %s)', (retainDuplicates) => {
    const { store, context } = open(false, retainDuplicates);
    context.streamTimeMs = 3;
    store.put('a', 1, 100);
    store.put('a', 9, 0);
    expect(context.dropped).toBe(1);
    expect([...store.fetchRange('a', 0, 100)].map((entry) => entry.key)).toEqual([100]);
    const seqnum = (number: number): number => (retainDuplicates ? number : 0);
    expect(context.changes.map((change) => [change.key.readBigInt64BE(1), change.key.readInt32BE(9), change.value, change.timestamp])).toEqual([
      [100n, seqnum(1), int32(1), 3],
      [0n, seqnum(2), int32(9), 3],
    ]);
  });
});

describe('timestamped window store changelog', () => {
  it("logs the bare value at the value's timestamp, and restores timestamp + value from it (Kafka's format)", () => {
    const builder = Stores.timestampedWindowStoreBuilder(Stores.inMemoryWindowStore('windows', 100, 10, false), Serdes.String(), Serdes.Int32()).withCachingEnabled();
    const store = builder.build() as WindowStore<string, ValueAndTimestamp<number>> & RestorableStateStore;
    const context = new StoreTestContext();
    store.init(context);
    store.put('a', { value: 5, timestamp: 17 }, 10);
    store.flush();
    expect(context.changes).toEqual([{ storeName: 'windows', key: Buffer.from([0x61, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0]), value: int32(5), timestamp: 17 }]);
    expect(store.changelogValue(context.changes[0]!.key)).toEqual({ value: int32(5), timestamp: 17, bareValue: false });
    const restored = builder.build() as WindowStore<string, ValueAndTimestamp<number>> & RestorableStateStore;
    restored.init(new StoreTestContext());
    restored.restore(context.changes);
    expect(restored.fetch('a', 10)).toEqual({ value: 5, timestamp: 17 });
  });

  it("restores Tributary's old prefixed format too, with upgradeFrom: 'prefixed-changelogs'", () => {
    const builder = Stores.timestampedWindowStoreBuilder(Stores.inMemoryWindowStore('windows', 100, 10, false), Serdes.String(), Serdes.Int32());
    const restored = builder.build() as WindowStore<string, ValueAndTimestamp<number>> & RestorableStateStore;
    restored.init(new StoreTestContext({ upgradeFrom: 'prefixed-changelogs' }));
    restored.restore([
      { key: Buffer.from([0x61, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0]), value: int32(5), timestamp: 17 },
      // Tributary's old format: the timestamp (equal to the record's) before the value.
      { key: Buffer.from([0x62, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0]), value: Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 21]), int32(6)]), timestamp: 21 },
    ]);
    expect(restored.fetch('a', 10)).toEqual({ value: 5, timestamp: 17 });
    expect(restored.fetch('b', 20)).toEqual({ value: 6, timestamp: 21 });
  });
});
