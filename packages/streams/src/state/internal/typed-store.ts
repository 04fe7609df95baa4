/**
 * What the typed store layers share (Kafka's metered and caching layers, folded into one): the
 * serdes, the lifecycle checks, key encoding, timestamps for changelog records, and the write-back
 * cache with its flush listener and byte-bounded eviction. Each store kind adds its reads,
 * writes and flush.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import type { StateStoreContext } from '../state-store.js';
import type { BytesBackend } from '../store-suppliers.js';
import type { CacheFlushListener } from './flush-listener.js';
import type { ValueAndTimestamp } from '../value-and-timestamp.js';
import { valueAndTimestampSerde } from './key-schemas.js';
import { StoreCache } from './store-cache.js';

/** Shared by every serde call of the stores: store records carry no headers. */
export const noHeaders = new Headers();

/** How many changelog records a restore hands the backend per batch. */
export const restoreBatchSize = 4096;

/** What a typed store is built with. */
export interface TypedStoreOptions<K, V> {
  readonly name: string;
  /** `undefined` falls back to the application's `defaultKeySerde` at init, as in Kafka Streams. */
  readonly keySerde: Serde<K> | undefined;
  /**
   * The value serde; for a timestamped store, the serde of the value inside the
   * `ValueAndTimestamp` (the store wraps it in Kafka's timestamped layout).
   */
  readonly valueSerde: Serde<any> | undefined;
  /** Values are `ValueAndTimestamp`s: stored with their timestamp, and logged at it. */
  readonly timestamped: boolean;
  /** The cache's bound in bytes; `undefined` when caching is off. */
  readonly cacheMaxBytes: number | undefined;
}

export abstract class TypedStore<K, V, ListenerKey> {
  readonly name: string;
  protected context: StateStoreContext | undefined;
  protected keySerde!: Serde<K>;
  protected valueSerde!: Serde<V>;
  /** The changelog topic: the topic serdes are told about, as Kafka does. */
  protected topic = '';
  protected readonly cache: StoreCache<K, V> | undefined;
  protected listener: CacheFlushListener<ListenerKey, V> | undefined;
  protected sendOldValues = false;
  protected flushing = false;
  // The last key encoded, kept for primitive keys: a get then a put of one key encodes it once.
  private lastKey: unknown = undefined;
  protected keyBytes: Buffer = Buffer.alloc(0);
  protected keyId = '';
  private open = false;
  /** Whether values are `ValueAndTimestamp`s (tables and aggregates), for read-only views that unwrap them. */
  readonly timestamped: boolean;

  protected constructor(
    private readonly backend: BytesBackend,
    private readonly options: TypedStoreOptions<K, V>,
    indexDirtyByKey: boolean,
  ) {
    this.name = options.name;
    this.timestamped = options.timestamped;
    this.cache = options.cacheMaxBytes === undefined ? undefined : new StoreCache<K, V>(options.cacheMaxBytes, indexDirtyByKey);
  }

  get persistent(): boolean {
    return this.backend.persistent;
  }

  get isOpen(): boolean {
    return this.open;
  }

  init(context: StateStoreContext): void {
    if (this.open) throw new StateStoreError(`State store '${this.name}' is already open; a store is initialized once, by its task.`);
    this.keySerde = this.resolveSerde(this.options.keySerde, context, 'defaultKeySerde', 'key');
    const valueSerde = this.resolveSerde<unknown>(this.options.valueSerde, context, 'defaultValueSerde', 'value');
    this.valueSerde = (this.timestamped ? valueAndTimestampSerde(valueSerde) : valueSerde) as Serde<V>;
    this.topic = context.changelogTopic(this.name);
    this.backend.open(context);
    this.context = context;
    this.open = true;
    this.lastKey = undefined;
  }

  close(): void {
    // Writes still in the cache are not flushed: they were not committed, and the task replays
    // their input after a restart, as it would after a crash.
    if (!this.open) return;
    this.open = false;
    this.cache?.clear();
    this.lastKey = undefined;
    this.backend.close();
  }

  setFlushListener(listener: CacheFlushListener<ListenerKey, V>, sendOldValues: boolean): boolean {
    if (this.cache === undefined) return false;
    this.listener = listener;
    this.sendOldValues = sendOldValues;
    return true;
  }

  protected checkOpen(): void {
    if (!this.open) {
      throw new StateStoreError(
        this.context === undefined
          ? `State store '${this.name}' is not open: it can be used once its task has initialized it (from a processor's init, process or punctuator).`
          : `State store '${this.name}' is closed; its task has shut down.`,
      );
    }
  }

  /** Sets `keyBytes` and `keyId` (the bytes as latin1) for `key`. */
  protected encodeKey(key: K): void {
    if (key === this.lastKey && key !== undefined) return;
    if (key === null || key === undefined) throw new StateStoreError(`State store '${this.name}' cannot hold a null key; drop or re-key such records before the store.`);
    const bytes = this.keySerde.serialize(this.topic, key, noHeaders);
    this.keyBytes = bytes;
    this.keyId = bytes.toString('latin1');
    // Objects could be mutated between calls, so only primitives are remembered.
    this.lastKey = typeof key === 'object' || typeof key === 'function' ? undefined : key;
  }

  /** Serializes a key without touching the remembered one (for range bounds). */
  protected serializeKey(key: K): Buffer {
    if (key === null) throw new StateStoreError(`State store '${this.name}' cannot hold a null key; drop or re-key such records before the store.`);
    return this.keySerde.serialize(this.topic, key, noHeaders);
  }

  protected serializeValue(value: V): Buffer {
    return this.valueSerde.serialize(this.topic, value, noHeaders);
  }

  protected deserializeValue(bytes: Buffer): V {
    return this.valueSerde.deserialize(this.topic, bytes, noHeaders);
  }

  protected deserializeKey(bytes: Buffer): K {
    return this.keySerde.deserialize(this.topic, bytes, noHeaders);
  }

  /** The timestamp of a write: the value's own, else the stream time (never negative: Kafka rejects that). */
  protected timestampFor(value: V | null): number {
    if (value !== null && this.timestamped) return (value as ValueAndTimestamp<unknown>).timestamp;
    const streamTime = this.context!.currentStreamTimeMs();
    return streamTime > 0 ? streamTime : 0;
  }

  /** Seeds the cache's value size estimate with the first value written. */
  protected measureFirstValue(value: V | null): void {
    if (value !== null && this.cache!.needsValueEstimate) this.cache!.measureValue(this.serializeValue(value).length);
  }

  /** Flushes the cache's dirty entries to the backend, the changelog and the listener. */
  protected abstract flushCache(): void;

  /** Evicts least recently used entries while the cache is over its bound, flushing first if the eldest is dirty. */
  protected maybeEvict(): void {
    const cache = this.cache!;
    if (cache.bytes <= cache.maxBytes || this.flushing) return;
    while (cache.bytes > cache.maxBytes) {
      const eldest = cache.eldest;
      if (eldest === undefined) return;
      if (eldest.dirty) {
        this.flushCache();
        if (eldest.dirty) return;
        continue;
      }
      cache.remove(eldest);
    }
  }

  private resolveSerde<T>(own: Serde<T> | undefined, context: StateStoreContext, option: 'defaultKeySerde' | 'defaultValueSerde', part: string): Serde<T> {
    if (own !== undefined) return own;
    const fallback = context.appConfigs[option] as Partial<Serde<T>> | undefined;
    if (fallback !== undefined && fallback !== null && typeof fallback.serialize === 'function' && typeof fallback.deserialize === 'function') {
      return fallback as Serde<T>;
    }
    throw new StateStoreError(
      `State store '${this.name}' has no ${part} serde: give one to its builder (Stores.*StoreBuilder or Materialized.with), or set ${option} in the streams config.`,
    );
  }
}
