/**
 * Lifecycle tests of the LevelDB stores: data survives close and reopen, checkpoints decide
 * whether data on disk is kept or wiped (also after `kill -9` in the middle of a flush), bulk
 * restore, and the errors a driver meets (no state directory, a locked one, no prepare).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Serdes, silentLogger, Stores, timestampedStoreRecords, windowed } from '@tributary/streams';
import type { KeyValueStore, SessionStore, StateStoreContext, ValueAndTimestamp, WindowStore } from '@tributary/streams';
import { LevelStores, StateDirectoryError, StoreLockedError, StoreNotPreparedError } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'tributary-level-stores-'));
afterAll(async () => {
  await LevelStores.closed();
  rmSync(root, { recursive: true, force: true });
});

let nextDir = 0;
function freshStateDir(): string {
  const dir = join(root, `state-${nextDir++}`);
  rmSync(dir, { recursive: true, force: true });
  return mkdtempSync(dir);
}

function contextFor(stateDir: string | undefined, partition = 0): StateStoreContext {
  return {
    applicationId: 'level-app',
    taskId: { subtopology: 1, partition },
    appConfigs: {},
    stateDir,
    logger: silentLogger,
    currentStreamTimeMs: () => 0,
    changelogTopic: (name) => `level-app-${name}-changelog`,
    logChange: () => {},
    recordDropped: () => {},
  };
}

async function openKeyValue(stateDir: string, dataOnlyOnDisk = false) {
  const supplier = LevelStores.persistentKeyValueStore('counts');
  const context = contextFor(stateDir);
  const handle = await supplier.prepare({ ...context, dataOnlyOnDisk });
  const store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).withCachingEnabled().build() as KeyValueStore<string, number>;
  store.init(context);
  return { store, handle, supplier, context };
}

async function closeStore(store: { close(): void }): Promise<void> {
  store.close();
  await LevelStores.closed();
}

describe('LevelDB key-value store', () => {
  it('keeps its data across close and reopen, in key-byte order, with the directory for its owner only', async () => {
    const stateDir = freshStateDir();
    const first = await openKeyValue(stateDir);
    expect(first.handle.path).toBe(join(stateDir, 'level-app', '1_0', 'counts'));
    expect(statSync(first.handle.path).mode & 0o777).toBe(0o700);
    for (let index = 0; index < 500; index++) first.store.put(`key-${index}`, index);
    first.store.delete('key-7');
    first.store.flush();
    await first.handle.writeCheckpoint(41);
    await closeStore(first.store);

    const second = await openKeyValue(stateDir);
    expect(second.handle.wiped).toBe(false);
    expect(second.handle.checkpointOffset()).toBe(41);
    expect(second.store.get('key-499')).toBe(499);
    expect(second.store.get('key-7')).toBeUndefined();
    expect(second.store.approximateNumEntries()).toBe(499);
    const ranged = [...second.store.range('key-10', 'key-12')].map((entry) => entry.key);
    expect(ranged).toEqual(['key-10', 'key-100', 'key-101', 'key-102', 'key-103', 'key-104', 'key-105', 'key-106', 'key-107', 'key-108', 'key-109', 'key-11', 'key-110', 'key-111', 'key-112', 'key-113', 'key-114', 'key-115', 'key-116', 'key-117', 'key-118', 'key-119', 'key-12']);
    await closeStore(second.store);
  });

  it('wipes data without a checkpoint, and data newer than its checkpoint', async () => {
    const stateDir = freshStateDir();
    const first = await openKeyValue(stateDir);
    first.store.put('a', 1);
    first.store.flush();
    await first.handle.commit();
    await closeStore(first.store);
    const noCheckpoint = await openKeyValue(stateDir);
    expect(noCheckpoint.handle.wiped).toBe(true);
    expect(noCheckpoint.handle.checkpointOffset()).toBeUndefined();
    expect(noCheckpoint.store.get('a')).toBeUndefined();

    noCheckpoint.store.put('b', 2);
    noCheckpoint.store.flush();
    await noCheckpoint.handle.writeCheckpoint(5);
    noCheckpoint.store.put('c', 3);
    noCheckpoint.store.flush();
    await noCheckpoint.handle.commit();
    await closeStore(noCheckpoint.store);
    const newer = await openKeyValue(stateDir);
    expect(newer.handle.wiped).toBe(true);
    expect(newer.store.get('b')).toBeUndefined();
    expect(newer.store.approximateNumEntries()).toBe(0);
    await closeStore(newer.store);
  });

  it('keeps data without a checkpoint, or newer than it, as of its last flush, when it is the only copy (dataOnlyOnDisk)', async () => {
    const stateDir = freshStateDir();
    const first = await openKeyValue(stateDir, true);
    first.store.put('a', 1);
    first.store.flush();
    await first.handle.commit();
    await closeStore(first.store);
    const noCheckpoint = await openKeyValue(stateDir, true);
    expect(noCheckpoint.handle.wiped).toBe(false);
    expect(noCheckpoint.handle.checkpointOffset()).toBeUndefined();
    expect(noCheckpoint.store.get('a')).toBe(1);

    noCheckpoint.store.put('b', 2);
    noCheckpoint.store.flush();
    await noCheckpoint.handle.writeCheckpoint(5);
    noCheckpoint.store.put('c', 3);
    noCheckpoint.store.flush();
    await noCheckpoint.handle.commit();
    // Not flushed: a close drops it, as a crash would.
    noCheckpoint.store.put('d', 4);
    await closeStore(noCheckpoint.store);
    const newer = await openKeyValue(stateDir, true);
    expect(newer.handle.wiped).toBe(false);
    expect(newer.handle.checkpointOffset()).toBe(5);
    expect([...newer.store.all()].map((entry) => [entry.key, entry.value])).toEqual([['a', 1], ['b', 2], ['c', 3]]);
    await closeStore(newer.store);
  });

  it('checkpoints only the flushes made before the checkpoint was asked for: one made while it waits is newer data, wiped on reopen', async () => {
    const stateDir = freshStateDir();
    const first = await openKeyValue(stateDir);
    first.store.put('a', 1);
    first.store.flush();
    const checkpoint = first.handle.writeCheckpoint(5);
    // A flush while the checkpoint waits for the one before it: its writes lie past offset 5.
    first.store.put('b', 2);
    first.store.flush();
    await checkpoint;
    await first.handle.commit();
    await closeStore(first.store);
    const reopened = await openKeyValue(stateDir);
    expect(reopened.handle.wiped).toBe(true);
    expect(reopened.store.get('b')).toBeUndefined();
    await closeStore(reopened.store);
  });

  it('holding flushes until commit: a flush reaches the files only at commit, and close drops one never committed', async () => {
    const stateDir = freshStateDir();
    const first = await openKeyValue(stateDir);
    first.handle.holdFlushesUntilCommit!();
    first.store.put('a', 1);
    first.store.flush();
    await first.handle.writeCheckpoint(1);
    first.store.put('b', 2);
    first.store.put('a', 5);
    first.store.flush();
    // A second flush before the commit (the first one's offsets refused): the later value wins.
    first.store.put('a', 6);
    first.store.flush();
    expect(first.store.get('a')).toBe(6);
    await first.handle.commit();
    // Flushed, readable, but its offsets (or transaction) never committed: the task dies.
    first.store.put('c', 3);
    first.store.flush();
    expect(first.store.get('c')).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await closeStore(first.store);
    const reopened = await openKeyValue(stateDir);
    // Newer than the checkpoint but committed: kept, the checkpoint's offset still where a restore starts.
    expect(reopened.handle.wiped).toBe(false);
    expect(reopened.handle.checkpointOffset()).toBe(1);
    expect([reopened.store.get('a'), reopened.store.get('b'), reopened.store.get('c')]).toEqual([6, 2, undefined]);
    await closeStore(reopened.store);
  });

  it('a store written at flush (not holding) stops trusting a checkpoint that vouched for later committed flushes, so its own newer writes are wiped', async () => {
    const stateDir = freshStateDir();
    const holding = await openKeyValue(stateDir);
    holding.handle.holdFlushesUntilCommit!();
    holding.store.put('a', 1);
    holding.store.flush();
    await holding.handle.writeCheckpoint(1);
    await closeStore(holding.store);
    const writing = await openKeyValue(stateDir);
    writing.store.put('b', 2);
    writing.store.flush();
    await writing.handle.commit();
    await closeStore(writing.store);
    const reopened = await openKeyValue(stateDir);
    expect(reopened.handle.wiped).toBe(true);
    expect(reopened.store.get('b')).toBeUndefined();
    await closeStore(reopened.store);
  });

  it('syncs before it checkpoints, though no commit syncs (syncOnCommit defaults to false)', async () => {
    const stateDir = freshStateDir();
    const opened = await openKeyValue(stateDir);
    const database = (opened.handle as unknown as { database: { db: { put: (...args: unknown[]) => Promise<void> } } }).database;
    const puts: unknown[] = [];
    const put = database.db.put.bind(database.db);
    database.db.put = (...args: unknown[]) => {
      puts.push(args[2]);
      return put(...args);
    };
    opened.store.put('a', 1);
    opened.store.flush();
    await opened.handle.commit();
    expect(puts).toEqual([]);
    await opened.handle.writeCheckpoint(1);
    expect(puts).toEqual([{ sync: true }]);
    await closeStore(opened.store);
  });

  it('restores changelog records in batches, honouring tombstones and reporting progress', async () => {
    const stateDir = freshStateDir();
    const supplier = LevelStores.persistentKeyValueStore('counts');
    const context = contextFor(stateDir);
    const handle = await supplier.prepare(context);
    const serde = Serdes.Int32();
    const records = [];
    for (let index = 0; index < 10_000; index++) records.push({ key: Buffer.from(`k${index % 2500}`), value: serde.serialize('t', index, undefined as never) });
    records.push({ key: Buffer.from('k0'), value: null });
    const progress: number[] = [];
    expect(await handle.restore(records, { batchSize: 3000, onProgress: (restored) => progress.push(restored) })).toBe(10_001);
    expect(progress).toEqual([3000, 6000, 9000, 10_001]);
    await handle.writeCheckpoint(10_000);
    const store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as KeyValueStore<string, number>;
    store.init(context);
    expect(store.get('k0')).toBeUndefined();
    expect(store.get('k1')).toBe(7501);
    expect(store.approximateNumEntries()).toBe(2499);
    await closeStore(store);
  });

  it('names the path and the fix when the directory is locked, missing or not prepared', async () => {
    const stateDir = freshStateDir();
    const first = await openKeyValue(stateDir);
    const second = LevelStores.persistentKeyValueStore('counts');
    const error = await second.prepare(contextFor(stateDir)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as StoreLockedError).code).toBe('LEVEL_STORE_LOCKED');
    expect((error as Error).message).toContain(first.handle.path);
    expect((error as Error).message).toContain("own 'stateDir'");
    await closeStore(first.store);

    await expect(second.prepare(contextFor(undefined))).rejects.toMatchObject({ code: 'LEVEL_STATE_DIR_MISSING' });
    await expect(second.prepare(contextFor(join(root, 'nowhere')))).rejects.toBeInstanceOf(StateDirectoryError);
    if (process.getuid?.() !== 0) {
      const readOnly = freshStateDir();
      chmodSync(readOnly, 0o500);
      await expect(second.prepare(contextFor(readOnly))).rejects.toMatchObject({ code: 'LEVEL_STATE_DIR_NOT_WRITABLE' });
      chmodSync(readOnly, 0o700);
    }
    const store = Stores.keyValueStoreBuilder(second, Serdes.String(), Serdes.Int32()).build();
    expect(() => store.init(contextFor(stateDir, 9))).toThrow(StoreNotPreparedError);
    expect(() => store.init(contextFor(stateDir, 9))).toThrow(/await supplier\.prepare\(context\)/);
  });
});

describe('LevelDB timestamped key-value store', () => {
  it("restores Kafka's changelog format (bare value, timestamp on the record) and, with upgradeFrom: 'prefixed-changelogs', the old prefixed one through its handle", async () => {
    const stateDir = freshStateDir();
    const supplier = LevelStores.persistentKeyValueStore('table');
    const context = contextFor(stateDir);
    const handle = await supplier.prepare(context);
    const int32 = (value: number) => Serdes.Int32().serialize('t', value, undefined as never);
    const records = [
      { key: Buffer.from('new'), value: int32(7), timestamp: 1234 },
      { key: Buffer.from('old'), value: Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0x10, 0]), int32(8)]), timestamp: 0x1000 },
    ];
    expect(await handle.restore(timestampedStoreRecords(records, 'table', 'prefixed-changelogs'))).toBe(2);
    await handle.writeCheckpoint(2);
    const store = Stores.timestampedKeyValueStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as KeyValueStore<string, ValueAndTimestamp<number>>;
    store.init(context);
    expect(store.get('new')).toEqual({ value: 7, timestamp: 1234 });
    expect(store.get('old')).toEqual({ value: 8, timestamp: 0x1000 });
    await closeStore(store);
  });

  it("reads every record as Kafka's bare value by default, one starting with its own timestamp too", async () => {
    const stateDir = freshStateDir();
    const supplier = LevelStores.persistentKeyValueStore('table');
    const context = contextFor(stateDir);
    const handle = await supplier.prepare(context);
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0x10, 0]), Buffer.from('abc')]);
    expect(await handle.restore(timestampedStoreRecords([{ key: Buffer.from('k'), value, timestamp: 0x1000 }], 'table', undefined))).toBe(1);
    await handle.writeCheckpoint(1);
    const store = Stores.timestampedKeyValueStoreBuilder(supplier, Serdes.String(), Serdes.Bytes()).build() as KeyValueStore<string, ValueAndTimestamp<Buffer>>;
    store.init(context);
    expect(store.get('k')).toEqual({ value, timestamp: 0x1000 });
    await closeStore(store);
  });
});

describe('LevelDB window and session stores', () => {
  it('skip a window that expired in the cache before its flush, so it takes no room in the bounded index', async () => {
    const stateDir = freshStateDir();
    const supplier = LevelStores.persistentWindowStore('expiring', 100, 10, false, { indexMaxEntries: 2 });
    const context = contextFor(stateDir);
    const handle = await supplier.prepare(context);
    const store = Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).withCachingEnabled().build() as WindowStore<string, number>;
    store.init(context);
    store.put('old', 1, 0);
    // Observed time 1000: the window at 0 expires while still in the cache.
    store.put('a', 2, 1000);
    store.put('b', 3, 1000);
    store.flush();
    await handle.commit();
    // The index holds its bound of 2 live windows, so cross-key iteration still works.
    expect([...store.fetchAll(0, 2000)].map((entry) => [entry.key.key, entry.value])).toEqual([
      ['a', 2],
      ['b', 3],
    ]);
    await closeStore(store);
  });

  it('keep live windows across reopen, and drop expired segments by range', async () => {
    const stateDir = freshStateDir();
    const open = async () => {
      const supplier = LevelStores.persistentWindowStore('windows', 100, 10, false);
      const context = contextFor(stateDir);
      const handle = await supplier.prepare(context);
      const store = Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).withCachingEnabled().build() as WindowStore<string, number>;
      store.init(context);
      return { store, handle };
    };
    const first = await open();
    for (let start = 0; start <= 300; start += 10) {
      first.store.put('a', start, start);
      first.store.put('b', -start, start);
    }
    first.store.flush();
    await first.handle.writeCheckpoint(1);
    await closeStore(first.store);
    const second = await open();
    expect(second.handle.wiped).toBe(false);
    expect([...second.store.fetchRange('a', 0, 1000)].map((entry) => entry.key)).toEqual([210, 220, 230, 240, 250, 260, 270, 280, 290, 300]);
    expect([...second.store.fetchAll(290, 300)].map((entry) => [entry.key.key, entry.key.window.start, entry.value])).toEqual([
      ['a', 290, 290],
      ['b', 290, -290],
      ['a', 300, 300],
      ['b', 300, -300],
    ]);
    await closeStore(second.store);
  });

  it('keep duplicates across reopen: new puts continue after the stored seqnums instead of overwriting', async () => {
    const stateDir = freshStateDir();
    const open = async () => {
      const supplier = LevelStores.persistentWindowStore('join-side', 100, 10, true);
      const context = contextFor(stateDir);
      const handle = await supplier.prepare(context);
      const store = Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.String()).build() as WindowStore<string, string>;
      store.init(context);
      return { store, handle };
    };
    const first = await open();
    first.store.put('k', 'one', 5);
    first.store.put('k', 'two', 5);
    first.store.flush();
    await first.handle.writeCheckpoint(1);
    await closeStore(first.store);
    const second = await open();
    second.store.put('k', 'three', 5);
    expect([...second.store.fetchRange('k', 0, 10)].map((entry) => entry.value)).toEqual(['one', 'two', 'three']);
    await closeStore(second.store);
  });

  it('refuse, on restore, a changelog key too short for its window or session, naming the store', async () => {
    const stateDir = freshStateDir();
    const windows = await LevelStores.persistentWindowStore('short-windows', 100, 10, false).prepare(contextFor(stateDir));
    await expect(windows.restore([{ key: Buffer.alloc(11), value: Buffer.from('v') }])).rejects.toThrow(/window store 'short-windows' has 11 bytes/);
    await windows.close();
    const sessions = await LevelStores.persistentSessionStore('short-sessions', 100).prepare(contextFor(stateDir));
    await expect(sessions.restore([{ key: Buffer.alloc(15), value: Buffer.from('v') }])).rejects.toMatchObject({ code: 'DESERIALIZATION_FAILED' });
    await sessions.close();
  });

  it('keep sessions across reopen', async () => {
    const stateDir = freshStateDir();
    const open = async () => {
      const supplier = LevelStores.persistentSessionStore('sessions', 1000);
      const context = contextFor(stateDir);
      const handle = await supplier.prepare(context);
      const store = Stores.sessionStoreBuilder(supplier, Serdes.String(), Serdes.Int32()).build() as SessionStore<string, number>;
      store.init(context);
      return { store, handle };
    };
    const first = await open();
    first.store.put(windowed('user', 0, 50), 2);
    first.store.put(windowed('user', 100, 120), 3);
    first.store.remove(windowed('user', 0, 50));
    first.store.flush();
    await first.handle.writeCheckpoint(3);
    await closeStore(first.store);
    const second = await open();
    expect([...second.store.fetch('user')].map((entry) => [entry.key.window.start, entry.key.window.end, entry.value])).toEqual([[100, 120, 3]]);
    await closeStore(second.store);
  });
});

describe('crash consistency', () => {
  it('after kill -9 in the middle of flushes, a store equals its checkpoint or is wiped, never half', async () => {
    const stateDir = freshStateDir();
    const child = fileURLToPath(new URL('./test-fixtures/crash-writer.mjs', import.meta.url));
    const keyCount = 20_000;
    const outcomes: string[] = [];
    for (let kill = 0; kill < 5; kill++) {
      const process_ = spawn(process.execPath, [child, stateDir, String(keyCount)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let killScheduled = false;
      // Kill at a random moment once the child has checkpointed at least once. Under load one
      // chunk of its output may carry several generations, so the first chunk schedules the kill.
      await new Promise<void>((resolve) => {
        process_.stdout!.on('data', (chunk: Buffer) => {
          if (killScheduled || !chunk.toString().includes('\n')) return;
          killScheduled = true;
          setTimeout(() => process_.kill('SIGKILL'), 5 + Math.random() * 150);
        });
        process_.on('exit', () => resolve());
      });
      const supplier = LevelStores.persistentKeyValueStore('crash-store');
      const context = { ...contextFor(stateDir), applicationId: 'crash-app', taskId: { subtopology: 0, partition: 0 } };
      const handle = await supplier.prepare(context);
      const store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.String()).build() as KeyValueStore<string, string>;
      store.init(context);
      const generationsSeen = new Set([...store.all()].map((entry) => entry.value.split(':')[0]));
      const count = store.approximateNumEntries();
      if (handle.wiped) {
        expect(count).toBe(0);
        outcomes.push('wiped');
      } else {
        expect(count).toBe(keyCount);
        expect([...generationsSeen]).toEqual([String(handle.checkpointOffset())]);
        outcomes.push(`checkpoint ${handle.checkpointOffset()}`);
      }
      expect(existsSync(handle.path)).toBe(true);
      await closeStore(store);
    }
    expect(outcomes).toHaveLength(5);
  }, 120_000);
});
