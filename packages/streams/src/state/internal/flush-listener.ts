/**
 * How a caching store tells the DSL what it flushed (Kafka's `CacheFlushListener`): DSL
 * processors that materialize a table forward its changes from here, so each key's updates are
 * deduplicated up to the commit (or an eviction) and sent once, with the value last flushed as
 * the old value.
 */
import type { Headers } from '../../processor/headers.js';

/**
 * Called once per key a cache flushes, after the change is in the store and its changelog.
 * `oldValue` is the value the store held at the previous flush (`null` when absent, or when the
 * listener was registered without old values). `headers` are those of the record that made the
 * write, which the change is forwarded with, as Kafka's caching stores forward a cached entry's
 * record context; `undefined` when the store's context kept none. It is never called for a key
 * absent both before and after (a delete of a missing key).
 */
export type CacheFlushListener<K, V> = (key: K, newValue: V | null, oldValue: V | null, timestamp: number, headers: Headers | undefined) => void;

/** A store whose caching layer can report what it flushes. */
export interface FlushListenable<K, V> {
  /**
   * Registers the store's flush listener (one per store; a second call replaces the first).
   * Returns true when the store caches: the processor must then forward only from the listener.
   * Returns false when it does not (the listener is never called): the processor forwards at once.
   * `sendOldValues` asks for old values; without it `oldValue` is always `null`, which saves a read.
   */
  setFlushListener(listener: CacheFlushListener<K, V>, sendOldValues: boolean): boolean;
}

/** Whether `store` offers {@link FlushListenable.setFlushListener}. */
export function isFlushListenable<K = unknown, V = unknown>(store: unknown): store is FlushListenable<K, V> {
  return typeof store === 'object' && store !== null && typeof (store as Partial<FlushListenable<K, V>>).setFlushListener === 'function';
}
