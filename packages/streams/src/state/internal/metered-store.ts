/**
 * What the metered layers share (Kafka's `Metered*Store`s): the outermost layer, the one a
 * processor holds. It resolves the serdes when the store opens, checks the lifecycle, encodes
 * keys, gives each write its timestamp, and times each operation into the store's metrics when
 * the task records at `DEBUG` (Kafka's `put`, `get`, `range`, `flush`, `restore`, ...: rate and
 * latency). Below it sit the optional caching layer (typed values, so a value is serialized once
 * per flush rather than per write) and the bytes layers; without a cache it serializes each write
 * itself. A restore goes to the backend directly, as Kafka's restore callback is the innermost
 * store's: the changelog does not log its own records again, and the cache drops what it read
 * before.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import type { StreamsConfig } from '../../config.js';
import { SampledStat } from '../../metrics/internal/sampled-stat.js';
import { StoreSensors } from '../../metrics/internal/store-sensors.js';
import type { Serde } from '../../serde/serde.js';
import type { StateStoreContext } from '../state-store.js';
import type { BytesBackend, ChangelogRecord, ChangelogValue } from '../store-suppliers.js';
import type { ValueAndTimestamp } from '../value-and-timestamp.js';
import type { CachingStore } from './caching-store.js';
import type { CacheFlushListener } from './flush-listener.js';
import { StoreSerdes } from './store-serdes.js';
import { bareValueOf, changelogUpgradeFrom, needsBareValueHeader, storedTimestamp, timestampedStoreValue } from './timestamped-changelog.js';

/** How many changelog records a restore hands the backend per batch. */
const restoreBatchSize = 4096;

/** What a store is built with. */
export interface MeteredStoreOptions<K> {
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
}

/** The layer below the metered one: its lifecycle (a change-logging layer, or the backend). */
interface InnerLayer {
  open(context: StateStoreContext): void;
  flush(): void;
  close(): void;
}

/** A backend that takes its store kind's writes in batches, as a restore hands them over. */
type BatchingBackend<Write> = BytesBackend & { putBatch(writes: readonly Write[]): void };

export abstract class MeteredStore<K, V, ListenerKey, Write extends { readonly value: Buffer | null }> {
  readonly name: string;
  /** Whether values are `ValueAndTimestamp`s (tables and aggregates), for read-only views that unwrap them. */
  readonly timestamped: boolean;
  protected context: StateStoreContext | undefined;
  protected serdes!: StoreSerdes<K, V>;
  private open = false;
  /** The application's `upgradeFrom`: whether the changelog may hold a pre-0.1 build's prefixed records. */
  private upgradeFrom: StreamsConfig['upgradeFrom'];
  /** The operations' latencies, while the task records metrics at `DEBUG`. */
  private sensors: StoreSensors | undefined;
  // The last key encoded, kept for primitive keys: a get then a put of one key encodes it once.
  private lastKey: unknown = undefined;
  protected keyBytes: Buffer = Buffer.alloc(0);
  protected keyId = '';

  protected constructor(
    /** Where the bytes live; restores write here directly. */
    private readonly backend: BatchingBackend<Write>,
    private readonly inner: InnerLayer,
    private readonly caching: CachingStore<K, V, ListenerKey, Write> | undefined,
    private readonly options: MeteredStoreOptions<K>,
    /** Kafka's store-type suffix of the metrics' state-id tag: '' (key-value), '-window' or '-session'. */
    private readonly storeTypeSuffix: string,
  ) {
    this.name = options.name;
    this.timestamped = options.timestamped;
  }

  get persistent(): boolean {
    return this.backend.persistent;
  }

  get isOpen(): boolean {
    return this.open;
  }

  init(context: StateStoreContext): void {
    if (this.open) throw new StateStoreError(`State store '${this.name}' is already open; a store is initialized once, by its task.`);
    this.serdes = StoreSerdes.resolve<K, V>(this.name, this.options.keySerde, this.options.valueSerde, this.timestamped, context);
    this.upgradeFrom = changelogUpgradeFrom(context.appConfigs);
    this.inner.open(context);
    this.caching?.init(context, this.serdes);
    this.context = context;
    this.open = true;
    this.lastKey = undefined;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.caching?.close();
    this.lastKey = undefined;
    this.inner.close();
  }

  flush(): void {
    const start = this.startTimer();
    try {
      this.checkOpen();
      this.caching?.flush();
      this.inner.flush();
    } finally {
      this.stopTimer('flush', start);
    }
  }

  /**
   * Starts timing this store's operations, and its cache's hit ratio, into new sensors, which it
   * returns for the task to report (metrics at `DEBUG`). Call before `init`.
   */
  recordMetrics(): StoreSensors {
    let hitRatio: SampledStat | undefined;
    if (this.caching !== undefined) this.caching.cache.hitRatio = hitRatio = new SampledStat();
    this.sensors = new StoreSensors(this.name, `${this.persistent ? 'level' : 'in-memory'}${this.storeTypeSuffix}`, hitRatio);
    return this.sensors;
  }

  /** The cache's bound in bytes; `undefined` when caching is off. */
  get cacheMaxBytes(): number | undefined {
    return this.caching?.maxBytes;
  }

  /**
   * Rebounds the cache (a runtime dividing its application-wide budget among its stores), evicting
   * down to the new bound at once. Does nothing when caching is off.
   */
  setCacheMaxBytes(bytes: number): void {
    if (this.caching !== undefined) this.caching.maxBytes = bytes;
  }

  setFlushListener(listener: CacheFlushListener<ListenerKey, V>, sendOldValues: boolean): boolean {
    return this.caching?.setFlushListener(listener, sendOldValues) ?? false;
  }

  restore(records: Iterable<ChangelogRecord>): void {
    const start = this.startTimer();
    try {
      this.checkOpen();
      let batch: Write[] = [];
      for (const record of records) {
        batch.push(this.writeOfRecord(this.timestamped ? { key: record.key, value: timestampedStoreValue(record, this.name, this.upgradeFrom) } : record));
        if (batch.length === restoreBatchSize) {
          this.backend.putBatch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) this.backend.putBatch(batch);
      // Cached reads may predate the restored values; writes still dirty are newer and stay.
      this.caching?.cache.clearClean();
      this.restored();
    } finally {
      this.stopTimer('restore', start);
    }
  }

  changelogValue(changelogKey: Buffer): ChangelogValue | undefined {
    this.checkOpen();
    const stored = this.storedBytesOfWrite(this.writeOfRecord({ key: changelogKey, value: null }));
    if (stored === undefined) return undefined;
    if (!this.timestamped) return { value: stored, timestamp: undefined, bareValue: false };
    const value = bareValueOf(stored);
    const timestamp = storedTimestamp(stored);
    return { value, timestamp, bareValue: needsBareValueHeader(value, timestamp, this.upgradeFrom) };
  }

  /** The backend write of a changelog record, as a restore applies it. */
  protected abstract writeOfRecord(record: ChangelogRecord): Write;

  /** The bytes the backend holds where `write` would go (its key, and window or session), if any. */
  protected abstract storedBytesOfWrite(write: Write): Buffer | undefined;

  /** Called after a restore, for stores that follow the backend's observed time. */
  protected restored(): void {}

  /** When an operation starts, for {@link stopTimer}; 0 (and no clock read) when not recording metrics. */
  protected startTimer(): number {
    return this.sensors === undefined ? 0 : performance.now();
  }

  /** Records the latency of `operation` (a Kafka store metric name) started at `start`, when recording metrics. */
  protected stopTimer(operation: string, start: number): void {
    if (this.sensors !== undefined) this.sensors.operation(operation).record(performance.now() - start);
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
    const encoded = this.serdes.encodeKey(key);
    this.keyBytes = encoded.bytes;
    this.keyId = encoded.id;
    // Objects could be mutated between calls, so only primitives are remembered.
    this.lastKey = typeof key === 'object' || typeof key === 'function' ? undefined : key;
  }

  /** Serializes a key without touching the remembered one (for range bounds). */
  protected serializeKey(key: K): Buffer {
    if (key === null) throw new StateStoreError(`State store '${this.name}' cannot hold a null key; drop or re-key such records before the store.`);
    return this.serdes.rawKey(key);
  }

  /**
   * The timestamp of a write: the value's own, else (a deletion, or a store without timestamps)
   * the current record's, as Kafka's caching and change-logging layers take it from the record
   * context; the stream time outside any record. Never negative: Kafka rejects that.
   */
  protected timestampFor(value: V | null): number {
    if (value !== null && this.timestamped) return (value as ValueAndTimestamp<unknown>).timestamp;
    const time = this.context!.currentRecordTimestampMs?.() ?? this.context!.currentStreamTimeMs();
    return time > 0 ? time : 0;
  }
}
