#!/usr/bin/env node
/**
 * State store throughput, in-memory against LevelDB (`@tributary/level`), through the store layers
 * the DSL uses (String keys, 100-byte values): puts/s (put every key, flush, and for
 * LevelDB await the batch), cached gets/s (a caching store whose cache holds every key), uncached
 * gets/s (no cache: a Map lookup, or LevelDB `getSync`), window fetches/s (`fetchRange` of one
 * key over ten windows) and restore records/s (changelog records in bulk). Prints a table and one
 * JSON line.
 *
 * Usage: pnpm --filter @tributary/benchmarks run bench:stores [-- --keys N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Headers, Serdes, silentLogger, Stores } from '@tributary/streams';
import type { KeyValueBytesStoreSupplier, KeyValueStore, StateStoreContext, WindowBytesStoreSupplier, WindowStore } from '@tributary/streams';
import { LevelStores, type PersistentStoreHandle } from '@tributary/level';

const keysArgument = process.argv.indexOf('--keys');
const keyCount = keysArgument > 0 ? Number(process.argv[keysArgument + 1]) : 200_000;
const windowKeys = 2_000;
const windowsPerKey = 50;
const stateDir = mkdtempSync(join(tmpdir(), 'tributary-bench-stores-'));
let partition = 0;

function context(): StateStoreContext {
  return {
    applicationId: 'bench',
    taskId: { subtopology: 0, partition: partition++ },
    appConfigs: {},
    stateDir,
    logger: silentLogger,
    currentStreamTimeMs: () => 0,
    changelogTopic: (name) => `bench-${name}-changelog`,
    logChange: () => {},
    recordDropped: () => {},
  };
}

type Kind = 'in-memory' | 'leveldb';

interface Opened<S> {
  readonly store: S;
  readonly handle: PersistentStoreHandle | undefined;
}

async function openKeyValue(kind: Kind, caching: boolean): Promise<Opened<KeyValueStore<string, string>>> {
  const supplier: KeyValueBytesStoreSupplier = kind === 'leveldb' ? LevelStores.persistentKeyValueStore('kv') : Stores.inMemoryKeyValueStore('kv');
  const storeContext = context();
  const handle = LevelStores.isPersistent(supplier) ? await supplier.prepare(storeContext) : undefined;
  const builder = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.String()).withLoggingDisabled();
  const store = (caching ? builder.withCachingEnabled({ maxBytes: 512 * 1024 * 1024 }) : builder.withCachingDisabled()).build() as KeyValueStore<string, string>;
  store.init(storeContext);
  return { store, handle };
}

async function openWindow(kind: Kind): Promise<Opened<WindowStore<string, string>>> {
  const retention = 24 * 60 * 60 * 1000;
  const supplier: WindowBytesStoreSupplier = kind === 'leveldb' ? LevelStores.persistentWindowStore('windows', retention, 60_000, false) : Stores.inMemoryWindowStore('windows', retention, 60_000, false);
  const storeContext = context();
  const handle = LevelStores.isPersistent(supplier) ? await supplier.prepare(storeContext) : undefined;
  const store = Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.String()).withLoggingDisabled().withCachingDisabled().build() as WindowStore<string, string>;
  store.init(storeContext);
  return { store, handle };
}

const value = 'v'.repeat(100);
const keys = Array.from({ length: keyCount }, (_, index) => `key-${(index * 7919) % keyCount}`);

function rate(count: number, startMs: number): number {
  return Math.round(count / ((performance.now() - startMs) / 1000));
}

async function measure(kind: Kind): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  // Puts: every key once, then the commit's flush (and, on disk, the batch).
  const cached = await openKeyValue(kind, true);
  let start = performance.now();
  for (const key of keys) cached.store.put(key, value);
  cached.store.flush();
  await cached.handle?.commit();
  result.putsPerSecond = rate(keyCount, start);
  start = performance.now();
  for (let round = 0; round < 3; round++) for (const key of keys) cached.store.get(key);
  result.cachedGetsPerSecond = rate(3 * keyCount, start);
  cached.store.close();
  await LevelStores.closed();

  // Uncached gets: a store without a cache over the same data.
  const uncached = await openKeyValue(kind, false);
  for (const key of keys) uncached.store.put(key, value);
  uncached.store.flush();
  await uncached.handle?.commit();
  start = performance.now();
  for (let index = keyCount - 1; index >= 0; index--) uncached.store.get(keys[index]!);
  result.uncachedGetsPerSecond = rate(keyCount, start);
  uncached.store.close();

  // Window fetches: ten windows of one key per fetch.
  const windows = await openWindow(kind);
  const base = 1_767_225_600_000;
  for (let window = 0; window < windowsPerKey; window++) for (let key = 0; key < windowKeys; key++) windows.store.put(`user-${key}`, value, base + window * 60_000);
  windows.store.flush();
  await windows.handle?.commit();
  const fetches = 100_000;
  start = performance.now();
  let found = 0;
  for (let index = 0; index < fetches; index++) {
    const from = base + (index % 40) * 60_000;
    for (const _ of windows.store.fetchRange(`user-${index % windowKeys}`, from, from + 9 * 60_000)) found++;
  }
  result.windowFetchesPerSecond = rate(fetches, start);
  if (found !== fetches * 10) throw new Error(`window fetches found ${found} windows, expected ${fetches * 10}`);
  windows.store.close();

  // Restore: changelog records in bulk into an empty store.
  const serde = Serdes.String();
  const headers = new Headers();
  const records = keys.map((key) => ({ key: serde.serialize('t', key, headers), value: serde.serialize('t', value, headers) }));
  const target = await openKeyValue(kind, false);
  start = performance.now();
  if (target.handle !== undefined) {
    await target.handle.restore(records);
    await target.handle.writeCheckpoint(records.length);
  } else {
    (target.store as unknown as { restore(records: Iterable<{ key: Buffer; value: Buffer | null }>): void }).restore(records);
  }
  result.restoreRecordsPerSecond = rate(records.length, start);
  target.store.close();
  await LevelStores.closed();
  return result;
}

const figures = { 'in-memory': await measure('in-memory'), leveldb: await measure('leveldb') };
rmSync(stateDir, { recursive: true, force: true });

const rows = ['putsPerSecond', 'cachedGetsPerSecond', 'uncachedGetsPerSecond', 'windowFetchesPerSecond', 'restoreRecordsPerSecond'];
const format = (count: number | undefined): string => (count ?? 0).toLocaleString('en-US').padStart(14);
console.log(`state stores, ${keyCount.toLocaleString('en-US')} keys of 100-byte values, Node ${process.version}`);
console.log(`${'operation'.padEnd(26)}${'in-memory/s'.padStart(14)}${'leveldb/s'.padStart(14)}`);
for (const row of rows) console.log(`${row.padEnd(26)}${format(figures['in-memory'][row])}${format(figures.leveldb[row])}`);
console.log(JSON.stringify({ benchmark: 'stores', keys: keyCount, node: process.version, ...figures }));
