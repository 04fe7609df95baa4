/**
 * Builds the state stores a topology adds by hand (Processor API) or the DSL materializes, in
 * Kafka Streams' shape: a supplier says where the bytes live (`Stores.inMemoryKeyValueStore`,
 * or a LevelDB supplier from `@tributary/level`), a builder adds the serdes, the cache and the
 * changelog (`Stores.keyValueStoreBuilder(supplier, keySerde, valueSerde)`).
 *
 * Builders are immutable: `withCachingEnabled()` and the like return a new builder. As in Kafka
 * Streams, a builder logs to a changelog and does not cache unless asked; the DSL turns caching
 * on for the stores it materializes.
 */
import { ConfigError, TopologyError } from '../errors/streams-error.js';
import type { Serde } from '../serde/serde.js';
import type { KeyValueStore } from './key-value-store.js';
import type { SessionStore } from './session-store.js';
import type { ChangelogConfig, StateStore, StoreBuilder } from './state-store.js';
import type { DslStoreSuppliers } from './dsl-store-suppliers.js';
import type { KeyValueBytesStoreSupplier, SessionBytesStoreSupplier, WindowBytesStoreSupplier } from './store-suppliers.js';
import type { ValueAndTimestamp } from './value-and-timestamp.js';
import type { WindowStore } from './window-store.js';
import { InMemoryKeyValueBackend } from './internal/in-memory-key-value-backend.js';
import { InMemorySessionBackend } from './internal/in-memory-session-backend.js';
import { InMemoryWindowBackend } from './internal/in-memory-window-backend.js';
import { CachingKeyValueStore } from './internal/caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from './internal/change-logging-key-value-store.js';
import { MeteredKeyValueStore } from './internal/metered-key-value-store.js';
import { CachingSessionStore } from './internal/caching-session-store.js';
import { ChangeLoggingSessionStore } from './internal/change-logging-session-store.js';
import { MeteredSessionStore } from './internal/metered-session-store.js';
import { CachingWindowStore } from './internal/caching-window-store.js';
import { ChangeLoggingWindowStore } from './internal/change-logging-window-store.js';
import { MeteredWindowStore } from './internal/metered-window-store.js';
import { ObservedTime } from './internal/observed-time.js';

/**
 * One caching store's bound when its builder gives none (`withCachingEnabled()`): 10 MiB per
 * store instance. Not an application budget: the config's `cacheMaxBytes` is that, and overrides
 * it (for `KafkaStreams`, Kafka Streams' `statestore.cache.max.bytes`,
 * default `DEFAULT_INSTANCE_CACHE_MAX_BYTES` of `@tributary/kafka`).
 */
export const DEFAULT_STORE_CACHE_MAX_BYTES = 10 * 1024 * 1024;

/** How long a windowed store's changelog keeps records beyond the store's retention: one day, as in Kafka Streams. */
export const WINDOWED_CHANGELOG_ADDITIONAL_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Options of {@link KeyValueStoreBuilder.withCachingEnabled} and the other builders'. */
export interface CachingOptions {
  /**
   * The cache's bound, in bytes of serialized keys and values (values not yet serialized are
   * counted at the store's average serialized size). Defaults to {@link DEFAULT_STORE_CACHE_MAX_BYTES}.
   */
  readonly maxBytes?: number;
}

interface BuilderSettings {
  /** The cache bound; `undefined` when caching is off. */
  readonly cacheMaxBytes: number | undefined;
  readonly changelog: ChangelogConfig;
  /** Topic configs every changelog of this store kind gets (the user's win over them). */
  readonly changelogDefaults: Readonly<Record<string, string>>;
}

/** What every store builder shares: a name, caching and changelog settings, immutably. */
abstract class AbstractStoreBuilder<S extends StateStore> implements StoreBuilder<S> {
  protected constructor(
    /** The supplier's name, and so the name of every store built, its changelog topic's middle part. */
    readonly name: string,
    /** @internal Cache and changelog settings; each `with*` copies them into a new builder. */
    protected readonly settings: BuilderSettings,
  ) {}

  /** Whether the stores are logged to `<applicationId>-<name>-changelog`, and its topic configs. */
  get changelog(): ChangelogConfig {
    return this.settings.changelog;
  }

  /** Whether the stores cache writes until commit. */
  get cachingEnabled(): boolean {
    return this.settings.cacheMaxBytes !== undefined;
  }

  /** Makes a new, unopened store over a fresh backend from the supplier. Called once per task. */
  abstract build(): S;

  /** @internal A builder like this one, with other settings. */
  protected abstract with(settings: BuilderSettings): this;

  /**
   * Caches writes until commit (or eviction): reads hit the cache, each key is serialized, stored
   * and logged once per commit, and DSL operators forward one update per key per commit.
   */
  withCachingEnabled(options: CachingOptions = {}): this {
    const maxBytes = options.maxBytes ?? DEFAULT_STORE_CACHE_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new ConfigError(`Caching option 'maxBytes' of store '${this.name}' must be a non-negative integer, got ${String(maxBytes)}.`);
    }
    return this.with({ ...this.settings, cacheMaxBytes: maxBytes });
  }

  /** Writes go to the store (and its changelog) at once. */
  withCachingDisabled(): this {
    return this.with({ ...this.settings, cacheMaxBytes: undefined });
  }

  /** Logs changes to the changelog topic, with extra topic configs (yours win over the defaults). */
  withLoggingEnabled(topicConfig: Readonly<Record<string, string>> = {}): this {
    return this.with({ ...this.settings, changelog: { enabled: true, topicConfig: { ...this.settings.changelogDefaults, ...topicConfig } } });
  }

  /** Keeps the store's writes out of a changelog topic: it will not be restored after a failure. */
  withLoggingDisabled(): this {
    return this.with({ ...this.settings, changelog: { enabled: false, topicConfig: {} } });
  }
}

function defaultSettings(changelogDefaults: Readonly<Record<string, string>>): BuilderSettings {
  return { cacheMaxBytes: undefined, changelog: { enabled: true, topicConfig: { ...changelogDefaults } }, changelogDefaults };
}

/** Builds a key-value store for each task: a backend from its supplier, serdes, cache and changelog. */
export class KeyValueStoreBuilder<K, V> extends AbstractStoreBuilder<KeyValueStore<K, V>> {
  /** @internal Use `Stores.keyValueStoreBuilder` or `Stores.timestampedKeyValueStoreBuilder`. */
  constructor(
    /** Where the bytes live: in memory, LevelDB, or your own backend. */
    readonly supplier: KeyValueBytesStoreSupplier,
    /** `undefined` falls back to the config's `defaultKeySerde` when the store opens. */
    readonly keySerde: Serde<K> | undefined,
    /** The plain value's serde, even for timestamped stores; `undefined` falls back to the config's `defaultValueSerde`. */
    readonly valueSerde: Serde<any> | undefined,
    /** Whether values are kept in Kafka's timestamped layout (and logged as bare values at their timestamp). */
    readonly timestamped: boolean,
    settings: BuilderSettings = defaultSettings({ 'cleanup.policy': 'compact' }),
  ) {
    super(supplier.name, settings);
  }

  /** Makes a new, unopened key-value store over a fresh backend from the supplier. Called once per task. */
  build(): KeyValueStore<K, V> {
    const { cacheMaxBytes, changelog } = this.settings;
    const backend = this.supplier.get();
    const logged = changelog.enabled ? new ChangeLoggingKeyValueStore(backend, this.name, this.timestamped) : backend;
    const cached = cacheMaxBytes === undefined ? undefined : new CachingKeyValueStore<K, V>(logged, cacheMaxBytes);
    return new MeteredKeyValueStore<K, V>(backend, logged, cached, { name: this.name, keySerde: this.keySerde, valueSerde: this.valueSerde, timestamped: this.timestamped });
  }

  /** @internal */
  protected with(settings: BuilderSettings): this {
    return new KeyValueStoreBuilder<K, V>(this.supplier, this.keySerde, this.valueSerde, this.timestamped, settings) as this;
  }
}

/** Builds a window store for each task. */
export class WindowStoreBuilder<K, V> extends AbstractStoreBuilder<WindowStore<K, V>> {
  /** @internal Use `Stores.windowStoreBuilder` or `Stores.timestampedWindowStoreBuilder`. */
  constructor(
    /** Where the bytes live, with the window size, retention and duplicate policy. */
    readonly supplier: WindowBytesStoreSupplier,
    /** `undefined` falls back to the config's `defaultKeySerde` when the store opens. */
    readonly keySerde: Serde<K> | undefined,
    /** The plain value's serde, even for timestamped stores; `undefined` falls back to the config's `defaultValueSerde`. */
    readonly valueSerde: Serde<any> | undefined,
    /** Whether values are kept in Kafka's timestamped layout (and logged as bare values at their timestamp). */
    readonly timestamped: boolean,
    settings: BuilderSettings = defaultSettings(windowedChangelogDefaults(supplier.retentionMs)),
  ) {
    super(supplier.name, settings);
  }

  /** Makes a new, unopened window store over a fresh backend from the supplier. Called once per task. */
  build(): WindowStore<K, V> {
    const { cacheMaxBytes, changelog } = this.settings;
    const { windowSizeMs, retainDuplicates } = this.supplier;
    const backend = this.supplier.get();
    const observed = new ObservedTime(backend.retentionMs);
    const logged = changelog.enabled ? new ChangeLoggingWindowStore(backend, this.name, this.timestamped) : backend;
    // Duplicates of one key and window cannot share a cache entry: such stores are never cached.
    const cached = cacheMaxBytes === undefined || retainDuplicates ? undefined : new CachingWindowStore<K, V>(logged, cacheMaxBytes, windowSizeMs, observed);
    const options = { name: this.name, keySerde: this.keySerde, valueSerde: this.valueSerde, timestamped: this.timestamped, windowSizeMs, retainDuplicates };
    return new MeteredWindowStore<K, V>(backend, logged, cached, observed, options);
  }

  /** @internal */
  protected with(settings: BuilderSettings): this {
    return new WindowStoreBuilder<K, V>(this.supplier, this.keySerde, this.valueSerde, this.timestamped, settings) as this;
  }
}

/** Builds a session store for each task. */
export class SessionStoreBuilder<K, AGG> extends AbstractStoreBuilder<SessionStore<K, AGG>> {
  /** @internal Use `Stores.sessionStoreBuilder`. */
  constructor(
    /** Where the bytes live, with the session retention. */
    readonly supplier: SessionBytesStoreSupplier,
    /** `undefined` falls back to the config's `defaultKeySerde` when the store opens. */
    readonly keySerde: Serde<K> | undefined,
    /** The session aggregate's serde; `undefined` falls back to the config's `defaultValueSerde`. */
    readonly valueSerde: Serde<AGG> | undefined,
    settings: BuilderSettings = defaultSettings(windowedChangelogDefaults(supplier.retentionMs)),
  ) {
    super(supplier.name, settings);
  }

  /** Makes a new, unopened session store over a fresh backend from the supplier. Called once per task. */
  build(): SessionStore<K, AGG> {
    const { cacheMaxBytes, changelog } = this.settings;
    const backend = this.supplier.get();
    const observed = new ObservedTime(backend.retentionMs);
    const logged = changelog.enabled ? new ChangeLoggingSessionStore(backend, this.name, false) : backend;
    const cached = cacheMaxBytes === undefined ? undefined : new CachingSessionStore<K, AGG>(logged, cacheMaxBytes, observed);
    return new MeteredSessionStore<K, AGG>(backend, logged, cached, observed, { name: this.name, keySerde: this.keySerde, valueSerde: this.valueSerde, timestamped: false });
  }

  /** @internal */
  protected with(settings: BuilderSettings): this {
    return new SessionStoreBuilder<K, AGG>(this.supplier, this.keySerde, this.valueSerde, settings) as this;
  }
}

/** Windowed changelogs are compacted and also deleted by time, a day after the store lets go. */
function windowedChangelogDefaults(retentionMs: number): Record<string, string> {
  return { 'cleanup.policy': 'compact,delete', 'retention.ms': String(retentionMs + WINDOWED_CHANGELOG_ADDITIONAL_RETENTION_MS) };
}

function checkStoreName(name: string): void {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw new TopologyError(`A store name must be letters, digits, '.', '_' or '-' (it names the changelog topic), got ${JSON.stringify(name)}.`);
  }
}

function checkDuration(store: string, option: string, value: number, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new ConfigError(`Option '${option}' of store '${store}' must be an integer number of milliseconds of at least ${minimum}, got ${String(value)}.`);
  }
}

function checkSupplier(supplier: { readonly kind?: string; readonly name?: string } | undefined, kind: string, builder: string): void {
  if (supplier === null || typeof supplier !== 'object' || supplier.kind !== kind) {
    throw new TopologyError(`Stores.${builder} needs a ${kind} store supplier (for example from Stores.${kind === 'key-value' ? 'inMemoryKeyValueStore' : kind === 'window' ? 'inMemoryWindowStore' : 'inMemorySessionStore'}), got ${supplier === null || typeof supplier !== 'object' ? String(supplier) : `a ${String(supplier.kind)} supplier`}.`);
  }
}

/** Factories of state stores, as in Kafka Streams. */
export const Stores = {
  /** A key-value backend kept in memory, ordered by the key's serialized bytes. Lost on restart; restored from its changelog. */
  inMemoryKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    checkStoreName(name);
    return { kind: 'key-value', name, get: () => new InMemoryKeyValueBackend(name) };
  },

  /**
   * A window backend kept in memory. Windows are kept while their start is within `retentionMs`
   * of the latest window start written; `retainDuplicates` keeps every put (stream-stream joins).
   */
  inMemoryWindowStore(name: string, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean): WindowBytesStoreSupplier {
    checkStoreName(name);
    // Join windows can be 0 ms wide (before = after = 0), as in Kafka.
    checkDuration(name, 'windowSizeMs', windowSizeMs, 0);
    checkDuration(name, 'retentionMs', retentionMs, windowSizeMs);
    return { kind: 'window', name, retentionMs, windowSizeMs, retainDuplicates: retainDuplicates === true, get: () => new InMemoryWindowBackend(name, retentionMs) };
  },

  /** A session backend kept in memory. Sessions are kept while their end is within `retentionMs` of the latest session end written. */
  inMemorySessionStore(name: string, retentionMs: number): SessionBytesStoreSupplier {
    checkStoreName(name);
    checkDuration(name, 'retentionMs', retentionMs, 1);
    return { kind: 'session', name, retentionMs, get: () => new InMemorySessionBackend(name, retentionMs) };
  },

  /** The DSL's default: every store it creates itself is kept in memory (restored from its changelog on restart). */
  inMemoryDslStoreSuppliers(): DslStoreSuppliers {
    return IN_MEMORY_DSL_STORE_SUPPLIERS;
  },

  /**
   * Builds key-value stores from `supplier`. A serde left `undefined` falls back to the streams
   * config's default serde when the store opens.
   */
  keyValueStoreBuilder<K, V>(supplier: KeyValueBytesStoreSupplier, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): KeyValueStoreBuilder<K, V> {
    checkSupplier(supplier, 'key-value', 'keyValueStoreBuilder');
    return new KeyValueStoreBuilder<K, V>(supplier, keySerde, valueSerde, false);
  },

  /**
   * Builds key-value stores of values with their timestamps (tables and aggregations use them).
   * `valueSerde` is the serde of the plain value; the store keeps Kafka's timestamped layout.
   */
  timestampedKeyValueStoreBuilder<K, V>(
    supplier: KeyValueBytesStoreSupplier,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
  ): KeyValueStoreBuilder<K, ValueAndTimestamp<V>> {
    checkSupplier(supplier, 'key-value', 'timestampedKeyValueStoreBuilder');
    return new KeyValueStoreBuilder<K, ValueAndTimestamp<V>>(supplier, keySerde, valueSerde, true);
  },

  /** Builds window stores from `supplier`. */
  windowStoreBuilder<K, V>(supplier: WindowBytesStoreSupplier, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): WindowStoreBuilder<K, V> {
    checkSupplier(supplier, 'window', 'windowStoreBuilder');
    return new WindowStoreBuilder<K, V>(supplier, keySerde, valueSerde, false);
  },

  /** Builds window stores of values with their timestamps (windowed aggregations use them). */
  timestampedWindowStoreBuilder<K, V>(
    supplier: WindowBytesStoreSupplier,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
  ): WindowStoreBuilder<K, ValueAndTimestamp<V>> {
    checkSupplier(supplier, 'window', 'timestampedWindowStoreBuilder');
    return new WindowStoreBuilder<K, ValueAndTimestamp<V>>(supplier, keySerde, valueSerde, true);
  },

  /** Builds session stores from `supplier`. */
  sessionStoreBuilder<K, AGG>(supplier: SessionBytesStoreSupplier, keySerde: Serde<K> | undefined, valueSerde: Serde<AGG> | undefined): SessionStoreBuilder<K, AGG> {
    checkSupplier(supplier, 'session', 'sessionStoreBuilder');
    return new SessionStoreBuilder<K, AGG>(supplier, keySerde, valueSerde);
  },
};

const IN_MEMORY_DSL_STORE_SUPPLIERS: DslStoreSuppliers = Object.freeze({
  keyValueStore: (name: string) => Stores.inMemoryKeyValueStore(name),
  windowStore: (name: string, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean) => Stores.inMemoryWindowStore(name, retentionMs, windowSizeMs, retainDuplicates),
  sessionStore: (name: string, retentionMs: number) => Stores.inMemorySessionStore(name, retentionMs),
});
