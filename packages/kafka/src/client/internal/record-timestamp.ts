/**
 * An outgoing record's timestamp as a number, beside the seam's decimal string
 * (`OutgoingKafkaRecord.timestamp`). The runtime's records (`OutgoingRecord`) carry it under
 * {@link timestampMillis} and make the string only when something reads it, so the adapters,
 * which read the number, turn no timestamp into a string and back (a heap number's `String` is
 * about 130 ns here, for three records an event).
 */
export const timestampMillis: unique symbol = Symbol('tributary.kafka.timestampMillis');

/**
 * The record's timestamp when it carries one under {@link timestampMillis} as a safe integer (-0
 * read as 0, as its string is "0"); `undefined` otherwise, when the reader takes `timestamp`.
 */
export function timestampMillisOf(record: object): number | undefined {
  const millis = (record as { readonly [timestampMillis]?: unknown })[timestampMillis];
  return typeof millis === 'number' && Number.isSafeInteger(millis) ? millis + 0 : undefined;
}
