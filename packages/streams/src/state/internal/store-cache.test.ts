import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CacheEntry, StoreCache } from './store-cache.js';

/** V8's heap in use after a full collection. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Fills a cache with `count` dirty entries shaped as a caching store makes them (a 16-byte key,
 * a small decoded value charged 16 bytes), and returns what the cache charged and what the heap
 * grew by, per entry.
 */
function chargedAndHeld(kind: 'key-value' | 'window', count: number): { charged: number; held: number } {
  const keys = Array.from({ length: count }, (_, index) => `key-${String(index).padStart(12, '0')}`);
  const window = Buffer.from([0, 0, 1, 154, 202, 1, 0, 0]).toString('latin1');
  const before = heapAfterGc();
  const cache = new StoreCache<string, { value: number; timestamp: number }>(Number.POSITIVE_INFINITY, kind === 'window' ? 'dirty' : 'none');
  for (let index = 0; index < count; index++) {
    const key = keys[index]!;
    const keyBytes = Buffer.from(key);
    const keyId = keyBytes.toString('latin1');
    const id = kind === 'window' ? keyId + window : keyId;
    const timestamp = 1_764_900_000_000 + index;
    cache.add(new CacheEntry(id, keyId, key, keyBytes, { value: index * 1.5, timestamp }, timestamp, kind === 'window' ? 1_764_900_000_000 : 0, 0), true, 16);
  }
  const held = (heapAfterGc() - before) / count;
  expect(cache.size).toBe(count);
  return { charged: cache.bytes / count, held };
}

describe('StoreCache', () => {
  // cacheMaxBytes bounds memory only if an entry is charged about what it holds: a charge of
  // 120 bytes of overhead (the figure before) covered under half of it.
  it.each(['key-value', 'window'] as const)('charges a %s entry about the heap it holds', (kind) => {
    const { charged, held } = chargedAndHeld(kind, 20_000);
    expect(charged / held).toBeGreaterThan(0.6);
    expect(charged / held).toBeLessThan(1.6);
  });
});
