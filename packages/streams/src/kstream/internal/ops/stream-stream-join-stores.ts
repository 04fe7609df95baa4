/**
 * The stores of a stream-stream join: one window store per side (duplicates kept: every record
 * is its own entry) and, for left and outer joins, the shared store of records still waiting for
 * a partner, keyed so that iteration runs oldest first (Kafka Streams' `TimestampedKeyAndJoinSide`
 * and `LeftOrRightValue`).
 */
import { TopologyError } from '../../../errors/streams-error.js';
import type { Headers } from '../../../processor/headers.js';
import type { Serde } from '../../../serde/serde.js';
import type { DslStoreSuppliers } from '../../../state/dsl-store-suppliers.js';
import type { StoreBuilder } from '../../../state/state-store.js';
import { Stores } from '../../../state/stores.js';
import type { JoinWindows } from '../../windows.js';

/** A parked record's key: by timestamp, then side (right before left, as Kafka orders them), then key bytes. */
export interface ParkedKey<K> {
  readonly timestamp: number;
  readonly leftSide: boolean;
  readonly key: K;
}

/** The values of the records parked under one key, side and timestamp, in arrival order. */
export interface ParkedValues {
  readonly leftSide: boolean;
  readonly values: readonly unknown[];
}

const timestampBytes = 8;

function writeTimestamp(buffer: Buffer, timestamp: number, offset: number): void {
  // Big-endian, so that byte order is time order for the non-negative timestamps the engine admits.
  buffer.writeUInt32BE(Math.floor(timestamp / 0x1_0000_0000), offset);
  buffer.writeUInt32BE(timestamp % 0x1_0000_0000, offset + 4);
}

function readTimestamp(buffer: Buffer, offset: number): number {
  return buffer.readUInt32BE(offset) * 0x1_0000_0000 + buffer.readUInt32BE(offset + 4);
}

/** Serializes a {@link ParkedKey} as `<timestamp><side><key>`. */
function parkedKeySerde<K>(keySerde: Serde<K>): Serde<ParkedKey<K>> {
  return {
    serialize(topic: string, data: ParkedKey<K>, headers: Headers): Buffer {
      const key = keySerde.serialize(topic, data.key, headers);
      const buffer = Buffer.allocUnsafe(timestampBytes + 1 + key.length);
      writeTimestamp(buffer, data.timestamp, 0);
      buffer[timestampBytes] = data.leftSide ? 1 : 0;
      key.copy(buffer, timestampBytes + 1);
      return buffer;
    },
    deserialize(topic: string, data: Buffer, headers: Headers): ParkedKey<K> {
      return {
        timestamp: readTimestamp(data, 0),
        leftSide: data[timestampBytes] === 1,
        key: keySerde.deserialize(topic, data.subarray(timestampBytes + 1), headers),
      };
    },
  };
}

/** Kafka's `ListSerializer` flag for entries of varying size, each written with its length. */
const variableSizeFlag = 1;

/**
 * Serializes {@link ParkedValues} as Kafka Streams 3.9 logs its outer-join store's lists: the
 * `ListSerde` layout (`<flag 1: variable size><count int32>(<length int32><entry>)*`) of
 * `LeftOrRightValue` entries (`<side: 1 left, 0 right><value>`), each value with its side's serde.
 *
 * Reads Tributary's earlier layout too (`<side><count>(<length><value>)*`, values without a side
 * byte), as a store or changelog written before may hold it: a first byte of 0 is that layout's
 * right side; a first byte of 1 is Kafka's layout when every entry starts with one same side byte,
 * else that layout's left side. (An earlier left-side list whose values all start with the byte 0
 * or all with 1 reads as Kafka's layout: those bytes are taken for side bytes.)
 */
export function parkedValuesSerde(leftSerde: Serde<any>, rightSerde: Serde<any>): Serde<ParkedValues> {
  return {
    serialize(topic: string, data: ParkedValues, headers: Headers): Buffer {
      const serde = data.leftSide ? leftSerde : rightSerde;
      const side = data.leftSide ? 1 : 0;
      const encoded: Buffer[] = [];
      let length = 5;
      for (const value of data.values) {
        const bytes = serde.serialize(topic, value, headers);
        encoded.push(bytes);
        length += 4 + 1 + bytes.length;
      }
      const buffer = Buffer.allocUnsafe(length);
      buffer[0] = variableSizeFlag;
      let offset = buffer.writeUInt32BE(encoded.length, 1);
      for (const bytes of encoded) {
        offset = buffer.writeUInt32BE(1 + bytes.length, offset);
        buffer[offset++] = side;
        offset += bytes.copy(buffer, offset);
      }
      return buffer;
    },
    deserialize(topic: string, data: Buffer, headers: Headers): ParkedValues {
      const entries = listEntries(data);
      const side = data[0] === variableSizeFlag ? sharedSideByte(entries) : undefined;
      const leftSide = side === undefined ? data[0] === 1 : side === 1;
      const serde = leftSide ? leftSerde : rightSerde;
      const skip = side === undefined ? 0 : 1;
      return { leftSide, values: entries.map((entry) => serde.deserialize(topic, entry.subarray(skip), headers)) };
    },
  };
}

/** The length-prefixed entries after a list's first byte and count (both layouts share them). */
function listEntries(data: Buffer): Buffer[] {
  const count = data.readUInt32BE(1);
  const entries: Buffer[] = [];
  let offset = 5;
  for (let index = 0; index < count; index++) {
    const length = data.readUInt32BE(offset);
    offset += 4;
    entries.push(data.subarray(offset, offset + length));
    offset += length;
  }
  return entries;
}

/** The side byte every entry starts with (Kafka's `LeftOrRightValue`), or `undefined` when they do not share one. */
function sharedSideByte(entries: readonly Buffer[]): number | undefined {
  const first = entries[0]?.[0];
  if (first !== 0 && first !== 1) return undefined;
  for (const entry of entries) if (entry.length === 0 || entry[0] !== first) return undefined;
  return first;
}

function requireSerde<T>(serde: Serde<T> | undefined, storeName: string, what: string): Serde<T> {
  if (serde === undefined) {
    throw new TopologyError(
      `The stream-stream join store '${storeName}' needs a ${what} serde: give the input streams serdes (Consumed.with) or pass StreamJoined.with(keySerde, valueSerde, otherValueSerde).`,
    );
  }
  return serde;
}

/**
 * One side's window store, retaining Kafka's `size + grace`: a fetch sees records newer than the
 * store's observed time minus retention, so how far back a late record can join is exactly
 * Kafka's (with no grace and a zero-size window, nothing is ever joined, as in Kafka).
 */
export function joinWindowStoreBuilder(
  name: string,
  windows: JoinWindows,
  keySerde: Serde<any> | undefined,
  valueSerde: Serde<any> | undefined,
  logging: boolean,
  suppliers: DslStoreSuppliers,
): StoreBuilder {
  const retentionMs = windows.sizeMs + windows.graceMs;
  const supplier = suppliers.windowStore(name, retentionMs, windows.sizeMs, true);
  // Never cached (a store retaining duplicates cannot be): each side must see the other's writes at once.
  const builder = Stores.windowStoreBuilder(supplier, requireSerde(keySerde, name, 'key'), requireSerde(valueSerde, name, 'value'));
  return logging ? builder : builder.withLoggingDisabled();
}

/** The store of records waiting for a partner, shared by both sides of a left or outer join. */
export function outerJoinStoreBuilder(
  name: string,
  keySerde: Serde<any> | undefined,
  leftValueSerde: Serde<any> | undefined,
  rightValueSerde: Serde<any> | undefined,
  logging: boolean,
  suppliers: DslStoreSuppliers,
): StoreBuilder {
  const parkedKeys = parkedKeySerde(requireSerde(keySerde, name, 'key'));
  const parkedValues = parkedValuesSerde(requireSerde(leftValueSerde, name, 'value'), requireSerde(rightValueSerde, name, 'other value'));
  // Not cached: the store is scanned for closed windows right after writes, by both sides.
  const builder = Stores.keyValueStoreBuilder(suppliers.keyValueStore(name, { orderedScans: true }), parkedKeys, parkedValues);
  return logging ? builder : builder.withLoggingDisabled();
}
