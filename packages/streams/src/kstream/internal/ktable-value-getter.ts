/**
 * Lookups into a table by key, for joins: a materialized table reads its store; a filtered or
 * mapped table asks its parent and applies its function, so joins work on any table without
 * materializing every step (as in Kafka Streams).
 */
import type { ProcessorContext } from '../../processor/processor.js';
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js';

export interface KTableValueGetter<K, V> {
  /** Called from the init of the processor that will look values up. */
  init(context: ProcessorContext<unknown, unknown>): void;
  get(key: K): ValueAndTimestamp<V> | undefined;
}

export interface KTableValueGetterSupplier<K, V> {
  get(): KTableValueGetter<K, V>;
  /** Stores the getter reads: they must be connected to the processor that uses it. */
  readonly storeNames: readonly string[];
}

/** Reads a timestamped key-value store. */
export function storeValueGetter<K, V>(storeName: string): KTableValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    get: () => {
      let store: KeyValueStore<K, ValueAndTimestamp<V>>;
      return {
        init: (context) => {
          store = context.getStateStore<KeyValueStore<K, ValueAndTimestamp<V>>>(storeName);
        },
        get: (key) => store.get(key),
      };
    },
  };
}

/** Applies `transform` to what the parent getter returns; `null` from it means absent. */
export function mappedValueGetter<K, V, VR>(
  parent: KTableValueGetterSupplier<K, V>,
  transform: (key: K, value: V) => VR | null,
): KTableValueGetterSupplier<K, VR> {
  return {
    storeNames: parent.storeNames,
    get: () => {
      const inner = parent.get();
      return {
        init: (context) => inner.init(context),
        get: (key) => {
          const found = inner.get(key);
          if (found === undefined) return undefined;
          const value = transform(key, found.value);
          return value === null || value === undefined ? undefined : { value, timestamp: found.timestamp };
        },
      };
    },
  };
}
