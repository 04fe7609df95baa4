/**
 * A store's serdes, resolved when it opens (Kafka's `StateSerdes`): the key and value serdes the
 * builder gave, else the config's defaults, with the value serde wrapped in Kafka's timestamped
 * layout for timestamped stores, and the changelog topic every serde call names. The metered
 * layer makes one at `init` and hands it to its caching layer, which serializes at flush.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import type { StateStoreContext } from '../state-store.js';
import { valueAndTimestampSerde } from './key-schemas.js';

/** Shared by every serde call of the stores: store records carry no headers. */
const noHeaders = new Headers();

export class StoreSerdes<K, V> {
  private constructor(
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** The changelog topic: the topic serdes are told about, as Kafka does. */
    readonly topic: string,
  ) {}

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
