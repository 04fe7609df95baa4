/**
 * A store's serdes, resolved when it opens (Kafka's `StateSerdes`): the key and value serdes the
 * builder gave, else the config's defaults, with the value serde wrapped in Kafka's timestamped
 * layout for timestamped stores, and the changelog topic every serde call names. The metered
 * layer makes one at `init` and hands it to its caching layer, which serializes at flush.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import { StringSerde } from '../../serde/serdes.js';
import type { StateStoreContext } from '../state-store.js';
import { valueAndTimestampSerde } from './key-schemas.js';

/** Shared by every serde call of the stores: store records carry no headers. */
const noHeaders = new Headers();

/** A key's bytes and their latin1 string, one char per byte: the id caches and write buffers key on. */
export interface EncodedKey {
  readonly bytes: Buffer;
  readonly id: string;
}

/**
 * The last string key a store encoded with the built-in String serde, whose bytes depend on the
 * string alone (not on the store, its topic or headers). A record's key goes through several stores
 * in a row (a table join, then each windowed aggregation of the same key): they share one
 * encoding instead of serializing the key, and printing its id, once each. The stores only read
 * the bytes, as they read the ones they serialized themselves.
 */
const lastStringKey: { key: string | undefined; bytes: Buffer; id: string } = { key: undefined, bytes: Buffer.alloc(0), id: '' };

export class StoreSerdes<K, V> {
  /** Whether keys go through {@link lastStringKey}: the key serde is the built-in String serde itself (not a subclass). */
  private readonly stringKeys: boolean;
  /** What {@link encodeKey} returns for keys that do not go through {@link lastStringKey}, reused. */
  private readonly encoded: { bytes: Buffer; id: string } = { bytes: Buffer.alloc(0), id: '' };

  private constructor(
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** The changelog topic: the topic serdes are told about, as Kafka does. */
    readonly topic: string,
  ) {
    this.stringKeys = (keySerde as object).constructor === StringSerde;
  }

  /**
   * The serdes of store `name` opened with `context`: its own, else the config's
   * `defaultKeySerde` / `defaultValueSerde`; throws naming both fixes when neither is there.
   */
  static resolve<K, V>(name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<any> | undefined, timestamped: boolean, context: StateStoreContext): StoreSerdes<K, V> {
    const key = resolveSerde(name, keySerde, context, 'defaultKeySerde', 'key');
    const value = resolveSerde<unknown>(name, valueSerde, context, 'defaultValueSerde', 'value');
    return new StoreSerdes<K, V>(key, (timestamped ? valueAndTimestampSerde(value) : value) as Serde<V>, context.changelogTopic(name));
  }

  rawKey(key: K): Buffer {
    return this.keySerde.serialize(this.topic, key, noHeaders);
  }

  /** The key's bytes and id, valid until the next call of any store's `encodeKey`: copy the fields out. */
  encodeKey(key: K): EncodedKey {
    if (this.stringKeys && typeof key === 'string') {
      const memo = lastStringKey;
      if (memo.key !== key) {
        const bytes = this.rawKey(key);
        memo.bytes = bytes;
        // UTF-8 writes one byte per character only for ASCII, whose latin1 reading is the key
        // itself: no second string to make, and its hash, once computed, is the key's own.
        memo.id = bytes.length === key.length ? key : bytes.toString('latin1');
        memo.key = key;
      }
      return memo;
    }
    const bytes = this.rawKey(key);
    this.encoded.bytes = bytes;
    this.encoded.id = bytes.toString('latin1');
    return this.encoded;
  }

  rawValue(value: V): Buffer {
    return this.valueSerde.serialize(this.topic, value, noHeaders);
  }

  keyFrom(bytes: Buffer): K {
    return this.keySerde.deserialize(this.topic, bytes, noHeaders);
  }

  valueFrom(bytes: Buffer): V {
    return this.valueSerde.deserialize(this.topic, bytes, noHeaders);
  }
}

function resolveSerde<T>(name: string, own: Serde<T> | undefined, context: StateStoreContext, option: 'defaultKeySerde' | 'defaultValueSerde', part: string): Serde<T> {
  if (own !== undefined) return own;
  const fallback = context.appConfigs[option] as Partial<Serde<T>> | undefined;
  if (fallback !== undefined && fallback !== null && typeof fallback.serialize === 'function' && typeof fallback.deserialize === 'function') {
    return fallback as Serde<T>;
  }
  throw new StateStoreError(
    `State store '${name}' has no ${part} serde: give one to its builder (Stores.*StoreBuilder or Materialized.with), or set ${option} in the streams config.`,
  );
}
