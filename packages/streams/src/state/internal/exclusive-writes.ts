/**
 * What a store's metered layer (with its caching layer) offers the one processor that writes it
 * (an aggregation), so that it can change a value in place instead of replacing it (see
 * `kstream/in-place-aggregator.ts`). A value
 * the writer put with `putExclusive` stays the writer's while nothing else can hold it: until
 * any other read of the store (a join's value getter, an interactive query, a range), or a flush
 * (which forwards cached values downstream and logs them). A value read from the backend is
 * fresh, so it is the writer's too. The store only keeps the bookkeeping; whether a value may be
 * changed is the writer's to decide from {@link ExclusiveWrites.fetchedExclusive}.
 */

/** The part both store kinds share. */
interface ExclusiveWrites {
  /**
   * Whether the value the last `getForUpdate` / `fetchForUpdate` returned is held by the store for
   * the writer alone: changing it in place, then putting it back with `putExclusive`, changes
   * nothing anyone else sees.
   */
  readonly fetchedExclusive: boolean;
}

/** A key-value store's writer side. */
export interface ExclusiveKeyValueWrites<K, V> extends ExclusiveWrites {
  /** `get` for the writer: reads without handing the value out, and sets {@link ExclusiveWrites.fetchedExclusive}. */
  getForUpdate(key: K): V | undefined;
  /** `put` of a value nobody but the writer holds: one just made, or one `getForUpdate` returned as exclusive. */
  putExclusive(key: K, value: V | null): void;
}

/** A window store's writer side. */
export interface ExclusiveWindowWrites<K, V> extends ExclusiveWrites {
  /** `fetch` for the writer: reads without handing the value out, and sets {@link ExclusiveWrites.fetchedExclusive}. */
  fetchForUpdate(key: K, windowStart: number): V | undefined;
  /** `put` of a value nobody but the writer holds: one just made, or one `fetchForUpdate` returned as exclusive. */
  putExclusive(key: K, value: V | null, windowStart: number): void;
}

/** Whether `store` is a key-value store with a writer side (a store `Stores` builds; not a wrapper or a custom store). */
export function hasExclusiveKeyValueWrites<K, V>(store: unknown): store is ExclusiveKeyValueWrites<K, V> {
  return typeof store === 'object' && store !== null && typeof (store as Partial<ExclusiveKeyValueWrites<K, V>>).getForUpdate === 'function';
}

/** Whether `store` is a window store with a writer side. */
export function hasExclusiveWindowWrites<K, V>(store: unknown): store is ExclusiveWindowWrites<K, V> {
  return typeof store === 'object' && store !== null && typeof (store as Partial<ExclusiveWindowWrites<K, V>>).fetchForUpdate === 'function';
}
