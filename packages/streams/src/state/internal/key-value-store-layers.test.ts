import { describe, expect, it } from 'vitest';
import { StateStoreError } from '../../errors/streams-error.js';
import { Serdes } from '../../serde/serdes.js';
import type { KeyValue, KeyValueStore } from '../key-value-store.js';
import { Stores } from '../stores.js';
import { isRestorableStore, type RestorableStateStore } from '../store-suppliers.js';
import type { ValueAndTimestamp } from '../value-and-timestamp.js';
import { isFlushListenable, type FlushListenable } from './flush-listener.js';
import { StoreTestContext } from './store-test-context.js';
import { BARE_VALUE_HEADER } from './timestamped-changelog.js';

type TestStore = KeyValueStore<string, number> & FlushListenable<string, number> & RestorableStateStore;

function open(caching: boolean, options: { maxBytes?: number; name?: string } = {}): { store: TestStore; context: StoreTestContext } {
  let builder = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(options.name ?? 'counts'), Serdes.String(), Serdes.Int32());
  builder = caching ? builder.withCachingEnabled(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }) : builder.withCachingDisabled();
  const store = builder.build() as TestStore;
  const context = new StoreTestContext();
  store.init(context);
  return { store, context };
}

function pairs<K, V>(entries: Iterable<KeyValue<K, V>>): Array<[K, V]> {
  return [...entries].map((entry) => [entry.key, entry.value]);
}

const int32 = (value: number): Buffer => Serdes.Int32().serialize('t', value, undefined as never);

describe.each([false, true])('key-value store (caching %s)', (caching) => {
  it('gets, puts and deletes', () => {
    const { store } = open(caching);
    expect(store.get('a')).toBeUndefined();
    store.put('a', 1);
    expect(store.get('a')).toBe(1);
    expect(store.putIfAbsent('a', 2)).toBe(1);
    expect(store.putIfAbsent('b', 2)).toBeUndefined();
    expect(store.get('b')).toBe(2);
    expect(store.delete('a')).toBe(1);
    expect(store.get('a')).toBeUndefined();
    store.putAll([
      { key: 'c', value: 3 },
      { key: 'b', value: null },
    ]);
    expect(pairs(store.all())).toEqual([['c', 3]]);
    store.flush();
    expect(store.get('c')).toBe(3);
    expect(store.get('b')).toBeUndefined();
  });

  it('iterates in key-byte order, merging flushed and unflushed writes', () => {
    const { store } = open(caching);
    // By UTF-16 code units '\u{1f600}' < '\uffff'; by UTF-8 bytes it is greater.
    for (const [index, key] of ['\u{1f600}', 'b', '\uffff', '', 'a', 'ab'].entries()) store.put(key, index);
    store.flush();
    store.put('aa', 10);
    store.delete('b');
    expect(pairs(store.all()).map(([key]) => key)).toEqual(['', 'a', 'aa', 'ab', '\uffff', '\u{1f600}']);
    expect(pairs(store.range('a', 'ab'))).toEqual([
      ['a', 4],
      ['aa', 10],
      ['ab', 5],
    ]);
    expect(pairs(store.range('aa', undefined)).map(([key]) => key)).toEqual(['aa', 'ab', '\uffff', '\u{1f600}']);
    expect(pairs(store.range(undefined, 'a')).map(([key]) => key)).toEqual(['', 'a']);
    expect(pairs(store.range('b', 'a'))).toEqual([]);
  });

  it('refuses null keys, and use before init or after close', () => {
    const builder = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32());
    const store = (caching ? builder.withCachingEnabled() : builder).build();
    expect(() => store.get('a')).toThrow(StateStoreError);
    expect(() => store.put('a', 1)).toThrow(/not open/);
    store.init(new StoreTestContext());
    expect(() => store.put(null as unknown as string, 1)).toThrow(/cannot hold a null key/);
    store.close();
    expect(store.isOpen).toBe(false);
    expect(() => store.get('a')).toThrow(/closed/);
  });

  it('rebuilds the same contents from the changelog it wrote', () => {
    const { store, context } = open(caching);
    store.put('a', 1);
    store.put('b', 2);
    store.flush();
    store.put('a', 3);
    store.delete('b');
    store.put('c', 4);
    store.flush();
    const { store: restored } = open(caching);
    expect(isRestorableStore(restored)).toBe(true);
    restored.restore(context.changes);
    expect(pairs(restored.all())).toEqual(pairs(store.all()));
    expect(pairs(restored.all())).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
  });

  it('falls back to the default serdes in the streams config', () => {
    const store = Stores.keyValueStoreBuilder<string, number>(Stores.inMemoryKeyValueStore('counts'), undefined, undefined).build();
    expect(() => store.init(new StoreTestContext())).toThrow(/no key serde.*defaultKeySerde/);
    const withDefaults = Stores.keyValueStoreBuilder<string, number>(Stores.inMemoryKeyValueStore('counts'), undefined, undefined).build();
    const context = new StoreTestContext({ defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.Int32() });
    withDefaults.init(context);
    withDefaults.put('a', 7);
    withDefaults.flush();
    expect(withDefaults.get('a')).toBe(7);
    expect(context.changes.map((change) => change.value)).toEqual([int32(7)]);
  });
});

describe('key-value store without a cache', () => {
  it('logs each write at once, in changelog bytes, and reports no flush events', () => {
    const { store, context } = open(false);
    expect(isFlushListenable(store)).toBe(true);
    expect(store.setFlushListener(() => expect.unreachable(), true)).toBe(false);
    context.streamTimeMs = 42;
    store.put('a', 1);
    store.delete('a');
    expect(context.takeChanges()).toEqual([
      { storeName: 'counts', key: Buffer.from('a'), value: int32(1), timestamp: 42 },
      { storeName: 'counts', key: Buffer.from('a'), value: null, timestamp: 42 },
    ]);
    store.flush();
    expect(context.changes).toEqual([]);
  });
});

describe('key-value store with a cache', () => {
  it('logs and reports each key once per flush, with the value last flushed as the old value', () => {
    const { store, context } = open(true);
    const events: unknown[] = [];
    expect(store.setFlushListener((key, newValue, oldValue, timestamp) => events.push([key, newValue, oldValue, timestamp]), true)).toBe(true);
    context.streamTimeMs = 5;
    store.put('a', 1);
    store.put('a', 2);
    store.put('b', 1);
    context.streamTimeMs = 6;
    store.put('b', 3);
    expect(context.changes).toEqual([]);
    expect(events).toEqual([]);
    store.flush();
    expect(context.takeChanges().map((change) => [change.key.toString(), change.value, change.timestamp])).toEqual([
      ['a', int32(2), 5],
      ['b', int32(3), 6],
    ]);
    expect(events.splice(0)).toEqual([
      ['a', 2, null, 5],
      ['b', 3, null, 6],
    ]);

    store.put('a', 4);
    store.delete('b');
    store.delete('never-written');
    store.flush();
    expect(events.splice(0)).toEqual([
      ['a', 4, 2, 6],
      ['b', null, 3, 6],
    ]);
    // A delete of a key the store does not hold is neither logged nor reported (Kafka's
    // CachingKeyValueStore skips it when a flush listener is set).
    expect(context.takeChanges().map((change) => [change.key.toString(), change.value])).toEqual([
      ['a', int32(4)],
      ['b', null],
    ]);

    store.flush();
    expect(events).toEqual([]);
    expect(context.changes).toEqual([]);
  });

  it('skips a put-then-delete of an absent key at flush with a listener, and logs its tombstone without one', () => {
    const withListener = open(true);
    withListener.store.setFlushListener(() => {}, false);
    const withoutListener = open(true);
    for (const { store } of [withListener, withoutListener]) {
      store.put('kept', 1);
      store.put('gone', 2);
      store.delete('gone');
      store.flush();
    }
    expect(withListener.context.changes.map((change) => [change.key.toString(), change.value])).toEqual([['kept', int32(1)]]);
    expect(withoutListener.context.changes.map((change) => [change.key.toString(), change.value])).toEqual([
      ['kept', int32(1)],
      ['gone', null],
    ]);
    expect(pairs(withListener.store.all())).toEqual([['kept', 1]]);
  });

  it('sends null old values when old values are not asked for', () => {
    const { store } = open(true);
    const events: unknown[] = [];
    store.setFlushListener((key, newValue, oldValue) => events.push([key, newValue, oldValue]), false);
    store.put('a', 1);
    store.flush();
    store.put('a', 2);
    store.flush();
    expect(events).toEqual([
      ['a', 1, null],
      ['a', 2, null],
    ]);
  });

  it('flushes (logs and reports) dirty entries before evicting them when over its byte bound', () => {
    const { store, context } = open(true, { maxBytes: 400 });
    const events: unknown[] = [];
    store.setFlushListener((key, newValue) => events.push([key, newValue]), true);
    for (let index = 0; index < 10; index++) store.put(`key-${index}`, index);
    // Ten entries of ~410 bytes each do not fit in 400: evictions flushed the dirty ones first.
    expect(context.changes.length).toBeGreaterThan(0);
    expect(events.length).toBe(context.changes.length);
    for (const change of context.changes) expect(change.value).toEqual(int32(Number(change.key.toString().slice(4))));
    store.flush();
    const logged = new Map(context.changes.map((change) => [change.key.toString(), change.value]));
    expect(logged.size).toBe(10);
    for (let index = 0; index < 10; index++) expect(store.get(`key-${index}`)).toBe(index);
    expect(pairs(store.all()).length).toBe(10);
  });

  it('reads through to the backend after an eviction', () => {
    const { store } = open(true, { maxBytes: 0 });
    store.put('a', 1);
    store.put('b', 2);
    expect(store.get('a')).toBe(1);
    expect(store.get('b')).toBe(2);
    expect(store.approximateNumEntries()).toBe(2);
  });
});

describe('timestamped key-value store', () => {
  const timestampedBuilder = (caching: boolean) => {
    const builder = Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore('table'), Serdes.String(), Serdes.Int32());
    return caching ? builder.withCachingEnabled() : builder;
  };
  const openTimestamped = (caching: boolean): { store: KeyValueStore<string, ValueAndTimestamp<number>>; context: StoreTestContext } => {
    const store: KeyValueStore<string, ValueAndTimestamp<number>> = timestampedBuilder(caching).build();
    const context = new StoreTestContext();
    store.init(context);
    return { store, context };
  };
  const restorable = (store: unknown) => store as RestorableStateStore;

  for (const caching of [true, false]) {
    it(`logs the bare value at the value's timestamp, as Kafka does (caching ${caching ? 'on' : 'off'})`, () => {
      const { store, context } = openTimestamped(caching);
      store.put('k', { value: 7, timestamp: 0x0102030405 });
      store.put('gone', { value: 1, timestamp: 3 });
      store.delete('gone');
      store.flush();
      const changes = context.changes.map(({ key, value, timestamp, headers }) => ({ key: key.toString(), value: value?.toString('hex') ?? null, timestamp, headers }));
      expect(changes.find((change) => change.key === 'k')).toEqual({ key: 'k', value: '00000007', timestamp: 0x0102030405, headers: undefined });
      expect(changes.filter((change) => change.key === 'gone').at(-1)!.value).toBeNull();
      const restored = openTimestamped(caching).store;
      restorable(restored).restore(context.changes);
      expect(restored.get('k')).toEqual({ value: 7, timestamp: 0x0102030405 });
      expect(restored.get('gone')).toBeUndefined();
    });
  }

  const upgrading = { upgradeFrom: 'prefixed-changelogs' };
  const latestTimeBuilder = () => Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore('latest'), Serdes.String(), Serdes.Int64());
  const openLatestTime = (appConfigs: Readonly<Record<string, unknown>> = {}) => {
    const store: KeyValueStore<string, ValueAndTimestamp<bigint>> = latestTimeBuilder().build();
    const context = new StoreTestContext(appConfigs);
    store.init(context);
    return { store, context };
  };
  // A bare Int64 value of 42 at timestamp 42: its first 8 bytes are its own record timestamp.
  const startsWithOwnTime = Buffer.from('000000000000002a', 'hex');

  it('logs a bare value that starts with its own timestamp exactly as Kafka does: no header', () => {
    const { store, context } = openLatestTime();
    store.put('a', { value: 42n, timestamp: 42 });
    const [a] = context.changes;
    expect([a!.value!.toString('hex'), a!.timestamp, a!.headers]).toEqual(['000000000000002a', 42, undefined]);
    expect((store as unknown as RestorableStateStore).changelogValue(Buffer.from('a'))).toEqual({ value: a!.value, timestamp: 42, bareValue: false });
  });

  it("restores a Kafka-written value that starts with its own timestamp as the bare value it is, by default", () => {
    const { store } = openLatestTime();
    restorable(store).restore([
      { key: Buffer.from('a'), value: startsWithOwnTime, timestamp: 42 },
      { key: Buffer.from('b'), value: Buffer.from('0000000000000029', 'hex'), timestamp: 42 },
    ]);
    expect(store.get('a')).toEqual({ value: 42n, timestamp: 42 });
    expect(store.get('b')).toEqual({ value: 41n, timestamp: 42 });
  });

  describe("with upgradeFrom: 'prefixed-changelogs'", () => {
    it("restores records of Tributary's old format: the timestamp before the value, equal to the record's timestamp", () => {
      const store: KeyValueStore<string, ValueAndTimestamp<number>> = timestampedBuilder(false).build();
      store.init(new StoreTestContext(upgrading));
      restorable(store).restore([
        { key: Buffer.from('old'), value: Buffer.from([0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 0, 0, 7]), timestamp: 0x0102030405 },
        { key: Buffer.from('new'), value: Buffer.from([0, 0, 0, 9]), timestamp: 12 },
      ]);
      expect(store.get('old')).toEqual({ value: 7, timestamp: 0x0102030405 });
      expect(store.get('new')).toEqual({ value: 9, timestamp: 12 });
    });

    it('marks a bare value that starts with its own timestamp, so a restore does not take it for the old format', () => {
      const { store, context } = openLatestTime(upgrading);
      store.put('a', { value: 42n, timestamp: 42 });
      store.put('b', { value: 41n, timestamp: 42 });
      const [a, b] = context.changes;
      expect(a!.value!.toString('hex')).toBe('000000000000002a');
      expect(a!.headers?.lastString(BARE_VALUE_HEADER)).toBe('1');
      expect(b!.headers).toBeUndefined();
      expect((store as unknown as RestorableStateStore).changelogValue(Buffer.from('a'))).toEqual({ value: a!.value, timestamp: 42, bareValue: true });
      const restored = openLatestTime(upgrading).store;
      (restored as unknown as RestorableStateStore).restore(context.changes);
      expect(restored.get('a')).toEqual({ value: 42n, timestamp: 42 });
      expect(restored.get('b')).toEqual({ value: 41n, timestamp: 42 });
    });
  });

  it('gives changelogValue the bare value and its timestamp, for the roll-back record', () => {
    const { store } = openTimestamped(false);
    store.put('k', { value: 7, timestamp: 99 });
    expect(restorable(store).changelogValue(Buffer.from('k'))).toEqual({ value: Buffer.from([0, 0, 0, 7]), timestamp: 99, bareValue: false });
    expect(restorable(store).changelogValue(Buffer.from('none'))).toBeUndefined();
  });

  it('refuses a bare value without its record timestamp, naming the store', () => {
    const { store } = openTimestamped(false);
    expect(() => restorable(store).restore([{ key: Buffer.from('k'), value: Buffer.from([0, 0, 0, 7]) }])).toThrow(/timestamped store 'table' has no record timestamp/);
  });
});
