/**
 * Property tests of the state stores, with caching on and off, on the run's backend (in memory,
 * or LevelDB in the `unit-level` project, opened as a driver opens it: `prepare`, then `init`):
 * each drives a store through random interleavings of writes, reads and flushes and compares
 * every answer with a brute-force oracle (plain Maps and arrays, sorted on demand). The oracles
 * follow Kafka Streams' semantics; where a store's own TSDoc pins a rule (expiry bounds,
 * iteration order), the oracle follows that doc.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { silentLogger } from '../logger.js';
import { Headers } from '../processor/headers.js';
import { windowed } from '../kstream/windowed.js';
import type { Windowed } from '../kstream/windowed.js';
import { Serdes } from '../serde/serdes.js';
import type { KeyValue, KeyValueStore } from './key-value-store.js';
import type { SessionStore } from './session-store.js';
import type { StateStore, StateStoreContext } from './state-store.js';
import type { WindowStore } from './window-store.js';
import { Stores } from './stores.js';
import { isPreparableSupplier } from './store-suppliers.js';
import { propertyRuns, storeStateDir, storeSuppliers } from '#test-kit';

const runs = { numRuns: propertyRuns(200, 50) };
/** Each opened store gets its own task, so (on LevelDB) its own directory. */
let nextPartition = 0;
const maxOperations = 40;

// ---------------------------------------------------------------------------------------------
// Shared fakes and helpers
// ---------------------------------------------------------------------------------------------

interface LoggedChange {
  readonly storeName: string;
  readonly key: Buffer;
  readonly value: Buffer | null;
  readonly timestamp: number;
}

/** A task context that records what the store tells it, so tests can check and replay it. */
class RecordingContext implements StateStoreContext {
  readonly applicationId = 'store-properties';
  readonly taskId = { subtopology: 0, partition: nextPartition++ };
  readonly appConfigs = {};
  readonly stateDir = storeStateDir();
  readonly logger = silentLogger;
  readonly changes: LoggedChange[] = [];
  dropped = 0;
  streamTimeMs = 0;

  currentStreamTimeMs(): number {
    return this.streamTimeMs;
  }

  changelogTopic(storeName: string): string {
    return `${this.applicationId}-${storeName}-changelog`;
  }

  logChange(storeName: string, key: Buffer, value: Buffer | null, timestamp: number): void {
    // Copied: a store may reuse its buffers once the call returns.
    this.changes.push({ storeName, key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp });
  }

  recordDropped(_reason: 'expired-window'): void {
    this.dropped += 1;
  }
}

type FlushListener<K, V> = (key: K, newValue: V | null, oldValue: V | null, timestamp: number) => void;

/** What a caching layer adds; typed here so the tests need not know the store's concrete class. */
interface FlushListenable<K, V> {
  setFlushListener(listener: FlushListener<K, V>, sendOldValues: boolean): boolean;
}

/** How a store replays its changelog after a restart. */
interface Restorable {
  restore(records: Iterable<{ key: Buffer; value: Buffer | null }>): void;
}

/** What a store holds for a changelog key, read past its cache (the roll-back of an uncommitted changelog tail uses it). */
interface ChangelogReadable {
  changelogValue(changelogKey: Buffer): { readonly value: Buffer } | undefined;
}

/** The latest changelog record of each key (by the key's bytes), tombstones included. */
function latestByChangelogKey(changes: readonly LoggedChange[]): Map<string, LoggedChange> {
  const latest = new Map<string, LoggedChange>();
  for (const change of changes) latest.set(change.key.toString('latin1'), change);
  return latest;
}

/**
 * Checks that, for every key of the changelog still live (`live(key bytes)`), the store's
 * `changelogValue` is the key's latest changelog value (none after a tombstone).
 */
function expectChangelogValues(store: unknown, changes: readonly LoggedChange[], live: (key: Buffer) => boolean): void {
  const readable = store as Partial<ChangelogReadable>;
  expect(typeof readable.changelogValue, 'the store offers changelogValue()').toBe('function');
  for (const change of latestByChangelogKey(changes).values()) {
    if (!live(change.key)) continue;
    expect(readable.changelogValue!(change.key)?.value, `changelogValue(${change.key.toString('hex')})`).toEqual(change.value ?? undefined);
  }
}

/** Kafka Streams orders keys by their serialized bytes; a string key serializes as UTF-8. */
function compareKeyBytes(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

/**
 * Keys chosen so that byte order and JavaScript's UTF-16 order disagree: '😀' (F0 9F 98 80) sorts
 * after '\uffff' (EF BF BF) and '\ue000' (EE 80 80) by bytes, before them by code units. Also a
 * prefix pair, a NUL, the empty key and two-byte characters.
 */
const keyPool = ['', 'a', 'a\u0000', 'ab', 'b', '\u00e9', '\u00ff', '\u0100', '\ue000', '\uffff', '\u{1f600}', 'z'];
const keyArbitrary = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...keyPool) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
);
const valueArbitrary = fc.integer({ min: -3, max: 30 });

interface CachingMode {
  readonly label: string;
  readonly caching: boolean;
  /** A cache bound small enough that writes evict (and so flush) between flushes; else the default. */
  readonly maxBytes?: number;
}

/**
 * Caching off, a cache that never fills in these short runs, and a tiny one that evicts all the
 * time: eviction flushes every dirty entry, so reads and the changelog must stay right through it.
 */
const cachingModes: readonly CachingMode[] = [
  { label: 'caching enabled', caching: true },
  { label: 'caching enabled, evicting 600-byte cache', caching: true, maxBytes: 600 },
  { label: 'caching disabled', caching: false },
];

function withCaching<B extends { withCachingEnabled(options?: { maxBytes?: number }): B; withCachingDisabled(): B }>(builder: B, mode: CachingMode): B {
  if (!mode.caching) return builder.withCachingDisabled();
  return mode.maxBytes === undefined ? builder.withCachingEnabled() : builder.withCachingEnabled({ maxBytes: mode.maxBytes });
}

async function open<S extends StateStore>(supplier: unknown, store: S): Promise<{ store: S; context: RecordingContext }> {
  const context = new RecordingContext();
  if (isPreparableSupplier(supplier)) await supplier.prepare(context);
  store.init(context);
  return { store, context };
}

// ---------------------------------------------------------------------------------------------
// Key-value stores
// ---------------------------------------------------------------------------------------------

type KeyValueOperation =
  | { readonly kind: 'put'; readonly key: string; readonly value: number | null }
  | { readonly kind: 'putIfAbsent'; readonly key: string; readonly value: number }
  | { readonly kind: 'putAll'; readonly entries: ReadonlyArray<KeyValue<string, number | null>> }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'range'; readonly from: string | undefined; readonly to: string | undefined }
  | { readonly kind: 'all' }
  | { readonly kind: 'flush' };

const keyValueOperation: fc.Arbitrary<KeyValueOperation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArbitrary, value: fc.option(valueArbitrary, { freq: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('putIfAbsent' as const), key: keyArbitrary, value: valueArbitrary }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('putAll' as const),
      entries: fc.array(fc.record({ key: keyArbitrary, value: fc.option(valueArbitrary, { freq: 4 }) }), { maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArbitrary }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('range' as const), from: fc.option(keyArbitrary, { nil: undefined }), to: fc.option(keyArbitrary, { nil: undefined }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
);
const keyValueOperations = fc.array(keyValueOperation, { maxLength: maxOperations });

type KeyValueTestStore = KeyValueStore<string, number> & Partial<FlushListenable<string, number>> & Partial<Restorable>;

function openKeyValueStore(mode: CachingMode): Promise<{ store: KeyValueTestStore; context: RecordingContext }> {
  const supplier = storeSuppliers().keyValueStore('kv-store');
  const builder = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Int32());
  return open(supplier, withCaching(builder, mode).withLoggingEnabled({}).build() as KeyValueTestStore);
}

/** The oracle's entries with `from <= key <= to` (either bound optional), in key-byte order. */
function oracleRange(oracle: ReadonlyMap<string, number>, from: string | undefined, to: string | undefined): Array<[string, number]> {
  return [...oracle]
    .filter(([key]) => (from === undefined || compareKeyBytes(key, from) >= 0) && (to === undefined || compareKeyBytes(key, to) <= 0))
    .sort(([left], [right]) => compareKeyBytes(left, right));
}

function entries<K, V>(iterator: Iterable<KeyValue<K, V>>): Array<[K, V]> {
  return [...iterator].map((entry) => [entry.key, entry.value]);
}

/** Applies a write to the oracle, returning the keys it wrote (for dirty tracking). */
function applyKeyValueWrite(oracle: Map<string, number>, operation: KeyValueOperation): string[] {
  switch (operation.kind) {
    case 'put':
      if (operation.value === null) oracle.delete(operation.key);
      else oracle.set(operation.key, operation.value);
      return [operation.key];
    case 'putIfAbsent':
      if (oracle.has(operation.key)) return [];
      oracle.set(operation.key, operation.value);
      return [operation.key];
    case 'putAll':
      for (const entry of operation.entries) {
        if (entry.value === null) oracle.delete(entry.key);
        else oracle.set(entry.key, entry.value);
      }
      return operation.entries.map((entry) => entry.key);
    case 'delete':
      oracle.delete(operation.key);
      return [operation.key];
    default:
      return [];
  }
}

/** Runs one operation on the store and the oracle, checking every answer the store gives. */
function stepKeyValue(store: KeyValueStore<string, number>, oracle: Map<string, number>, operation: KeyValueOperation): string[] {
  switch (operation.kind) {
    case 'put':
      store.put(operation.key, operation.value);
      break;
    case 'putIfAbsent':
      expect(store.putIfAbsent(operation.key, operation.value), `putIfAbsent(${JSON.stringify(operation.key)})`).toBe(oracle.get(operation.key));
      break;
    case 'putAll':
      store.putAll(operation.entries);
      break;
    case 'delete':
      expect(store.delete(operation.key), `delete(${JSON.stringify(operation.key)})`).toBe(oracle.get(operation.key));
      break;
    case 'get':
      expect(store.get(operation.key), `get(${JSON.stringify(operation.key)})`).toBe(oracle.get(operation.key));
      return [];
    case 'range':
      expect(entries(store.range(operation.from, operation.to)), `range(${JSON.stringify(operation.from)}, ${JSON.stringify(operation.to)})`).toEqual(
        oracleRange(oracle, operation.from, operation.to),
      );
      return [];
    case 'all':
      expect(entries(store.all()), 'all()').toEqual(oracleRange(oracle, undefined, undefined));
      return [];
    case 'flush':
      store.flush();
      return [];
  }
  return applyKeyValueWrite(oracle, operation);
}

describe.each(cachingModes)('KeyValueStore<string, number> ($label)', (mode) => {
  it('answers every read as a Map does, iterating in key-byte order', async () => {
    await fc.assert(
      fc.asyncProperty(keyValueOperations, async (operations) => {
        const { store } = await openKeyValueStore(mode);
        const oracle = new Map<string, number>();
        for (const operation of operations) stepKeyValue(store, oracle, operation);
        // A last full comparison, after flushing, so writes still in a cache are checked too.
        store.flush();
        expect(entries(store.all())).toEqual(oracleRange(oracle, undefined, undefined));
        for (const key of keyPool) expect(store.get(key)).toBe(oracle.get(key));
        store.close();
      }),
      runs,
    );
  });

  it('writes a changelog that, replayed into a fresh store, rebuilds the same contents', async () => {
    await fc.assert(
      fc.asyncProperty(keyValueOperations, async (operations) => {
        const { store, context } = await openKeyValueStore(mode);
        const oracle = new Map<string, number>();
        let dirty = new Set<string>();
        let flushed = new Map<string, number>();
        for (const operation of operations) {
          const before = context.changes.length;
          for (const key of stepKeyValue(store, oracle, operation)) dirty.add(key);
          // Only a cache that never evicts holds every write until flush.
          if (!mode.caching || mode.maxBytes !== undefined) continue;
          const logged = context.changes.slice(before);
          if (operation.kind !== 'flush') {
            // A caching store keeps writes in its cache until flush.
            expect(logged, `logChange outside flush, at ${JSON.stringify(operation)}`).toEqual([]);
            continue;
          }
          expectOneChangePerDirtyKey(logged, dirty, flushed, oracle);
          dirty = new Set();
          flushed = new Map(oracle);
        }
        store.flush();
        const records = context.changes.filter((change) => change.storeName === store.name);
        // Changelog keys are the serialized keys, as Kafka writes them.
        for (const change of records) expect(Buffer.from(change.key.toString('utf8'), 'utf8').equals(change.key)).toBe(true);

        const { store: restored } = await openKeyValueStore(mode);
        expect(typeof restored.restore, 'the store offers restore()').toBe('function');
        restored.restore?.(records.map((change) => ({ key: change.key, value: change.value })));
        expect(entries(restored.all())).toEqual(entries(store.all()));
        expect(entries(restored.all())).toEqual(oracleRange(oracle, undefined, undefined));
        store.close();
        restored.close();
      }),
      runs,
    );
  });

  it('rolls an uncommitted changelog tail back: the prefix restored, then what it holds for each key the tail wrote, rebuild the prefix state', async () => {
    await fc.assert(
      fc.asyncProperty(keyValueOperations, fc.nat(), async (operations, cut) => {
        const { store, context } = await openKeyValueStore(mode);
        const oracle = new Map<string, number>();
        for (const operation of operations) stepKeyValue(store, oracle, operation);
        store.flush();
        const changes = context.changes.map((change) => ({ key: change.key, value: change.value }));
        expectChangelogValues(store, context.changes, () => true);
        // The last commit's end: the tail past it was sent, its offsets never committed.
        const end = changes.length === 0 ? 0 : cut % (changes.length + 1);
        const { store: atEnd } = await openKeyValueStore(mode);
        atEnd.restore?.(changes.slice(0, end));
        const tailKeys = new Map(changes.slice(end).map((change) => [change.key.toString('latin1'), change.key]));
        const compensation = [...tailKeys.values()].map((key) => ({ key, value: (atEnd as unknown as ChangelogReadable).changelogValue(key)?.value ?? null }));
        const { store: later } = await openKeyValueStore(mode);
        later.restore?.([...changes, ...compensation]);
        expect(entries(later.all())).toEqual(entries(atEnd.all()));
        store.close();
        atEnd.close();
        later.close();
      }),
      runs,
    );
  });

  it('reports whether it can send flush events (only a caching store can)', async () => {
    const { store } = await openKeyValueStore(mode);
    expect(typeof store.setFlushListener, 'the store exposes setFlushListener').toBe('function');
    expect(store.setFlushListener?.(() => {}, true)).toBe(mode.caching);
    store.close();
  });
});

/**
 * At a caching store's flush, each dirty key is logged once. A key whose value is absent both now
 * and at the last flush (a delete of a missing key) may be logged as a tombstone or skipped.
 */
function expectOneChangePerDirtyKey(
  logged: readonly LoggedChange[],
  dirty: ReadonlySet<string>,
  flushed: ReadonlyMap<string, number>,
  oracle: ReadonlyMap<string, number>,
): void {
  const loggedKeys = logged.map((change) => change.key.toString('utf8')).sort(compareKeyBytes);
  expect(new Set(loggedKeys).size, `a key logged twice in one flush: ${JSON.stringify(loggedKeys)}`).toBe(loggedKeys.length);
  const required = [...dirty].filter((key) => oracle.has(key) || flushed.has(key)).sort(compareKeyBytes);
  const optional = new Set([...dirty].filter((key) => !oracle.has(key) && !flushed.has(key)));
  expect(loggedKeys.filter((key) => !optional.has(key)), 'keys logged at flush').toEqual(required);
  for (const change of logged) {
    const key = change.key.toString('utf8');
    const value = oracle.get(key);
    expect(change.value === null ? null : Serdes.Int32().deserialize('changelog', change.value, new Headers()), `logged value of ${JSON.stringify(key)}`).toBe(
      value ?? null,
    );
  }
}

interface FlushEvent {
  readonly key: string;
  readonly newValue: number | null;
  readonly oldValue: number | null;
}

function sortEvents(events: FlushEvent[]): FlushEvent[] {
  return [...events].sort((left, right) => compareKeyBytes(left.key, right.key));
}

describe('KeyValueStore flush listener (caching enabled)', () => {
  it('sends, at each flush, one event per key written since the last flush, with its new value and (if asked) its value at the last flush', async () => {
    await fc.assert(
      fc.asyncProperty(keyValueOperations, fc.boolean(), async (operations, sendOldValues) => {
        const { store } = await openKeyValueStore(cachingModes[0]!);
        const events: FlushEvent[] = [];
        const accepted = store.setFlushListener?.((key, newValue, oldValue) => events.push({ key, newValue, oldValue }), sendOldValues);
        expect(accepted).toBe(true);

        const oracle = new Map<string, number>();
        let dirty = new Set<string>();
        let flushed = new Map<string, number>();
        const flushAndCheck = (describeStep: string): void => {
          // Kafka forwards nothing for a key absent both before and after (a delete of a missing key).
          const expected = [...dirty]
            .filter((key) => oracle.has(key) || flushed.has(key))
            .map((key) => ({ key, newValue: oracle.get(key) ?? null, oldValue: sendOldValues ? (flushed.get(key) ?? null) : null }));
          expect(sortEvents(events.splice(0)), describeStep).toEqual(sortEvents(expected));
          dirty = new Set();
          flushed = new Map(oracle);
        };

        operations.forEach((operation, index) => {
          for (const key of stepKeyValue(store, oracle, operation)) dirty.add(key);
          if (operation.kind === 'flush') flushAndCheck(`events at flush (operation ${index})`);
          else expect(events, `events before flush, at operation ${index} (${JSON.stringify(operation)})`).toEqual([]);
        });
        store.flush();
        flushAndCheck('events at the final flush');
        store.close();
      }),
      runs,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Window stores
// ---------------------------------------------------------------------------------------------

const windowSizeMs = 10;
const windowRetentionMs = 100;

/**
 * The expiry rule of window-store.ts and `WindowBytesBackend`: the observed time is the latest
 * window start written (by a value or a tombstone), and a window is expired once
 * `windowStart <= observedTime - retentionMs`, as in Kafka's `InMemoryWindowStore`.
 */
function windowExpired(windowStart: number, observedTime: number): boolean {
  return windowStart <= observedTime - windowRetentionMs;
}

type WindowOperation =
  | { readonly kind: 'put'; readonly key: string; readonly value: number | null; readonly windowStart: number }
  | { readonly kind: 'fetch'; readonly key: string; readonly windowStart: number }
  | { readonly kind: 'fetchRange'; readonly key: string; readonly timeFrom: number; readonly timeTo: number }
  | { readonly kind: 'fetchAll'; readonly timeFrom: number; readonly timeTo: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'flush' };

const windowKeyArbitrary = fc.constantFrom('a', 'b', '\uffff', '\u{1f600}');
/** Multiples of 5 up to 300, so starts repeat and land exactly on the retention boundary. */
const windowStartArbitrary = fc.integer({ min: 0, max: 60 }).map((step) => step * 5);
const timeBoundArbitrary = fc.integer({ min: -20, max: 320 });

const windowOperation: fc.Arbitrary<WindowOperation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('put' as const), key: windowKeyArbitrary, value: fc.option(valueArbitrary, { freq: 6 }), windowStart: windowStartArbitrary }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fetch' as const), key: windowKeyArbitrary, windowStart: windowStartArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fetchRange' as const), key: windowKeyArbitrary, timeFrom: timeBoundArbitrary, timeTo: timeBoundArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fetchAll' as const), timeFrom: timeBoundArbitrary, timeTo: timeBoundArbitrary }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

/** The window oracle: values by (key, window start), the latest start written, and drops. */
class WindowOracle {
  readonly windows = new Map<string, { key: string; windowStart: number; value: number }>();
  observedTime = Number.NEGATIVE_INFINITY;
  dropped = 0;

  put(key: string, value: number | null, windowStart: number): void {
    this.observedTime = Math.max(this.observedTime, windowStart);
    if (windowExpired(windowStart, this.observedTime)) {
      this.dropped += 1;
      return;
    }
    const id = JSON.stringify([key, windowStart]);
    if (value === null) this.windows.delete(id);
    else this.windows.set(id, { key, windowStart, value });
  }

  fetch(key: string, windowStart: number): number | undefined {
    if (windowExpired(windowStart, this.observedTime)) return undefined;
    return this.windows.get(JSON.stringify([key, windowStart]))?.value;
  }

  /** Live windows with `timeFrom <= start <= timeTo`, by start then key bytes, as [key, start, end, value]. */
  live(timeFrom: number, timeTo: number): Array<[string, number, number, number]> {
    return [...this.windows.values()]
      .filter((window) => !windowExpired(window.windowStart, this.observedTime) && window.windowStart >= timeFrom && window.windowStart <= timeTo)
      .sort((left, right) => left.windowStart - right.windowStart || compareKeyBytes(left.key, right.key))
      .map((window) => [window.key, window.windowStart, window.windowStart + windowSizeMs, window.value]);
  }
}

function windowedEntries(iterator: Iterable<KeyValue<Windowed<string>, number>>): Array<[string, number, number, number]> {
  return [...iterator].map((entry) => [entry.key.key, entry.key.window.start, entry.key.window.end, entry.value]);
}

function openWindowStore(mode: CachingMode): Promise<{ store: WindowStore<string, number>; context: RecordingContext }> {
  const supplier = storeSuppliers().windowStore('window-store', windowRetentionMs, windowSizeMs, false);
  const builder = withCaching(Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.Int32()), mode).withLoggingEnabled({});
  return open(supplier, builder.build() as WindowStore<string, number>);
}

describe.each(cachingModes)('WindowStore<string, number> ($label)', (mode) => {
  it('answers fetches as a map of (key, window start) does, forgetting windows past retention', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(windowOperation, { maxLength: maxOperations }), async (operations) => {
        const { store, context } = await openWindowStore(mode);
        expect(store.windowSizeMs).toBe(windowSizeMs);
        expect(store.retentionMs).toBe(windowRetentionMs);
        const oracle = new WindowOracle();
        operations.forEach((operation, index) => {
          const step = `operation ${index}: ${JSON.stringify(operation)} (observed time ${oracle.observedTime})`;
          switch (operation.kind) {
            case 'put':
              store.put(operation.key, operation.value, operation.windowStart);
              oracle.put(operation.key, operation.value, operation.windowStart);
              break;
            case 'fetch':
              expect(store.fetch(operation.key, operation.windowStart), step).toBe(oracle.fetch(operation.key, operation.windowStart));
              break;
            case 'fetchRange':
              expect(entries(store.fetchRange(operation.key, operation.timeFrom, operation.timeTo)), step).toEqual(
                oracle
                  .live(operation.timeFrom, operation.timeTo)
                  .filter(([key]) => key === operation.key)
                  .map(([, windowStart, , value]) => [windowStart, value]),
              );
              break;
            case 'fetchAll':
              expect(windowedEntries(store.fetchAll(operation.timeFrom, operation.timeTo)), step).toEqual(oracle.live(operation.timeFrom, operation.timeTo));
              break;
            case 'all':
              expect(windowedEntries(store.all()), step).toEqual(oracle.live(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY));
              break;
            case 'flush':
              store.flush();
              break;
          }
        });
        store.flush();
        expect(windowedEntries(store.all()), 'all() after the final flush').toEqual(oracle.live(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY));
        // Expiry is checked at put, before any cache, so every refused write is counted once.
        expect(context.dropped, 'recordDropped calls').toBe(oracle.dropped);
        store.close();
      }),
      runs,
    );
  });

  it('writes a changelog that, replayed into a fresh store, rebuilds the same windows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(windowOperation, { maxLength: maxOperations }), async (operations) => {
        const { store, context } = await openWindowStore(mode);
        for (const operation of operations) {
          if (operation.kind === 'put') store.put(operation.key, operation.value, operation.windowStart);
          else if (operation.kind === 'flush') store.flush();
        }
        store.flush();
        const { store: restored } = await openWindowStore(mode);
        (restored as Partial<Restorable>).restore?.(context.changes.map((change) => ({ key: change.key, value: change.value })));
        expect(windowedEntries(restored.all())).toEqual(windowedEntries(store.all()));
        // A window changelog key ends with the window start (8 bytes) and a seqnum (4).
        const startOf = (key: Buffer): number => key.readInt32BE(key.length - 12) * 4294967296 + key.readUInt32BE(key.length - 8);
        const observed = Math.max(Number.NEGATIVE_INFINITY, ...context.changes.map((change) => startOf(change.key)));
        for (const readable of [store, restored]) expectChangelogValues(readable, context.changes, (key) => !windowExpired(startOf(key), observed));
        store.close();
        restored.close();
      }),
      runs,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Session stores
// ---------------------------------------------------------------------------------------------

const sessionRetentionMs = 60;

/**
 * The expiry rule of session-store.ts and `SessionBytesBackend`: sessions are kept for the
 * retention period after their end, against the observed time (the latest session end written,
 * removals included); a session is expired once `end <= observedTime - retentionMs`, as in Kafka.
 */
function sessionExpired(sessionEnd: number, observedTime: number): boolean {
  return sessionEnd <= observedTime - sessionRetentionMs;
}

/**
 * "Oldest first" in session-store.ts; Kafka's session stores iterate one key's sessions by end
 * time, then start time.
 */
function compareSessions(left: SessionEntry, right: SessionEntry): number {
  return left.end - right.end || left.start - right.start;
}

interface SessionEntry {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

type SessionOperation =
  | { readonly kind: 'put'; readonly key: string; readonly start: number; readonly length: number; readonly value: number | null }
  | { readonly kind: 'remove'; readonly key: string; readonly start: number; readonly length: number }
  | { readonly kind: 'findSessions'; readonly key: string; readonly earliestEnd: number; readonly latestStart: number }
  | { readonly kind: 'fetch'; readonly key: string }
  | { readonly kind: 'fetchSession'; readonly key: string; readonly start: number; readonly length: number }
  | { readonly kind: 'flush' };

const sessionKeys = ['a', 'b', '\u{1f600}'];
const sessionKeyArbitrary = fc.constantFrom(...sessionKeys);
const sessionStartArbitrary = fc.integer({ min: 0, max: 20 }).map((step) => step * 5);
const sessionLengthArbitrary = fc.constantFrom(0, 0, 5, 10, 15);
const sessionBoundArbitrary = fc.integer({ min: -10, max: 130 });

const sessionOperation: fc.Arbitrary<SessionOperation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      key: sessionKeyArbitrary,
      start: sessionStartArbitrary,
      length: sessionLengthArbitrary,
      value: fc.option(valueArbitrary, { freq: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: sessionKeyArbitrary, start: sessionStartArbitrary, length: sessionLengthArbitrary }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('findSessions' as const), key: sessionKeyArbitrary, earliestEnd: sessionBoundArbitrary, latestStart: sessionBoundArbitrary }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fetch' as const), key: sessionKeyArbitrary }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('fetchSession' as const), key: sessionKeyArbitrary, start: sessionStartArbitrary, length: sessionLengthArbitrary }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

class SessionOracle {
  readonly sessions = new Map<string, SessionEntry>();
  observedTime = Number.NEGATIVE_INFINITY;
  dropped = 0;

  /**
   * `cached`: a cache takes a put of an expired session (as Kafka's caching layer does, so the
   * flush still logs and reports it) without counting a drop. And as in Kafka's caching session
   * store, reads see every session written through the cache, expired or not, until it is removed
   * or evicted: without eviction (`evicting` false) an expired session stays visible; with it, it
   * may or may not be (see {@link expectSessions}).
   */
  constructor(
    private readonly cached: boolean,
    readonly evicting = false,
  ) {}

  put(key: string, start: number, end: number, value: number | null): void {
    if (value === null) {
      this.remove(key, start, end);
      return;
    }
    this.observedTime = Math.max(this.observedTime, end);
    if (sessionExpired(end, this.observedTime) && !this.cached) {
      this.dropped += 1;
      return;
    }
    this.sessions.set(JSON.stringify([key, start, end]), { key, start, end, value });
  }

  /**
   * As in Kafka's `InMemorySessionStore`, a removal (a put of null) advances the observed time:
   * a cached store may log a session's removal without the put that first reached that time.
   */
  remove(key: string, start: number, end: number): void {
    this.observedTime = Math.max(this.observedTime, end);
    this.sessions.delete(JSON.stringify([key, start, end]));
  }

  /** The sessions a look-up may return: those not expired, then (cached) the expired ones. */
  find(key: string, earliestEnd: number, latestStart: number): Array<[string, number, number, number]> {
    return [...this.sessions.values()]
      .filter((session) => session.key === key && (this.cached || !sessionExpired(session.end, this.observedTime)) && session.end >= earliestEnd && session.start <= latestStart)
      .sort(compareSessions)
      .map((session) => [session.key, session.start, session.end, session.value]);
  }

  /** Checks a look-up's result against {@link find}: exactly, or, when the cache evicts, expired sessions may be missing. */
  expectSessions(actual: Array<[string, number, number, number]>, expected: Array<[string, number, number, number]>, message: string): void {
    if (!this.evicting) {
      expect(actual, message).toEqual(expected);
      return;
    }
    const live = (sessions: Array<[string, number, number, number]>) => sessions.filter((entry) => !sessionExpired(entry[2], this.observedTime));
    expect(live(actual), message).toEqual(live(expected));
    for (const entry of actual) expect(expected, message).toContainEqual(entry);
  }

  /** What `fetchSession` returns; `undefined` too is right for a session that expired when the cache evicts. */
  fetchSession(key: string, start: number, end: number): number | undefined {
    const session = this.sessions.get(JSON.stringify([key, start, end]));
    return session === undefined || (!this.cached && sessionExpired(session.end, this.observedTime)) ? undefined : session.value;
  }
}

function openSessionStore(mode: CachingMode): Promise<{ store: SessionStore<string, number>; context: RecordingContext }> {
  const supplier = storeSuppliers().sessionStore('session-store', sessionRetentionMs);
  const builder = withCaching(Stores.sessionStoreBuilder(supplier, Serdes.String(), Serdes.Int32()), mode).withLoggingEnabled({});
  return open(supplier, builder.build() as SessionStore<string, number>);
}

describe.each(cachingModes)('SessionStore<string, number> ($label)', (mode) => {
  it('finds the sessions a filter over every stored session finds, oldest first', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sessionOperation, { maxLength: maxOperations }), async (operations) => {
        const { store, context } = await openSessionStore(mode);
        expect(store.retentionMs).toBe(sessionRetentionMs);
        const oracle = new SessionOracle(mode.caching, mode.maxBytes !== undefined);
        operations.forEach((operation, index) => {
          const step = `operation ${index}: ${JSON.stringify(operation)} (observed time ${oracle.observedTime})`;
          switch (operation.kind) {
            case 'put': {
              const end = operation.start + operation.length;
              store.put(windowed(operation.key, operation.start, end), operation.value);
              oracle.put(operation.key, operation.start, end, operation.value);
              break;
            }
            case 'remove': {
              const end = operation.start + operation.length;
              store.remove(windowed(operation.key, operation.start, end));
              oracle.remove(operation.key, operation.start, end);
              break;
            }
            case 'findSessions':
              oracle.expectSessions(windowedEntries(store.findSessions(operation.key, operation.earliestEnd, operation.latestStart)), oracle.find(operation.key, operation.earliestEnd, operation.latestStart), step);
              break;
            case 'fetch':
              oracle.expectSessions(windowedEntries(store.fetch(operation.key)), oracle.find(operation.key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY), step);
              break;
            case 'fetchSession': {
              const end = operation.start + operation.length;
              const found = store.fetchSession(operation.key, operation.start, end);
              const expected = oracle.fetchSession(operation.key, operation.start, end);
              if (oracle.evicting && found === undefined && sessionExpired(end, oracle.observedTime)) break;
              expect(found, step).toBe(expected);
              break;
            }
            case 'flush':
              store.flush();
              break;
          }
        });
        store.flush();
        for (const key of sessionKeys) {
          oracle.expectSessions(windowedEntries(store.fetch(key)), oracle.find(key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY), `fetch(${JSON.stringify(key)}) after the final flush`);
        }
        expect(context.dropped, 'recordDropped calls').toBe(oracle.dropped);
        store.close();
      }),
      runs,
    );
  });

  it('writes a changelog that, replayed into a fresh store, rebuilds the same sessions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sessionOperation, { maxLength: maxOperations }), async (operations) => {
        const { store, context } = await openSessionStore(mode);
        for (const operation of operations) {
          const session = 'length' in operation ? windowed(operation.key, operation.start, operation.start + operation.length) : undefined;
          if (operation.kind === 'put') store.put(session!, operation.value);
          else if (operation.kind === 'remove') store.remove(session!);
          else if (operation.kind === 'flush') store.flush();
        }
        store.flush();
        const { store: restored } = await openSessionStore(mode);
        (restored as Partial<Restorable>).restore?.(context.changes.map((change) => ({ key: change.key, value: change.value })));
        // A session changelog key ends with the session's end and start (8 bytes each).
        const endOf = (key: Buffer): number => key.readInt32BE(key.length - 16) * 4294967296 + key.readUInt32BE(key.length - 12);
        const observed = Math.max(Number.NEGATIVE_INFINITY, ...context.changes.map((change) => endOf(change.key)));
        // The sessions not expired: a cache may still show expired ones it holds (as Kafka's does),
        // which a restored store, its cache empty, does not.
        const live = (sessions: Array<[string, number, number, number]>) => sessions.filter((entry) => !sessionExpired(entry[2], observed));
        for (const key of sessionKeys) expect(live(windowedEntries(restored.fetch(key))), `fetch(${JSON.stringify(key)})`).toEqual(live(windowedEntries(store.fetch(key))));
        for (const readable of [store, restored]) expectChangelogValues(readable, context.changes, (key) => !sessionExpired(endOf(key), observed));
        store.close();
        restored.close();
      }),
      runs,
    );
  });
});
