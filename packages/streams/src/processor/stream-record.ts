/**
 * The record a processor receives and forwards: key, value, event-time timestamp and headers.
 * Key, value and timestamp are immutable: the `with*` methods return a copy, so a processor can
 * forward the record it got without worrying that a sibling changed them. Headers are shared
 * between the copies, as in Kafka Streams: a processor that changes headers for one branch
 * should forward `record.withHeaders(record.headers.copy())`. (Kafka Streams calls this
 * `Record`; that name is TypeScript's built-in utility type, so Tributary says `StreamRecord`.)
 */
import { Headers } from './headers.js';

/** A record flowing through a topology. */
export class StreamRecord<K, V> {
  /**
   * A record to forward from a processor (`context.forward(new StreamRecord(...))`); a record
   * only changes through copies (`withKey`, `withValue`, ...).
   *
   * @param key the key; `null` when the record has none
   * @param value the value; `null` is a tombstone for tables
   * @param timestamp event time, epoch milliseconds
   * @param headers defaults to empty headers
   */
  constructor(
    readonly key: K,
    readonly value: V,
    readonly timestamp: number,
    readonly headers: Headers = new Headers(),
  ) {}

  /** A copy with another key (and so, possibly, another key type). */
  withKey<KNew>(key: KNew): StreamRecord<KNew, V> {
    return new StreamRecord(key, this.value, this.timestamp, this.headers);
  }

  /** A copy with another value. */
  withValue<VNew>(value: VNew): StreamRecord<K, VNew> {
    return new StreamRecord(this.key, value, this.timestamp, this.headers);
  }

  /** A copy with another timestamp. */
  withTimestamp(timestamp: number): StreamRecord<K, V> {
    return new StreamRecord(this.key, this.value, timestamp, this.headers);
  }

  /** A copy with other headers. */
  withHeaders(headers: Headers): StreamRecord<K, V> {
    return new StreamRecord(this.key, this.value, this.timestamp, headers);
  }
}

/**
 * A record whose key a processor may not change, given to `processValues` processors: because
 * the key cannot change, the stream keeps its partitioning and needs no repartition.
 */
export class FixedKeyRecord<K, V> {
  /**
   * A record whose key stays as given; a `processValues` processor forwards copies of the one it
   * received (`record.withValue(...)`).
   *
   * @param key the key, fixed for the record's life; `null` when the record has none
   * @param value the value; `null` is a tombstone for tables
   * @param timestamp event time, epoch milliseconds
   * @param headers defaults to empty headers
   */
  constructor(
    readonly key: K,
    readonly value: V,
    readonly timestamp: number,
    readonly headers: Headers = new Headers(),
  ) {}

  /** A copy with another value. */
  withValue<VNew>(value: VNew): FixedKeyRecord<K, VNew> {
    return new FixedKeyRecord(this.key, value, this.timestamp, this.headers);
  }

  /** A copy with another timestamp. */
  withTimestamp(timestamp: number): FixedKeyRecord<K, V> {
    return new FixedKeyRecord(this.key, this.value, timestamp, this.headers);
  }

  /** A copy with other headers. */
  withHeaders(headers: Headers): FixedKeyRecord<K, V> {
    return new FixedKeyRecord(this.key, this.value, this.timestamp, headers);
  }
}
