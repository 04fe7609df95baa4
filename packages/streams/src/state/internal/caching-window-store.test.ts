/**
 * The caching window store's look-ups by key and window start, against a map of the windows
 * written: whatever the order of reads, writes, deletes, flushes, evictions (a cache a few
 * entries large) and expiry, a window reads as last written until it expires, and the cache
 * counts a hit exactly when the window is in it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Windowed } from '../../kstream/windowed.js';
import { Serdes } from '../../serde/serdes.js';
import { Stores } from '../stores.js';
import type { CachingStateStore, RestorableStateStore } from '../store-suppliers.js';
import type { WindowStore } from '../window-store.js';
import type { CachingStore } from './caching-store.js';
import type { FlushListenable } from './flush-listener.js';
import { StoreTestContext } from './store-test-context.js';

type TestStore = WindowStore<string, number> & FlushListenable<Windowed<string>, number> & RestorableStateStore & CachingStateStore;

const retentionMs = 300;

type Operation =
  | { readonly kind: 'put'; readonly key: string; readonly start: number; readonly value: number | null }
  | { readonly kind: 'fetch'; readonly key: string; readonly start: number }
  | { readonly kind: 'flush' }
  | { readonly kind: 'bound'; readonly entries: number };

const key = fc.constantFrom('a', 'long-key-'.repeat(3));
// Starts 10 ms apart, so a key has more live windows than the store remembers per key (16), and forgets some.
const start = fc.integer({ min: 0, max: 40 }).map((step) => step * 10);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key, start, value: fc.option(fc.integer({ min: 0, max: 99 }), { nil: null, freq: 8 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('fetch' as const), key, start }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bound' as const), entries: fc.integer({ min: 1, max: 40 }) }) },
);

describe('caching window store', () => {
  it('reads every window as last written until it expires, and counts a hit exactly when the window is cached', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 50, maxLength: 300 }), (operations) => {
        const store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('windows', retentionMs, 10, false), Serdes.String(), Serdes.Int32())
          .withCachingEnabled()
          .build() as TestStore;
        store.init(new StoreTestContext());
        const cache = (store as unknown as { cache: CachingStore<string, number, Windowed<string>, never> }).cache.cache;
        const written = new Map<string, number>();
        let observed = Number.NEGATIVE_INFINITY;
        for (const step of operations) {
          if (step.kind === 'put') {
            store.put(step.key, step.value, step.start);
            observed = Math.max(observed, step.start);
            if (step.start > observed - retentionMs) {
              if (step.value === null) written.delete(`${step.key}@${step.start}`);
              else written.set(`${step.key}@${step.start}`, step.value);
            }
          } else if (step.kind === 'fetch') {
            const live = step.start > observed - retentionMs;
            const id = `${Buffer.from(step.key).toString('latin1')}|${step.start}`;
            const cached = live && cache.peek(id) !== undefined;
            const hits = cache.hits;
            const misses = cache.misses;
            expect(store.fetch(step.key, step.start)).toBe(live ? written.get(`${step.key}@${step.start}`) : undefined);
            if (live) expect([cache.hits - hits, cache.misses - misses]).toEqual(cached ? [1, 0] : [0, 1]);
          } else if (step.kind === 'flush') {
            store.flush();
          } else {
            store.setCacheMaxBytes(step.entries * 450);
          }
          // The recency list holds exactly the entries the cache maps its ids to.
          let linked = 0;
          for (let entry = cache.eldest; entry !== undefined && linked <= cache.size; entry = entry.newer, linked++) expect(cache.peek(entry.id)).toBe(entry);
          expect(linked).toBe(cache.size);
        }
        store.close();
      }),
      { numRuns: 400 },
    );
  });
});
