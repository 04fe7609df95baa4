/**
 * Memory bounded by configuration: a LevelDB store keeps at most `indexMaxEntries` entries in its
 * in-memory index, and past that serves point reads and per-key window and session fetches from
 * LevelDB alone (checked against the in-memory stores as an oracle, across expiry, reopen and
 * restore), while what needs the index (`range`, `all`, `fetchAll`) says so with a clear error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, Serdes, silentLogger, Stores, windowed } from '@tributary/streams';
import type { KeyValueStore, SessionStore, StateStoreContext, WindowStore } from '@tributary/streams';
import { DEFAULT_LEVEL_INDEX_MAX_ENTRIES, LevelStores, StoreIndexFullError, type LevelKeyValueStoreSupplier } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'tributary-level-bounded-'));
afterAll(async () => {
  await LevelStores.closed();
  rmSync(root, { recursive: true, force: true });
});

let nextDir = 0;
function freshStateDir(): string {
  return mkdtempSync(join(root, `state-${nextDir++}-`));
}

function contextFor(stateDir: string | undefined): StateStoreContext {
  return {
    applicationId: 'bounded-app',
    taskId: { subtopology: 0, partition: 0 },
    appConfigs: {},
    stateDir,
    logger: silentLogger,
    currentStreamTimeMs: () => 0,
    changelogTopic: (name) => `bounded-app-${name}-changelog`,
    logChange: () => {},
    recordDropped: () => {},
  };
}

async function openKeyValue(stateDir: string, indexMaxEntries: number) {
  const supplier = LevelStores.persistentKeyValueStore('ids', { indexMaxEntries, syncOnCommit: false });
  const context = contextFor(stateDir);
  const handle = await supplier.prepare(context);
  const store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as KeyValueStore<string, number>;
  store.init(context);
  return { store, handle };
}

async function close(store: { close(): void }): Promise<void> {
  store.close();
  await LevelStores.closed();
}

function indexFull(action: () => unknown): StoreIndexFullError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreIndexFullError);
    return error as StoreIndexFullError;
  }
  throw new Error('expected a StoreIndexFullError');
}

describe('LevelDB key-value store past indexMaxEntries', () => {
  it('answers gets from LevelDB, refuses ranges with the fix, and keeps doing so after reopen', async () => {
    const stateDir = freshStateDir();
    const first = await openKeyValue(stateDir, 5);
    for (let id = 0; id < 20; id++) first.store.put(`id-${id}`, id);
    first.store.delete('id-3');
    first.store.flush();
    first.store.put('id-4', null);
    const expected = (id: number) => (id === 3 || id === 4 || id >= 20 ? undefined : id);
    for (let id = 0; id < 25; id++) expect(first.store.get(`id-${id}`)).toBe(expected(id));
    const error = indexFull(() => [...first.store.range('id-0', 'id-9')]);
    expect(error.code).toBe('LEVEL_STORE_INDEX_FULL');
    expect(error.message).toMatch(/range\(\).*grew past 5 entries \('indexMaxEntries'\).*raise its 'indexMaxEntries'/);
    expect(indexFull(() => [...first.store.all()]).message).toMatch(/^all\(\)/);
    first.store.flush();
    await first.handle.writeCheckpoint(1);
    await close(first.store);

    const second = await openKeyValue(stateDir, 5);
    expect(second.handle.wiped).toBe(false);
    for (let id = 0; id < 25; id++) expect(second.store.get(`id-${id}`)).toBe(expected(id));
    indexFull(() => [...second.store.range('id-0', 'id-9')]);
    await second.handle.writeCheckpoint(2);
    await close(second.store);

    // Reopened with room for every key, the index is whole again.
    const third = await openKeyValue(stateDir, 100);
    expect([...third.store.range('id-10', 'id-12')].map((entry) => [entry.key, entry.value])).toEqual([
      ['id-10', 10],
      ['id-11', 11],
      ['id-12', 12],
    ]);
    expect(third.store.approximateNumEntries()).toBe(18);
    await close(third.store);
  });

  it('restores more records than the bound without an index, tombstones included', async () => {
    const stateDir = freshStateDir();
    const supplier = LevelStores.persistentKeyValueStore('ids', { indexMaxEntries: 10, syncOnCommit: false });
    const context = contextFor(stateDir);
    const handle = await supplier.prepare(context);
    async function* changelog() {
      for (let id = 0; id < 1_000; id++) yield { key: Buffer.from(`id-${id}`), value: Serdes.Int32().serialize('t', id, undefined as never) };
      for (let id = 0; id < 1_000; id += 2) yield { key: Buffer.from(`id-${id}`), value: null };
    }
    expect(await handle.restore(changelog(), { batchSize: 64 })).toBe(1_500);
    const store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as KeyValueStore<string, number>;
    store.init(context);
    for (let id = 0; id < 1_000; id++) expect(store.get(`id-${id}`)).toBe(id % 2 === 0 ? undefined : id);
    indexFull(() => [...store.range(undefined, undefined)]);
    await close(store);
  });

  it('keeps the whole index of the stores the DSL scans in key order, unless told otherwise', () => {
    const suppliers = LevelStores.dslStoreSuppliers();
    expect((suppliers.keyValueStore('subscriptions', { orderedScans: true }) as LevelKeyValueStoreSupplier).options.indexMaxEntries).toBe(Number.POSITIVE_INFINITY);
    expect((suppliers.keyValueStore('counts') as LevelKeyValueStoreSupplier).options.indexMaxEntries).toBe(DEFAULT_LEVEL_INDEX_MAX_ENTRIES);
    const bounded = LevelStores.dslStoreSuppliers({ indexMaxEntries: 10 });
    expect((bounded.keyValueStore('subscriptions', { orderedScans: true }) as LevelKeyValueStoreSupplier).options.indexMaxEntries).toBe(10);
  });

  it('rejects an indexMaxEntries that is not a count, naming the option', () => {
    expect(() => LevelStores.persistentKeyValueStore('ids', { indexMaxEntries: -1 })).toThrow(ConfigError);
    expect(() => LevelStores.persistentKeyValueStore('ids', { indexMaxEntries: 1.5 })).toThrow(/'indexMaxEntries' of store 'ids'/);
    expect(LevelStores.persistentKeyValueStore('ids', { indexMaxEntries: Number.POSITIVE_INFINITY }).options.indexMaxEntries).toBe(Number.POSITIVE_INFINITY);
  });
});

/** One step of the window and session oracle test. */
type Step =
  | { readonly kind: 'put'; readonly key: string; readonly time: number; readonly value: number | null }
  | { readonly kind: 'fetch'; readonly key: string; readonly from: number; readonly to: number }
  | { readonly kind: 'reopen'; readonly indexMaxEntries: number };

const keyArbitrary = fc.constantFrom('a', 'b', 'ab', 'c');
/** Times up to 400 ms, often at the edges of the 50 ms segments (a retention of 100 ms). */
const timeArbitrary = fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 8 }).chain((segment) => fc.constantFrom(segment * 50 - 1, segment * 50)));
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArbitrary, time: timeArbitrary, value: fc.option(fc.integer({ min: 0, max: 99 }), { freq: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fetch' as const), key: keyArbitrary, from: fc.integer({ min: -50, max: 450 }), to: fc.integer({ min: -50, max: 450 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), indexMaxEntries: fc.constantFrom(0, 6, Number.POSITIVE_INFINITY) }) },
);

describe('LevelDB window and session stores without an index', () => {
  it('fetch per key exactly as the in-memory stores do, across expiry and reopen, with no index, one dropped midway, one that always fits, or a bound changed at reopen', async () => {
    const retentionMs = 100;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.constantFrom(0, 6, Number.POSITIVE_INFINITY), fc.array(stepArbitrary, { maxLength: 60 }), async (duplicates, indexMaxEntries, steps) => {
        const stateDir = freshStateDir();
        const context = contextFor(stateDir);
        // Each reopen may change the bound: a store that kept its index may now be too large for it.
        const open = async (bound: number) => {
          const levelWindows = LevelStores.persistentWindowStore('windows', retentionMs, 10, duplicates, { indexMaxEntries: bound, syncOnCommit: false });
          const levelSessions = LevelStores.persistentSessionStore('sessions', retentionMs, { indexMaxEntries: bound, syncOnCommit: false });
          const windowHandle = await levelWindows.prepare(context);
          const sessionHandle = await levelSessions.prepare(context);
          const windows = Stores.windowStoreBuilder(levelWindows, Serdes.String(), Serdes.Int32()).build() as WindowStore<string, number>;
          const sessions = Stores.sessionStoreBuilder(levelSessions, Serdes.String(), Serdes.Int32()).build() as SessionStore<string, number>;
          windows.init(context);
          sessions.init(context);
          return { windows, sessions, handles: [windowHandle, sessionHandle] };
        };
        const memoryWindows = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('windows', retentionMs, 10, duplicates), Serdes.String(), Serdes.Int32()).build() as WindowStore<string, number>;
        const memorySessions = Stores.sessionStoreBuilder(Stores.inMemorySessionStore('sessions', retentionMs), Serdes.String(), Serdes.Int32()).build() as SessionStore<string, number>;
        memoryWindows.init(contextFor(undefined));
        memorySessions.init(contextFor(undefined));
        let level = await open(indexMaxEntries);
        let checkpoint = 0;
        try {
          for (const step of steps) {
            if (step.kind === 'put') {
              // A null put to a store of duplicates deletes nothing, yet advances the typed
              // store's observed time (not the backend's), which a reopen forgets: left out here.
              if (!(duplicates && step.value === null)) {
                level.windows.put(step.key, step.value, step.time);
                memoryWindows.put(step.key, step.value, step.time);
              }
              // A session [time, time + 5]; a null removes it.
              const session = windowed(step.key, step.time, step.time + 5);
              level.sessions.put(session, step.value);
              memorySessions.put(session, step.value);
            } else if (step.kind === 'fetch') {
              expect([...level.windows.fetchRange(step.key, step.from, step.to)]).toEqual([...memoryWindows.fetchRange(step.key, step.from, step.to)]);
              expect(level.windows.fetch(step.key, step.from)).toEqual(memoryWindows.fetch(step.key, step.from));
              expect([...level.sessions.findSessions(step.key, step.from, step.to)]).toEqual([...memorySessions.findSessions(step.key, step.from, step.to)]);
              expect(level.sessions.fetchSession(step.key, step.from, step.from + 5)).toEqual(memorySessions.fetchSession(step.key, step.from, step.from + 5));
            } else {
              level.windows.flush();
              level.sessions.flush();
              checkpoint++;
              for (const handle of level.handles) await handle.writeCheckpoint(checkpoint);
              level.windows.close();
              level.sessions.close();
              await LevelStores.closed();
              level = await open(step.indexMaxEntries);
              for (const handle of level.handles) expect(handle.wiped).toBe(false);
            }
          }
          for (const key of ['a', 'b', 'ab', 'c']) {
            expect([...level.windows.fetchRange(key, -1_000, 1_000)]).toEqual([...memoryWindows.fetchRange(key, -1_000, 1_000)]);
            expect([...level.sessions.fetch(key)]).toEqual([...memorySessions.fetch(key)]);
          }
        } finally {
          level.windows.close();
          level.sessions.close();
          await LevelStores.closed();
          rmSync(stateDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('read no LevelDB for a key a segment never held once the index is dropped, and still find every key written', async () => {
    const stateDir = freshStateDir();
    const context = contextFor(stateDir);
    // Retention 10 s: segments of 5 s, so a fetch over the whole range touches three of them.
    const open = async (indexMaxEntries: number) => {
      const supplier = LevelStores.persistentWindowStore('ids', 10_000, 1, false, { indexMaxEntries, syncOnCommit: false });
      const handle = await supplier.prepare(context);
      const store = Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as WindowStore<string, number>;
      store.init(context);
      return { store, handle };
    };
    const getSync = vi.spyOn(ClassicLevel.prototype, 'getSync');
    try {
      // Dropped midway (at 100 entries), so the filters start from the index.
      const first = await open(100);
      for (let index = 0; index < 2_000; index++) first.store.put(`seen-${index}`, index, index * 5);
      first.store.flush();
      await first.handle.writeCheckpoint(1);
      getSync.mockClear();
      for (let index = 0; index < 2_000; index++) {
        expect([...first.store.fetchRange(`new-${index}`, 0, 10_000)]).toEqual([]);
        expect(first.store.fetch(`new-${index}`, index * 5)).toBeUndefined();
      }
      // Without the filters: three directory reads per fetchRange and one value read per fetch.
      expect(getSync.mock.calls.length).toBeLessThan(400);
      getSync.mockClear();
      for (let index = 2_000; index < 3_000; index++) first.store.put(`seen-${index}`, index, index * 5);
      // A new key's directory is not read (one read per put without the filters).
      expect(getSync.mock.calls.length).toBeLessThan(100);
      // Live: newer than the observed time (2,999 × 5) less the retention.
      const liveIn = (time: number, observed: number) => time > observed - 10_000;
      for (let index = 0; index < 3_000; index += 7) {
        expect([...first.store.fetchRange(`seen-${index}`, 0, 20_000)]).toEqual(liveIn(index * 5, 14_995) ? [{ key: index * 5, value: index }] : []);
      }
      first.store.flush();
      await first.handle.writeCheckpoint(2);
      await close(first.store);

      // Reopened too large for its index: segments up to the observed time's are read as before,
      // later ones are filtered from their first write.
      const second = await open(10);
      for (let index = 3_000; index < 5_000; index++) second.store.put(`seen-${index}`, index, index * 5);
      for (let index = 0; index < 5_000; index += 7) {
        expect([...second.store.fetchRange(`seen-${index}`, 0, 30_000)]).toEqual(liveIn(index * 5, 24_995) ? [{ key: index * 5, value: index }] : []);
      }
      second.store.flush();
      await second.handle.writeCheckpoint(3);
      getSync.mockClear();
      for (let index = 0; index < 1_000; index++) expect([...second.store.fetchRange(`new-${index}`, 15_000, 30_000)]).toEqual([]);
      expect(getSync.mock.calls.length).toBeLessThan(100);
      await close(second.store);
    } finally {
      getSync.mockRestore();
    }
  });

  it('refuse fetchAll once the index is dropped, and serve it again when reopened with room', async () => {
    const stateDir = freshStateDir();
    const open = async (indexMaxEntries: number) => {
      const supplier = LevelStores.persistentWindowStore('windows', 1_000, 10, false, { indexMaxEntries, syncOnCommit: false });
      const context = contextFor(stateDir);
      const handle = await supplier.prepare(context);
      const store = Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as WindowStore<string, number>;
      store.init(context);
      return { store, handle };
    };
    const first = await open(3);
    for (let start = 0; start < 50; start += 10) first.store.put('k', start, start);
    expect(first.store.fetch('k', 40)).toBe(40);
    expect(indexFull(() => [...first.store.fetchAll(0, 100)]).message).toMatch(/^fetchAll\(\).*'indexMaxEntries'/);
    first.store.flush();
    await first.handle.writeCheckpoint(1);
    await close(first.store);
    const second = await open(10);
    expect([...second.store.fetchAll(0, 100)].map((entry) => entry.value)).toEqual([0, 10, 20, 30, 40]);
    await close(second.store);
  });

  it('rebuilds a store written in the previous layout (no directories) from its changelog instead of misreading it', async () => {
    const stateDir = freshStateDir();
    const supplier = LevelStores.persistentWindowStore('windows', 1_000, 10, false, { syncOnCommit: false });
    const context = contextFor(stateDir);
    const handle = await supplier.prepare(context);
    const store = Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as WindowStore<string, number>;
    store.init(context);
    store.put('k', 1, 0);
    store.flush();
    await handle.writeCheckpoint(1);
    await close(store);
    // What version 1 of the window layout left on disk: the same checkpoint, another format.
    const db = new ClassicLevel<Buffer, Buffer>(supplier.storePath(context), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.put(Buffer.from('\u0000format', 'latin1'), Buffer.from('window:1', 'latin1'));
    await db.close();
    const reopened = await supplier.prepare(context);
    expect(reopened.wiped).toBe(true);
    expect(reopened.checkpointOffset()).toBeUndefined();
    await reopened.close();
  });
});
