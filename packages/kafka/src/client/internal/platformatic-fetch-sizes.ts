/**
 * How many record bytes a fetch of the @platformatic/kafka consumer may bring, from
 * `platformaticClient`'s options. A stream thread decodes a fetch response whole into records
 * (about three times its bytes on the heap) and holds them until it has processed every batch in
 * it, so these sizes bound the fetched data in memory.
 */
import { ConfigError } from '@tributary/streams';

/** The sizes every fetch request of a consumer carries. */
export interface FetchSizes {
  /** The most bytes of one partition in a fetch (Kafka's `max.partition.fetch.bytes`). */
  readonly partitionMaxBytes: number;
  /** The most bytes of a fetch, over all its partitions (Kafka's `fetch.max.bytes`). */
  readonly maxBytes: number;
}

/**
 * The default bytes of a partition in a fetch, a quarter of Kafka's consumer's 1 MiB: Kafka's
 * consumer keeps fetched bytes compact until polled, where this consumer decodes a whole fetch
 * into objects, several hundred heap bytes a record however small the record. A million-key
 * count per key (records of about 35 bytes, 30,000 of them in 1 MiB) peaked at 393 MB building
 * its state with 1 MiB and at 307 MB with 256 KiB, for no more CPU per event; the flagship (170
 * bytes a record) alike at either size (benchmarks/README.md, "Memory on Node 24").
 */
export const DEFAULT_PARTITION_FETCH_MAX_BYTES = 256 * 1024;
/** The default bytes of a fetch: 16 partitions at the partition default (Kafka's consumer asks 50 MiB). */
export const DEFAULT_FETCH_MAX_BYTES = 4 * 1024 * 1024;

/** Fetch sizes are Kafka INT32s. */
const INT32_MAX = 2 ** 31 - 1;

/** `value` when it is a byte count a fetch request can carry; a `ConfigError` naming `option` otherwise. */
function fetchBytes(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > INT32_MAX) {
    throw new ConfigError(`platformaticClient: option '${option}' must be a whole number of bytes from 1 to ${INT32_MAX}; got ${String(value)}. Leave it out for the default (${fallback}).`);
  }
  return value;
}

/** The fetch sizes `platformaticClient`'s options ask for, each defaulted; a `ConfigError` naming an option that is not a byte count. */
export function fetchSizesOf(options: { readonly partitionFetchMaxBytes?: number; readonly fetchMaxBytes?: number }): FetchSizes {
  return {
    partitionMaxBytes: fetchBytes('partitionFetchMaxBytes', options.partitionFetchMaxBytes, DEFAULT_PARTITION_FETCH_MAX_BYTES),
    maxBytes: fetchBytes('fetchMaxBytes', options.fetchMaxBytes, DEFAULT_FETCH_MAX_BYTES),
  };
}
