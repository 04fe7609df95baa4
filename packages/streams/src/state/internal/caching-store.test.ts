/**
 * The caching layers alone, over a fake bytes layer that records the batches it is given: writes
 * wait in the cache until a flush, which hands them down in one batch (in the order of their last
 * write, each with its timestamp) and then to the flush listener; eviction flushes first; reads
 * fill the cache from below.
 */
import { describe, expect, it } from 'vitest';
import type { Windowed } from '../../kstream/windowed.js';
import { Serdes } from '../../serde/serdes.js';
import type { BytesEntry, BytesWrite, SessionBytesWrite, WindowBytesWrite } from '../store-suppliers.js';
import type { KeyValueBytesLayer, SessionBytesLayer, WindowBytesLayer } from './bytes-layers.js';
import { CachingKeyValueStore } from './caching-key-value-store.js';
import { CachingSessionStore } from './caching-session-store.js';
import { CachingWindowStore } from './caching-window-store.js';
import { ObservedTime } from './observed-time.js';
import { StoreSerdes } from './store-serdes.js';
import { recordingTimedLayer, StoreTestContext } from './store-test-context.js';

const bytes = (text: string): Buffer => Buffer.from(text);

/** What a layer below a cache was handed in one `putBatch`. */
interface Batch<Write> {
  readonly writes: readonly Write[];
  readonly timestamps: readonly number[];
}

/** A key-value layer over a Map that records its batches. */
class FakeKeyValueLayer implements KeyValueBytesLayer {
  readonly name = 'kv';
  readonly persistent = false;
  readonly batches: Batch<string>[] = [];
  readonly entries = new Map<string, Buffer>();
  reads = 0;
  open(): void {}
  flush(): void {}
  close(): void {}
  get(key: Buffer): Buffer | undefined {
    this.reads++;
    return this.entries.get(key.toString());
  }
  *range(): IterableIterator<BytesEntry> {
    for (const id of [...this.entries.keys()].sort()) yield { key: bytes(id), value: this.entries.get(id)! };
  }
  put(key: Buffer, value: Buffer | null, timestamp: number): void {
    this.putBatch([{ key, value }], [timestamp]);
  }
  putBatch(writes: readonly BytesWrite[], timestamps: readonly number[]): void {
    this.batches.push({ writes: writes.map((write) => `${write.key.toString()}=${write.value?.toString() ?? 'null'}`), timestamps: [...timestamps] });
    for (const write of writes) {
      if (write.value === null) this.entries.delete(write.key.toString());
      else this.entries.set(write.key.toString(), write.value);
    }
  }
  approximateCount(): number {
    return this.entries.size;
  }
}

function openKeyValueCache(maxBytes = 1 << 20): { cache: CachingKeyValueStore<string, string>; below: FakeKeyValueLayer; context: StoreTestContext } {
  const below = new FakeKeyValueLayer();
  const context = new StoreTestContext();
  const cache = new CachingKeyValueStore<string, string>(below, maxBytes);
  cache.init(context, StoreSerdes.resolve<string, string>('kv', Serdes.String(), Serdes.String(), false, context));
  return { cache, below, context };
}

const put = (cache: CachingKeyValueStore<string, string>, key: string, value: string | null, timestamp: number): void =>
  cache.put(key, bytes(key), key, value, timestamp, false);

describe('caching key-value layer', () => {
  it('holds writes until a flush, then hands them down in one batch in last-write order, and to the listener with old values', () => {
    const { cache, below } = openKeyValueCache();
    below.entries.set('b', bytes('old-b'));
    const flushed: [string, string | null, string | null, number][] = [];
    cache.setFlushListener((key, newValue, oldValue, timestamp) => flushed.push([key, newValue, oldValue, timestamp]), true);
    put(cache, 'a', '1', 10);
    put(cache, 'b', '2', 20);
    put(cache, 'a', '3', 30);
    expect(below.batches).toEqual([]);
    expect(cache.get('a', bytes('a'), 'a', false)).toBe('3');
    cache.flush();
    expect(below.batches).toEqual([{ writes: ['b=2', 'a=3'], timestamps: [20, 30] }]);
    expect(flushed).toEqual([
      ['b', '2', 'old-b', 20],
      ['a', '3', null, 30],
    ]);
    // Flushed entries stay, clean: read from the cache, not from below.
    const reads = below.reads;
    expect(cache.get('b', bytes('b'), 'b', false)).toBe('2');
    expect(below.reads).toBe(reads);
  });

  it('skips a delete of a key the store never held when a listener is set, and writes its tombstone without one', () => {
    const listening = openKeyValueCache();
    const flushed: string[] = [];
    listening.cache.setFlushListener((key) => flushed.push(key), false);
    put(listening.cache, 'a', '1', 10);
    put(listening.cache, 'a', null, 11);
    listening.cache.flush();
    expect([listening.below.batches, flushed]).toEqual([[], []]);

    const silent = openKeyValueCache();
    put(silent.cache, 'a', '1', 10);
    put(silent.cache, 'a', null, 11);
    silent.cache.flush();
    expect(silent.below.batches).toEqual([{ writes: ['a=null'], timestamps: [11] }]);
  });

  it('flushes before evicting a dirty entry, and then reads evicted keys from below', () => {
    // Room for about one entry: each is charged 400 bytes of overhead plus its key and value.
    const { cache, below } = openKeyValueCache(600);
    put(cache, 'a', '1', 10);
    put(cache, 'b', '2', 20);
    expect(below.batches).toEqual([{ writes: ['a=1', 'b=2'], timestamps: [10, 20] }]);
    expect(cache.cache.size).toBeLessThanOrEqual(1);
    const reads = below.reads;
    expect(cache.get('a', bytes('a'), 'a', false)).toBe('1');
    expect(below.reads).toBe(reads + 1);
  });

  it('lays dirty entries over the range below, in key-byte order', () => {
    const { cache, below } = openKeyValueCache();
    below.entries.set('a', bytes('below-a'));
    below.entries.set('c', bytes('below-c'));
    put(cache, 'b', 'cached-b', 1);
    put(cache, 'c', null, 2);
    expect([...cache.range(undefined, undefined)]).toEqual([
      { key: 'a', value: 'below-a' },
      { key: 'b', value: 'cached-b' },
    ]);
    expect(cache.approximateCount()).toBe(4);
  });
});

/** A window or session layer that records its batches and holds nothing. */
function recordingLayer<Write>(batches: Batch<Write>[]): WindowBytesLayer & SessionBytesLayer {
  return recordingTimedLayer('timed', (writes, timestamps) => void batches.push({ writes: writes as unknown as Write[], timestamps: [...timestamps] }));
}

describe('caching window layer', () => {
  it('flushes a window that expired while cached (the layer below logs it) and then lets it go', () => {
    const batches: Batch<WindowBytesWrite>[] = [];
    const observed = new ObservedTime(100);
    const context = new StoreTestContext();
    const cache = new CachingWindowStore<string, string>(recordingLayer(batches), 1 << 20, 10, observed);
    cache.init(context, StoreSerdes.resolve<string, string>('timed', Serdes.String(), Serdes.String(), false, context));
    const reported: Windowed<string>[] = [];
    cache.setFlushListener((key) => reported.push(key), false);
    observed.advance(0);
    cache.put('k', bytes('k'), 'k', 'early', 5, 0, false);
    observed.advance(150);
    cache.put('k', bytes('k'), 'k', 'late', 155, 150, false);
    cache.flush();
    expect(batches.map((batch) => [batch.writes.map((write) => write.windowStart), batch.timestamps])).toEqual([[[0, 150], [5, 155]]]);
    expect(reported.map((key) => key.window.start)).toEqual([0, 150]);
    expect(cache.cache.size).toBe(1);
  });
});

describe('caching session layer', () => {
  it('keeps a session that expired while cached after its flush, so a record can still merge with it', () => {
    const batches: Batch<SessionBytesWrite>[] = [];
    const observed = new ObservedTime(100);
    const context = new StoreTestContext();
    const cache = new CachingSessionStore<string, string>(recordingLayer(batches), 1 << 20, observed);
    cache.init(context, StoreSerdes.resolve<string, string>('timed', Serdes.String(), Serdes.String(), false, context));
    observed.advance(10);
    cache.put('k', bytes('k'), 'k', 'agg', 10, 0, 10);
    observed.advance(500);
    cache.flush();
    expect(batches).toHaveLength(1);
    expect(cache.session('k', 0, 10)?.value).toBe('agg');
    expect(cache.findSessions('k', bytes('k'), 'k', observed.earliestLive, 0, 20)).toEqual([{ key: { key: 'k', window: { start: 0, end: 10 } }, value: 'agg' }]);
  });
});
