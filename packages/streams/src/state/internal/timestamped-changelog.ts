/**
 * The changelog format of timestamped stores (tables, aggregations, timestamped window stores),
 * as Kafka Streams writes it: a store holds `timestamp (int64 BE) + value`, its changelog record
 * holds the bare value with the timestamp as the record's timestamp, and a restore puts the two
 * back together.
 *
 * Tributary before this format logged the stored bytes (timestamp prefix included) at that same
 * timestamp. A restore tells the two apart by content: a value whose first 8 bytes are its own
 * record timestamp is in the old format. The one new record that would read the same way (a bare
 * value that starts with its own timestamp, as a Long aggregate of "latest time" does) is logged
 * with the {@link BARE_VALUE_HEADER} header, which says "bare value, whatever it starts with".
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';
import type { ChangelogRecord } from '../store-suppliers.js';

/** Bytes of the timestamp before a timestamped store's value. */
const TIMESTAMP_BYTES = 8;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * The header marking a timestamped store's changelog record whose bare value starts with the
 * record's own timestamp, so a restore does not take it for the old, prefixed format. Records
 * without it are bare values too, unless they start with their timestamp.
 */
export const BARE_VALUE_HEADER = 'tributary.changelog.bare';

/** Whether `bytes` starts with `timestamp` as an int64 BE. */
function startsWithTimestamp(bytes: Buffer, timestamp: number): boolean {
  if (bytes.length < TIMESTAMP_BYTES) return false;
  return bytes.readInt32BE(0) * TWO_POW_32 + bytes.readUInt32BE(4) === timestamp;
}

/** The timestamp of a timestamped store's stored bytes. */
export function storedTimestamp(stored: Buffer): number {
  return stored.readInt32BE(0) * TWO_POW_32 + stored.readUInt32BE(4);
}

/** The changelog value of a timestamped store's stored bytes: the value without its timestamp. */
export function bareValueOf(stored: Buffer): Buffer {
  return stored.subarray(TIMESTAMP_BYTES);
}

/**
 * The headers a timestamped store's changelog record needs: `undefined` (none, as Kafka) unless
 * the bare value starts with its own timestamp; then new headers with {@link BARE_VALUE_HEADER}.
 */
export function bareValueHeaders(bare: Buffer, timestamp: number): Headers | undefined {
  return startsWithTimestamp(bare, timestamp) ? new Headers().add(BARE_VALUE_HEADER, '1') : undefined;
}

/** Whether kafkajs-style record headers carry {@link BARE_VALUE_HEADER}. */
export function hasBareValueHeader(headers: Readonly<Record<string, unknown>> | undefined): boolean {
  return headers !== undefined && headers[BARE_VALUE_HEADER] !== undefined;
}

/**
 * The bytes a timestamped store holds for one of its changelog records: `timestamp + value`
 * from a record in Kafka's format, the value as it is from one in Tributary's old prefixed
 * format, `null` for a tombstone. Throws when a bare value comes without its record timestamp.
 */
export function timestampedStoreValue(record: ChangelogRecord, storeName: string): Buffer | null {
  const value = record.value;
  if (value === null) return null;
  const timestamp = record.timestamp;
  if (record.bareValue !== true && timestamp !== undefined && startsWithTimestamp(value, timestamp)) return value;
  if (timestamp === undefined || !Number.isSafeInteger(timestamp)) {
    throw new StateStoreError(
      `Changelog record of timestamped store '${storeName}' has no record timestamp, which holds its value's timestamp: a restore must pass each record's timestamp (ChangelogRecord.timestamp).`,
    );
  }
  const stored = Buffer.allocUnsafe(TIMESTAMP_BYTES + value.length);
  stored.writeInt32BE(Math.floor(timestamp / TWO_POW_32), 0);
  stored.writeUInt32BE(timestamp >>> 0, 4);
  value.copy(stored, TIMESTAMP_BYTES);
  return stored;
}

/** {@link timestampedStoreValue} for each record, keeping the key: what a persistent timestamped store's handle restores. */
export function* timestampedStoreRecords(records: Iterable<ChangelogRecord>, storeName: string): IterableIterator<ChangelogRecord> {
  for (const record of records) yield { key: record.key, value: timestampedStoreValue(record, storeName) };
}
