/**
 * The stores behind aggregations: their names (the Materialized name, else a generated
 * `KSTREAM-AGGREGATE-STATE-STORE-00000000NN`, queryable only when named), their retention
 * (window and session stores keep at least size plus grace, as Kafka Streams requires), and the
 * value getters that let joins read an aggregation's table.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import type { Serde } from '../../serde/serde.js';
import { Int64Serde } from '../../serde/serdes.js';
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { SessionStore } from '../../state/session-store.js';
import type { StateStore, StateStoreContext, StoreBuilder } from '../../state/state-store.js';
import type { DslStoreSuppliers } from '../../state/dsl-store-suppliers.js';
import type { KeyValueBytesStoreSupplier, SessionBytesStoreSupplier, WindowBytesStoreSupplier } from '../../state/store-suppliers.js';
import { Stores } from '../../state/stores.js';
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js';
import type { WindowStore } from '../../state/window-store.js';
import type { Materialized } from '../materialized.js';
import type { Windowed } from '../windowed.js';
import type { KTableValueGetterSupplier } from './ktable-value-getter.js';
import { materializedStoreName } from './materialized-store-name.js';

/** A store's name and whether users know it (and so can query it). */
export interface StoreName {
  readonly name: string;
  readonly queryable: boolean;
}

/** `prefix` is the operator's, as in Kafka Streams: `KSTREAM-AGGREGATE-`, `KSTREAM-REDUCE-`, `COGROUPKSTREAM-AGGREGATE-`. */
export function aggregateStoreName(topology: InternalTopologyBuilder, materialized: Materialized<any, any> | undefined, prefix: string): StoreName {
  const named = materializedStoreName(materialized);
  if (named !== undefined) return { name: named, queryable: true };
  return { name: topology.newName(`${prefix}STATE-STORE-`), queryable: false };
}

/** The retention of a window or session store: the asked-for one, at least `minimum` (size + grace). */
export function storeRetention(materialized: Materialized<any, any> | undefined, minimum: number, defaultRetention: number, storeName: string, what: string): number {
  const retention = materialized?.retentionMs ?? defaultRetention;
  if (retention < minimum) {
    throw new TopologyError(
      `The retention of store '${storeName}' (${retention} ms) must be at least its ${what} (${minimum} ms): raise Materialized 'retentionMs' or lower the grace period.`,
    );
  }
  return retention;
}

/** A store builder's settings that `Materialized` controls (every `Stores` builder has them). */
interface ConfigurableStoreBuilder<B> {
  withCachingEnabled(): B;
  withCachingDisabled(): B;
  withLoggingEnabled(topicConfig: Readonly<Record<string, string>>): B;
  withLoggingDisabled(): B;
}

/** Applies `Materialized`'s caching (on unless turned off, as Kafka's DSL does) and logging. */
function configure<B extends ConfigurableStoreBuilder<B>>(builder: B, materialized: Materialized<any, any> | undefined): B {
  let configured = materialized?.cachingEnabled === false ? builder.withCachingDisabled() : builder.withCachingEnabled();
  if (materialized?.loggingEnabled === false) configured = configured.withLoggingDisabled();
  else if (materialized?.topicConfig !== undefined) configured = configured.withLoggingEnabled(materialized.topicConfig);
  return configured;
}

/** What a DSL store is for, so a misconfiguration can name the operator and the fix. */
export interface AggregateStoreSpec<K, VA> {
  readonly name: string;
  /** The operator, as users call it (`count()`, `windowedBy(SessionWindows).aggregate()`), for error messages. */
  readonly operator: string;
  readonly materialized: Materialized<K, VA> | undefined;
  /** `undefined` falls back to the config's default serde when the store opens. */
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<VA> | undefined;
  /** The builder's suppliers, used when `materialized` names no supplier. */
  readonly dslStoreSuppliers: DslStoreSuppliers;
}

function supplierOf<S extends { readonly kind: string; readonly name: string }>(spec: AggregateStoreSpec<any, any>, kind: S['kind']): S | undefined {
  const supplier = spec.materialized?.storeSupplier as S | undefined;
  if (supplier === undefined) return undefined;
  if (supplier === null || typeof supplier !== 'object' || supplier.kind !== kind) {
    throw new TopologyError(
      `${spec.operator} materializes store '${spec.name}' in a ${kind} store; its Materialized storeSupplier must be a ${kind} bytes store supplier (Stores.inMemory${kind === 'key-value' ? 'KeyValue' : kind === 'window' ? 'Window' : 'Session'}Store or a LevelDB one), got ${supplier === null || typeof supplier !== 'object' ? String(supplier) : `a ${String((supplier as { kind?: unknown }).kind)} supplier`}.`,
    );
  }
  return supplier;
}

/** A store builder whose cache a task can turn off (see `buildStore` in `stream-task.ts`). */
interface CacheSwitchableStoreBuilder<S extends StateStore> extends StoreBuilder<S> {
  readonly cachingEnabled: boolean;
  withCachingDisabled(): CacheSwitchableStoreBuilder<S>;
}

/**
 * Names the operator and `Materialized.with` when a store opens without a serde the DSL could
 * not infer and the config has no default either. Only stores missing a serde are wrapped.
 */
function explainMissingSerdes<S extends StateStore>(builder: CacheSwitchableStoreBuilder<S>, spec: AggregateStoreSpec<any, any>): CacheSwitchableStoreBuilder<S> {
  const missing = [spec.keySerde === undefined ? ('key' as const) : undefined, spec.valueSerde === undefined ? ('value' as const) : undefined].filter((part) => part !== undefined);
  if (missing.length === 0) return builder;
  return {
    get name() {
      return builder.name;
    },
    // A task built with a cache budget of 0 turns the cache off through these, as for any store.
    get cachingEnabled() {
      return builder.cachingEnabled;
    },
    withCachingDisabled() {
      return explainMissingSerdes(builder.withCachingDisabled(), spec);
    },
    get changelog() {
      return builder.changelog;
    },
    // Drivers find stores that open asynchronously (LevelDB) by their supplier.
    get supplier() {
      return builder.supplier;
    },
    build(): S {
      const store = builder.build();
      const init = store.init;
      // Once per task, before the store resolves its serdes from the config.
      store.init = (context: StateStoreContext): void => {
        for (const part of missing) {
          const option = part === 'key' ? 'defaultKeySerde' : 'defaultValueSerde';
          if (context.appConfigs[option] === undefined || context.appConfigs[option] === null) {
            throw new TopologyError(
              `${spec.operator} has no ${part} serde for its store '${spec.name}': pass Materialized.with(keySerde, valueSerde) (spread with Materialized.as(name) to also name the store), or set ${option} in the streams config.`,
            );
          }
        }
        init.call(store, context);
      };
      return store;
    },
  };
}

/** A timestamped key-value store for an aggregation over all time. */
export function keyValueAggregateStore<K, VA>(spec: AggregateStoreSpec<K, VA>): StoreBuilder<KeyValueStore<K, ValueAndTimestamp<VA>>> {
  const supplier = supplierOf<KeyValueBytesStoreSupplier>(spec, 'key-value') ?? spec.dslStoreSuppliers.keyValueStore(spec.name);
  return explainMissingSerdes(configure(Stores.timestampedKeyValueStoreBuilder<K, VA>(supplier, spec.keySerde, spec.valueSerde), spec.materialized), spec);
}

/**
 * A timestamped window store for a windowed aggregation. A supplier from `Materialized` must
 * have the windows' size (the store reports each window's end from it) and keep at least
 * `minimumRetentionMs` (size plus grace).
 */
export function windowAggregateStore<K, VA>(
  spec: AggregateStoreSpec<K, VA>,
  retentionMs: number,
  minimumRetentionMs: number,
  windowSizeMs: number,
): StoreBuilder<WindowStore<K, ValueAndTimestamp<VA>>> {
  const given = supplierOf<WindowBytesStoreSupplier>(spec, 'window');
  if (given !== undefined) {
    if (given.windowSizeMs !== windowSizeMs || given.retainDuplicates) {
      throw new TopologyError(
        `${spec.operator}: the window store supplier '${given.name}' has windows of ${given.windowSizeMs} ms${given.retainDuplicates ? ' and retains duplicates' : ''}; it needs windows of ${windowSizeMs} ms without duplicates.`,
      );
    }
    checkRetention(given.retentionMs, minimumRetentionMs, given.name, 'window size plus grace period');
  }
  const supplier = given ?? spec.dslStoreSuppliers.windowStore(spec.name, retentionMs, windowSizeMs, false);
  return explainMissingSerdes(configure(Stores.timestampedWindowStoreBuilder<K, VA>(supplier, spec.keySerde, spec.valueSerde), spec.materialized), spec);
}

/** A session store for a session aggregation; a supplier from `Materialized` must keep at least gap plus grace. */
export function sessionAggregateStore<K, VA>(spec: AggregateStoreSpec<K, VA>, retentionMs: number, minimumRetentionMs: number): StoreBuilder<SessionStore<K, VA>> {
  const given = supplierOf<SessionBytesStoreSupplier>(spec, 'session');
  if (given !== undefined) checkRetention(given.retentionMs, minimumRetentionMs, given.name, 'inactivity gap plus grace period');
  const supplier = given ?? spec.dslStoreSuppliers.sessionStore(spec.name, retentionMs);
  return explainMissingSerdes(configure(Stores.sessionStoreBuilder<K, VA>(supplier, spec.keySerde, spec.valueSerde), spec.materialized), spec);
}

function checkRetention(retention: number, minimum: number, storeName: string, what: string): void {
  if (retention < minimum) {
    throw new TopologyError(`The retention of store '${storeName}' (${retention} ms) must be at least its ${what} (${minimum} ms): give its supplier a longer retention or lower the grace period.`);
  }
}

/** Reads a windowed table's row from its window store, by the window's start. */
export function windowStoreValueGetter<K, VA>(storeName: string): KTableValueGetterSupplier<Windowed<K>, VA> {
  return {
    storeNames: [storeName],
    get: () => {
      let store: WindowStore<K, ValueAndTimestamp<VA>>;
      return {
        init: (context) => {
          store = context.getStateStore<WindowStore<K, ValueAndTimestamp<VA>>>(storeName);
        },
        get: (key) => store.fetch(key.key, key.window.start),
      };
    },
  };
}

/** Reads a session table's row from its session store; the timestamp is the session's end. */
export function sessionStoreValueGetter<K, VA>(storeName: string): KTableValueGetterSupplier<Windowed<K>, VA> {
  return {
    storeNames: [storeName],
    get: () => {
      let store: SessionStore<K, VA>;
      return {
        init: (context) => {
          store = context.getStateStore<SessionStore<K, VA>>(storeName);
        },
        get: (key) => {
          const value = store.fetchSession(key.key, key.window.start, key.window.end);
          return value === undefined ? undefined : { value, timestamp: key.window.end };
        },
      };
    },
  };
}

/** Counts as 8-byte big-endian integers, byte-compatible with Kafka's `Serdes.Long()` counts. */
export const countSerde: Serde<number> = {
  serialize: (_topic, count) => {
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeBigInt64BE(BigInt(count));
    return bytes;
  },
  deserialize: (_topic, bytes) => Number(bytes.readBigInt64BE(0)),
};

/**
 * Whether a `count()` counts in `bigint`: its `Materialized` value serde is `Serdes.Int64()`, the
 * serde of Kafka's `Materialized<K, Long>` counts. Any other value serde counts in `number`.
 */
export function countsInBigint(materialized: Materialized<any, unknown> | undefined): boolean {
  return materialized?.valueSerde instanceof Int64Serde;
}

/**
 * Consumes the index Kafka Streams' `count(Materialized)` burns when the Materialized names no
 * store (KGroupedStreamImpl, TimeWindowedKStreamImpl, SessionWindowedKStreamImpl keep it for
 * topology compatibility; sliding windows and `count()` without a Materialized do not).
 */
export function burnCountStoreIndex(topology: InternalTopologyBuilder, materialized: Materialized<any, any> | undefined): void {
  if (materialized !== undefined && materializedStoreName(materialized) === undefined) topology.newIndex();
}
