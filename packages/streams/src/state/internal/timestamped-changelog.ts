/**
 * The changelog format of timestamped stores (tables, aggregations, timestamped window stores),
 * as Kafka Streams writes it: a store holds `timestamp (int64 BE) + value`, its changelog record
 * holds the bare value with the timestamp as the record's timestamp, and a restore puts the two
 * back together. By default that is all: every record is logged and read as Kafka's.
 *
 * Pre-0.1 Tributary builds logged the stored bytes (timestamp prefix included) at that same
 * timestamp. With `upgradeFrom: 'prefixed-changelogs'` a restore tells the two apart by content: a
 * value whose first 8 bytes are its own record timestamp is in the old format. The one new record
 * that would read the same way (a bare value that starts with its own timestamp, as a count of 1
 * at timestamp 1 does) is then logged with the {@link BARE_VALUE_HEADER} header, which says "bare
 * value, whatever it starts with". Without the option no header is written and nothing is
 * sniffed, since Kafka Streams writes no such header and its bare values may start anyhow.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';
import type { StreamsConfig } from '../../config.js';
import type { ChangelogRecord } from '../store-suppliers.js';

/** Bytes of the timestamp before a timestamped store's value. */
const TIMESTAMP_BYTES = 8;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * The header marking a timestamped store's changelog record whose bare value starts with the
 * record's own timestamp, so a restore under `upgradeFrom: 'prefixed-changelogs'` does not take
 * it for the old, prefixed format. Written only under that option; Kafka Streams never writes it.
 */
export const BARE_VALUE_HEADER = 'tributary.changelog.bare';

/** Whether `bytes` starts with `timestamp` as an int64 BE. */
function startsWithTimestamp(bytes: Buffer, timestamp: number): boolean {
  if (bytes.length < TIMESTAMP_BYTES) return false;
  return bytes.readInt32BE(0) * TWO_POW_32 + bytes.readUInt32BE(4) === timestamp;
}

/** The `upgradeFrom` option among a store's `appConfigs` (the whole streams config): what its changelog reads besides Kafka's format. */
export function changelogUpgradeFrom(appConfigs: Readonly<Record<string, unknown>>): StreamsConfig['upgradeFrom'] {
  return appConfigs.upgradeFrom === 'prefixed-changelogs' ? 'prefixed-changelogs' : undefined;
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
 * Whether a timestamped store's changelog record needs {@link BARE_VALUE_HEADER}: only under
 * `upgradeFrom: 'prefixed-changelogs'`, for a bare value that starts with its own timestamp.
 */
export function needsBareValueHeader(bare: Buffer, timestamp: number, upgradeFrom: StreamsConfig['upgradeFrom']): boolean {
  return upgradeFrom === 'prefixed-changelogs' && startsWithTimestamp(bare, timestamp);
}

/** The headers of a timestamped store's changelog record: `undefined` (none, as Kafka) unless it {@link needsBareValueHeader}. */
export function bareValueHeaders(bare: Buffer, timestamp: number, upgradeFrom: StreamsConfig['upgradeFrom']): Headers | undefined {
  return needsBareValueHeader(bare, timestamp, upgradeFrom) ? new Headers().add(BARE_VALUE_HEADER, '1') : undefined;
}

/** Whether kafkajs-style record headers carry {@link BARE_VALUE_HEADER}. */
export function hasBareValueHeader(headers: Readonly<Record<string, unknown>> | undefined): boolean {
  return headers !== undefined && headers[BARE_VALUE_HEADER] !== undefined;
}

/**
 * The bytes a timestamped store holds for one of its changelog records: `timestamp + value`
 * from a record in Kafka's format, `null` for a tombstone. Under `upgradeFrom:
 * 'prefixed-changelogs'`, a record in the old prefixed format (a value starting with its own
 * record timestamp, without {@link BARE_VALUE_HEADER}) gives its value as it is. Throws when a
 * bare value comes without its record timestamp.
 */
export function timestampedStoreValue(record: ChangelogRecord, storeName: string, upgradeFrom: StreamsConfig['upgradeFrom']): Buffer | null {
  const value = record.value;
  if (value === null) return null;
  const timestamp = record.timestamp;
  if (upgradeFrom === 'prefixed-changelogs' && record.bareValue !== true && timestamp !== undefined && startsWithTimestamp(value, timestamp)) return value;
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

/**
 * {@link timestampedStoreValue} for each record, keeping the key: what a persistent timestamped
 * store's handle restores. `upgradeFrom` is the application's option of that name.
 */
export function* timestampedStoreRecords(records: Iterable<ChangelogRecord>, storeName: string, upgradeFrom: StreamsConfig['upgradeFrom']): IterableIterator<ChangelogRecord> {
  for (const record of records) yield { key: record.key, value: timestampedStoreValue(record, storeName, upgradeFrom) };
}
