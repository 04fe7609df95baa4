import { describe, expect, it } from 'vitest';
import { ConfigError, TopologyError } from '../errors/streams-error.js';
import { Serdes } from '../serde/serdes.js';
import { DEFAULT_STORE_CACHE_MAX_BYTES, Stores } from './stores.js';

describe('Stores', () => {
  it('supplies backends by kind, named for their changelog', () => {
    expect(Stores.inMemoryKeyValueStore('kv')).toMatchObject({ kind: 'key-value', name: 'kv' });
    expect(Stores.inMemoryWindowStore('w', 100, 10, true)).toMatchObject({ kind: 'window', name: 'w', retentionMs: 100, windowSizeMs: 10, retainDuplicates: true });
    expect(Stores.inMemorySessionStore('s', 100)).toMatchObject({ kind: 'session', name: 's', retentionMs: 100 });
    expect(() => Stores.inMemoryKeyValueStore('a b')).toThrow(TopologyError);
    expect(() => Stores.inMemoryWindowStore('w', 5, 10, false)).toThrow(ConfigError);
    expect(() => Stores.inMemoryWindowStore('w', 100, -1, false)).toThrow(/'windowSizeMs' of store 'w'/);
    expect(() => Stores.inMemorySessionStore('s', 0)).toThrow(/'retentionMs'/);
    expect(() => Stores.windowStoreBuilder(Stores.inMemoryKeyValueStore('kv') as never, Serdes.String(), Serdes.String())).toThrow(/needs a window store supplier/);
  });

  it('builds logged, uncached stores by default, immutably', () => {
    const builder = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('kv'), Serdes.String(), Serdes.String());
    expect(builder.name).toBe('kv');
    expect(builder.cachingEnabled).toBe(false);
    expect(builder.changelog).toEqual({ enabled: true, topicConfig: { 'cleanup.policy': 'compact' } });
    const cached = builder.withCachingEnabled().withLoggingEnabled({ 'min.insync.replicas': '2' });
    expect(cached.cachingEnabled).toBe(true);
    expect(cached.changelog.topicConfig).toEqual({ 'cleanup.policy': 'compact', 'min.insync.replicas': '2' });
    expect(builder.cachingEnabled).toBe(false);
    expect(cached.withLoggingDisabled().changelog).toEqual({ enabled: false, topicConfig: {} });
    expect(cached.withCachingDisabled().cachingEnabled).toBe(false);
    expect(() => builder.withCachingEnabled({ maxBytes: -1 })).toThrow(/'maxBytes' of store 'kv'/);
    expect(DEFAULT_STORE_CACHE_MAX_BYTES).toBe(10 * 1024 * 1024);
  });

  it('gives windowed changelogs compact,delete and the retention plus a day', () => {
    const window = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('w', 60_000, 1_000, false), Serdes.String(), Serdes.Int32());
    expect(window.changelog.topicConfig).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(60_000 + 86_400_000) });
    const session = Stores.sessionStoreBuilder(Stores.inMemorySessionStore('s', 1_000), Serdes.String(), Serdes.Int32()).withLoggingEnabled({ 'retention.ms': '5' });
    expect(session.changelog.topicConfig).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '5' });
  });

  it('builds a new, closed store per call', () => {
    const builder = Stores.timestampedWindowStoreBuilder(Stores.inMemoryWindowStore('w', 100, 10, false), Serdes.String(), Serdes.Int32());
    const first = builder.build();
    expect(first).not.toBe(builder.build());
    expect(first.isOpen).toBe(false);
    expect(first.persistent).toBe(false);
    expect(first.windowSizeMs).toBe(10);
    expect(first.retentionMs).toBe(100);
  });
});
