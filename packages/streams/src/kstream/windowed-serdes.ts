/**
 * Serdes of windowed keys, byte-compatible with Kafka Streams: a time-windowed key is the key's
 * bytes then the window start (8 bytes, big-endian); a session-windowed key is the key's bytes
 * then the end and the start. The time-windowed form does not carry the end, so its serde needs
 * the window size.
 */
import { ConfigError, DeserializationError } from '../errors/streams-error.js';
import type { Headers } from '../processor/headers.js';
import type { Serde } from '../serde/serde.js';
import type { Windowed } from './windowed.js';

class TimeWindowedSerde<K> implements Serde<Windowed<K>> {
  constructor(
    private readonly inner: Serde<K>,
    private readonly windowSizeMs: number,
  ) {}

  serialize(topic: string, data: Windowed<K>, headers: Headers): Buffer {
    const key = this.inner.serialize(topic, data.key, headers);
    const bytes = Buffer.allocUnsafe(key.length + 8);
    key.copy(bytes, 0);
    bytes.writeBigInt64BE(BigInt(data.window.start), key.length);
    return bytes;
  }

  deserialize(topic: string, data: Buffer, headers: Headers): Windowed<K> {
    if (data.length < 8) throw new DeserializationError(`Time-windowed key on topic '${topic}' has ${data.length} bytes; it needs at least 8 for the window start.`);
    const start = Number(data.readBigInt64BE(data.length - 8));
    const key = this.inner.deserialize(topic, data.subarray(0, data.length - 8), headers);
    return { key, window: { start, end: start + this.windowSizeMs } };
  }
}

class SessionWindowedSerde<K> implements Serde<Windowed<K>> {
  constructor(private readonly inner: Serde<K>) {}

  serialize(topic: string, data: Windowed<K>, headers: Headers): Buffer {
    const key = this.inner.serialize(topic, data.key, headers);
    const bytes = Buffer.allocUnsafe(key.length + 16);
    key.copy(bytes, 0);
    bytes.writeBigInt64BE(BigInt(data.window.end), key.length);
    bytes.writeBigInt64BE(BigInt(data.window.start), key.length + 8);
    return bytes;
  }

  deserialize(topic: string, data: Buffer, headers: Headers): Windowed<K> {
    if (data.length < 16) throw new DeserializationError(`Session-windowed key on topic '${topic}' has ${data.length} bytes; it needs at least 16 for the session bounds.`);
    const end = Number(data.readBigInt64BE(data.length - 16));
    const start = Number(data.readBigInt64BE(data.length - 8));
    const key = this.inner.deserialize(topic, data.subarray(0, data.length - 16), headers);
    return { key, window: { start, end } };
  }
}

/** Serdes for windowed keys, as in Kafka Streams' `WindowedSerdes`. */
export const WindowedSerdes = {
  /** Keys of time-windowed results (tumbling, hopping, sliding), for windows of `windowSizeMs`. */
  timeWindowedSerdeFrom<K>(keySerde: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
    if (!Number.isInteger(windowSizeMs) || windowSizeMs < 1) throw new ConfigError(`WindowedSerdes option 'windowSizeMs' must be a positive integer, got ${windowSizeMs}.`);
    return new TimeWindowedSerde(keySerde, windowSizeMs);
  },
  /** Keys of session-windowed results. */
  sessionWindowedSerdeFrom<K>(keySerde: Serde<K>): Serde<Windowed<K>> {
    return new SessionWindowedSerde(keySerde);
  },
};
