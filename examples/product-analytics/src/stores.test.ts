import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEVEL_INDEX_MAX_ENTRIES, type LevelKeyValueStoreSupplier, type LevelWindowStoreSupplier } from '@tributary/level';
import { EmbeddedRunner, StreamsBuilder, type Logger } from '@tributary/streams';
import type { ProductEvent, ProductStats } from './model.js';
import { levelStoreSuppliers } from './stores.js';
import { buildTopology, defaultOptions, storeNames } from './topology.js';

const minute = 60_000;
const base = Date.UTC(2026, 0, 1);
const at = (minutes: number): number => base + minutes * minute;
const topics = defaultOptions.topics;
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

describe('levelStoreSuppliers', () => {
  it('gives the de-duplication store no index, and every other store the options given or the defaults', () => {
    const suppliers = levelStoreSuppliers({ cacheSize: 1024 });
    const dedupe = suppliers.windowStore(storeNames.dedupeIds, 3 * minute, 2 * minute, false) as LevelWindowStoreSupplier;
    const windows = suppliers.windowStore(storeNames.productWindows, 6 * minute, 5 * minute, false) as LevelWindowStoreSupplier;
    const scanned = suppliers.keyValueStore('subscriptions', { orderedScans: true }) as LevelKeyValueStoreSupplier;
    expect(dedupe.options).toMatchObject({ indexMaxEntries: 0, cacheSize: 1024 });
    expect([dedupe.name, dedupe.retentionMs, dedupe.windowSizeMs]).toEqual([storeNames.dedupeIds, 3 * minute, 2 * minute]);
    expect(windows.options).toMatchObject({ indexMaxEntries: DEFAULT_LEVEL_INDEX_MAX_ENTRIES, cacheSize: 1024 });
    expect(scanned.options.indexMaxEntries).toBe(Number.POSITIVE_INFINITY);
    expect((levelStoreSuppliers().windowStore(storeNames.productWindows, 6 * minute, 5 * minute, false) as LevelWindowStoreSupplier).options.cacheSize).toBeGreaterThan(1024);
  });

  it('de-duplicates from LevelDB alone, across a restart of the embedded run', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'product-analytics-stores-'));
    directories.push(stateDir);
    const views = new Map<string, number>();
    const start = async () => {
      const storeSuppliers = levelStoreSuppliers();
      const topology = buildTopology(new StreamsBuilder({ dslStoreSuppliers: storeSuppliers }), { storeSuppliers });
      const runner = await EmbeddedRunner.start(topology, { applicationId: 'stores-test', logger: silent }, { stateDir, commitIntervalMs: 60_000 });
      runner.onRecord(topics.productAnalytics, (record) => {
        if (record.value === null) return;
        const stats = JSON.parse(record.value.toString('utf8')) as ProductStats;
        views.set(`${stats.productId}@${stats.windowStart}`, stats.views);
      });
      const send = (event: ProductEvent, key: string | null = event.productId) => {
        runner.send(topics.events, key === null ? null : Buffer.from(key), Buffer.from(JSON.stringify(event)), { timestamp: event.timestamp });
      };
      return { runner, send };
    };
    const event = (eventId: string, minutes: number): ProductEvent => ({ eventId, userId: 'u1', productId: 'p1', eventType: 'view', timestamp: at(minutes) });

    const first = await start();
    for (let index = 0; index < 50; index++) first.send(event(`e${index}`, 1 + index / 100));
    first.send(event('e7', 1.6), null); // a copy, without a key
    first.send(event('e8', 1.7)); // a copy, later
    await first.runner.commit();
    await first.runner.close();
    expect(views.get(`p1@${at(0)}`)).toBe(50);

    const second = await start();
    second.send(event('e3', 2)); // a copy of an event the first run stored
    second.send(event('e50', 2.1)); // a new one
    await second.runner.commit();
    await second.runner.close();
    expect(views.get(`p1@${at(0)}`)).toBe(51);
  });
});
