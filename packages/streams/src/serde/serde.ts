/**
 * Serdes turn typed keys and values into bytes and back. Null never reaches a serde: the engine
 * maps a null (absent) key or value to `null` on both sides, as Kafka's serdes do, so a serde only
 * handles real data.
 */
import type { Headers } from '../processor/headers.js';

/** Turns a value into bytes. */
export interface Serializer<T> {
  /**
   * Serializes one key or value. Runs on the hot path, synchronously; throw to reject the data
   * (at a sink, the production exception handler then decides what happens to the record).
   *
   * @param topic the topic the bytes are written to
   * @param data the value, never null
   * @param headers the record's headers, which the serializer may read or add to
   */
  serialize(topic: string, data: T, headers: Headers): Buffer;
}

/** Turns bytes into a value. Throws (any error) when the bytes are not a valid `T`. */
export interface Deserializer<T> {
  /**
   * Deserializes one key or value. Runs on the hot path, synchronously; throw when the bytes are
   * not a valid `T` (at a source, the deserialization exception handler then decides what happens
   * to the record).
   *
   * @param topic the topic the bytes were read from
   * @param data the bytes, never null
   * @param headers the record's headers
   */
  deserialize(topic: string, data: Buffer, headers: Headers): T;
}

/** A serializer and deserializer pair for one type. Write your own by implementing both methods. */
export interface Serde<T> extends Serializer<T>, Deserializer<T> {}

/** The type a serde handles. */
export type SerdeType<S> = S extends Serde<infer T> ? T : never;
